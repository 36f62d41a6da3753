import { GetExecutionHistoryCommand, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';

/** GetExecutionHistory's largest page. */
export const FULL_PAGE = 1000;
/**
 * Events a poll asks for per page, newest first. Small, because a poll mostly finds a few new
 * events and the rest of its page is events already read; a burst larger than this takes more pages.
 */
export const NEW_EVENTS_PAGE = 100;

/**
 * An execution's history, read whole once (oldest first) and then, at each poll, only as far back
 * as the newest event already read. Step Functions numbers events 1, 2, 3... in order; a page
 * token comes only while more pages remain, so the end of the history leaves none to resume from:
 * a poll reads newest first (`reverseOrder`) until it meets an event older than the newest it
 * already has. Older, not just known: `reverseOrder` sorts by timestamp, and events of one
 * millisecond may come in any order, so a known event can come before new ones of its millisecond.
 * A page token lives 24 hours (an expired one fails with InvalidToken): the read then starts over
 * and keeps only the events it has not got, by id.
 */
export class ExecutionHistory {
  private readonly events: HistoryEvent[] = [];
  private lastId = 0;
  /** The timestamp (epoch ms) of event `lastId`, when it has one. */
  private lastTime: number | undefined;

  constructor(private readonly sfn: SFNClient, private readonly executionArn: string) {}

  /** The whole history so far, oldest first; reads only what was added since the last call. */
  async read(): Promise<HistoryEvent[]> {
    const newestFirst = this.lastId > 0;
    const fresh = new Map<number, HistoryEvent>();
    // Every id from lastId + 1 to the newest read: nothing between them is missing.
    const complete = () => fresh.size === Math.max(this.lastId, ...fresh.keys()) - this.lastId;
    let token: string | undefined;
    let restarted = false;
    for (;;) {
      let page;
      try {
        page = await this.sfn.send(new GetExecutionHistoryCommand({
          executionArn: this.executionArn, includeExecutionData: true, nextToken: token,
          // Every page of one read with the same arguments, as the API asks.
          ...(newestFirst ? { reverseOrder: true, maxResults: NEW_EVENTS_PAGE } : { maxResults: FULL_PAGE }),
        }));
      } catch (error) {
        if ((error as Error).name !== 'InvalidToken' || token === undefined || restarted) throw error;
        restarted = true;
        token = undefined;
        continue;
      }
      let reachedOlder = false;
      for (const event of page.events ?? []) {
        if (event.id === undefined) continue;
        if (event.id > this.lastId) fresh.set(event.id, event);
        else if (this.lastTime === undefined || !(event.timestamp instanceof Date) || event.timestamp.getTime() < this.lastTime) reachedOlder = true;
      }
      token = page.nextToken;
      if (!token || (newestFirst && reachedOlder && complete())) break;
    }
    const added = [...fresh.values()].sort((a, b) => a.id! - b.id!);
    this.events.push(...added);
    if (added.length) {
      const newest = added[added.length - 1];
      this.lastId = newest.id!;
      this.lastTime = newest.timestamp instanceof Date ? newest.timestamp.getTime() : undefined;
    }
    return this.events;
  }
}
