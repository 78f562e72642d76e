/**
 * Workloads for scale scenarios: a busy cluster whose tasks stop all the time on instances that nobody drains
 * (batch jobs, deployments, crash loops), and measurements of what those stops cost.
 */
import type { ApiCall } from './aws-server';
import type { Timer } from './clock';
import type { Invocation } from './lambda-host';
import type { World } from './world';

export interface TaskChurnOptions {
  /** Task stops per emulated minute, spread evenly. */
  readonly stopsPerMinute: number;
  /** How long the churn lasts (emulated ms); it starts tasks for this long, and they stop within `runMs` more. */
  readonly durationMs: number;
  /** Container instances (outside every group under test) the tasks run on. */
  readonly instances?: number;
  /** How long each task runs before it exits (emulated ms). */
  readonly runMs?: number;
}

export interface TaskChurn {
  /** Task stops so far that concern no drain. */
  stops(): number;
  /** The container instances the churn runs on. */
  readonly containerInstanceArns: readonly string[];
  /** When the last task of the churn will have stopped (emulated ms). */
  readonly endsAt: number;
  stop(): void;
}

/**
 * Starts `stopsPerMinute` short standalone tasks a minute on instances of the cluster that belong to no group under
 * test, for `durationMs`: each exits after `runMs` and sends its STOPPED task event like any other.
 */
export function startTaskChurn(world: World, options: TaskChurnOptions): TaskChurn {
  const count = options.instances ?? 20;
  const runMs = options.runMs ?? 5_000;
  const arns = Array.from({ length: count }, () => world.containerInstanceOf(world.addInstance({ noGroup: true }))!.arn);
  const start = world.clock.now();
  const periodMs = 60_000 / options.stopsPerMinute;
  const taskArns = new Set<string>();
  let n = 0;
  let timer: Timer | undefined;
  const tick = () => {
    const due = start + n * periodMs;
    if (due - start >= options.durationMs) return;
    taskArns.add(world.runTask(arns[n % arns.length], runMs));
    n += 1;
    timer = world.clock.after(start + n * periodMs - world.clock.now(), tick);
  };
  tick();
  return {
    stops: () => [...taskArns].filter((arn) => world.tasks.get(arn)?.lastStatus === 'STOPPED' || world.tasks.get(arn)?.lastStatus === 'DELETED').length,
    containerInstanceArns: arns,
    endsAt: start + options.durationMs + runMs + 2_000,
    stop: () => world.clock.cancel(timer),
  };
}

/** What the task events cost: the invocations that received any, and the calls those invocations made. */
export interface TaskEventCost {
  readonly invocations: number;
  /** Every call made by those invocations, by operation. */
  readonly calls: Record<string, number>;
  /** DescribeContainerInstances made by those invocations: what finding out whether an event matters costs. */
  readonly describeContainerInstances: number;
}

export function taskEventCost(invocations: readonly Invocation[], calls: readonly ApiCall[]): TaskEventCost {
  const isTaskEvent = (i: Invocation) => i.detailType === 'ECS Task State Change' || (i.records ?? []).some((r) => r.detailType === 'ECS Task State Change');
  const ids = new Set(invocations.filter(isTaskEvent).map((i) => i.requestId));
  const byOp: Record<string, number> = {};
  for (const c of calls) if (c.invocationId !== undefined && ids.has(c.invocationId)) byOp[c.operation] = (byOp[c.operation] ?? 0) + 1;
  return { invocations: ids.size, calls: byOp, describeContainerInstances: byOp.DescribeContainerInstances ?? 0 };
}

/** The most invocations of one function that ran at the same time. */
export function peakConcurrency(invocations: readonly Invocation[]): number {
  const edges = invocations.filter((i) => i.emulatedMs !== undefined)
    .flatMap((i) => [{ at: i.startedAt, d: 1 }, { at: i.startedAt + i.emulatedMs!, d: -1 }])
    .sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const e of edges) { now += e.d; peak = Math.max(peak, now); }
  return peak;
}
