/** Deterministic randomness and ECS-like throttling for the emulator. */

/** mulberry32: a small seeded PRNG, so every fault pattern replays exactly. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean { return p > 0 && this.next() < p; }
}

/** A token bucket per operation, refilled in emulated time, like the ECS and Auto Scaling API rate limits. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly ratePerSecond: number, private readonly burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Amazon ECS's request throttling, as documented: one token bucket per API action category, per account and Region,
 * shared by every action of the category (Amazon ECS API Reference, "Request throttling for the Amazon ECS API",
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). Bucket maximum capacity is the
 * burst, bucket refill rate the sustained rate per second; an empty bucket answers ThrottlingException. Only the
 * categories of the actions the emulator serves are listed.
 */
export interface EcsThrottlingCategory { readonly category: string; readonly burst: number; readonly rate: number }
export const ECS_THROTTLING_CATEGORIES: Readonly<Record<string, EcsThrottlingCategory>> = (() => {
  const resourceModify = { category: 'Cluster resource modify actions', burst: 100, rate: 40 };
  const resourceRead = { category: 'Cluster resource read actions', burst: 100, rate: 20 };
  return {
    DeleteAttributes: resourceModify, PutAttributes: resourceModify, StopTask: resourceModify,
    // The page spells it UpdateContainerInstancesStates; the action is UpdateContainerInstancesState.
    UpdateContainerInstancesState: resourceModify,
    DescribeContainerInstances: resourceRead, DescribeTasks: resourceRead, ListContainerInstances: resourceRead, ListTasks: resourceRead,
  };
})();

export interface FaultOptions {
  /**
   * Amazon ECS's documented per-category token buckets ({@link ECS_THROTTLING_CATEGORIES}), scaled by this factor
   * (1 = the documented rates; less models an account whose other tools already use part of them). Auto Scaling
   * documents no request rates: it is not throttled by this option.
   */
  readonly ecsTokenBuckets?: number;
  /** Probability that a call to the operation (or '*') answers a throttling error. */
  readonly throttleRate?: Record<string, number>;
  /** Probability that a call to the operation (or '*') answers a 5xx error. */
  readonly serverErrorRate?: Record<string, number>;
  /** Token buckets per operation (or '*'): requests per emulated second and burst. */
  readonly rateLimits?: Record<string, { readonly rate: number; readonly burst: number }>;
  /** Probability that EventBridge drops an event for the Lambda target. */
  readonly dropEventRate?: number;
  /** Detail types the drop rate applies to (all when unset), e.g. only the ECS task events. */
  readonly dropOnly?: readonly string[];
  /** Probability that EventBridge delivers an event twice. */
  readonly duplicateEventRate?: number;
  /** Extra random delivery delay, up to this many emulated ms (so events can arrive out of order). */
  readonly maxExtraDelayMs?: number;
  /**
   * When in its period each scheduled tick fires, in emulated ms after the period's start: one value per tick,
   * cycled (an adversarial pattern). Without it, each tick fires at a random moment of its period's first minute
   * ("within the minute", as EventBridge runs a scheduled rule).
   */
  readonly scheduleOffsetsMs?: readonly number[];
  /** Probability that a Lambda invocation's process is killed partway. */
  readonly killInvocationRate?: number;
}

export function rateFor(table: Record<string, number> | undefined, operation: string): number {
  return table?.[operation] ?? table?.['*'] ?? 0;
}
