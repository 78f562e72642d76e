/**
 * EventBridge for the emulator: the default bus, with the rules of the synthesized template (event patterns and
 * schedules), real pattern matching, asynchronous delivery to the Lambda target with Lambda's async retries (the function's
 * EventInvokeConfig: by default 2 retries, 1 and 2 minutes apart, events older than the maximum age discarded),
 * a dead-letter record, and injected delivery faults (drops, duplicates, delays).
 */
import type { Timer, VirtualClock } from './clock';
import { matchesPattern } from './event-pattern';
import { type FaultOptions, Rng } from './faults';
import type { Invocation, LambdaHost } from './lambda-host';
import type { EmuQueue } from './sqs';
import { eventTime } from './world';

export interface Rule {
  readonly id: string;
  readonly eventPattern?: Record<string, unknown>;
  /** Schedule period in emulated ms. */
  readonly periodMs?: number;
  /** State DISABLED: the rule matches nothing. */
  readonly disabled?: boolean;
  /** The target's constant Input (a JSON text in the template), delivered instead of the event. */
  readonly input?: Record<string, unknown>;
  /**
   * The rule's targets are not the function (an SNS topic of `onDrainTimedOut`, or none): its matches are recorded in
   * `EventBus.matches`, and nothing is invoked.
   */
  readonly recordOnly?: boolean;
  /**
   * Where the rule delivers: a function (asynchronous invocation, with its retries), or an SQS queue (SendMessage, the
   * event as the message body). The bus's own function when not set.
   */
  readonly target?: BusTarget;
}

/** An event a rule matched. */
export interface RuleMatch {
  readonly at: number;
  readonly ruleId: string;
  readonly event: Record<string, unknown>;
}

export type BusTarget =
  | { readonly kind: 'lambda'; readonly host: LambdaHost; readonly asyncConfig: AsyncInvokeConfig }
  | { readonly kind: 'sqs'; readonly queue: EmuQueue };

/** Lambda's asynchronous invocation settings (AWS::Lambda::EventInvokeConfig). */
export interface AsyncInvokeConfig {
  /** 0 to 2; Lambda's default is 2. */
  readonly maximumRetryAttempts: number;
  /** Events older than this (emulated ms since they were queued) are discarded instead of retried. */
  readonly maximumEventAgeMs: number;
}

export const DEFAULT_ASYNC_CONFIG: AsyncInvokeConfig = { maximumRetryAttempts: 2, maximumEventAgeMs: 6 * 3_600_000 };

export interface Delivery {
  readonly at: number;
  readonly ruleId: string;
  readonly detailType: string;
  readonly fate: 'delivered' | 'dropped' | 'duplicated';
}

/** Lambda retries a failed asynchronous invocation twice, after about 1 and 2 minutes. */
export const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];
/** Where a failed event went once retries were exhausted or it grew too old (the function's dead-letter queue). */
export interface DeadLetter {
  readonly event: Record<string, unknown>;
  readonly error?: string;
  readonly attempts: number;
  readonly reason: 'RetriesExhausted' | 'EventAgeExceeded';
}
/** Typical EventBridge delivery latency. */
export const DELIVERY_LATENCY_MS = 500;

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)`... (cron expressions are not emulated). */
export function parseRate(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1) !== !m[2].endsWith('s')) throw new Error(`unsupported schedule ${expression}`);
  const unit = m[2].startsWith('minute') ? 60_000 : m[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

export class EventBus {
  readonly deliveries: Delivery[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Every event put on the bus (by AWS's services, and by PutEvents), in order. */
  readonly published: Array<Record<string, unknown>> = [];
  /** Every event each pattern rule matched, whether its target is the function or not. */
  readonly matches: RuleMatch[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly schedules: Timer[] = [];
  private stopped = false;

  constructor(
    private readonly rules: Rule[],
    private readonly lambda: LambdaHost,
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private faults: FaultOptions = {},
    private readonly asyncConfig: AsyncInvokeConfig = DEFAULT_ASYNC_CONFIG,
  ) {}

  setFaults(faults: FaultOptions): void { this.faults = faults; }

  /**
   * Publishes an event on the bus (an AWS service's, or a custom one from PutEvents): every matching rule records the
   * match, and those whose target is the function deliver it.
   */
  publish(event: Record<string, unknown>): void {
    if (this.stopped) return;
    this.published.push(event);
    for (const rule of this.rules) {
      if (rule.disabled || !rule.eventPattern || !matchesPattern(rule.eventPattern, event)) continue;
      this.matches.push({ at: this.clock.now(), ruleId: rule.id, event });
      if (!rule.recordOnly) this.route(rule, rule.input ?? event);
    }
  }

  /** The events a rule (by the start of its logical ID) matched. */
  matchedBy(ruleIdPrefix: string): Array<Record<string, unknown>> {
    return this.matches.filter((m) => m.ruleId.startsWith(ruleIdPrefix)).map((m) => m.event);
  }

  /** Delivers to the target of one rule, with the injected faults. */
  private route(rule: Rule, event: Record<string, unknown>): void {
    const detailType = String(event['detail-type']);
    const droppable = !this.faults.dropOnly || this.faults.dropOnly.includes(detailType);
    if (droppable && this.rng.chance(this.faults.dropEventRate ?? 0)) {
      this.deliveries.push({ at: this.clock.now(), ruleId: rule.id, detailType, fate: 'dropped' });
      return;
    }
    const copies = this.rng.chance(this.faults.duplicateEventRate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = DELIVERY_LATENCY_MS + this.rng.next() * (this.faults.maxExtraDelayMs ?? 0);
      this.deliveries.push({ at: this.clock.now(), ruleId: rule.id, detailType, fate: i === 0 ? 'delivered' : 'duplicated' });
      const target = rule.target;
      if (target?.kind === 'sqs') {
        this.clock.after(delay, () => { if (!this.stopped) target.queue.send(JSON.stringify(event)); });
      } else {
        const host = target?.host ?? this.lambda;
        const config = target?.asyncConfig ?? this.asyncConfig;
        this.clock.after(delay, () => this.track(this.invokeWithRetries(event, 0, this.clock.now(), host, config)));
      }
    }
  }

  /** One asynchronous invocation (Lambda queued it at `queuedAt`), retried on a function error, timeout or crash. */
  private async invokeWithRetries(event: Record<string, unknown>, attempt: number, queuedAt: number,
    host: LambdaHost = this.lambda, asyncConfig: AsyncInvokeConfig = this.asyncConfig): Promise<void> {
    if (this.stopped) return;
    let inv: Invocation;
    try {
      inv = await host.invoke(event);
    } catch {
      return; // host stopped
    }
    if (inv.ok || this.stopped) return;
    const error = inv.error ? { error: inv.error } : {};
    if (attempt >= Math.min(asyncConfig.maximumRetryAttempts, ASYNC_RETRY_DELAYS_MS.length)) {
      this.deadLetters.push({ event, ...error, attempts: attempt + 1, reason: 'RetriesExhausted' });
      return;
    }
    const retryAt = this.clock.now() + ASYNC_RETRY_DELAYS_MS[attempt];
    if (retryAt - queuedAt > asyncConfig.maximumEventAgeMs) {
      this.deadLetters.push({ event, ...error, attempts: attempt + 1, reason: 'EventAgeExceeded' });
      return;
    }
    this.clock.after(ASYNC_RETRY_DELAYS_MS[attempt], () => this.track(this.invokeWithRetries(event, attempt + 1, queuedAt, host, asyncConfig)));
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private scheduleSeq = 0;

  private scheduledEventId(): string {
    const n = (++this.scheduleSeq).toString(16).padStart(12, '0');
    return `5ced1e00-0000-4000-8000-${n}`;
  }

  /** Its own randomness, so that the schedule's jitter leaves the fault patterns of a seed as they were. */
  private readonly scheduleRng = new Rng(0x5ced1e);

  /**
   * Fires each schedule rule once every period, each tick at a moment within its period's first minute: EventBridge
   * runs a scheduled rule "within the minute" of its schedule, not on its 0th second (docs/aws-behaviour.md). The
   * event's `time` is when it fired. Ticks are placed from the start (start + n × period + offset), so lag never drifts.
   */
  startSchedules(): void {
    const start = this.clock.now();
    for (const rule of this.rules) {
      if (!rule.periodMs || rule.disabled || rule.recordOnly) continue;
      const period = rule.periodMs;
      let n = 1;
      const offset = (tick: number) => {
        const pattern = this.faults.scheduleOffsetsMs;
        return pattern && pattern.length > 0
          ? pattern[(tick - 1) % pattern.length]
          : Math.floor(this.scheduleRng.next() * Math.min(60_000, period));
      };
      let firesAt = start + n * period + offset(n);
      const fire = () => {
        if (this.stopped) return;
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
        this.route(rule, rule.input ?? {
          'version': '0', 'id': this.scheduledEventId(), 'detail-type': 'Scheduled Event', 'source': 'aws.events',
          'account': '123456789012', 'time': eventTime(firesAt), 'region': 'eu-west-1',
          'resources': [`arn:aws:events:eu-west-1:123456789012:rule/${rule.id}`], 'detail': {},
        });
        n += 1;
        firesAt = start + n * period + offset(n);
        this.schedules.push(this.clock.after(firesAt - this.clock.now(), fire));
      };
      this.schedules.push(this.clock.after(firesAt - this.clock.now(), fire));
    }
  }

  /** Invokes the function directly with any payload (as a misconfigured rule or a test would). */
  inject(event: Record<string, unknown>): void {
    this.track(this.invokeWithRetries(event, 0, this.clock.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.schedules) this.clock.cancel(t);
    await Promise.allSettled([...this.pending]);
  }
}
