/**
 * How a piece of drain work runs, and what a failure means for it. The one reusable piece behind batching, the time
 * budget and per-instance failure isolation:
 * - {@link INLINE}: one event's work. The first failure is thrown, so the invocation fails and Lambda retries it.
 * - {@link BoundedRunner}: the sweep's work. Each item runs on its own (a failure is reported, the others go on), a
 *   few at a time, and no new item starts once the time budget is spent: the next sweep goes on.
 */

export interface WorkScope {
  /** Runs the work of one item; a failure is that item's alone (`ids` name its instances). Undefined when it failed. */
  isolate<R>(ids: readonly string[], work: () => Promise<R>): Promise<R | undefined>;
  /** Reports a failure of these instances that is not an exception of their work (ECS refused them, say). */
  fail(ids: readonly string[], error: Error): void;
  /** Whether there is time left for more work. */
  hasTime(): boolean;
}

/** One event's work: failures are thrown, and time is the invocation's own concern. */
export const INLINE: WorkScope = {
  isolate: (_ids, work) => work(),
  fail: (_ids, error) => { throw error; },
  hasTime: () => true,
};

export interface BoundedRunnerOptions {
  /** How many items run at once. */
  readonly concurrency: number;
  /** How long the work may still run, in ms. */
  readonly remainingMs: () => number;
  /** No new item starts when less than this is left. */
  readonly reserveMs: number;
  /** Called for each failure, with the instances it concerns. */
  readonly onFailure: (ids: readonly string[], error: unknown) => void;
  /** Called when items are left because the time ran out. */
  readonly onOutOfTime: (left: number) => void;
}

export class BoundedRunner implements WorkScope {
  constructor(private readonly options: BoundedRunnerOptions) {}

  hasTime(): boolean {
    return this.options.remainingMs() > this.options.reserveMs;
  }

  async isolate<R>(ids: readonly string[], work: () => Promise<R>): Promise<R | undefined> {
    try {
      return await work();
    } catch (error) {
      this.options.onFailure(ids, error);
      return undefined;
    }
  }

  fail(ids: readonly string[], error: Error): void {
    this.options.onFailure(ids, error);
  }

  /**
   * Runs `work` for each item, `concurrency` at a time, each isolated, while there is time; returns what the items
   * that succeeded returned, in the order they finished.
   */
  async run<T, R>(items: readonly T[], ids: (item: T) => readonly string[], work: (item: T) => Promise<readonly R[]>): Promise<R[]> {
    const results: R[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length && this.hasTime()) {
        const item = items[next++];
        const result = await this.isolate(ids(item), () => work(item));
        if (result) results.push(...result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, items.length) }, worker));
    if (next < items.length) this.options.onOutOfTime(items.length - next);
    return results;
  }
}
