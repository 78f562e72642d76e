/**
 * Runs the bundled handler the way Lambda does: warm execution environments (child processes) that each take one
 * invocation at a time, a timeout, a Context, the function's environment plus Lambda's reserved variables, and
 * AWS_ENDPOINT_URL pointing at the emulator. The child sees emulated time (time-shim.js). An environment can be
 * killed mid-invocation (randomly, or on demand with killBusy()).
 */
import { type ChildProcess, fork } from 'child_process';
import * as path from 'path';
import type { VirtualClock } from './clock';
import type { Rng } from './faults';

export interface LambdaHostOptions {
  readonly handlerFile: string;
  readonly exportName?: string;
  readonly functionName?: string;
  /** The template's MemorySize. */
  readonly memoryMb?: number;
  /** The template's LoggingConfig.LogFormat (Lambda sets AWS_LAMBDA_LOG_FORMAT from it). */
  readonly logFormat?: string;
  readonly environment: Record<string, string>;
  readonly endpoint: string;
  /** The function's timeout, emulated ms. */
  readonly timeoutMs: number;
  readonly maxConcurrency: number;
  readonly clock: VirtualClock;
  readonly rng: Rng;
  readonly killRate?: number;
  /** Prefix of request ids and of the environments' User-Agent tags, unique per function when several run. */
  readonly requestIdPrefix?: string;
}

export interface Invocation {
  readonly requestId: string;
  /** The event's detail-type; for an SQS batch, that of its messages' events when they share one, else 'SQS batch'. */
  readonly detailType: string;
  /** The EC2 instance the event names (lifecycle, Spot and warm-pool events), if any; for a batch of one, its. */
  readonly instanceId?: string;
  /** For an SQS batch: each message's event, by detail-type and the EC2 instance it names. */
  readonly records?: ReadonlyArray<{ readonly detailType: string; readonly instanceId?: string }>;
  readonly startedAt: number;
  /** Duration in emulated time. */
  emulatedMs?: number;
  /** Duration in real time on this machine: the honest proxy for billed time. */
  realMs?: number;
  /** Lambda bills whole milliseconds, rounded up: ceil(realMs). */
  billedMs?: number;
  ok?: boolean;
  /** The handler's return value (JSON-serialized through IPC). */
  result?: unknown;
  error?: string;
  killed?: boolean;
}

/** The marker lambda-worker.js writes to stdout and stderr after each invocation's logs. */
const END_OF_LOGS = '\u001eEMULATOR-END-OF-LOGS ';

interface Worker {
  readonly child: ChildProcess;
  /** Per request id, how many of the two streams have been read up to the end of its logs. */
  readonly logsRead: Map<string, number>;
  onLogsRead?: () => void;
  /** Resolves true once the child has said it is ready; false if it exited first (killed while starting). */
  readonly ready: Promise<boolean>;
  busy: boolean;
  /** Killed (timeout, injected crash): never handed another invocation. */
  retired: boolean;
  /** The invocation it is running now. */
  current?: Invocation;
}

const repoRoot = path.join(__dirname, '..');

export class LambdaHost {
  readonly invocations: Invocation[] = [];
  /** Every line the handler wrote to stdout/stderr. */
  readonly logLines: string[] = [];
  private readonly workers: Worker[] = [];
  private readonly queue: Array<() => void> = [];
  private seq = 0;
  private spawned = 0;
  private readonly byTag = new Map<string, Worker>();

  /** The invocation an execution environment (by its User-Agent tag) is running now, if any. */
  invocationOn(tag: string): Invocation | undefined {
    return this.byTag.get(tag)?.current;
  }
  private stopped = false;

  /** Probability that an invocation's environment is killed partway (changeable mid-scenario). */
  killRate: number;

  constructor(private readonly options: LambdaHostOptions) {
    this.killRate = options.killRate ?? 0;
  }

  /** The User-Agent app id of an execution environment. */
  private tag(seq: number): string {
    return `emu-${this.options.requestIdPrefix ?? 'inv'}-env-${seq}`;
  }

  private get functionName(): string {
    return this.options.functionName ?? 'drain-handler';
  }

  private spawn(): Worker {
    const streamSeq = ++this.spawned;
    const child = fork(path.join(__dirname, 'lambda-worker.js'), [], {
      execArgv: ['--require', path.join(__dirname, 'time-shim.js')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env.PATH ?? '',
        // The bundle keeps @aws-sdk/* external, as the Lambda runtime provides it.
        NODE_PATH: path.join(repoRoot, 'node_modules'),
        // Lambda's reserved variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-secret',
        AWS_SESSION_TOKEN: 'emulator-session',
        AWS_LAMBDA_FUNCTION_NAME: this.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.options.memoryMb ?? 128),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `2026/11/23/[$LATEST]${String(streamSeq).padStart(32, '0')}`,
        ...(this.options.logFormat ? { AWS_LAMBDA_LOG_FORMAT: this.options.logFormat } : {}),
        LAMBDA_TASK_ROOT: path.dirname(this.options.handlerFile),
        TZ: 'UTC',
        ...this.options.environment,
        // after the function's own variables: every SDK client of the handler talks to the emulator
        AWS_ENDPOINT_URL: this.options.endpoint,
        ...this.options.clock.childEnv(),
        EMULATOR_HANDLER_FILE: this.options.handlerFile,
        EMULATOR_HANDLER_EXPORT: this.options.exportName ?? 'handler',
        // The SDK appends `app/<id>` to its User-Agent: the emulator's server tells which environment, and so which
        // invocation, made each call. A harness-only tag: the handler neither reads nor needs it.
        AWS_SDK_UA_APP_ID: this.tag(streamSeq),
      },
    });
    const ready = new Promise<boolean>((resolve) => {
      child.once('message', () => resolve(true));
      child.once('exit', () => resolve(false));
    });
    const worker: Worker = { child, ready, busy: false, retired: false, logsRead: new Map() };
    this.byTag.set(this.tag(streamSeq), worker);
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith(END_OF_LOGS)) {
            const id = line.slice(END_OF_LOGS.length);
            worker.logsRead.set(id, (worker.logsRead.get(id) ?? 0) + 1);
            worker.onLogsRead?.();
          } else if (line.trim() !== '') {
            this.logLines.push(line);
          }
        }
      });
    }
    child.on('exit', () => {
      const i = this.workers.indexOf(worker);
      if (i >= 0) this.workers.splice(i, 1);
      this.queue.shift()?.(); // a slot is free
    });
    this.workers.push(worker);
    return worker;
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      if (this.stopped) throw new Error('lambda host stopped');
      const idle = this.workers.find((w) => !w.busy && !w.retired && w.child.connected);
      if (idle) { idle.busy = true; return idle; }
      if (this.environments < this.options.maxConcurrency) {
        const w = this.spawn();
        w.busy = true;
        await w.ready;
        return w;
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
  }

  /**
   * Starts one execution environment and runs its init phase (loading the handler module) now, before the scenario:
   * a cold start on this machine takes up to a second or two of real time, which the clock's compression would
   * stretch into tens of emulated seconds, far beyond a real cold start's few hundred milliseconds.
   */
  async prewarm(): Promise<void> {
    if (this.environments > 0) return;
    const worker = this.spawn();
    worker.busy = true;
    if (!await worker.ready) throw new Error(`${this.functionName}: the execution environment exited before its init`);
    await new Promise<void>((resolve) => {
      const onMessage = (msg: any) => {
        if (msg?.type === 'initialized') { worker.child.off('message', onMessage); resolve(); }
      };
      worker.child.on('message', onMessage);
      worker.child.send({ type: 'init' });
    });
    worker.busy = false;
    this.queue.shift()?.();
  }

  /** Kills an environment for good (Lambda replaces a crashed or timed-out one with a fresh cold start). */
  private retire(worker: Worker): void {
    worker.retired = true;
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  }

  /** One invocation; resolves with its record (never rejects: a failure is `ok: false`). */
  async invoke(event: Record<string, unknown>): Promise<Invocation> {
    const worker = await this.acquire();
    const requestId = `${this.options.requestIdPrefix ?? 'inv'}-${++this.seq}`;
    const record: Invocation = { requestId, ...describeInvocation(event), startedAt: this.options.clock.now() };
    this.invocations.push(record);
    if (!worker.child.connected) {
      // Killed while it started (killBusy() during a cold start): Lambda reports an init failure, and the
      // invocation fails like any crash (retried by the asynchronous invoke, or the message returns to its queue).
      Object.assign(record, { ok: false, killed: true, error: 'Runtime exited during init', realMs: 0, billedMs: 1 });
      this.retire(worker);
      worker.busy = false;
      this.queue.shift()?.();
      return record;
    }
    worker.current = record;
    const realStart = Date.now();
    type Outcome = { ok: boolean; result?: unknown; error?: string; killed?: boolean; emulatedMs?: number };
    const result = await new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (r: Outcome) => {
        if (settled) return;
        settled = true;
        worker.current = undefined;
        worker.onLogsRead = undefined;
        this.options.clock.cancel(timeout);
        this.options.clock.cancel(kill);
        worker.child.off('message', onMessage);
        worker.child.off('exit', onExit);
        resolve(r);
      };
      // The answer counts once it has arrived and every log line written before it has been read.
      let answer: Outcome | undefined;
      const finishWhenLogsRead = () => {
        if (answer && (worker.logsRead.get(requestId) ?? 0) >= 2) {
          worker.logsRead.delete(requestId);
          finish(answer);
        }
      };
      worker.onLogsRead = finishWhenLogsRead;
      const onMessage = (msg: any) => {
        if (msg.type === 'result' && msg.requestId === requestId) {
          answer = msg.ok ? { ok: true, result: msg.result, emulatedMs: msg.emulatedMs } : { ok: false, error: `${msg.error?.name}: ${msg.error?.message}`, emulatedMs: msg.emulatedMs };
          finishWhenLogsRead();
        }
      };
      const onExit = () => finish({ ok: false, error: 'Runtime exited', killed: true });
      worker.child.on('message', onMessage);
      worker.child.once('exit', onExit);
      const timeout = this.options.clock.after(this.options.timeoutMs, () => {
        this.retire(worker);
        finish({ ok: false, error: 'Task timed out' });
      });
      const kill = this.killRate > 0 && this.options.rng.chance(this.killRate)
        ? this.options.clock.after(this.options.rng.next() * 3_000, () => {
          this.retire(worker);
          finish({ ok: false, error: 'Runtime killed mid-invocation', killed: true });
        })
        : undefined;
      try {
        worker.child.send({
          type: 'invoke', requestId, event, deadline: record.startedAt + this.options.timeoutMs,
          invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${this.functionName}`,
        });
      } catch (e) {
        this.retire(worker);
        finish({ ok: false, error: `Runtime exited: ${(e as Error).message}`, killed: true });
      }
    });
    const realMs = Date.now() - realStart;
    Object.assign(record, result, { realMs, billedMs: Math.max(1, Math.ceil(realMs)) });
    if (result.killed || !worker.child.connected) this.retire(worker);
    worker.busy = false;
    this.queue.shift()?.();
    return record;
  }

  /** Kills every busy environment now (a crash mid-run); their invocations fail and Lambda retries them. */
  killBusy(): number {
    const busy = this.workers.filter((w) => w.busy && !w.retired);
    for (const w of busy) this.retire(w);
    return busy.length;
  }

  /** Environments currently alive (warm or busy). */
  get environments(): number {
    return this.workers.filter((w) => !w.retired).length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const resolve of this.queue.splice(0)) resolve();
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      w.child.kill('SIGKILL');
    })));
  }
}

/** What an event says about itself, for the invocation record: an EventBridge event, or an SQS batch of them. */
function describeInvocation(event: Record<string, unknown>): Pick<Invocation, 'detailType' | 'instanceId' | 'records'> {
  const one = (e: Record<string, unknown>) => {
    const detail = (e.detail ?? {}) as Record<string, unknown>;
    const named = detail.EC2InstanceId ?? detail['instance-id'];
    return { detailType: String(e['detail-type'] ?? ''), ...(typeof named === 'string' ? { instanceId: named } : {}) };
  };
  if (!Array.isArray(event.Records)) return one(event);
  const records = event.Records.map((r: { body?: string }) => {
    try {
      return one(JSON.parse(String(r.body)) as Record<string, unknown>);
    } catch {
      return { detailType: '' };
    }
  });
  const types = new Set(records.map((r) => r.detailType));
  return {
    detailType: types.size === 1 ? [...types][0] : 'SQS batch',
    ...(records.length === 1 && records[0].instanceId ? { instanceId: records[0].instanceId } : {}),
    records,
  };
}
