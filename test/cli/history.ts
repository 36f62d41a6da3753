import type { HistoryEvent } from '@aws-sdk/client-sfn';

/**
 * Execution histories shaped as Step Functions writes them: each event's previousEventId points
 * at the event before it in its state.
 */
export class History {
  public readonly events: HistoryEvent[] = [];
  private last = new Map<string, number>();
  constructor(private readonly start = Date.parse('2026-12-01T10:00:00Z')) {}

  private add(type: string, atSeconds: number, state: string | undefined, details: Partial<HistoryEvent>): this {
    const id = this.events.length + 1;
    const previousEventId = state ? this.last.get(state) ?? id - 1 : id - 1;
    this.events.push({ id, previousEventId, type: type as any, timestamp: new Date(this.start + atSeconds * 1000), ...details });
    if (state) this.last.set(state, id);
    return this;
  }

  enter(state: string, at: number, kind = 'Task') {
    return this.add(`${kind}StateEntered`, at, state, { stateEnteredEventDetails: { name: state, input: '{}' } });
  }
  exit(state: string, at: number, output: unknown = {}, kind = 'Task') {
    return this.add(`${kind}StateExited`, at, state, { stateExitedEventDetails: { name: state, output: JSON.stringify(output) } });
  }
  scheduled(state: string, at: number, resourceType: string, resource: string, parameters: unknown) {
    return this.add('TaskScheduled', at, state, { taskScheduledEventDetails: { resourceType, resource, region: 'us-east-1', parameters: JSON.stringify(parameters) } });
  }
  failed(state: string, at: number, error: string, cause: string) {
    return this.add('TaskFailed', at, state, { taskFailedEventDetails: { resourceType: 'sagemaker', resource: 'createTrainingJob.sync', error, cause } });
  }
  succeeded(state: string, at: number) {
    return this.add('TaskSucceeded', at, state, { taskSucceededEventDetails: { resourceType: 'sagemaker', resource: 'createTrainingJob.sync', output: '{}' } });
  }
}

export const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ChurnPipeline';
export const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:ChurnPipeline:run-1';
export const REGISTERED = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/7';
export const PLAN = {
  plan: {
    modelUri: 's3://artifacts-bucket/churn/runs/run-1/model/',
    manifestKey: 'churn/runs/run-1/manifest.json',
  },
};

/** A GetExecutionHistory request as the fake below reads it. */
export interface HistoryRequest {
  readonly nextToken?: string;
  readonly maxResults?: number;
  readonly reverseOrder?: boolean;
}

/**
 * GetExecutionHistory as Step Functions documents it, over the events `current()` returns at each
 * call: oldest first unless `reverseOrder`, `maxResults` a page (100 unless given, at most 1000),
 * a `nextToken` only while events remain after the page. The next request with the token at the
 * head of `expired` fails with InvalidToken (HTTP 400), as a token older than 24 hours does, and
 * takes it off the list. Every request and the ids it got are recorded.
 */
export class HistoryService {
  public readonly requests: Array<HistoryRequest & { ids: number[] }> = [];
  public readonly expired: string[] = [];
  constructor(private readonly current: () => HistoryEvent[]) {}

  page(input: HistoryRequest): { events: HistoryEvent[]; nextToken?: string } {
    if (input.nextToken !== undefined && input.nextToken === this.expired[0]) {
      this.expired.shift();
      this.requests.push({ ...input, ids: [] });
      throw Object.assign(new Error('Invalid Token: expired'), { name: 'InvalidToken', $metadata: { httpStatusCode: 400 } });
    }
    const size = Math.min(input.maxResults || 100, 1000);
    const ordered = input.reverseOrder ? [...this.current()].reverse() : this.current();
    // A token names the last event of its page: the next page starts after it, as new events arrive.
    const after = input.nextToken ? ordered.findIndex((e) => `after-${e.id}` === input.nextToken) + 1 : 0;
    const events = ordered.slice(after, after + size);
    this.requests.push({ ...input, ids: events.map((e) => e.id!) });
    const more = after + size < ordered.length;
    return { events, nextToken: more ? `after-${events[events.length - 1].id}` : undefined };
  }
}
