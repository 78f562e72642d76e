/**
 * Amazon SQS standard queues and Lambda's SQS event source mapping, for the emulator, as AWS documents them:
 *
 * - Queue: a message received is hidden for the visibility timeout and becomes visible again unless deleted; each
 *   receive counts toward ApproximateReceiveCount, and once it exceeds the redrive policy's maxReceiveCount the
 *   message moves to the dead-letter queue; messages older than the retention period are deleted (Amazon SQS
 *   Developer Guide, "Amazon SQS visibility timeout" and "Using dead-letter queues",
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html,
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 * - Event source mapping (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): Lambda "starts processing five
 *   batches at a time with five concurrent invocations" and adds "up to 300 more instances per minute" while messages
 *   are still available; the optimization down to two batches "is not available when you enable the maximum
 *   concurrency setting", so the emulator always reads with at least five pollers (the pessimistic case for batching:
 *   the messages are shared out among them). For SQS, "the next batching window begins as soon as the previous
 *   function invocation completes"; a batch is sent when the window ends, the batch size is reached, or the payload
 *   reaches 6 MB. Maximum concurrency caps the invocations at once (a poller whose batch is ready waits, holding
 *   its messages in flight). The function is invoked synchronously; on success its messages are deleted, except the
 *   `batchItemFailures` it reports (with ReportBatchItemFailures); a function error, timeout or crash, or an
 *   itemIdentifier that names no message of the batch, fails the whole batch, whose messages reappear after the
 *   visibility timeout.
 *
 * Payload sizes are not emulated (the drain events are about 2 KB: a batch of the sizes configured stays far below
 * 6 MB).
 */
import type { Timer, VirtualClock } from './clock';
import type { Invocation, LambdaHost } from './lambda-host';

export interface QueueConfig {
  readonly name: string;
  readonly arn: string;
  /** Emulated ms; SQS's default is 30 s. */
  readonly visibilityTimeoutMs: number;
  /** Emulated ms; SQS's default is 4 days. */
  readonly retentionMs: number;
  readonly deadLetterTargetArn?: string;
  readonly maxReceiveCount?: number;
}

export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  visibleAt: number;
  receiptHandle?: string;
}

export class EmuQueue {
  /** Messages in the queue: visible, or in flight (received, not deleted). */
  readonly messages = new Map<string, QueueMessage>();
  /** Every message ever sent, and every message moved to the dead-letter queue or expired. */
  sent = 0;
  readonly movedToDeadLetter: QueueMessage[] = [];
  readonly expired: QueueMessage[] = [];
  deadLetterQueue?: EmuQueue;
  private seq = 0;
  private readonly listeners: Array<() => void> = [];

  constructor(readonly config: QueueConfig, private readonly clock: VirtualClock) {}

  /** SendMessage (also how EventBridge delivers to an SQS target: the event is the message body). */
  send(body: string, sentAt = this.clock.now()): QueueMessage {
    const message: QueueMessage = {
      messageId: `${this.config.name}-msg-${++this.seq}`, body, sentAt, receiveCount: 0, visibleAt: this.clock.now(),
    };
    this.messages.set(message.messageId, message);
    this.sent += 1;
    this.notify();
    return message;
  }

  /** Runs `listener` whenever a message may have become visible. */
  onAvailable(listener: () => void): void { this.listeners.push(listener); }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Visible messages right now (expired ones removed first). */
  visibleCount(): number {
    this.expire();
    const now = this.clock.now();
    let n = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) n += 1;
    return n;
  }

  /** ReceiveMessage: up to `max` visible messages, hidden for the visibility timeout; redrive past maxReceiveCount. */
  receive(max: number): QueueMessage[] {
    this.expire();
    const now = this.clock.now();
    const out: QueueMessage[] = [];
    for (const m of this.messages.values()) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (this.config.maxReceiveCount !== undefined && m.receiveCount >= this.config.maxReceiveCount && this.deadLetterQueue) {
        // Its receive count would exceed maxReceiveCount: SQS moves it to the dead-letter queue instead.
        this.messages.delete(m.messageId);
        this.movedToDeadLetter.push(m);
        this.deadLetterQueue.send(m.body, m.sentAt);
        continue;
      }
      m.receiveCount += 1;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + this.config.visibilityTimeoutMs;
      m.receiptHandle = `${m.messageId}-r${m.receiveCount}`;
      out.push(m);
      // Visible again when the timeout runs out, unless deleted first.
      this.clock.after(this.config.visibilityTimeoutMs, () => this.notify());
    }
    return out;
  }

  /** DeleteMessage with the receipt handle of the latest receive. */
  delete(receiptHandle: string): void {
    for (const m of this.messages.values()) {
      if (m.receiptHandle === receiptHandle) { this.messages.delete(m.messageId); return; }
    }
  }

  private expire(): void {
    const now = this.clock.now();
    for (const m of this.messages.values()) {
      if (now - m.sentAt > this.config.retentionMs) {
        this.messages.delete(m.messageId);
        this.expired.push(m);
      }
    }
  }
}

export interface EventSourceMappingConfig {
  readonly id: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  /** ScalingConfig.MaximumConcurrency (2 to 1,000); no cap when undefined. */
  readonly maximumConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  readonly region: string;
}

/** One batch the mapping sent to the function, for the figures. */
export interface BatchRecord {
  readonly at: number;
  readonly size: number;
  readonly invocation: Invocation;
  /** Per message: when it was sent to the queue, and how many times it had been received. */
  readonly messages: ReadonlyArray<{ readonly sentAt: number; readonly receiveCount: number }>;
}

/** Lambda starts "five batches at a time with five concurrent invocations". */
export const INITIAL_POLLERS = 5;
/** "up to 300 more instances per minute". */
export const POLLERS_ADDED_PER_MINUTE = 300;
/** "The maximum number of batches that an event source mapping can process simultaneously is 1,000." */
export const MAX_POLLERS = 1000;

interface Poller {
  gathering: QueueMessage[] | undefined;
  wake?: () => void;
}

export class SqsEventSource {
  readonly batches: BatchRecord[] = [];
  private readonly pollers: Poller[] = [];
  private running = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly timers = new Set<Timer>();
  private roundRobin = 0;
  private lastPollerAddedAt = -Infinity;
  private readonly loops: Array<Promise<void>> = [];

  constructor(
    private readonly queue: EmuQueue,
    private readonly host: LambdaHost,
    private readonly clock: VirtualClock,
    readonly config: EventSourceMappingConfig,
  ) {
    queue.onAvailable(() => this.distribute());
  }

  start(): void {
    for (let i = 0; i < INITIAL_POLLERS; i++) this.addPoller();
  }

  /** The most pollers that can usefully read: maximum concurrency caps the invocations, not the readers. */
  private get maxPollers(): number {
    return Math.min(MAX_POLLERS, Math.max(INITIAL_POLLERS, this.config.maximumConcurrency ?? MAX_POLLERS));
  }

  private addPoller(): void {
    const poller: Poller = { gathering: undefined };
    this.pollers.push(poller);
    this.loops.push(this.loop(poller));
  }

  /** Shares out the visible messages among the pollers gathering a batch, one at a time, in turn. */
  private distribute(): void {
    if (this.stopped) return;
    for (;;) {
      const open = this.pollers.filter((p) => p.gathering !== undefined && p.gathering.length < this.config.batchSize);
      if (open.length === 0) return;
      const poller = open[this.roundRobin++ % open.length];
      const [message] = this.queue.receive(1);
      if (!message) return;
      poller.gathering!.push(message);
      if (this.config.batchingWindowMs === 0 || poller.gathering!.length >= this.config.batchSize) poller.wake?.();
    }
  }

  private sleep(ms: number, poller: Poller): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.after(ms, () => { this.timers.delete(timer); poller.wake = undefined; resolve(); });
      this.timers.add(timer);
      poller.wake = () => { this.clock.cancel(timer); this.timers.delete(timer); poller.wake = undefined; resolve(); };
    });
  }

  private async loop(poller: Poller): Promise<void> {
    while (!this.stopped) {
      // A batching window, from the end of the previous invocation; without one, as soon as a message is there.
      poller.gathering = [];
      this.distribute();
      if (this.config.batchingWindowMs > 0) {
        if (poller.gathering.length < this.config.batchSize) await this.sleep(this.config.batchingWindowMs, poller);
      } else {
        while (!this.stopped && poller.gathering.length === 0) await this.sleep(20_000, poller); // long polling
      }
      const batch = poller.gathering;
      poller.gathering = undefined;
      if (this.stopped) return;
      if (batch.length === 0) continue;
      await this.slot();
      if (this.stopped) return;
      this.maybeScaleUp();
      await this.invoke(batch);
      this.release();
    }
  }

  private async slot(): Promise<void> {
    const cap = this.config.maximumConcurrency ?? Infinity;
    while (this.running >= cap && !this.stopped) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.running += 1;
  }

  private release(): void {
    this.running -= 1;
    this.slotWaiters.shift()?.();
  }

  /** More pollers while a backlog remains, at most 300 a minute. */
  private maybeScaleUp(): void {
    const now = this.clock.now();
    if (this.pollers.length >= this.maxPollers || this.queue.visibleCount() < this.config.batchSize) return;
    if (now - this.lastPollerAddedAt < 60_000 / POLLERS_ADDED_PER_MINUTE) return;
    this.lastPollerAddedAt = now;
    this.addPoller();
  }

  private async invoke(batch: QueueMessage[]): Promise<void> {
    const event = {
      Records: batch.map((m) => ({
        messageId: m.messageId, receiptHandle: m.receiptHandle, body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt), SenderId: 'AIDAEVENTBRIDGE',
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? this.clock.now()),
        },
        messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: this.queue.config.arn, awsRegion: this.config.region,
      })),
    };
    const receipts = batch.map((m) => ({ id: m.messageId, handle: m.receiptHandle! }));
    const messages = batch.map((m) => ({ sentAt: m.sentAt, receiveCount: m.receiveCount }));
    let inv: Invocation;
    try {
      inv = await this.host.invoke(event);
    } catch {
      return; // host stopped
    }
    this.batches.push({ at: inv.startedAt, size: batch.length, invocation: inv, messages });
    if (!inv.ok) return; // every message reappears after the visibility timeout
    const failed = this.reportedFailures(inv.result, new Set(receipts.map((r) => r.id)));
    if (failed === 'whole-batch') return;
    for (const r of receipts) if (!failed.has(r.id)) this.queue.delete(r.handle);
  }

  /** The messages the function reported failed, or the whole batch when the report is not one Lambda accepts. */
  private reportedFailures(result: unknown, ids: ReadonlySet<string>): Set<string> | 'whole-batch' {
    if (!this.config.reportBatchItemFailures) return new Set();
    const failures = (result as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return 'whole-batch';
    const out = new Set<string>();
    for (const f of failures) {
      const id = (f as { itemIdentifier?: unknown })?.itemIdentifier;
      if (typeof id !== 'string' || !ids.has(id)) return 'whole-batch';
      out.add(id);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) this.clock.cancel(t);
    this.timers.clear();
    for (const p of this.pollers) p.wake?.();
    for (const w of this.slotWaiters.splice(0)) w();
    await Promise.allSettled(this.loops);
  }
}
