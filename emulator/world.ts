/**
 * The emulated AWS state: one ECS cluster and one Auto Scaling group with termination hooks, moving on the
 * emulator's clock. API handlers (protocols.ts) read and change it; it emits AWS-shaped events to the event bus.
 */
import { createHash } from 'crypto';
import type { Timer, VirtualClock } from './clock';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export type TaskKind = 'service' | 'daemon' | 'standalone';

export interface EmuTask {
  readonly arn: string;
  readonly containerInstanceArn: string;
  readonly kind: TaskKind;
  readonly group: string;
  readonly startedBy?: string;
  readonly taskDefinitionArn: string;
  /** Emulated ms: when the task was created and reached RUNNING. */
  readonly createdAt: number;
  readonly startedAt: number;
  /** Incremented on every change, as ECS does (events and DescribeTasks carry it). */
  version: number;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  /** Emulated ms in DEACTIVATING (load balancer deregistration) and STOPPING once told to stop. */
  readonly deactivatingMs: number;
  readonly stoppingMs: number;
  /** A task that never reaches STOPPED by itself (stuck deregistration), until the instance dies. */
  readonly stuck: boolean;
  stopping: boolean;
  /** When lastStatus reached STOPPING and STOPPED (emulated ms). */
  stoppingAt?: number;
  stoppedAt?: number;
  /** Task scale-in protection (UpdateTaskProtection, service tasks only): protected until `expiresAt` (emulated ms). */
  protection?: { readonly expiresAt: number };
}

/** A task told to stop (or cut off by its instance's end) while it was protected from scale-in. */
export interface ProtectedStop {
  readonly taskArn: string;
  readonly at: number;
  /** The stop code: ServiceSchedulerInitiated (DRAINING), UserInitiated (StopTask), TerminationNotice (the instance ended). */
  readonly stopCode: string;
}

export interface EmuContainerInstance {
  readonly arn: string;
  readonly ec2InstanceId: string;
  status: string;
  /** Custom attributes (PutAttributes) and the built-in ones ECS sets at registration (some without a value). */
  readonly attributes: Map<string, string | undefined>;
  readonly registeredAt: number;
  version: number;
}

export interface LifecycleAction {
  readonly hookName: string;
  readonly token: string;
  readonly startedAt: number;
  expiresAt: number;
  readonly deadline: number;
  timer?: Timer;
}

export interface Hook {
  readonly name: string;
  /** The group the hook belongs to; the world's default group when not set. */
  readonly groupName?: string;
  readonly heartbeatTimeoutSeconds: number;
  readonly defaultResult: 'CONTINUE' | 'ABANDON';
  /** Passed through in the lifecycle action event, when set. */
  readonly notificationMetadata?: string;
}

/** What happened to a terminating instance, recorded the moment its lifecycle ended. */
export interface TerminationOutcome {
  readonly instanceId: string;
  readonly endedAt: number;
  /** completed: by CompleteLifecycleAction; expired: the heartbeat timeout or global timeout ran out. */
  readonly how: 'completed' | 'expired';
  readonly result: string;
  /** Tasks on the instance that were not STOPPED when it ended: each one is work cut off. */
  readonly tasksNotStopped: number;
  readonly destination: 'EC2' | 'WarmPool';
  /** When the last task on the instance reached STOPPED (undefined if none ever ran or some never stopped). */
  readonly lastTaskStoppedAt?: number;
}

/** An instance of the emulated group or its warm pool, with its lifecycle state and pending lifecycle actions. */
export interface GroupMember {
  readonly instanceId: string;
  /** The Auto Scaling group the instance belongs to. */
  readonly groupName: string;
  lifecycleState: string;
  readonly actions: Map<string, LifecycleAction>;
  destination: 'EC2' | 'WarmPool';
  origin: 'AutoScalingGroup' | 'WarmPool';
  /**
   * In the warm pool's own lifecycle (a `Warmed:*` state): listed by DescribeWarmPool, not among the group's
   * Instances. EC2 Auto Scaling User Guide, "Use lifecycle hooks with a warm pool", lifecycle state transitions.
   */
  inWarmPool: boolean;
  lastTaskStoppedAt?: number;
}

/** A scaling activity, as DescribeScalingActivities describes it (EC2 Auto Scaling API Reference, Activity). */
export interface ScalingActivity {
  readonly activityId: string;
  readonly groupName: string;
  readonly instanceId: string;
  readonly description: string;
  readonly cause: string;
  readonly startTime: number;
  endTime?: number;
  statusCode: 'MidLifecycleAction' | 'InProgress' | 'Successful' | 'Cancelled';
}

/** An instance the group retained instead of terminating it, recorded the moment it entered its retained state. */
export interface RetentionRecord {
  readonly instanceId: string;
  readonly at: number;
  /** `Terminating:Retained`, `Warmed:Pending:Retained` or `Warmed:Terminating:Retained`. */
  readonly lifecycleState: string;
  /** Tasks on the instance that were not STOPPED when it was retained: they keep running. */
  readonly tasksNotStopped: number;
}

/**
 * The retained state an abandoned termination moves to, by where it waited (EC2 Auto Scaling User Guide, "Manage
 * retained instances", https://docs.aws.amazon.com/autoscaling/ec2/userguide/manage-retained-instances.html:
 * Terminating:Wait → Terminating:Proceed → Terminating:Retained; Warmed:Pending:Wait → … → Warmed:Pending:Retained;
 * Warmed:Terminating:Wait → … → Warmed:Terminating:Retained). The emulator moves through Proceed at once.
 */
const RETAINED_STATE_OF: Readonly<Record<string, string>> = {
  'Terminating:Wait': 'Terminating:Retained',
  'Warmed:Pending:Wait': 'Warmed:Pending:Retained',
  'Warmed:Terminating:Wait': 'Warmed:Terminating:Retained',
};

/** The retained states: the instance keeps running, outside the group's desired capacity. */
export const isRetained = (lifecycleState: string) => lifecycleState.endsWith(':Retained');

export interface AddInstanceOptions {
  readonly instanceId?: string;
  /** The Auto Scaling group (see {@link World.addGroup}); the default group when not set. */
  readonly groupName?: string;
  /**
   * An instance of the cluster that no Auto Scaling group of the world owns (capacity outside the groups under test,
   * where unrelated tasks run): it is registered with ECS but has no group member.
   */
  readonly noGroup?: boolean;
  /** Container instance status, or 'unregistered' for an instance that never joined the cluster. */
  readonly status?: 'ACTIVE' | 'DRAINING' | 'REGISTERING' | 'INACTIVE' | 'unregistered';
  readonly serviceTasks?: number;
  readonly daemonTasks?: number;
  readonly standaloneTasks?: number;
  readonly stuckTasks?: number;
  /** Emulated ms a service task spends DEACTIVATING; a number, or a function of the task index (staggered stops). */
  readonly deactivatingMs?: number | ((i: number) => number);
  readonly stoppingMs?: number;
  readonly inWarmPool?: boolean;
  /**
   * Custom attributes the instance registers with (ECS_INSTANCE_ATTRIBUTES in the agent's configuration): they count
   * toward ECS's limit of 10 custom attributes per resource.
   */
  readonly customAttributes?: number;
}

export type EventSink = (event: Record<string, unknown>) => void;

export class World {
  readonly clusterName = 'prod';
  readonly clusterArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
  /** The default Auto Scaling group; more are added with {@link addGroup}. */
  readonly groupName = 'prod-capacity';
  /** Every Auto Scaling group of the world: the default one, and those added. */
  readonly groupNames = new Set<string>(['prod-capacity']);
  readonly containerInstances = new Map<string, EmuContainerInstance>();
  readonly tasks = new Map<string, EmuTask>();
  readonly group = new Map<string, GroupMember>();
  readonly hooks: Hook[] = [];
  readonly outcomes: TerminationOutcome[] = [];
  /** The group's scaling activities, oldest first (DescribeScalingActivities answers newest first). */
  readonly activities: ScalingActivity[] = [];
  /** Every lifecycle action token issued (tests check that none is ever logged). */
  readonly issuedTokens: string[] = [];
  /** Time after DRAINING is set before the ECS service scheduler starts stopping service tasks. */
  drainReactionMs = 2_000;
  /**
   * Time a task stays STOPPED before DescribeTasks shows it as DELETED, "a transition state when a task stops"
   * (Amazon ECS Developer Guide, "Amazon ECS task lifecycle"). AWS documents no duration and no event for it. By
   * default the emulator moves a stopped task on after an hour, after the checks of most drains; scenarios that need
   * DELETED tasks sooner set it lower. No event is sent for it.
   */
  deletedAfterMs = 3_600_000;
  /**
   * Task scale-in protection and DRAINING. AWS documents protection against scale-in by service auto scaling and by
   * deployments ("your task will not be terminated by scale-in events from Service Auto Scaling or deployments", ECS
   * API Reference, UpdateTaskProtection), while its draining page says RUNNING service tasks of a DRAINING instance
   * "are transitioned to a STOPPED state" with no exception for protected ones (Amazon ECS Developer Guide, "Draining
   * Amazon ECS container instances"). The emulator follows the draining page: DRAINING stops protected service tasks
   * like any other (false, the default). `true` models the undocumented other reading, where the service scheduler
   * waits for protection to end or expire before it stops them. docs/aws-behaviour.md, "Task scale-in protection".
   */
  drainingSparesProtectedTasks = false;
  /**
   * How long after its expiration date GetTaskProtection still answers `protectionEnabled: true`. AWS: "After this
   * time period lapses, protectionEnabled will be reset to false" (ECS API Reference, UpdateTaskProtection), and
   * documents no delay; the emulator resets it a minute late by default, so that a caller that trusts the flag alone,
   * not the date, is seen (the conservative case).
   */
  protectionResetLagMs = 60_000;
  /** Every task told to stop, or cut off, while protected from scale-in (none, for a drain that honours protection). */
  readonly protectedStops: ProtectedStop[] = [];
  private seq = 0;
  private sink: EventSink = () => undefined;
  private outcomeSink: (o: TerminationOutcome) => void = () => undefined;
  private retentionSink: (r: RetentionRecord) => void = () => undefined;
  /** Every instance the group retained, in order. */
  readonly retentions: RetentionRecord[] = [];

  /**
   * The group's instance lifecycle policy: the retention trigger `TerminateHookAbandon` (`retain` or `terminate`;
   * unset: no policy). "Retained instances don't count toward desired capacity and remain until you call
   * TerminateInstanceInAutoScalingGroup" (API Reference, RetentionTriggers,
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RetentionTriggers.html). The retention trigger applies
   * when a termination lifecycle action is completed with ABANDON, or expires with the default result ABANDON (User
   * Guide, "Configure instance retention", https://docs.aws.amazon.com/autoscaling/ec2/userguide/configure-instance-retention.html).
   */
  terminateHookAbandon?: 'retain' | 'terminate';
  /**
   * Whether TerminateInstanceInAutoScalingGroup of a retained instance runs the group's termination hooks again. AWS
   * documents only that the call terminates it ("Manage retained instances", "Terminate retained instances"); whether
   * the hooks run again is not documented. The conservative case, for a hook, is that they do: its new lifecycle
   * action must be completed, or its default result (ABANDON) retains the instance again. Scenarios may set false.
   */
  retainedTerminationRunsHooks = true;
  /**
   * The group's desired capacity, once a scenario tracks it (trackDesiredCapacity): Auto Scaling then launches a
   * replacement whenever fewer instances than that count toward it. Untracked, DescribeAutoScalingGroups reports the
   * in-service count, as before.
   */
  desiredCapacity?: number;
  /** Instances launched to replace ones that left the desired capacity (tracked capacity only). */
  readonly replacements: string[] = [];

  constructor(readonly clock: VirtualClock) {}

  onEvent(sink: EventSink): void { this.sink = sink; }
  onOutcome(sink: (o: TerminationOutcome) => void): void { this.outcomeSink = sink; }
  onRetention(sink: (r: RetentionRecord) => void): void { this.retentionSink = sink; }

  /**
   * Instances that count toward the desired capacity: in service or on the way there, not in the warm pool. An
   * instance terminating or retained does not ("Retained instances do not count toward your Amazon EC2 Auto Scaling
   * group's desired capacity. When an instance enters a retained state, Auto Scaling launches a replacement instance
   * to maintain the desired capacity": User Guide, "Manage retained instances").
   */
  inCapacity(): GroupMember[] {
    return [...this.group.values()].filter((m) => !m.inWarmPool && (m.lifecycleState === 'InService' || m.lifecycleState.startsWith('Pending')));
  }

  /** From now on, the group keeps `desired` instances (default: those in capacity now), replacing any that leave. */
  trackDesiredCapacity(desired = this.inCapacity().length): void {
    this.desiredCapacity = desired;
    this.maintainCapacity();
  }

  /**
   * Launches replacements up to the desired capacity: an ACTIVE container instance with no tasks, in service at once
   * (launch hooks and the launch itself are not modelled; no event is sent for it).
   */
  private maintainCapacity(): void {
    if (this.desiredCapacity === undefined) return;
    for (let missing = this.desiredCapacity - this.inCapacity().length; missing > 0; missing--) {
      this.replacements.push(this.addInstance({ status: 'ACTIVE' }));
    }
  }

  private id(width: number): string {
    this.seq += 1;
    return this.seq.toString(16).padStart(width, '0');
  }

  addHook(hook: Hook): void {
    this.addGroup(hook.groupName ?? this.groupName);
    this.hooks.push(hook);
  }

  /** Another Auto Scaling group whose instances register with the same cluster. */
  addGroup(name: string): void { this.groupNames.add(name); }

  /** The hooks of one group. */
  hooksOf(groupName: string): Hook[] {
    return this.hooks.filter((h) => (h.groupName ?? this.groupName) === groupName);
  }

  /** A deterministic, random-looking UUID (v4 layout) per purpose and sequence number. */
  private uuid(purpose: string): string {
    const h = createHash('sha256').update(`${purpose}:${this.id(8)}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** The EventBridge envelope every AWS service event shares; `time` has whole seconds, as AWS sends it. */
  private emit(source: string, detailType: string, resources: string[], detail: Record<string, unknown>): void {
    this.sink({
      'version': '0', 'id': this.uuid('event'), 'detail-type': detailType, 'source': source, 'account': ACCOUNT,
      'time': eventTime(this.clock.now()), 'region': REGION, 'resources': resources, 'detail': detail,
    });
  }

  /**
   * A custom event put on the default bus with PutEvents: the same envelope AWS's service events have (EventBridge User
   * Guide, "Event structure reference"), its `time` the entry's Time if it had one, else now. Returns the event's ID.
   */
  putEvent(source: string, detailType: string, resources: string[], detail: Record<string, unknown>, timeMs?: number): string {
    const id = this.uuid('event');
    this.sink({
      'version': '0', 'id': id, 'detail-type': detailType, 'source': source, 'account': ACCOUNT,
      'time': eventTime(timeMs ?? this.clock.now()), 'region': REGION, 'resources': resources, 'detail': detail,
    });
    return id;
  }

  get groupArn(): string {
    return this.groupArnOf(this.groupName);
  }

  groupArnOf(groupName: string): string {
    const n = [...this.groupNames].indexOf(groupName) + 1;
    return `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:8e2b1c4d-0000-4000-8000-${String(n).padStart(12, '0')}:autoScalingGroupName/${groupName}`;
  }

  /**
   * Whether the group has a warm pool (PutWarmPool). Set by the first instance created in the warm pool or scaled in
   * into it, as a group needs one for either; DescribeAutoScalingGroups then reports its WarmPoolConfiguration.
   */
  warmPoolConfigured = false;

  addInstance(options: AddInstanceOptions = {}): string {
    const instanceId = options.instanceId ?? `i-${this.id(17)}`;
    if (options.inWarmPool) this.warmPoolConfigured = true;
    const groupName = options.groupName ?? this.groupName;
    if (!this.groupNames.has(groupName)) throw new Error(`no group ${groupName} in the world`);
    if (!options.noGroup) {
      this.group.set(instanceId, {
        instanceId, groupName, lifecycleState: options.inWarmPool ? 'Warmed:Stopped' : 'InService', actions: new Map(),
        destination: 'EC2', origin: options.inWarmPool ? 'WarmPool' : 'AutoScalingGroup', inWarmPool: !!options.inWarmPool,
      });
    }
    const status = options.status ?? 'ACTIVE';
    if (status === 'unregistered') return instanceId;
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${this.clusterName}/${this.id(32)}`;
    const now = this.clock.now();
    const attributes = builtInAttributes();
    for (let i = 0; i < (options.customAttributes ?? 0); i++) attributes.set(`team.attribute-${i}`, `value-${i}`);
    this.containerInstances.set(arn, { arn, ec2InstanceId: instanceId, status, attributes, registeredAt: now - 3_600_000, version: 1 });
    const deactivating = (i: number) => typeof options.deactivatingMs === 'function' ? options.deactivatingMs(i) : options.deactivatingMs ?? 15_000;
    const add = (kind: TaskKind, count: number, stuck = false) => {
      for (let i = 0; i < count; i++) {
        const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${this.clusterName}/${this.id(32)}`;
        const family = kind === 'standalone' ? 'batch-job' : kind === 'daemon' ? 'log-router' : 'web';
        this.addTask({
          arn: taskArn, containerInstanceArn: arn, kind, stuck,
          group: kind === 'standalone' ? `family:${family}` : `service:${family}`,
          taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:3`,
          createdAt: now - 600_000, startedAt: now - 590_000, version: 3,
          ...(kind === 'standalone' ? {} : { startedBy: 'ecs-svc/1234567890123456789' }),
          lastStatus: 'RUNNING', desiredStatus: 'RUNNING',
          deactivatingMs: kind === 'service' ? deactivating(i) : 0, stoppingMs: options.stoppingMs ?? 5_000, stopping: false,
        });
      }
    };
    add('service', options.serviceTasks ?? 0);
    add('service', options.stuckTasks ?? 0, true);
    add('daemon', options.daemonTasks ?? 0);
    add('standalone', options.standaloneTasks ?? 0);
    return instanceId;
  }

  containerInstanceOf(instanceId: string): EmuContainerInstance | undefined {
    return [...this.containerInstances.values()].find((ci) => ci.ec2InstanceId === instanceId);
  }

  outcomeOf(instanceId: string): TerminationOutcome | undefined {
    return this.outcomes.find((o) => o.instanceId === instanceId);
  }

  tasksOn(containerInstanceArn: string): EmuTask[] {
    return [...(this.tasksByInstance.get(containerInstanceArn) ?? [])];
  }

  /** The tasks of each container instance, kept as tasks are created (busy clusters hold thousands of tasks). */
  private readonly tasksByInstance = new Map<string, EmuTask[]>();

  private addTask(task: EmuTask): void {
    this.tasks.set(task.arn, task);
    const list = this.tasksByInstance.get(task.containerInstanceArn);
    if (list) list.push(task);
    else this.tasksByInstance.set(task.containerInstanceArn, [task]);
  }

  /**
   * Runs a standalone task (a batch job) on a container instance: RUNNING now, then it exits by itself after `runMs`
   * and walks STOPPING → STOPPED, each change sent as an ECS task event. Used to load a cluster with task stops that
   * concern no drain. Returns the task ARN.
   */
  runTask(containerInstanceArn: string, runMs: number, stoppingMs = 1_000): string {
    const now = this.clock.now();
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${this.clusterName}/${this.id(32)}`;
    const task: EmuTask = {
      arn: taskArn, containerInstanceArn, kind: 'standalone', stuck: false, group: 'family:batch-job',
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/batch-job:3`, createdAt: now, startedAt: now, version: 1,
      lastStatus: 'RUNNING', desiredStatus: 'RUNNING', deactivatingMs: 0, stoppingMs, stopping: false,
    };
    this.addTask(task);
    this.emitTaskChange(task);
    this.clock.after(runMs, () => this.stopTask(task, 'EssentialContainerExited', 'Essential container in task exited'));
    return taskArn;
  }

  // ---------------------------------------------------------------- ECS behaviour

  /** UpdateContainerInstancesState. */
  setStatus(ci: EmuContainerInstance, status: string): void {
    if (ci.status === status) return;
    ci.status = status;
    ci.version += 1;
    this.emitContainerInstanceChange(ci);
    if (status === 'DRAINING') this.clock.after(this.drainReactionMs, () => this.drainServiceTasks(ci));
  }

  /** The service scheduler stops replica tasks of a DRAINING instance; daemon tasks only once those are STOPPED. */
  private drainServiceTasks(ci: EmuContainerInstance): void {
    if (ci.status !== 'DRAINING') return;
    for (const t of this.tasksOn(ci.arn)) {
      if (t.kind !== 'service' || t.desiredStatus !== 'RUNNING') continue;
      if (this.drainingSparesProtectedTasks && this.isProtected(t)) {
        // The undocumented reading: the scheduler comes back once the protection has expired (or is dropped).
        this.clock.after(t.protection!.expiresAt - this.clock.now(), () => this.drainServiceTasks(ci));
        continue;
      }
      this.stopTask(t, 'ServiceSchedulerInitiated', 'Service web: container instance is in DRAINING state');
    }
    this.maybeStopDaemons(ci);
  }

  /** Whether a task is protected from scale-in now: protection set, and its expiration date still ahead. */
  isProtected(t: EmuTask): boolean {
    return t.protection !== undefined && this.clock.now() < t.protection.expiresAt;
  }

  /**
   * UpdateTaskProtection for one task, as the API or the agent's task-protection endpoint sets it: protected for
   * `expiresInMinutes` (AWS: 1 to 2,880; 120 when not given), or unprotected. Only service tasks can be protected
   * ("Invoking this operation for a standalone task will result in an TASK_NOT_VALID failure"): false otherwise.
   * Calling it again on a protected task resets the period ("The expiresInMinutes property is always reset"). ECS API
   * Reference, UpdateTaskProtection.
   */
  updateTaskProtection(t: EmuTask, protectionEnabled: boolean, expiresInMinutes = 120): boolean {
    if (t.kind === 'standalone') return false;
    t.protection = protectionEnabled ? { expiresAt: this.clock.now() + expiresInMinutes * 60_000 } : undefined;
    if (!protectionEnabled && this.drainingSparesProtectedTasks) {
      const ci = this.containerInstances.get(t.containerInstanceArn);
      if (ci) this.drainServiceTasks(ci);
    }
    return true;
  }

  /**
   * What GetTaskProtection answers for a task: protectionEnabled, and the expiration date while enabled ("If the
   * task is not protected, this value will be null": Amazon ECS Developer Guide, task scale-in protection endpoint).
   * The flag is reset `protectionResetLagMs` after the date.
   */
  protectionOf(t: EmuTask): { protectionEnabled: boolean; expiresAt?: number } {
    if (t.protection && this.clock.now() >= t.protection.expiresAt + this.protectionResetLagMs) t.protection = undefined;
    return t.protection ? { protectionEnabled: true, expiresAt: t.protection.expiresAt } : { protectionEnabled: false };
  }

  private maybeStopDaemons(ci: EmuContainerInstance): void {
    if (ci.status !== 'DRAINING') return;
    const tasks = this.tasksOn(ci.arn);
    if (tasks.some((t) => t.kind !== 'daemon' && t.kind !== 'standalone' && !hasStopped(t))) return;
    for (const t of tasks) {
      if (t.kind === 'daemon' && t.desiredStatus === 'RUNNING') this.stopTask(t, 'ServiceSchedulerInitiated', 'Service log-router: container instance is in DRAINING state');
    }
  }

  /** Desired status STOPPED now; lastStatus walks DEACTIVATING → STOPPING → STOPPED on the clock. */
  stopTask(t: EmuTask, stopCode: string, reason: string): void {
    if (t.desiredStatus === 'STOPPED') return;
    if (this.isProtected(t)) this.protectedStops.push({ taskArn: t.arn, at: this.clock.now(), stopCode });
    t.desiredStatus = 'STOPPED';
    t.stopCode = stopCode;
    t.stoppedReason = reason;
    t.stopping = true;
    const toStopping = () => {
      if (hasStopped(t)) return;
      this.transition(t, 'STOPPING');
      if (!t.stuck) this.clock.after(t.stoppingMs, () => this.transition(t, 'STOPPED'));
    };
    if (t.deactivatingMs > 0) {
      this.transition(t, 'DEACTIVATING');
      if (!t.stuck) this.clock.after(t.deactivatingMs, toStopping);
    } else {
      toStopping();
    }
  }

  private transition(t: EmuTask, lastStatus: string): void {
    if (t.lastStatus === 'STOPPED' || t.lastStatus === 'DELETED' || t.lastStatus === lastStatus) return;
    t.lastStatus = lastStatus;
    t.version += 1;
    if (lastStatus === 'STOPPING') t.stoppingAt = this.clock.now();
    if (lastStatus === 'STOPPED') {
      t.stoppingAt ??= this.clock.now();
      t.stoppedAt = this.clock.now();
    }
    this.emitTaskChange(t);
    if (lastStatus === 'STOPPED') {
      this.clock.after(this.deletedAfterMs, () => {
        t.lastStatus = 'DELETED';
        t.version += 1;
      });
      const ci = this.containerInstances.get(t.containerInstanceArn);
      if (!ci) return;
      const member = this.group.get(ci.ec2InstanceId);
      if (member && this.tasksOn(ci.arn).every(hasStopped)) member.lastTaskStoppedAt = this.clock.now();
      this.maybeStopDaemons(ci);
    }
  }

  // ---------------------------------------------------------------- Auto Scaling behaviour

  /**
   * Scale-in (or instance refresh): the instance waits on every termination hook, in Terminating:Wait; or, scaled in
   * into the warm pool (an instance reuse policy with ReuseOnScaleIn), in Warmed:Pending:Wait, in the warm pool; or,
   * terminating from the warm pool, in Warmed:Terminating:Wait. EC2 Auto Scaling User Guide, "Use lifecycle hooks
   * with a warm pool" (lifecycle state transitions) and "Amazon EC2 Auto Scaling instance lifecycle".
   */
  scaleIn(instanceId: string, destination: 'EC2' | 'WarmPool' = 'EC2'): void {
    const member = this.group.get(instanceId);
    if (!member) throw new Error(`no instance ${instanceId} in the group`);
    if (member.inWarmPool && destination === 'WarmPool') throw new Error(`${instanceId} is in the warm pool already`);
    // A scale-in lowers the desired capacity first; then the group picks the instance to remove.
    if (this.desiredCapacity !== undefined && !member.inWarmPool) this.desiredCapacity -= 1;
    this.beginTermination(member, destination);
  }

  /**
   * TerminateInstanceInAutoScalingGroup: the instance terminates through the group's termination hooks; with
   * `decrement`, the desired capacity drops by one, else the group replaces the instance once it has left ("If you do
   * not specify the option to decrement the desired capacity, Amazon EC2 Auto Scaling launches instances to replace
   * the ones that are terminated": API Reference, TerminateInstanceInAutoScalingGroup). A retained instance, which no
   * longer counts toward the desired capacity, is terminated ("Manage retained instances": "terminate your retained
   * instances by calling the TerminateInstanceInAutoScalingGroup API ... --no-should-decrement-desired-capacity"),
   * through the hooks again when `retainedTerminationRunsHooks` (not documented: see there). AWS does not document a
   * decrement for a retained instance; the emulator applies the parameter as documented for any instance. Which
   * errors the call answers for an instance that cannot be terminated is checked in protocols.ts.
   */
  terminateInstance(instanceId: string, decrement: boolean): void {
    const member = this.group.get(instanceId);
    if (!member) throw new Error(`no instance ${instanceId} in the group`);
    if (decrement && this.desiredCapacity !== undefined) this.desiredCapacity -= 1;
    if (member.lifecycleState === 'Terminating:Retained' && !this.retainedTerminationRunsHooks) {
      this.startActivity(member, `Terminating EC2 instance: ${instanceId}`, this.clock.now());
      this.end(member, 'completed', 'CONTINUE');
      return;
    }
    this.beginTermination(member, 'EC2');
  }

  /** The instance waits on every termination hook (see scaleIn), with a new scaling activity and new actions. */
  private beginTermination(member: GroupMember, destination: 'EC2' | 'WarmPool'): void {
    const instanceId = member.instanceId;
    member.destination = destination;
    if (destination === 'WarmPool') this.warmPoolConfigured = true;
    const now = this.clock.now();
    if (member.inWarmPool) {
      member.lifecycleState = 'Warmed:Terminating:Wait';
    } else if (destination === 'WarmPool') {
      member.lifecycleState = 'Warmed:Pending:Wait';
      member.inWarmPool = true;
    } else {
      member.lifecycleState = 'Terminating:Wait';
    }
    this.startActivity(member, destination === 'WarmPool'
      ? `Moving EC2 instance to warm pool: ${instanceId}`
      : `Terminating EC2 instance: ${instanceId}`, now);
    const hooks = this.hooksOf(member.groupName);
    for (const hook of hooks) {
      const action: LifecycleAction = {
        hookName: hook.name, token: this.uuid('token'), startedAt: now,
        expiresAt: now + hook.heartbeatTimeoutSeconds * 1000,
        deadline: now + Math.min(48 * 3600, 100 * hook.heartbeatTimeoutSeconds) * 1000,
      };
      member.actions.set(hook.name, action);
      this.issuedTokens.push(action.token);
      this.armExpiry(member, action, hook);
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html#terminate-lifecycle-action
      this.emit('aws.autoscaling', 'EC2 Instance-terminate Lifecycle Action', [this.groupArnOf(member.groupName)], {
        LifecycleActionToken: action.token, AutoScalingGroupName: member.groupName, LifecycleHookName: hook.name,
        EC2InstanceId: instanceId, LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        ...(hook.notificationMetadata !== undefined ? { NotificationMetadata: hook.notificationMetadata } : {}),
        Origin: member.lifecycleState === 'Warmed:Terminating:Wait' ? 'WarmPool' : 'AutoScalingGroup',
        Destination: member.lifecycleState === 'Warmed:Terminating:Wait' ? 'EC2' : destination,
      });
    }
    if (hooks.length === 0) this.end(member, 'completed', 'CONTINUE');
  }

  /** The scaling activity of a termination: MidLifecycleAction while its hooks wait, Successful once it ends. */
  private startActivity(member: GroupMember, description: string, now: number): void {
    this.activities.push({
      activityId: this.uuid('activity'), groupName: member.groupName, instanceId: member.instanceId, description, startTime: now, statusCode: 'MidLifecycleAction',
      cause: `At ${eventTime(now)} an instance was taken out of service in response to a user request, shrinking the capacity.`,
    });
  }

  private armExpiry(member: GroupMember, action: LifecycleAction, hook: Hook): void {
    this.clock.cancel(action.timer);
    action.timer = this.clock.after(Math.min(action.expiresAt, action.deadline) - this.clock.now(), () => {
      if (member.actions.get(hook.name) !== action) return;
      member.actions.delete(hook.name);
      this.finishIfDone(member, 'expired', hook.defaultResult);
    });
  }

  /** RecordLifecycleActionHeartbeat; false when no action is pending. */
  heartbeat(instanceId: string, hookName: string): boolean {
    const member = this.group.get(instanceId);
    const action = member?.actions.get(hookName);
    const hook = this.hooksOf(member?.groupName ?? this.groupName).find((h) => h.name === hookName);
    if (!member || !action || !hook) return false;
    action.expiresAt = this.clock.now() + hook.heartbeatTimeoutSeconds * 1000;
    this.armExpiry(member, action, hook);
    return true;
  }

  /** CompleteLifecycleAction; false when no action is pending. */
  complete(instanceId: string, hookName: string, result: string): boolean {
    const member = this.group.get(instanceId);
    const action = member?.actions.get(hookName);
    if (!member || !action) return false;
    this.clock.cancel(action.timer);
    member.actions.delete(hookName);
    this.finishIfDone(member, 'completed', result);
    return true;
  }

  /**
   * A termination hook finished. ABANDON "stops any remaining actions, such as other lifecycle hooks" (User Guide,
   * "Add lifecycle hooks", default result); CONTINUE waits for the other hooks. With the retention trigger
   * `TerminateHookAbandon: retain`, an ABANDON (explicit, or a default result on expiry) retains the instance instead.
   */
  private finishIfDone(member: GroupMember, how: 'completed' | 'expired', result: string): void {
    if (member.actions.size > 0 && result !== 'ABANDON') return;
    for (const a of member.actions.values()) this.clock.cancel(a.timer);
    member.actions.clear();
    const retainedState = RETAINED_STATE_OF[member.lifecycleState];
    if (result === 'ABANDON' && this.terminateHookAbandon === 'retain' && retainedState) {
      this.retain(member, retainedState);
      return;
    }
    this.end(member, how, result);
  }

  /**
   * The instance moves to its retained state with whatever runs on it: nothing happens to its tasks or its container
   * instance. Its termination activity ends as Cancelled ("Look for termination activities with StatusCode:
   * Cancelled": "Manage retained instances", "Monitor retained instances"), and the group launches a replacement.
   */
  private retain(member: GroupMember, lifecycleState: string): void {
    member.lifecycleState = lifecycleState;
    const ci = this.containerInstanceOf(member.instanceId);
    const record: RetentionRecord = {
      instanceId: member.instanceId, at: this.clock.now(), lifecycleState,
      tasksNotStopped: ci ? this.tasksOn(ci.arn).filter((t) => !hasStopped(t)).length : 0,
    };
    this.retentions.push(record);
    this.retentionSink(record);
    for (const a of this.activities) {
      if (a.instanceId === member.instanceId && a.statusCode !== 'Successful' && a.statusCode !== 'Cancelled') {
        a.statusCode = 'Cancelled';
        a.endTime = this.clock.now();
      }
    }
    this.maintainCapacity();
  }

  /** The instance leaves service: terminated, or stopped into the warm pool. Records what was cut off. */
  private end(member: GroupMember, how: 'completed' | 'expired', result: string): void {
    const ci = this.containerInstanceOf(member.instanceId);
    const notStopped = ci ? this.tasksOn(ci.arn).filter((t) => !hasStopped(t)) : [];
    const outcome: TerminationOutcome = {
      instanceId: member.instanceId, endedAt: this.clock.now(), how, result, tasksNotStopped: notStopped.length,
      destination: member.destination, ...(member.lastTaskStoppedAt !== undefined ? { lastTaskStoppedAt: member.lastTaskStoppedAt } : {}),
    };
    this.outcomes.push(outcome);
    this.outcomeSink(outcome);
    for (const a of this.activities) {
      if (a.instanceId === member.instanceId && a.statusCode !== 'Successful' && a.statusCode !== 'Cancelled') {
        a.statusCode = 'Successful';
        a.endTime = this.clock.now();
      }
    }
    for (const t of notStopped) {
      if (this.isProtected(t)) this.protectedStops.push({ taskArn: t.arn, at: this.clock.now(), stopCode: 'TerminationNotice' });
      t.desiredStatus = 'STOPPED';
      t.stopCode = 'TerminationNotice';
      this.transition(t, 'STOPPED');
    }
    if (member.destination === 'WarmPool') {
      member.inWarmPool = true;
      member.lifecycleState = 'Warmed:Stopped';
      return;
    }
    member.lifecycleState = 'Terminated';
    this.group.delete(member.instanceId);
    if (ci) {
      ci.status = 'INACTIVE';
      ci.version += 1;
      this.emitContainerInstanceChange(ci);
    }
    this.maintainCapacity();
  }

  /** A warm-pool instance goes back into service ("EC2 Instance Launch Successful", Origin WarmPool). */
  returnFromWarmPool(instanceId: string): void {
    const member = this.group.get(instanceId);
    if (!member?.inWarmPool) throw new Error(`${instanceId} is not in the warm pool`);
    member.inWarmPool = false;
    member.lifecycleState = 'InService';
    member.destination = 'EC2';
    const now = this.clock.now();
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pools-eventbridge-events.html
    this.emit('aws.autoscaling', 'EC2 Instance Launch Successful', [this.groupArnOf(member.groupName), `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`], {
      StatusCode: 'InProgress', Description: `Launching a new EC2 instance from warm pool: ${instanceId}`, AutoScalingGroupName: member.groupName,
      ActivityId: this.uuid('activity'), Details: { 'Availability Zone': `${REGION}a`, 'Subnet ID': 'subnet-0123456789abcdef0' },
      RequestId: this.uuid('request'), StatusMessage: '', EndTime: eventTime(now), EC2InstanceId: instanceId, StartTime: eventTime(now - 30_000),
      Cause: 'At 2026-11-23T10:00:00Z a user request update of AutoScalingGroup constraints changed the desired capacity.',
      Origin: 'WarmPool', Destination: 'AutoScalingGroup',
    });
  }

  /** EC2 sends the two-minute Spot interruption warning. */
  spotInterruption(instanceId: string): void {
    this.emit('aws.ec2', 'EC2 Spot Instance Interruption Warning', [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
      { 'instance-id': instanceId, 'instance-action': 'terminate' });
  }

  // ---------------------------------------------------------------- events

  private emitTaskChange(t: EmuTask): void {
    const now = iso(this.clock.now());
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
    this.emit('aws.ecs', 'ECS Task State Change', [t.arn], {
      attachments: [], availabilityZone: `${REGION}a`, clusterArn: this.clusterArn, connectivity: 'CONNECTED',
      containerInstanceArn: t.containerInstanceArn, containers: [taskContainer(t)], cpu: String(TASK_CPU), memory: String(TASK_MEMORY),
      createdAt: iso(t.createdAt), connectivityAt: iso(t.createdAt + 1_000), pullStartedAt: iso(t.createdAt + 2_000),
      pullStoppedAt: iso(t.startedAt - 1_000), desiredStatus: t.desiredStatus, group: t.group, launchType: 'EC2', lastStatus: t.lastStatus,
      overrides: { containerOverrides: [{ name: t.group.split(':')[1] }] }, startedAt: iso(t.startedAt),
      ...(t.startedBy ? { startedBy: t.startedBy } : {}),
      ...(t.stopCode ? { stopCode: t.stopCode, stoppedReason: t.stoppedReason } : {}),
      ...(t.stoppingAt !== undefined ? { stoppingAt: iso(t.stoppingAt) } : {}),
      ...(t.stoppedAt !== undefined ? { stoppedAt: iso(t.stoppedAt), executionStoppedAt: iso(t.stoppedAt) } : {}),
      taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn, updatedAt: now, version: t.version,
    });
  }

  /**
   * registeredResources and remainingResources, as DescribeContainerInstances and the container instance event report
   * them. Every task reserves TASK_CPU and TASK_MEMORY, and ECS "optimistically considers instance resources as free
   * ... whenever a running task transitions to the stopping state" (AWS What's New, 2023-07): so a task still
   * DEACTIVATING or STOPPING no longer counts. Like runningTasksCount, the resources are no proof of drained.
   */
  resourcesOf(ci: EmuContainerInstance): { registeredResources: EcsResource[]; remainingResources: EcsResource[] } {
    const holding = this.tasksOn(ci.arn).filter((t) => t.desiredStatus === 'RUNNING' && !hasStopped(t)).length;
    const resources = (cpu: number, memory: number, ports: string[]): EcsResource[] => [
      { name: 'CPU', type: 'INTEGER', integerValue: cpu, doubleValue: 0, longValue: 0 },
      { name: 'MEMORY', type: 'INTEGER', integerValue: memory, doubleValue: 0, longValue: 0 },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ports, integerValue: 0, doubleValue: 0, longValue: 0 },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [], integerValue: 0, doubleValue: 0, longValue: 0 },
    ];
    return {
      registeredResources: resources(INSTANCE_CPU, INSTANCE_MEMORY, AGENT_PORTS),
      remainingResources: resources(INSTANCE_CPU - holding * TASK_CPU, INSTANCE_MEMORY - holding * TASK_MEMORY, AGENT_PORTS),
    };
  }

  private emitContainerInstanceChange(ci: EmuContainerInstance): void {
    const running = this.tasksOn(ci.arn).filter((t) => t.desiredStatus === 'RUNNING').length;
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_container_instance_events.html
    this.emit('aws.ecs', 'ECS Container Instance State Change', [ci.arn], {
      agentConnected: ci.status !== 'INACTIVE', attributes: attributeList(ci), clusterArn: this.clusterArn,
      containerInstanceArn: ci.arn, ec2InstanceId: ci.ec2InstanceId, registeredAt: iso(ci.registeredAt),
      ...this.resourcesOf(ci), runningTasksCount: running, pendingTasksCount: 0, status: ci.status,
      updatedAt: iso(this.clock.now()), version: ci.version, versionInfo: VERSION_INFO,
    });
  }
}

/** STOPPED, or DELETED after it. */
export const hasStopped = (t: Pick<EmuTask, 'lastStatus'>) => t.lastStatus === 'STOPPED' || t.lastStatus === 'DELETED';

const iso = (ms: number) => new Date(ms).toISOString();

/** An m6g.large as the ECS agent registers it, and what each emulated task reserves (DescribeTasks says the same). */
export const INSTANCE_CPU = 2048;
export const INSTANCE_MEMORY = 7680;
export const TASK_CPU = 256;
export const TASK_MEMORY = 512;
/** Ports the agent reserves by default; reported both registered and remaining. */
const AGENT_PORTS = ['22', '2375', '2376', '51678', '51679'];

export interface EcsResource {
  readonly name: string;
  readonly type: string;
  readonly integerValue: number;
  readonly doubleValue: number;
  readonly longValue: number;
  readonly stringSetValue?: string[];
}
/** The envelope's `time`: ISO 8601 to the second. */
export const eventTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const VERSION_INFO = { agentHash: '4023248', agentVersion: '1.89.2', dockerVersion: 'DockerVersion: 25.0.8' };

/** The attributes the ECS agent registers an EC2 container instance with (a sample; capabilities carry no value). */
function builtInAttributes(): Map<string, string | undefined> {
  return new Map<string, string | undefined>([
    ['ecs.ami-id', 'ami-0123456789abcdef0'], ['ecs.availability-zone', `${REGION}a`], ['ecs.instance-type', 'm6g.large'],
    ['ecs.os-type', 'linux'], ['ecs.cpu-architecture', 'arm64'], ['ecs.capability.task-eni', undefined],
    ['com.amazonaws.ecs.capability.docker-remote-api.1.44', undefined],
  ]);
}

/** Attributes as DescribeContainerInstances and the container instance event list them. */
export function attributeList(ci: EmuContainerInstance): Array<{ name: string; value?: string }> {
  return [...ci.attributes].map(([name, value]) => (value === undefined ? { name } : { name, value }));
}

/** The single container of an emulated task, in the shape of DescribeTasks and the task event. */
export function taskContainer(t: EmuTask): Record<string, unknown> {
  const name = t.group.split(':')[1];
  return {
    containerArn: t.arn.replace(':task/', ':container/'), name, taskArn: t.arn, image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${name}:3`,
    runtimeId: createHash('sha256').update(t.arn).digest('hex'), cpu: '0', lastStatus: t.lastStatus === 'DEACTIVATING' || t.lastStatus === 'STOPPING' ? 'RUNNING' : t.lastStatus,
    ...(hasStopped(t) ? { exitCode: t.stopCode === 'UserInitiated' || t.stopCode === 'ServiceSchedulerInitiated' ? 0 : 137 } : {}),
  };
}
