/**
 * The whole emulated environment for end-to-end runs (the harness): synthesizes the real construct (or takes a
 * template and asset directory), reads its hooks, rules, function and async-invoke settings from the template, and
 * runs the real bundled handler (the asset the function's Code points at in the cloud assembly) against the
 * wire-level ECS and Auto Scaling emulator, on one virtual clock.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AssetManifestArtifact, type CloudAssembly } from 'aws-cdk-lib/cx-api';
import { DrainingLifecycleHook, type DrainingLifecycleHookProps } from '../lib';
import { PER_GROUP_TASK_RULE_CONTEXT } from '../lib/cluster-task-events';
import { TaskEventEnvironment } from '../lib/handler-contract';
import { type ApiCall, AwsServer } from './aws-server';
import { VirtualClock } from './clock';
import { type AsyncInvokeConfig, DEFAULT_ASYNC_CONFIG, EventBus, type Rule, parseRate } from './event-bus';
import { type FaultOptions, Rng } from './faults';
import { type Invocation, LambdaHost } from './lambda-host';
import { EmuQueue, SqsEventSource } from './sqs';
import { resolve, resourcesOfType } from './template';
import { ACCOUNT, type AddInstanceOptions, REGION, type TerminationOutcome, World } from './world';

export type HookProps = Omit<DrainingLifecycleHookProps, 'autoScalingGroup' | 'cluster'>;

export interface SynthesizedDrainStack {
  readonly template: Record<string, any>;
  readonly assetDir: string;
}

const synthCache = new Map<string, SynthesizedDrainStack>();

/** How the synthesized stack is laid out: which groups of the cluster get a hook, and how the hooks are wired. */
export interface StackLayout {
  /**
   * The Auto Scaling groups of the cluster that each get a DrainingLifecycleHook with the same props; the first is the
   * world's default group (hook `drain-hook`), the others' hooks are named `drain-hook-<group>`.
   */
  readonly groups?: readonly string[];
  /** Release 0.1.0's wiring (each hook's own task-event rule, lifecycle events straight to the function). */
  readonly perGroupTaskRule?: boolean;
}

/** The lifecycle hook name the emulator's stack gives a group's hook. */
export function hookNameOf(groupName: string): string {
  return groupName === 'prod-capacity' ? 'drain-hook' : `drain-hook-${groupName}`;
}

/**
 * `cdk synth` of a stack holding the construct, for the emulator's groups and cluster. `extend` adds to the (first)
 * construct before synthesis (rules of `onDrainEvent` and its kin); such a stack is not cached.
 */
export function synthDrainStack(
  props: HookProps = {}, extend?: (hook: DrainingLifecycleHook) => void, layout: StackLayout = {},
): SynthesizedDrainStack {
  const key = JSON.stringify({ props, layout }, (_, v) => (v && typeof v === 'object' && 'toSeconds' in v ? `${v.toSeconds()}s` : v));
  const cached = extend ? undefined : synthCache.get(key);
  if (cached) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-emulator-'));
  const app = new App({ outdir, ...(layout.perGroupTaskRule ? { context: { [PER_GROUP_TASK_RULE_CONTEXT]: true } } : {}) });
  const stack = new Stack(app, 'EmulatorStack', { env: { account: ACCOUNT, region: REGION } });
  // Imported groups and cluster, named as the emulator's world names them; the cluster ARN stays a token
  // (arn:${AWS::Partition}:ecs:...), which the emulator resolves like CloudFormation would.
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: [`${REGION}a`] });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'prod', vpc });
  const hooks = (layout.groups ?? ['prod-capacity']).map((groupName, i) => new DrainingLifecycleHook(stack, i === 0 ? 'DrainHook' : `DrainHook${i + 1}`, {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, i === 0 ? 'Asg' : `Asg${i + 1}`, groupName),
    cluster,
    lifecycleHookName: hookNameOf(groupName),
    ...props,
  }));
  extend?.(hooks[0]);
  const assembly = app.synth();
  const template = assembly.getStackByName('EmulatorStack').template;
  const result = { template, assetDir: keepAsset(functionAssetDir(assembly, template)) };
  fs.rmSync(outdir, { recursive: true, force: true });
  if (!extend) synthCache.set(key, result);
  return result;
}

/**
 * Copies an asset directory (named asset.<content hash>) to a shared cache outside the cloud assembly, so the
 * assembly can be deleted while child processes still load the handler. Same hash, same content: processes share it.
 */
function keepAsset(source: string): string {
  const target = path.join(os.tmpdir(), 'edlh-emulator-assets', path.basename(source));
  if (fs.existsSync(target)) return target;
  const staging = `${target}.${process.pid}.staging`;
  fs.cpSync(source, staging, { recursive: true });
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another process got there first
  }
  return target;
}

/** The directory of the function's code: the file asset whose S3 destination is the function's Code.S3Key. */
export function functionAssetDir(assembly: CloudAssembly, template: Record<string, any>): string {
  const [, fn] = resourcesOfType(template, 'AWS::Lambda::Function')[0];
  const key = fn.Properties.Code?.S3Key;
  for (const artifact of assembly.artifacts.filter(AssetManifestArtifact.isAssetManifestArtifact)) {
    for (const file of Object.values(artifact.contents.files ?? {})) {
      if (Object.values(file.destinations).some((d) => d.objectKey === key) && file.source.path) {
        return path.join(path.dirname(artifact.file), file.source.path);
      }
    }
  }
  throw new Error(`no file asset in the cloud assembly has the function's code (S3Key ${JSON.stringify(key)})`);
}

export interface EmulatorOptions {
  readonly props?: HookProps;
  /** A template and asset directory synthesized elsewhere, instead of synthesizing with `props`. */
  readonly synthesized?: SynthesizedDrainStack;
  /** Emulated ms per real ms. */
  readonly scale?: number;
  readonly seed?: number;
  readonly faults?: FaultOptions;
  readonly maxConcurrency?: number;
  /** Run another handler file (a baseline, or a deliberately naive one) instead of the synthesized asset. */
  readonly handlerFile?: string;
  readonly extraEnvironment?: Record<string, string>;
  /** Override the template's function timeout (emulated ms), e.g. for a baseline with a 15-minute timeout. */
  readonly timeoutMs?: number;
  /** Route only the lifecycle-action rule to the function (a baseline that knows no other trigger). */
  readonly lifecycleEventsOnly?: boolean;
  /** The synthesized stack's groups and wiring (ignored with `synthesized`). */
  readonly layout?: StackLayout;
  /**
   * Another batching window (seconds) for the task-event consumer's event source mapping: models a deployment with
   * another setting, to measure the trade-off between cost per task stop and latency.
   */
  readonly taskEventBatchingWindowSeconds?: number;
}

/** A line of the scenario's story: what AWS emitted, and what ended. */
export interface TimelineEntry {
  readonly at: number;
  readonly kind: 'event' | 'outcome';
  readonly text: string;
  readonly instanceId?: string;
}

export class Emulator {
  private constructor(
    readonly clock: VirtualClock,
    readonly world: World,
    readonly server: AwsServer,
    /** The first group's drain function (the only one in most scenarios). */
    readonly lambda: LambdaHost,
    readonly bus: EventBus,
    readonly template: Record<string, any>,
    readonly startedAt: number,
    readonly timeline: TimelineEntry[],
    /** Every function of the template, by logical ID. */
    readonly lambdas: ReadonlyMap<string, LambdaHost>,
    /** The cluster's task-event consumer, when the template has one. */
    readonly consumer: LambdaHost | undefined,
    /** Every SQS queue of the template, by logical ID. */
    readonly queues: ReadonlyMap<string, EmuQueue>,
    /** Every SQS event source mapping of the template. */
    readonly eventSources: readonly SqsEventSource[],
  ) {}

  static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    const { template, assetDir } = options.synthesized ?? synthDrainStack(options.props, undefined, options.layout);
    const clock = new VirtualClock(options.scale ?? 20);
    const rng = new Rng(options.seed ?? 42);
    const world = new World(clock);
    const ctx = { template, region: REGION, account: ACCOUNT };

    for (const [hookId, hook] of resourcesOfType(template, 'AWS::AutoScaling::LifecycleHook')) {
      const p = resolve(ctx, hook.Properties);
      if (p.LifecycleTransition !== 'autoscaling:EC2_INSTANCE_TERMINATING') continue;
      world.addHook({
        name: resolve(ctx, { Ref: hookId }), groupName: p.AutoScalingGroupName, heartbeatTimeoutSeconds: p.HeartbeatTimeout ?? 3600,
        defaultResult: p.DefaultResult ?? 'ABANDON',
        ...(p.NotificationMetadata !== undefined ? { notificationMetadata: p.NotificationMetadata } : {}),
      });
    }

    const server = new AwsServer(world, options.faults, (options.seed ?? 42) + 1);
    const endpoint = await server.start();

    // Every function, each on its own host: the groups' drain functions and the cluster's task-event consumer.
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    if (functions.length === 0) throw new Error('no function in the template');
    const hosts = new Map<string, LambdaHost>();
    const byArn = new Map<string, { host: LambdaHost; asyncConfig: AsyncInvokeConfig }>();
    let consumer: LambdaHost | undefined;
    let primary: LambdaHost | undefined;
    for (const [fnId, fn] of functions) {
      const fnProps = resolve(ctx, fn.Properties);
      const isConsumer = fnProps.Environment?.Variables?.[TaskEventEnvironment.DRAIN_GROUPS] !== undefined;
      // Handler "index.handler": module index(.js) in the asset directory, export handler.
      const handler = String(fnProps.Handler ?? 'index.handler');
      const dot = handler.lastIndexOf('.');
      const replaced = !isConsumer && options.handlerFile !== undefined;
      const host = new LambdaHost({
        handlerFile: replaced ? options.handlerFile! : moduleFile(assetDir, handler.slice(0, dot)),
        exportName: replaced ? 'handler' : handler.slice(dot + 1),
        functionName: resolve(ctx, { Ref: fnId }),
        memoryMb: fnProps.MemorySize ?? 128,
        ...(fnProps.LoggingConfig?.LogFormat ? { logFormat: fnProps.LoggingConfig.LogFormat } : {}),
        environment: { ...fnProps.Environment?.Variables, ...(isConsumer ? {} : options.extraEnvironment) },
        endpoint,
        timeoutMs: (!isConsumer && options.timeoutMs) || (fnProps.Timeout ?? 3) * 1000,
        maxConcurrency: options.maxConcurrency ?? 4,
        clock,
        rng,
        killRate: options.faults?.killInvocationRate,
        requestIdPrefix: hosts.size === 0 ? 'inv' : `inv${hosts.size + 1}`,
      });
      hosts.set(fnId, host);
      if (isConsumer) consumer ??= host;
      else primary ??= host;
      const invokeConfig = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => resolve(ctx, c.Properties))
        .find((c) => c.FunctionName === fnProps.FunctionName || c.FunctionName === resolve(ctx, { Ref: fnId }));
      byArn.set(resolve(ctx, { 'Fn::GetAtt': [fnId, 'Arn'] }), {
        host,
        asyncConfig: {
          maximumRetryAttempts: invokeConfig?.MaximumRetryAttempts ?? DEFAULT_ASYNC_CONFIG.maximumRetryAttempts,
          maximumEventAgeMs: (invokeConfig?.MaximumEventAgeInSeconds ?? DEFAULT_ASYNC_CONFIG.maximumEventAgeMs / 1000) * 1000,
        },
      });
    }
    const lambda = primary ?? consumer!;
    server.invocationOf = (appId) => {
      for (const host of hosts.values()) {
        const inv = host.invocationOn(appId);
        if (inv) return inv.requestId;
      }
      return undefined;
    };

    // Every queue, with its redrive policy.
    const queues = new Map<string, EmuQueue>();
    const queueByArn = new Map<string, EmuQueue>();
    for (const [queueId, q] of resourcesOfType(template, 'AWS::SQS::Queue')) {
      const p = resolve(ctx, q.Properties ?? {});
      const redrive = typeof p.RedrivePolicy === 'string' ? JSON.parse(p.RedrivePolicy) : p.RedrivePolicy;
      const arn = resolve(ctx, { 'Fn::GetAtt': [queueId, 'Arn'] });
      const queue = new EmuQueue({
        name: queueId, arn,
        visibilityTimeoutMs: (p.VisibilityTimeout ?? 30) * 1000,
        retentionMs: (p.MessageRetentionPeriod ?? 345_600) * 1000,
        ...(redrive ? { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) } : {}),
      }, clock);
      queues.set(queueId, queue);
      queueByArn.set(arn, queue);
    }
    for (const queue of queues.values()) {
      if (queue.config.deadLetterTargetArn) queue.deadLetterQueue = queueByArn.get(queue.config.deadLetterTargetArn);
    }

    // Every SQS event source mapping, polling its queue for its function.
    const eventSources: SqsEventSource[] = [];
    for (const [esmId, m] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const p = resolve(ctx, m.Properties);
      const queue = queueByArn.get(p.EventSourceArn);
      const target = [...hosts.entries()].find(([fnId]) => p.FunctionName === resolve(ctx, { Ref: fnId })
        || p.FunctionName === resolve(ctx, { 'Fn::GetAtt': [fnId, 'Arn'] }));
      if (!queue || !target) throw new Error(`event source mapping ${esmId}: unknown queue or function`);
      const overridden = target[1] === consumer ? options.taskEventBatchingWindowSeconds : undefined;
      eventSources.push(new SqsEventSource(queue, target[1], clock, {
        id: esmId,
        batchSize: p.BatchSize ?? 10,
        batchingWindowMs: (overridden ?? p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        ...(p.ScalingConfig?.MaximumConcurrency !== undefined ? { maximumConcurrency: p.ScalingConfig.MaximumConcurrency } : {}),
        reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
        region: REGION,
      }));
    }

    // Rules: each target a function (asynchronous invocation) or a queue (SendMessage); a constant Input replaces the event.
    // A pattern rule with no such target (onDrainTimedOut's, to SNS) only records what it matches.
    const rules: Rule[] = resourcesOfType(template, 'AWS::Events::Rule').flatMap(([id, r]) => {
      const p = resolve(ctx, r.Properties);
      const base = {
        id,
        ...(p.EventPattern ? { eventPattern: typeof p.EventPattern === 'string' ? JSON.parse(p.EventPattern) : p.EventPattern } : {}),
        ...(p.ScheduleExpression ? { periodMs: parseRate(p.ScheduleExpression) } : {}),
        ...(p.State === 'DISABLED' ? { disabled: true } : {}),
      };
      const delivering = (p.Targets ?? []).flatMap((t: any): Rule[] => {
        const fnTarget = byArn.get(t.Arn);
        const queueTarget = queueByArn.get(t.Arn);
        if (!fnTarget && !queueTarget) return [];
        return [{
          ...base,
          ...(t.Input !== undefined ? { input: JSON.parse(t.Input) } : {}),
          target: fnTarget ? { kind: 'lambda', ...fnTarget } : { kind: 'sqs', queue: queueTarget! },
        }];
      });
      return delivering.length > 0 ? delivering : p.EventPattern ? [{ ...base, recordOnly: true }] : [];
    }).filter((r) => !options.lifecycleEventsOnly || JSON.stringify(r.eventPattern ?? {}).includes('EC2 Instance-terminate Lifecycle Action'));
    const primaryConfig = [...byArn.values()].find((t) => t.host === lambda)!.asyncConfig;
    const bus = new EventBus(rules, lambda, clock, rng, options.faults, primaryConfig);
    const timeline: TimelineEntry[] = [];
    world.onEvent((event) => {
      timeline.push(describeEvent(clock.now(), event));
      bus.publish(event);
    });
    world.onRetention((r) => timeline.push({
      at: r.at, kind: 'outcome', instanceId: r.instanceId,
      text: `${r.instanceId} retained (${r.lifecycleState}): lifecycle action abandoned, ${r.tasksNotStopped} task(s) still running`,
    }));
    world.onOutcome((o) => timeline.push({
      at: o.endedAt, kind: 'outcome', instanceId: o.instanceId,
      text: `${o.instanceId} ${o.destination === 'WarmPool' ? 'stopped into the warm pool' : 'terminated'}: lifecycle action ${o.how} (${o.result}), ${o.tasksNotStopped} task(s) cut off`,
    }));
    await Promise.all([...hosts.values()].map((h) => h.prewarm()));
    bus.startSchedules();
    for (const source of eventSources) source.start();
    return new Emulator(clock, world, server, lambda, bus, template, clock.now(), timeline, hosts, consumer, queues, eventSources);
  }

  /** Faults can change mid-scenario (for example, only once the drain has started). */
  setFaults(faults: FaultOptions): void {
    this.server.setFaults(faults);
    this.bus.setFaults(faults);
    for (const host of this.lambdas.values()) host.killRate = faults.killInvocationRate ?? 0;
  }

  /** Waits (in real time) until `done` holds; throws after `limitMs` of emulated time. */
  async waitFor(done: () => boolean, limitMs: number, what = 'condition'): Promise<void> {
    const deadline = this.clock.now() + limitMs;
    while (!done()) {
      if (this.clock.now() > deadline) throw new Error(`timed out after ${limitMs / 1000} emulated seconds waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until no invocation is running; a finished invocation's log lines are all in lambda.logLines. */
  async settle(limitMs = 10 * 60_000): Promise<void> {
    await this.waitFor(() => this.allInvocations().every((i) => i.ok !== undefined), limitMs, 'running invocations to finish');
  }

  /** Waits until every given instance has left (terminated or moved to the warm pool). */
  async waitForOutcomes(instanceIds: readonly string[], limitMs: number): Promise<TerminationOutcome[]> {
    await this.waitFor(() => instanceIds.every((id) => this.outcomeOf(id)), limitMs, `${instanceIds.length} instance(s) to end`);
    return instanceIds.map((id) => this.outcomeOf(id)!);
  }

  outcomeOf(instanceId: string): TerminationOutcome | undefined {
    return this.world.outcomeOf(instanceId);
  }

  /** Calls answered with a throttling error (injected, or from a rate limit). */
  throttledCalls(): ApiCall[] {
    return this.server.calls.filter((c) => c.error === 'ThrottlingException' || c.error === 'Throttling');
  }

  /** Lambda's billed milliseconds over all finished invocations (real time on this machine, rounded up per invocation). */
  billedMs(): number {
    return this.allInvocations().reduce((sum, i) => sum + (i.billedMs ?? 0), 0);
  }

  /** The invocations of every function, in the order they started. */
  allInvocations(): Invocation[] {
    return [...this.lambdas.values()].flatMap((h) => h.invocations).sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Every line every function wrote. */
  allLogLines(): string[] {
    return [...this.lambdas.values()].flatMap((h) => h.logLines);
  }

  /** Waits the given emulated time. */
  async idle(emulatedMs: number): Promise<void> {
    await new Promise((r) => setTimeout(r, this.clock.real(emulatedMs)));
  }

  /** API calls that concern one instance, by operation; a batched call about k instances counts 1/k for each. */
  callsFor(instanceId: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.server.calls) {
      if (c.instanceIds.includes(instanceId)) counts[c.operation] = (counts[c.operation] ?? 0) + 1 / c.instanceIds.length;
    }
    return counts;
  }

  /**
   * DRAINING requests for an instance that no race explains. ECS has no compare-and-set, so invocations that run
   * at the same time may each read ACTIVE and each set DRAINING (harmless: ECS accepts it). But an invocation that
   * started after the instance was set DRAINING reads DRAINING and must not start the drain again. So every
   * successful DRAINING request must be matched by an invocation (about this instance, or a sweep) that started no
   * later than the first one; this counts the requests beyond that.
   */
  unexplainedDrainStarts(instanceId: string): number {
    const starts = this.server.calls.filter((c) => c.operation === 'UpdateContainerInstancesState' && !c.error
      && c.params.includes('DRAINING') && c.instanceIds.includes(instanceId));
    if (starts.length === 0) return 0;
    const first = starts[0].at;
    const couldRace = this.allInvocations().filter((i) => i.startedAt <= first
      && (i.instanceId === instanceId || i.records?.some((r) => r.instanceId === instanceId) || i.detailType === 'Scheduled Event')).length;
    return Math.max(0, starts.length - couldRace);
  }

  mutatingCalls(): string[] {
    const mutating = new Set(['UpdateContainerInstancesState', 'PutAttributes', 'DeleteAttributes', 'StopTask', 'CompleteLifecycleAction',
      'RecordLifecycleActionHeartbeat', 'TerminateInstanceInAutoScalingGroup']);
    return this.server.calls.filter((c) => mutating.has(c.operation)).map((c) => c.operation);
  }

  /**
   * Stops everything: deliveries and pollers first (each lets its running invocation end), then the functions, the
   * clock and the server. A stage that has not ended after `limitRealMs` of real time is cut short (its
   * invocations killed) and the stop rejects naming it, so a harness bug shows as an error, not as a hung test.
   */
  async stop(limitRealMs = 30_000): Promise<void> {
    let stage = 'event bus deliveries';
    const graceful = (async () => {
      await this.bus.stop();
      stage = 'SQS event source pollers';
      await Promise.all(this.eventSources.map((s) => s.stop()));
      stage = 'functions';
      await Promise.all([...this.lambdas.values()].map((h) => h.stop()));
    })();
    let watchdog: NodeJS.Timeout | undefined;
    const cutShort = new Promise<string>((resolve) => { watchdog = setTimeout(() => resolve(stage), limitRealMs); });
    const hung = await Promise.race([graceful.then(() => undefined), cutShort]);
    clearTimeout(watchdog);
    if (hung !== undefined) await Promise.all([...this.lambdas.values()].map((h) => h.stop()));
    this.clock.stop();
    await this.server.stop();
    if (hung !== undefined) throw new Error(`emulator stop: ${hung} had not ended after ${limitRealMs / 1000} real seconds`);
  }
}

/** The file Node's runtime would load for a handler module name. */
function moduleFile(dir: string, name: string): string {
  for (const ext of ['.js', '.cjs']) {
    if (fs.existsSync(path.join(dir, name + ext))) return path.join(dir, name + ext);
  }
  throw new Error(`handler module ${name} not found in ${dir}`);
}

function describeEvent(at: number, event: Record<string, any>): TimelineEntry {
  const d = event.detail ?? {};
  switch (event['detail-type']) {
    case 'ECS Task State Change':
      return { at, kind: 'event', text: `task ${String(d.taskArn).slice(-6)} (${d.group}) ${d.lastStatus}` };
    case 'ECS Container Instance State Change':
      return { at, kind: 'event', instanceId: d.ec2InstanceId, text: `${d.ec2InstanceId} container instance ${d.status}` };
    case 'EC2 Instance-terminate Lifecycle Action':
      return { at, kind: 'event', instanceId: d.EC2InstanceId, text: `${d.EC2InstanceId} Terminating:Wait (hook ${d.LifecycleHookName})` };
    default:
      return { at, kind: 'event', text: String(event['detail-type']) };
  }
}

export interface DrainScenario extends EmulatorOptions {
  /** The instances of the group, each scaled in at once (unless `scaleIn` picks some). */
  readonly instances: readonly AddInstanceOptions[];
  /** Which of them (by index) to scale in; all by default. */
  readonly scaleIn?: readonly number[];
  /** Emulated time allowed for every scaled-in instance to end. */
  readonly limitMs: number;
  /** Runs after the instances exist and before the scale-in (to set faults, listeners, statuses...). */
  readonly before?: (emu: Emulator, instanceIds: string[]) => void | Promise<void>;
}

export interface DrainScenarioResult {
  readonly instanceIds: string[];
  readonly outcomes: TerminationOutcome[];
  readonly calls: ApiCall[];
  readonly invocations: Invocation[];
  readonly logLines: string[];
  readonly timeline: TimelineEntry[];
  readonly deadLetters: number;
  readonly throttled: number;
  readonly billedMs: number;
  /** Emulated ms from the scale-in to the last instance ending. */
  readonly durationMs: number;
  readonly callsPerInstance: Record<string, Record<string, number>>;
  /** {@link Emulator.unexplainedDrainStarts} per scaled-in instance. */
  readonly unexplainedDrainStarts: Record<string, number>;
}

/** The harness in one call: start everything, create the instances, scale in, wait for every outcome, stop. */
export async function runDrainScenario(scenario: DrainScenario): Promise<DrainScenarioResult> {
  const emu = await Emulator.start(scenario);
  try {
    const ids = scenario.instances.map((i) => emu.world.addInstance(i));
    await scenario.before?.(emu, ids);
    const targets = (scenario.scaleIn ?? ids.map((_, i) => i)).map((i) => ids[i]);
    const start = emu.clock.now();
    targets.forEach((id) => emu.world.scaleIn(id));
    const outcomes = await emu.waitForOutcomes(targets, scenario.limitMs);
    return {
      instanceIds: targets, outcomes, calls: [...emu.server.calls], invocations: emu.allInvocations(),
      logLines: emu.allLogLines(), timeline: [...emu.timeline], deadLetters: emu.bus.deadLetters.length,
      throttled: emu.throttledCalls().length, billedMs: emu.billedMs(),
      durationMs: Math.max(...outcomes.map((o) => o.endedAt)) - start,
      callsPerInstance: Object.fromEntries(targets.map((id) => [id, emu.callsFor(id)])),
      unexplainedDrainStarts: Object.fromEntries(targets.map((id) => [id, emu.unexplainedDrainStarts(id)])),
    };
  } finally {
    await emu.stop();
  }
}
