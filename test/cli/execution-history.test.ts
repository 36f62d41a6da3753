/**
 * ExecutionHistory against a recording stand-in for Step Functions' GetExecutionHistory: the
 * first read takes the whole history, each later one only what was added.
 */
import { GetExecutionHistoryCommand, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionHistory, FULL_PAGE, NEW_EVENTS_PAGE } from '../../cli/execution-history';
import { EXECUTION, History, HistoryService } from './history';

/** `visits` Wait-state loops: 2 events each. */
function loops(h: History, visits: number, from = 0): History {
  for (let i = from; i < from + visits; i++) h.enter('Poll', i * 2, 'Wait').exit('Poll', i * 2 + 1, {}, 'Wait');
  return h;
}

function reader(service: HistoryService): ExecutionHistory {
  const client = { send: async (command: GetExecutionHistoryCommand) => service.page(command.input) };
  return new ExecutionHistory(client as unknown as SFNClient, EXECUTION);
}

const ids = (events: HistoryEvent[]) => events.map((e) => e.id);
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

test('the first read takes the whole history oldest first, 1000 events a page', async () => {
  const h = loops(new History(), 1250);
  const service = new HistoryService(() => h.events);
  const events = await reader(service).read();
  expect(ids(events)).toEqual(oneToN(2500));
  expect(service.requests.map((r) => [r.nextToken, r.maxResults, r.reverseOrder])).toEqual([
    [undefined, FULL_PAGE, undefined], ['after-1000', FULL_PAGE, undefined], ['after-2000', FULL_PAGE, undefined],
  ]);
  expect(service.requests.every((r) => (r as any).includeExecutionData === true && (r as any).executionArn === EXECUTION)).toBe(true);
});

test('a later read asks for the newest events only, and stops at the first one it already has', async () => {
  // GIVEN a history of 2500 events, read
  const h = loops(new History(), 1250);
  const service = new HistoryService(() => h.events);
  const history = reader(service);
  await history.read();
  // WHEN 3 events are added and it reads again
  h.enter('Train', 2500).scheduled('Train', 2500, 'sagemaker', 'createTrainingJob.sync', { TrainingJobName: 'job-1' }).succeeded('Train', 2600);
  const events = await history.read();
  // THEN one page, newest first, of the small size; the history holds each event once, in order
  expect(service.requests).toHaveLength(4);
  expect(service.requests[3]).toMatchObject({ reverseOrder: true, maxResults: NEW_EVENTS_PAGE, nextToken: undefined });
  expect(service.requests[3].ids.slice(0, 4)).toEqual([2503, 2502, 2501, 2500]);
  expect(ids(events)).toEqual(oneToN(2503));
  // and a read with nothing new adds nothing
  expect(ids(await history.read())).toEqual(oneToN(2503));
  expect(service.requests).toHaveLength(5);
});

test('more new events than a page: the read follows nextToken, with the same arguments, until it meets a known event', async () => {
  const h = loops(new History(), 10);
  const service = new HistoryService(() => h.events);
  const history = reader(service);
  await history.read();
  loops(h, 125, 10);
  const events = await history.read();
  const poll = service.requests.slice(1);
  expect(poll.map((r) => [r.nextToken, r.maxResults, r.reverseOrder])).toEqual([
    [undefined, NEW_EVENTS_PAGE, true], ['after-171', NEW_EVENTS_PAGE, true], ['after-71', NEW_EVENTS_PAGE, true],
  ]);
  expect(ids(events)).toEqual(oneToN(270));
});

test('an expired page token (InvalidToken) starts the read over and keeps each event once', async () => {
  // GIVEN the token of the first read's second page expired
  const h = loops(new History(), 1250);
  const service = new HistoryService(() => h.events);
  service.expired.push('after-1000');
  // WHEN
  const events = await reader(service).read();
  // THEN it read again from the start and has every event once
  expect(service.requests.map((r) => r.nextToken)).toEqual([undefined, 'after-1000', undefined, 'after-1000', 'after-2000']);
  expect(ids(events)).toEqual(oneToN(2500));
});

test('an expired token during a later read starts that read over, newest first', async () => {
  const h = loops(new History(), 10);
  const service = new HistoryService(() => h.events);
  const history = reader(service);
  await history.read();
  loops(h, 60, 10);
  service.expired.push('after-41');
  const events = await history.read();
  expect(service.requests.slice(1).map((r) => [r.nextToken, r.reverseOrder])).toEqual([[undefined, true], ['after-41', true], [undefined, true], ['after-41', true]]);
  expect(ids(events)).toEqual(oneToN(140));
});

test('a token that expires again after the new start fails the read, with the service\'s error', async () => {
  const h = loops(new History(), 600);
  const service = new HistoryService(() => h.events);
  service.expired.push('after-1000', 'after-1000');
  await expect(reader(service).read()).rejects.toMatchObject({ name: 'InvalidToken' });
  expect(service.requests.map((r) => r.nextToken)).toEqual([undefined, 'after-1000', undefined, 'after-1000']);
});

test('a service that ignores reverseOrder and maxResults (moto) still yields each event once, in order', async () => {
  const h = loops(new History(), 5);
  const client = { send: async () => ({ events: h.events }) };
  const history = new ExecutionHistory(client as unknown as SFNClient, EXECUTION);
  await history.read();
  loops(h, 2, 5);
  expect(ids(await history.read())).toEqual(oneToN(14));
});

test('events of one millisecond may come in any order newest first: a read goes past the known ones of the newest known millisecond', async () => {
  // GIVEN events 1..10 one second apart, read; then 11..13 in the millisecond of event 10
  const at = (s: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + s * 1000);
  const events: HistoryEvent[] = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, type: 'PassStateEntered', timestamp: at(i) } as HistoryEvent));
  // a service that sorts by timestamp only, ties by ascending id, and pages 2 events at a time (fewer than maxResults, as it may)
  const requests: Array<{ nextToken?: string; reverseOrder?: boolean }> = [];
  const client = {
    send: async (command: GetExecutionHistoryCommand) => {
      const input = command.input;
      requests.push({ nextToken: input.nextToken, reverseOrder: input.reverseOrder });
      const ordered = input.reverseOrder
        ? [...events].sort((a, b) => b.timestamp!.getTime() - a.timestamp!.getTime() || a.id! - b.id!) : events;
      const from = Number(input.nextToken ?? 0);
      return { events: ordered.slice(from, from + 2), nextToken: from + 2 < ordered.length ? String(from + 2) : undefined };
    },
  };
  const history = new ExecutionHistory(client as unknown as SFNClient, EXECUTION);
  expect(ids(await history.read())).toEqual(oneToN(10));
  for (const id of [11, 12, 13]) events.push({ id, type: 'PassStateExited', timestamp: at(9) } as HistoryEvent);
  requests.length = 0;
  // WHEN it reads again (newest first the service lists 10, 11, 12, 13, all of second 9, then 9, 8, ...)
  const read = ids(await history.read());
  // THEN it reads on past event 10 (known, but of the newest known millisecond) until an older one (9), and has every event once
  expect(read).toEqual(oneToN(13));
  expect(requests.map((r) => r.nextToken)).toEqual([undefined, '2', '4']);
  // AND a read with nothing new stops at the first page holding an older event
  requests.length = 0;
  expect(ids(await history.read())).toEqual(oneToN(13));
  expect(requests.map((r) => r.nextToken)).toEqual([undefined, '2', '4']);
});
