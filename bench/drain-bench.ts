/**
 * `npm run bench`: figures for this construct side by side with a baseline that runs aws-cdk-lib's InstanceDrainHook
 * algorithm (bench/baseline/instance-drain-hook.js: one invocation that sleeps 10 s between checks, 15-minute
 * timeout, no heartbeats), on the same emulator. Absolute times on a shared machine are noise: read the ratios.
 * Prints figures; asserts nothing.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { Emulator, type EmulatorOptions } from '../emulator';
import { runScaleBench } from './scale-bench';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const root = path.join(__dirname, '..');
const BASELINE = path.join(__dirname, 'baseline', 'instance-drain-hook.js');

/** The baseline as aws-cdk-lib deploys it: hook heartbeat = Lambda timeout = 15 minutes at most, lifecycle events only. */
const baselineOptions: EmulatorOptions = {
  // Wired as aws-cdk-lib wires it: lifecycle events straight to the function (no lifecycle queue).
  handlerFile: BASELINE, timeoutMs: 15 * MINUTE, lifecycleEventsOnly: true, layout: { perGroupTaskRule: true },
  props: { heartbeatTimeout: Duration.minutes(15), drainTimeout: Duration.hours(1) },
};
const productOptions: EmulatorOptions = { props: { heartbeatTimeout: Duration.minutes(10), drainTimeout: Duration.hours(1) } };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(1)}x`);

interface RunResult {
  readonly latencies: number[];
  readonly callsPerInstance: Record<string, number>;
  readonly callTotal: number;
  readonly invocationsPerDrain: number;
  /** Billed-time proxy per drain: sleeping handlers are billed for the wait (emulated), busy ones for their work. */
  readonly billedMsPerDrain: number;
  readonly expired: number;
  readonly cutOff: number;
  /** Scheduled sweeps that ran while the drains were in progress. */
  readonly sweeps: number;
  /** Calls the scheduled sweeps made, in all; of which heartbeats and the PutAttributes recording them. */
  readonly sweepCalls: number;
  readonly sweepHeartbeats: number;
  readonly sweepHeartbeatRecords: number;
  /** ListTasks and DescribeTasks of the sweep's back-off checks (per instance, not shared). */
  readonly sweepTaskChecks: number;
}

async function run(options: EmulatorOptions, scale: number, instances: number, deactivatingMs: (i: number) => number): Promise<RunResult> {
  const emu = await Emulator.start({ ...options, scale, seed: 5 });
  try {
    const ids = Array.from({ length: instances }, (_, n) => emu.world.addInstance({ serviceTasks: 2, deactivatingMs: (i) => deactivatingMs(n + i) }));
    ids.forEach((id) => emu.world.scaleIn(id));
    const outcomes = await emu.waitForOutcomes(ids, 3 * 60 * MINUTE);
    const perOp: Record<string, number> = {};
    for (const id of ids) {
      for (const [op, n] of Object.entries(emu.callsFor(id))) perOp[op] = (perOp[op] ?? 0) + n / ids.length;
    }
    // calls made for no instance in particular (the sweep's listings), shared out per drained instance
    const shared = emu.server.calls.filter((c) => c.instanceIds.length === 0);
    for (const c of shared) perOp[`${c.operation} (shared)`] = (perOp[`${c.operation} (shared)`] ?? 0) + 1 / ids.length;
    // every call the scheduled sweeps made, whether about instances or not
    const sweepRuns = new Set(emu.lambda.invocations.filter((i) => i.detailType === 'Scheduled Event').map((i) => i.requestId));
    const bySweep = emu.server.calls.filter((c) => c.invocationId !== undefined && sweepRuns.has(c.invocationId));
    const invocations = emu.allInvocations().filter((i) => i.ok !== undefined);
    const sleeping = options.handlerFile === BASELINE;
    const billed = invocations.reduce((sum, i) => sum + (sleeping ? (i.emulatedMs ?? 0) : (i.realMs ?? 0)), 0);
    return {
      latencies: outcomes.filter((o) => o.lastTaskStoppedAt !== undefined && o.tasksNotStopped === 0).map((o) => o.endedAt - o.lastTaskStoppedAt!),
      callsPerInstance: perOp,
      callTotal: Object.values(perOp).reduce((a, b) => a + b, 0),
      invocationsPerDrain: invocations.length / ids.length,
      billedMsPerDrain: billed / ids.length,
      sweeps: invocations.filter((i) => i.detailType === 'Scheduled Event').length,
      sweepCalls: bySweep.length,
      sweepHeartbeats: bySweep.filter((c) => c.operation === 'RecordLifecycleActionHeartbeat').length,
      sweepHeartbeatRecords: bySweep.filter((c) => c.operation === 'PutAttributes').length,
      sweepTaskChecks: bySweep.filter((c) => c.operation === 'ListTasks' || c.operation === 'DescribeTasks').length,
      expired: outcomes.filter((o) => o.how === 'expired').length,
      cutOff: outcomes.reduce((n, o) => n + o.tasksNotStopped, 0),
    };
  } finally {
    await emu.stop();
  }
}

function printCalls(label: string, r: RunResult, instances: number): void {
  const ops = Object.entries(r.callsPerInstance).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n.toFixed(1)}`).join(', ');
  const heartbeats = r.callsPerInstance.RecordLifecycleActionHeartbeat ?? 0;
  console.log(`  ${label}: ${r.callTotal.toFixed(1)} calls/instance, ${(r.callTotal - heartbeats).toFixed(1)} without heartbeats — ${ops}`);
  if (r.sweeps === 0) return;
  // Split by the invocation that made each call: the events of the instance's own drain, or the scheduled sweep.
  const sweepOther = r.sweepCalls - r.sweepHeartbeats - r.sweepHeartbeatRecords - r.sweepTaskChecks;
  // Drain events (PutEvents, another issue's option) are reported apart from the drain's own calls.
  const putEvents = r.callsPerInstance.PutEvents ?? 0;
  const eventDriven = r.callTotal - r.sweepCalls / instances - (heartbeats - r.sweepHeartbeats / instances) - putEvents;
  const per = (n: number) => (n / instances).toFixed(1);
  console.log(`    made by the instance's own events, heartbeats and drain events aside: ${eventDriven.toFixed(1)}; drain events (PutEvents): ${putEvents.toFixed(1)}`);
  console.log(`    made by the safety sweep: ${per(r.sweepCalls)} per instance = ${per(r.sweepHeartbeats)} heartbeats`
    + ` + ${per(r.sweepHeartbeatRecords)} PutAttributes recording them + ${per(r.sweepTaskChecks)} back-off task checks`
    + ` + ${per(sweepOther)} group listings (${sweepOther} calls over ${r.sweeps} sweeps, ${(sweepOther / r.sweeps).toFixed(1)} per sweep, shared by all ${instances} drains)`);
}

async function main(): Promise<void> {
  console.log('ecs-draining-lifecycle-hook benchmark (emulator; 2 service tasks per instance; figures are per drained instance)\n');

  // 1. Completion latency, short drains: tasks stop 30–120 s after DRAINING.
  const short = (i: number) => 30 * SECOND + (i % 4) * 30 * SECOND;
  const productShort = await run(productOptions, 20, 10, short);
  const baselineShort = await run(baselineOptions, 20, 10, short);
  console.log('Completion latency after the last task STOPPED (10 instances, short drains):');
  console.log(`  this construct: p50 ${fmt(pct(productShort.latencies, 50))}, max ${fmt(Math.max(...productShort.latencies))} (includes ~0.5 s EventBridge delivery)`);
  console.log(`  baseline:       p50 ${fmt(pct(baselineShort.latencies, 50))}, max ${fmt(Math.max(...baselineShort.latencies))}`);
  console.log(`  ratio baseline/construct p50: ${ratio(pct(baselineShort.latencies, 50), pct(productShort.latencies, 50))}\n`);

  // 2. API calls per drained instance, short and long drains.
  const long = (i: number) => 40 * MINUTE + (i % 4) * 5 * MINUTE;
  const productLong = await run(productOptions, 150, 4, long);
  const baselineLong = await run(baselineOptions, 150, 4, long);
  console.log('API calls per drained instance (ECS + Auto Scaling):');
  printCalls('construct, short drain (≤2 min)', productShort, 10);
  printCalls('construct, long drain (40–55 min)', productLong, 4);
  printCalls('baseline, short drain', baselineShort, 10);
  printCalls('baseline, long drain', baselineLong, 4);
  console.log(`  baseline long drains: ${baselineLong.expired}/4 lifecycle actions expired, ${baselineLong.cutOff} tasks cut off (it stops at 15 minutes); construct: ${productLong.expired} expired, ${productLong.cutOff} cut off\n`);

  // 3. Lambda invocations and billed time per drain.
  console.log('Lambda invocations and billed time per drain (short drains):');
  console.log(`  construct: ${productShort.invocationsPerDrain.toFixed(1)} invocations, ~${fmt(productShort.billedMsPerDrain)} of handler time measured here (+~20 ms per AWS call on AWS: ~${fmt(productShort.billedMsPerDrain + 20 * productShort.callTotal)})`);
  console.log(`  baseline:  ${baselineShort.invocationsPerDrain.toFixed(1)} invocations, ~${fmt(baselineShort.billedMsPerDrain)} billed (it sleeps through the drain)`);
  console.log(`  ratio baseline/construct billed: ${ratio(baselineShort.billedMsPerDrain, productShort.billedMsPerDrain + 20 * productShort.callTotal)}\n`);

  // 4. 200 instances at once under per-operation token buckets.
  const emu = await Emulator.start({ scale: 20, seed: 11, maxConcurrency: 8, faults: { rateLimits: { '*': { rate: 5, burst: 20 } } } });
  try {
    const ids = Array.from({ length: 200 }, () => emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 30 * SECOND }));
    const wallStart = Date.now();
    const emuStart = emu.clock.now();
    ids.forEach((id) => emu.world.scaleIn(id));
    const outcomes = await emu.waitForOutcomes(ids, 120 * MINUTE);
    const throttles = emu.throttledCalls().length;
    console.log('200 instances terminating at once (token bucket 5 req/s, burst 20, per operation, emulated time):');
    console.log(`  all completed: ${outcomes.every((o) => o.how === 'completed' && o.tasksNotStopped === 0)}; last completion after ${fmt(Math.max(...outcomes.map((o) => o.endedAt)) - emuStart)} emulated (${fmt(Date.now() - wallStart)} wall); throttled calls: ${throttles} of ${emu.server.calls.length}\n`);
  } finally {
    await emu.stop();
  }

  // 5. Asset size and cold import time.
  const asset = path.join(root, 'assets', 'drain-handler', 'index.js');
  const size = fs.statSync(asset).size;
  const imports = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ['-e',
    `const t=process.hrtime.bigint();require(${JSON.stringify(asset)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`],
  { env: { ...process.env, NODE_PATH: path.join(root, 'node_modules'), AWS_REGION: 'eu-west-1' } }).toString()));
  console.log(`Handler asset: ${(size / 1024).toFixed(1)} KiB (@aws-sdk/* external: the runtime provides it); cold import p50 ${pct(imports, 50).toFixed(0)} ms (includes loading the two SDK clients)\n`);

  // 6. Synth time added by the construct.
  const synthScript = (withHook: boolean) => `
    const { App, Stack } = require('aws-cdk-lib'); const ec2 = require('aws-cdk-lib/aws-ec2'); const ecs = require('aws-cdk-lib/aws-ecs');
    const autoscaling = require('aws-cdk-lib/aws-autoscaling'); const { DrainingLifecycleHook } = require(${JSON.stringify(path.join(root, 'lib'))});
    const t = process.hrtime.bigint(); const app = new App({ outdir: require('os').tmpdir() + '/edlh-bench-' + process.pid });
    const stack = new Stack(app, 'S'); const vpc = new ec2.Vpc(stack, 'Vpc'); const cluster = new ecs.Cluster(stack, 'C', { vpc });
    const asg = new autoscaling.AutoScalingGroup(stack, 'A', { vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023() });
    ${withHook ? "new DrainingLifecycleHook(stack, 'D', { autoScalingGroup: asg, cluster });" : ''}
    app.synth(); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const synth = (withHook: boolean) => pct(Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ['-e', synthScript(withHook)]).toString())), 50);
  const without = synth(false);
  const withHook = synth(true);
  console.log(`Synth time of a VPC + cluster + group stack: ${without.toFixed(0)} ms without, ${withHook.toFixed(0)} ms with the construct (+${(withHook - without).toFixed(0)} ms, p50 of 5)\n`);

  // 7. Scale: busy clusters, several groups, a thousand instances at once (bench/scale-bench.ts).
  await runScaleBench();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
