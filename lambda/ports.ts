/**
 * The minimal interfaces the drain logic needs from AWS and from the runtime. The SDK adapters in
 * aws-gateways.ts implement them; tests may implement them too.
 */
import type { LifecycleResult } from './config';
import type { ContainerInstanceState, TaskState } from './decisions';

/** ListTasks, ListContainerInstances, DescribeTasks and DescribeContainerInstances take at most 100 items. */
export const DESCRIBE_BATCH = 100;
/** GetTaskProtection takes "a list of up to 100 task IDs or full ARN entries" (ECS API Reference). */
export const TASK_PROTECTION_BATCH = 100;
/** EC2 instances looked up with one `ec2InstanceId in [...]` query: as many as a lifecycle batch holds. */
export const FIND_BATCH = 10;
/** UpdateContainerInstancesState takes at most 10 container instances. */
export const UPDATE_STATE_BATCH = 10;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface EcsGateway {
  /**
   * Whether an error of this gateway (after the SDK's own retries) may go away by itself: throttling, a 5xx, or no
   * answer at all. Anything else (access denied, a bad parameter) needs a person. The adapter classifies SDK errors,
   * so the workflow never looks into them itself.
   */
  isTransient(error: unknown): boolean;
  /** The container instance of an EC2 instance in the cluster, or undefined if it is not registered (or INACTIVE). */
  findContainerInstance(ec2InstanceId: string): Promise<ContainerInstanceState | undefined>;
  /**
   * The container instances of several EC2 instances in the cluster (any status but INACTIVE), by EC2 instance ID:
   * one ListContainerInstances with an `ec2InstanceId in [...]` query per {@link FIND_BATCH} instances, and one
   * DescribeContainerInstances per 100 found. Instances not registered are left out.
   */
  findContainerInstances(ec2InstanceIds: readonly string[]): Promise<Map<string, ContainerInstanceState>>;
  /** Describes container instances (any number; batched by 100). Unknown ARNs are left out. */
  describeContainerInstances(arns: readonly string[]): Promise<ContainerInstanceState[]>;
  /** Every DRAINING container instance of the cluster (paginated, described in batches of 100). */
  listDrainingContainerInstances(): Promise<ContainerInstanceState[]>;
  /**
   * The ARN of the container instance of an EC2 instance if it is ACTIVE: one ListContainerInstances call, with no
   * DescribeContainerInstances, for the common case of a lifecycle event.
   */
  findActiveContainerInstanceArn(ec2InstanceId: string): Promise<string | undefined>;
  /**
   * Sets the status of container instances (batched by 10). Returns the failures ECS reported, and the container
   * instances it updated as its answer describes them (counts as of the update).
   */
  updateStatus(arns: readonly string[], status: 'DRAINING' | 'ACTIVE'): Promise<StatusUpdate>;
  /**
   * Writes the drain marker attribute. `quota-full`: ECS refused it with AttributeLimitExceededException (the
   * instance already carries 10 custom attributes, ECS's limit per resource), and nothing was written.
   */
  putMarker(containerInstanceArn: string, value: string): Promise<MarkerWrite>;
  deleteMarker(containerInstanceArn: string): Promise<void>;
  /** Every task ARN on the instance with this desired status (paginated by 100). */
  listTaskArns(containerInstanceArn: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]>;
  /** Describes tasks (any number; batched by 100). */
  describeTasks(taskArns: readonly string[]): Promise<TaskState[]>;
  stopTask(taskArn: string, reason: string): Promise<void>;
  /** The scale-in protection of these tasks, as GetTaskProtection answers it (any number; batched by 100). */
  getTaskProtection(taskArns: readonly string[]): Promise<TaskProtection[]>;
}

/** What GetTaskProtection says of one task: an entry of `protectedTasks`, or of `failures`. */
export interface TaskProtection {
  readonly arn: string;
  /** `protectionEnabled` as ECS answered it; false when ECS answered a failure for the task. */
  readonly protectionEnabled: boolean;
  /** `expirationDate`, epoch milliseconds, when ECS gave one. */
  readonly expiresAt?: number;
  /** The failure reason ECS answered instead of a status (TASK_NOT_VALID for a task of no service, ...). */
  readonly failure?: string;
}

export type MarkerWrite = 'recorded' | 'quota-full';

/**
 * ECS answered ClusterNotFoundException: the cluster does not exist (deleted, or a wrong name), so nothing in it can
 * be drained. Thrown by the ECS adapter so that the workflow can tell it from every other error.
 */
export class ClusterNotFoundError extends Error {
  constructor(readonly cluster: string, cause: unknown) {
    super(`ECS cluster ${cluster} was not found (ClusterNotFoundException): ${(cause as Error)?.message ?? cause}`);
    this.name = 'ClusterNotFoundError';
  }
}

export interface StatusUpdate {
  readonly failures: readonly StatusFailure[];
  readonly updated: readonly ContainerInstanceState[];
}

export interface StatusFailure {
  readonly arn: string;
  readonly reason: string;
}

/** Result of a lifecycle action call: `gone` means no lifecycle action is pending (already completed or expired). */
export type LifecycleCallResult = 'done' | 'gone';

export interface GroupInstance {
  readonly instanceId: string;
  readonly lifecycleState: string;
}

/** What DescribeAutoScalingGroups tells about the group. */
export interface GroupDescription {
  /** The in-service side of the group (not the warm pool). */
  readonly instances: readonly GroupInstance[];
  /** Whether the group has a warm pool (WarmPoolConfiguration present). */
  readonly hasWarmPool: boolean;
  /**
   * Whether the group's instance lifecycle policy retains an instance whose termination lifecycle action is abandoned
   * (`InstanceLifecyclePolicy.RetentionTriggers.TerminateHookAbandon` is `retain`).
   */
  readonly retainsOnAbandon: boolean;
}

export interface AutoScalingGateway {
  completeLifecycleAction(instanceId: string, result: LifecycleResult): Promise<LifecycleCallResult>;
  recordHeartbeat(instanceId: string): Promise<LifecycleCallResult>;
  /**
   * TerminateInstanceInAutoScalingGroup without decrementing the desired capacity: how AWS says to terminate a
   * retained instance (EC2 Auto Scaling User Guide, "Manage retained instances"). Retained instances do not count
   * toward the desired capacity, so the group has replaced the instance already.
   */
  terminateRetainedInstance(instanceId: string): Promise<void>;
  describeGroup(): Promise<GroupDescription>;
  describeWarmPoolInstances(): Promise<GroupInstance[]>;
  /**
   * When Auto Scaling began terminating each of these instances (epoch seconds): the start time of the scaling
   * activity, not yet ended, whose description names the instance. Instances whose activity is not found among the
   * group's recent activities are left out.
   */
  terminationStartTimes(instanceIds: readonly string[]): Promise<Map<string, number>>;
  /** {@link terminationStartTimes} in milliseconds since the epoch, as precise as Auto Scaling answers. */
  terminationStartTimesMs(instanceIds: readonly string[]): Promise<Map<string, number>>;
}

/** One PutEvents entry (EventBridge API Reference, PutEventsRequestEntry). */
export interface EventEntry {
  readonly source: string;
  readonly detailType: string;
  /** The detail, as the JSON text EventBridge takes. */
  readonly detail: string;
  readonly resources: readonly string[];
  /** When it happened, epoch ms. */
  readonly time: number;
}

/** What EventBridge answered for one entry: an event ID, or the error code and message of a failed entry. */
export type EventEntryResult =
  | { readonly eventId: string }
  | { readonly errorCode: string; readonly errorMessage: string };

export interface EventBridgeGateway {
  /**
   * Puts entries on the account's default event bus, at most {@link PUT_EVENTS_BATCH} at a time. Returns one result per
   * entry, in order; a request EventBridge refused as a whole (or that got no answer) throws.
   */
  putEvents(entries: readonly EventEntry[]): Promise<EventEntryResult[]>;
}

/** PutEvents takes 1 to 10 entries (EventBridge API Reference, PutEvents: Entries). */
export const PUT_EVENTS_BATCH = 10;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}
