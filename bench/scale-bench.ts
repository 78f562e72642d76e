/**
 * The scale figures of `npm run bench` (issue 12), each scenario run side by side on the same emulator with three
 * designs: this release (one shared task-event path per cluster, lifecycle queue), release 0.1.0's wiring (each
 * hook's own task-event rule invoking its function, lifecycle events straight to it), and the aws-cdk-lib
 * InstanceDrainHook-style baseline (one sleeping invocation per instance, no task events). ECS runs with its
 * documented per-category token buckets. Prints figures and ratios; asserts nothing.
 */
import { Duration } from 'aws-cdk-lib';
import { Emulator, type EmulatorOptions, type Invocation, peakConcurrency, startTaskChurn, taskEventCost } from '../emulator';
import { TASK_EVENT_BATCHING_WINDOW_SECONDS } from '../lib/handler-contract';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface Design {
  readonly name: string;
  readonly options: EmulatorOptions;
}

const pct = (xs: readonly number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sec = (ms: number) => (Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '1.0x' : 'n/a') : `${(a / b).toFixed(1)}x`);
const n = (x: number, digits = 3) => x.toFixed(digits);

/** When the invocation that completed each instance started: completion latency from delivery to the function. */
function completingInvocation(invocations: readonly Invocation[], instanceId: string): Invocation | undefined {
  return invocations.find((i) => ((i.result as { instances?: Array<{ instanceId: string; outcome: string }> } | null)?.instances ?? [])
    .some((r) => r.instanceId === instanceId && r.outcome === 'completed'));
}

export interface BusyResult {
  readonly design: string;
  readonly stops: number;
  readonly invocationsPerStop: number;
  readonly callsPerStop: number;
  readonly describesPerStop: number;
  readonly throttled: number;
  readonly latencyFromPublication: number[];
  readonly latencyFromDelivery: number[];
  readonly cutOff: number;
  readonly expired: number;
  /** Mean billed time (real ms here) of an invocation that received task events, and the mean SQS batch size. */
  readonly meanTaskEventBilledMs: number;
  readonly meanBatchSize: number;
}

/**
 * A busy cluster: `stopsPerMinute` unrelated task stops for `durationMs` on instances nobody drains, while
 * `drainsPerGroup` instances of each group drain.
 */
export async function busyCluster(design: Design, groups: readonly string[], opts: {
  readonly stopsPerMinute: number; readonly durationMs: number; readonly drainsPerGroup: number; readonly scale: number;
}): Promise<BusyResult> {
  const emu = await Emulator.start({
    ...design.options, scale: opts.scale, seed: 21, maxConcurrency: 6, faults: { ecsTokenBuckets: 1 },
    layout: { ...design.options.layout, groups },
  });
  try {
    const churn = startTaskChurn(emu.world, { stopsPerMinute: opts.stopsPerMinute, durationMs: opts.durationMs });
    // The drains start a little after the churn, so their task events meet a busy queue.
    await emu.idle(20 * SECOND);
    const ids = groups.flatMap((groupName) => Array.from({ length: opts.drainsPerGroup }, () => emu.world.addInstance({
      groupName, serviceTasks: 2, deactivatingMs: (i) => 20 * SECOND + i * 25 * SECOND,
    })));
    ids.forEach((id) => emu.world.scaleIn(id));
    const outcomes = await emu.waitForOutcomes(ids, 20 * MINUTE);
    await emu.waitFor(() => emu.clock.now() > churn.endsAt, 10 * MINUTE, 'the churn to end');
    await emu.idle((TASK_EVENT_BATCHING_WINDOW_SECONDS + 5) * SECOND);
    await emu.settle();
    const stops = churn.stops();
    const invocations = emu.allInvocations();
    const cost = taskEventCost(invocations, emu.server.calls);
    const draining = new Set(ids);
    // The calls the task events cost that concern no drain: the lookups, and nothing else.
    const taskEventRuns = new Set(invocations.filter((i) => i.detailType === 'ECS Task State Change'
      || (i.records ?? []).some((r) => r.detailType === 'ECS Task State Change')).map((i) => i.requestId));
    const unrelatedCalls = emu.server.calls.filter((c) => c.service === 'ecs' && c.invocationId !== undefined && taskEventRuns.has(c.invocationId)
      && (c.operation === 'DescribeContainerInstances' || !c.instanceIds.some((id) => draining.has(id)))).length;
    return {
      design: design.name, stops,
      invocationsPerStop: cost.invocations / stops,
      callsPerStop: unrelatedCalls / stops,
      describesPerStop: cost.describeContainerInstances / stops,
      throttled: emu.throttledCalls().length,
      latencyFromPublication: outcomes.filter((o) => o.lastTaskStoppedAt !== undefined).map((o) => o.endedAt - o.lastTaskStoppedAt!),
      latencyFromDelivery: outcomes.map((o) => {
        const inv = completingInvocation(invocations, o.instanceId);
        return inv ? o.endedAt - inv.startedAt : NaN;
      }).filter((x) => !Number.isNaN(x)),
      cutOff: outcomes.reduce((s, o) => s + o.tasksNotStopped, 0),
      expired: outcomes.filter((o) => o.how === 'expired').length,
      meanTaskEventBilledMs: mean(invocations.filter((i) => taskEventRuns.has(i.requestId)).map((i) => i.billedMs ?? 0)),
      meanBatchSize: mean(emu.eventSources.flatMap((e) => e.batches).filter((b) => taskEventRuns.has(b.invocation.requestId)).map((b) => b.size)),
    };
  } finally {
    await emu.stop();
  }
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface FleetResult {
  readonly design: string;
  readonly completed: number;
  readonly premature: number;
  readonly expired: number;
  readonly latencies: number[];
  readonly peakLifecycleConcurrency: number;
  readonly peakTaskEventConcurrency: number;
  readonly peakSweepOverlap: number;
  readonly invocations: number;
  readonly drainCallsPerInstance: number;
  readonly putEventsPerInstance: number;
  readonly sweepCallsPerInterval: number;
  readonly throttled: number;
  readonly calls: number;
  readonly lastCompletionMs: number;
  readonly wallMs: number;
}

/** `count` instances of one group terminating together, 3 tasks each, deregistration delays from 30 s to 10.5 minutes. */
export async function fleet(design: Design, count: number, opts: { readonly scale: number; readonly bucketFactor: number }): Promise<FleetResult> {
  const emu = await Emulator.start({
    ...design.options, scale: opts.scale, seed: 31, maxConcurrency: 8, faults: { ecsTokenBuckets: opts.bucketFactor },
  });
  try {
    const ids = Array.from({ length: count }, (_, k) => emu.world.addInstance({
      serviceTasks: 3, deactivatingMs: (i) => 30 * SECOND + ((k * 3 + i) % 120) * 5 * SECOND,
    }));
    const wallStart = Date.now();
    const start = emu.clock.now();
    ids.forEach((id) => emu.world.scaleIn(id));
    const outcomes = await emu.waitForOutcomes(ids, 120 * MINUTE);
    const wallMs = Date.now() - wallStart;
    await emu.settle();
    const invocations = emu.allInvocations();
    const sweeps = invocations.filter((i) => i.detailType === 'Scheduled Event');
    const sweepIds = new Set(sweeps.map((i) => i.requestId));
    // Drain events (PutEvents, another issue's option) are reported apart.
    const drainCalls = emu.server.calls.filter((c) => c.invocationId !== undefined && !sweepIds.has(c.invocationId) && c.instanceIds.length > 0
      && c.operation !== 'PutEvents');
    const putEvents = emu.server.calls.filter((c) => c.operation === 'PutEvents').length;
    const sweepCalls = emu.server.calls.filter((c) => c.invocationId !== undefined && sweepIds.has(c.invocationId));
    const lastEnd = Math.max(...outcomes.map((o) => o.endedAt));
    const intervals = Math.max(1, Math.round((lastEnd - start) / MINUTE));
    const lifecycle = invocations.filter((i) => i.detailType === 'EC2 Instance-terminate Lifecycle Action');
    const taskEvents = invocations.filter((i) => i.detailType === 'ECS Task State Change');
    return {
      design: design.name,
      completed: outcomes.filter((o) => o.how === 'completed').length,
      premature: outcomes.filter((o) => o.tasksNotStopped > 0).length,
      expired: outcomes.filter((o) => o.how === 'expired').length,
      latencies: outcomes.filter((o) => o.lastTaskStoppedAt !== undefined).map((o) => o.endedAt - o.lastTaskStoppedAt!),
      peakLifecycleConcurrency: peakConcurrency(lifecycle),
      peakTaskEventConcurrency: peakConcurrency(taskEvents),
      peakSweepOverlap: peakConcurrency(sweeps),
      invocations: invocations.length,
      // Every call of an invocation other than a sweep that concerns instances (a batched call counts once).
      drainCallsPerInstance: drainCalls.length / count,
      putEventsPerInstance: putEvents / count,
      sweepCallsPerInterval: sweepCalls.length / intervals,
      throttled: emu.throttledCalls().length,
      calls: emu.server.calls.length,
      lastCompletionMs: lastEnd - start,
      wallMs,
    };
  } finally {
    await emu.stop();
  }
}

const baselineFile = require.resolve('./baseline/instance-drain-hook.js');

/** The three designs, with the settings each deploys with. */
export function designs(): { shared: Design; perGroup: Design; baseline: Design } {
  const props = { heartbeatTimeout: Duration.minutes(10), drainTimeout: Duration.hours(1) };
  return {
    shared: { name: 'this release (shared task-event path)', options: { props } },
    perGroup: { name: '0.1.0 wiring (task rule per group)', options: { props, layout: { perGroupTaskRule: true } } },
    baseline: {
      name: 'InstanceDrainHook-style baseline',
      options: {
        handlerFile: baselineFile, timeoutMs: 15 * MINUTE, lifecycleEventsOnly: true,
        props: { heartbeatTimeout: Duration.minutes(15), drainTimeout: Duration.hours(1) }, layout: { perGroupTaskRule: true },
      },
    },
  };
}

function printBusy(title: string, results: readonly BusyResult[]): void {
  console.log(title);
  console.log('  design                                  | invocations/stop | ECS calls/stop | DescribeContainerInstances/stop | throttled | completion p50 from publication / from delivery | cut off | expired | batch | ms/invocation');
  for (const r of results) {
    console.log(`  ${r.design.padEnd(40)}| ${n(r.invocationsPerStop).padEnd(17)}| ${n(r.callsPerStop).padEnd(15)}| ${n(r.describesPerStop).padEnd(32)}| ${String(r.throttled).padEnd(10)}| `
      + `${sec(pct(r.latencyFromPublication, 50))} / ${sec(pct(r.latencyFromDelivery, 50))}`.padEnd(48) + `| ${String(r.cutOff).padEnd(8)}| ${String(r.expired).padEnd(8)}| `
      + `${r.meanBatchSize ? n(r.meanBatchSize, 1) : '-'}`.padEnd(6) + `| ${n(r.meanTaskEventBilledMs, 0)}`);
  }
}

export async function runScaleBench(): Promise<void> {
  const { shared, perGroup, baseline } = designs();
  const windowOf1: Design = { name: 'this release, 1 s window instead', options: { ...shared.options, taskEventBatchingWindowSeconds: 1 } };

  // 1. 1,000 unrelated task stops a minute, one group.
  const busy = { stopsPerMinute: 1000, durationMs: 2 * MINUTE, drainsPerGroup: 4, scale: 2 };
  const busyShared = await busyCluster(shared, ['prod-capacity'], busy);
  const busyWindow1 = await busyCluster(windowOf1, ['prod-capacity'], busy);
  const busyPerGroup = await busyCluster(perGroup, ['prod-capacity'], busy);
  const busyBaseline = await busyCluster(baseline, ['prod-capacity'], busy);
  printBusy(`Busy cluster: 1,000 unrelated task stops a minute for 2 minutes, 4 instances draining, ECS token buckets at the documented rates (batching window ${TASK_EVENT_BATCHING_WINDOW_SECONDS} s):`,
    [busyShared, busyWindow1, busyPerGroup, busyBaseline]);
  console.log(`  ratio 0.1.0 / this release: invocations per stop ${ratio(busyPerGroup.invocationsPerStop, busyShared.invocationsPerStop)}, ECS calls per stop ${ratio(busyPerGroup.callsPerStop, busyShared.callsPerStop)}`);
  console.log('  (the baseline has no task-event path: its cost per stop is nothing, and it completes only by polling)\n');

  // 2. Three groups of one cluster.
  const groups = ['prod-capacity', 'batch-capacity', 'gpu-capacity'];
  const three = { stopsPerMinute: 1000, durationMs: MINUTE, drainsPerGroup: 2, scale: 1 };
  const threeShared = await busyCluster(shared, groups, three);
  const threePerGroup = await busyCluster(perGroup, groups, three);
  const threeBaseline = await busyCluster(baseline, groups, three);
  printBusy('Three groups of one cluster, each with its hook: 1,000 unrelated task stops a minute for 1 minute, 2 instances of each group draining:',
    [threeShared, threePerGroup, threeBaseline]);
  console.log(`  ratio 0.1.0 / this release: invocations per stop ${ratio(threePerGroup.invocationsPerStop, threeShared.invocationsPerStop)}, ECS calls per stop ${ratio(threePerGroup.callsPerStop, threeShared.callsPerStop)}`);
  console.log(`  per-stop cost with 3 groups / with 1 group: this release ${ratio(threeShared.invocationsPerStop, busyShared.invocationsPerStop)} invocations, 0.1.0 ${ratio(threePerGroup.invocationsPerStop, busyPerGroup.invocationsPerStop)}\n`);

  // 3. 1,000 instances at once.
  const count = Number(process.env.BENCH_FLEET ?? 1000);
  console.log(`${count} instances of one group terminating together, 3 tasks each (task stops spread over 10 minutes), ECS token buckets at the documented rates:`);
  for (const d of [shared, perGroup]) {
    const r = await fleet(d, count, { scale: 20, bucketFactor: 1 });
    console.log(`  ${r.design}: ${r.completed}/${count} completed, ${r.premature} premature, ${r.expired} expired; completion after the last task STOPPED `
      + `p50 ${sec(pct(r.latencies, 50))}, p90 ${sec(pct(r.latencies, 90))}, max ${sec(Math.max(...r.latencies))}`);
    console.log(`    peak concurrency: lifecycle ${r.peakLifecycleConcurrency}, task events ${r.peakTaskEventConcurrency}, overlapping sweeps ${r.peakSweepOverlap}; `
      + `${r.invocations} invocations; calls of the drains' own events ${n(r.drainCallsPerInstance, 1)} per instance (drain events apart: ${n(r.putEventsPerInstance, 1)} PutEvents); sweep calls ${n(r.sweepCallsPerInterval, 1)} per minute; `
      + `${r.throttled} of ${r.calls} calls throttled; last completion after ${sec(r.lastCompletionMs)} emulated (${sec(r.wallMs)} wall)`);
  }
  console.log(`  baseline: not emulated at ${count}: each instance holds one invocation that sleeps through its drain, so it needs ${count} concurrent executions (the default account quota), which this machine cannot host.\n`);
}

if (require.main === module) {
  runScaleBench().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
