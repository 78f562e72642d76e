/**
 * Thin adapters over the AWS SDK v3 clients: pagination, batching, and what AWS's errors mean, nothing else.
 * Every command goes through `call`, which refuses a command whose IAM action is missing from HANDLER_API_CALLS (the
 * list the IAM policy is built from): the action comes from the command's class, not from a string the caller types.
 */
import {
  type Activity,
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  type Instance,
  RecordLifecycleActionHeartbeatCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type ContainerInstance,
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  GetTaskProtectionCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { HANDLER_API_CALLS, iamActionOf } from '../lib/handler-api-calls';
import type { LifecycleResult } from './config';
import type { ContainerInstanceState, TaskState } from './decisions';
import { DRAIN_MARKER_ATTRIBUTE } from './drain-marker';
import {
  type AutoScalingGateway, ClusterNotFoundError, DESCRIBE_BATCH, type EcsGateway, type EventBridgeGateway, type EventEntry,
  type EventEntryResult, type GroupDescription, type GroupInstance, type LifecycleCallResult, type MarkerWrite, PUT_EVENTS_BATCH,
  FIND_BATCH, type StatusFailure, type StatusUpdate, TASK_PROTECTION_BATCH, type TaskProtection, UPDATE_STATE_BATCH, chunk,
} from './ports';

/** A command class: only its identity matters here. */
type CommandClass = abstract new (...args: never[]) => object;

/** The IAM action of every command class the adapters send. */
export const COMMAND_ACTIONS: ReadonlyMap<CommandClass, string> = new Map<CommandClass, string>([
  [ListContainerInstancesCommand, 'ecs:ListContainerInstances'],
  [DescribeContainerInstancesCommand, 'ecs:DescribeContainerInstances'],
  [UpdateContainerInstancesStateCommand, 'ecs:UpdateContainerInstancesState'],
  [PutAttributesCommand, 'ecs:PutAttributes'],
  [DeleteAttributesCommand, 'ecs:DeleteAttributes'],
  [ListTasksCommand, 'ecs:ListTasks'],
  [DescribeTasksCommand, 'ecs:DescribeTasks'],
  [StopTaskCommand, 'ecs:StopTask'],
  [GetTaskProtectionCommand, 'ecs:GetTaskProtection'],
  [CompleteLifecycleActionCommand, 'autoscaling:CompleteLifecycleAction'],
  [RecordLifecycleActionHeartbeatCommand, 'autoscaling:RecordLifecycleActionHeartbeat'],
  [DescribeAutoScalingGroupsCommand, 'autoscaling:DescribeAutoScalingGroups'],
  [DescribeWarmPoolCommand, 'autoscaling:DescribeWarmPool'],
  [DescribeScalingActivitiesCommand, 'autoscaling:DescribeScalingActivities'],
  [PutEventsCommand, 'events:PutEvents'],
  [TerminateInstanceInAutoScalingGroupCommand, 'autoscaling:TerminateInstanceInAutoScalingGroup'],
]);

const ALLOWED = new Set(HANDLER_API_CALLS.map(iamActionOf));

export class UnlistedApiCallError extends Error {
  constructor(action: string) {
    super(`${action} is not in HANDLER_API_CALLS, so the handler's role does not allow it`);
    this.name = 'UnlistedApiCallError';
  }
}

/** Sends `command` with the typed `send` of its client, once its IAM action is known to be granted. */
async function call<C extends object, O>(command: C, send: (command: C) => Promise<O>): Promise<O> {
  const action = COMMAND_ACTIONS.get(command.constructor as CommandClass);
  if (action === undefined || !ALLOWED.has(action)) throw new UnlistedApiCallError(action ?? command.constructor.name);
  return send(command);
}

/** The error code (the SDK's exception name) of an AWS error. */
function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

/**
 * Whether an error the SDK let through (after its own retries) may go away by itself: throttling, a 5xx, or no
 * answer at all (a network error or a timeout). Anything else (access denied, a bad parameter) needs a person.
 */
export function isTransientAwsError(error: unknown): boolean {
  const e = error as { name?: string; $fault?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (e?.$fault === 'server' || e?.$retryable) return true;
  if (/throttl|toomanyrequests|requestlimitexceeded/i.test(e?.name ?? '')) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status === undefined ? e?.$fault === undefined : status >= 500;
}

/** The cluster query for one EC2 instance. ec2InstanceId was validated against /^i-[0-9a-f]+$/, so it cannot break out. */
function instanceFilter(ec2InstanceId: string): string {
  return `ec2InstanceId == ${ec2InstanceId}`;
}

/**
 * The cluster query for several EC2 instances: `ec2InstanceId in [...]` (Amazon ECS Developer Guide, "Create expressions
 * to define container instances": ec2InstanceId takes the in operator). The IDs were validated as above.
 */
function instancesFilter(ec2InstanceIds: readonly string[]): string {
  return ec2InstanceIds.length === 1 ? instanceFilter(ec2InstanceIds[0]) : `ec2InstanceId in [${ec2InstanceIds.map((id) => `'${id}'`).join(', ')}]`;
}

function toInstanceState(ci: ContainerInstance): ContainerInstanceState | undefined {
  if (!ci.containerInstanceArn || !ci.ec2InstanceId || !ci.status) return undefined;
  const marker = (ci.attributes ?? []).find((a) => a.name === DRAIN_MARKER_ATTRIBUTE);
  return {
    arn: ci.containerInstanceArn,
    ec2InstanceId: ci.ec2InstanceId,
    status: ci.status,
    runningTasksCount: ci.runningTasksCount ?? 0,
    pendingTasksCount: ci.pendingTasksCount ?? 0,
    ...(marker?.value !== undefined ? { markerValue: marker.value } : {}),
  };
}

/** The task timestamps that are set, in epoch seconds. */
function epochSecondsOf<K extends string>(dates: Record<K, Date | undefined>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const [key, date] of Object.entries(dates) as Array<[K, Date | undefined]>) {
    if (date instanceof Date && !Number.isNaN(date.getTime())) out[key] = Math.floor(date.getTime() / 1000);
  }
  return out;
}

export class SdkEcsGateway implements EcsGateway {
  constructor(private readonly client: ECSClient, private readonly cluster: string) {}

  isTransient(error: unknown): boolean {
    return isTransientAwsError(error);
  }

  async findContainerInstance(ec2InstanceId: string): Promise<ContainerInstanceState | undefined> {
    const arns = await this.listContainerInstanceArns({ filter: instanceFilter(ec2InstanceId) });
    const described = await this.describeContainerInstances(arns);
    return described.find((ci) => ci.ec2InstanceId === ec2InstanceId);
  }

  async findContainerInstances(ec2InstanceIds: readonly string[]): Promise<Map<string, ContainerInstanceState>> {
    const found = new Map<string, ContainerInstanceState>();
    for (const ids of chunk([...new Set(ec2InstanceIds)], FIND_BATCH)) {
      const arns = await this.listContainerInstanceArns({ filter: instancesFilter(ids) });
      const wanted = new Set(ids);
      for (const ci of await this.describeContainerInstances(arns)) if (wanted.has(ci.ec2InstanceId)) found.set(ci.ec2InstanceId, ci);
    }
    return found;
  }

  async findActiveContainerInstanceArn(ec2InstanceId: string): Promise<string | undefined> {
    const [arn] = await this.listContainerInstanceArns({ filter: instanceFilter(ec2InstanceId), status: 'ACTIVE' });
    return arn;
  }

  async describeContainerInstances(arns: readonly string[]): Promise<ContainerInstanceState[]> {
    const out: ContainerInstanceState[] = [];
    for (const batch of chunk(arns, DESCRIBE_BATCH)) {
      const res = await this.send(new DescribeContainerInstancesCommand({ cluster: this.cluster, containerInstances: batch }),
        (c) => this.client.send(c));
      for (const ci of res.containerInstances ?? []) {
        const state = toInstanceState(ci);
        if (state) out.push(state);
      }
    }
    return out;
  }

  async listDrainingContainerInstances(): Promise<ContainerInstanceState[]> {
    return this.describeContainerInstances(await this.listContainerInstanceArns({ status: 'DRAINING' }));
  }

  async updateStatus(arns: readonly string[], status: 'DRAINING' | 'ACTIVE'): Promise<StatusUpdate> {
    const failures: StatusFailure[] = [];
    const updated: ContainerInstanceState[] = [];
    for (const batch of chunk(arns, UPDATE_STATE_BATCH)) {
      const res = await this.send(new UpdateContainerInstancesStateCommand({ cluster: this.cluster, containerInstances: batch, status }),
        (c) => this.client.send(c));
      for (const f of res.failures ?? []) {
        failures.push({ arn: f.arn ?? '(unknown)', reason: [f.reason, f.detail].filter(Boolean).join(': ') || 'unknown' });
      }
      for (const ci of res.containerInstances ?? []) {
        const state = toInstanceState(ci);
        if (state) updated.push(state);
      }
    }
    return { failures, updated };
  }

  async putMarker(containerInstanceArn: string, value: string): Promise<MarkerWrite> {
    try {
      await this.send(new PutAttributesCommand({
        cluster: this.cluster,
        attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, value, targetType: 'container-instance', targetId: containerInstanceArn }],
      }), (c) => this.client.send(c));
      return 'recorded';
    } catch (error) {
      // "You can specify up to 10 custom attributes for each resource" (ECS API Reference, PutAttributes;
      // AttributeLimitExceededException).
      if (errorName(error) === 'AttributeLimitExceededException') return 'quota-full';
      throw error;
    }
  }

  async deleteMarker(containerInstanceArn: string): Promise<void> {
    await this.send(new DeleteAttributesCommand({
      cluster: this.cluster,
      attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, targetType: 'container-instance', targetId: containerInstanceArn }],
    }), (c) => this.client.send(c));
  }

  async listTaskArns(containerInstanceArn: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.send(new ListTasksCommand({
        cluster: this.cluster, containerInstance: containerInstanceArn, desiredStatus, maxResults: DESCRIBE_BATCH, nextToken,
      }), (c) => this.client.send(c));
      arns.push(...(res.taskArns ?? []));
      nextToken = res.nextToken;
    } while (nextToken);
    return arns;
  }

  async describeTasks(taskArns: readonly string[]): Promise<TaskState[]> {
    const out: TaskState[] = [];
    for (const batch of chunk(taskArns, DESCRIBE_BATCH)) {
      const res = await this.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: batch }), (c) => this.client.send(c));
      for (const t of res.tasks ?? []) {
        if (!t.taskArn) continue;
        out.push({
          arn: t.taskArn,
          lastStatus: t.lastStatus ?? 'UNKNOWN',
          desiredStatus: t.desiredStatus ?? 'UNKNOWN',
          ...(t.group !== undefined ? { group: t.group } : {}),
          ...(t.startedBy !== undefined ? { startedBy: t.startedBy } : {}),
          ...(t.taskDefinitionArn !== undefined ? { taskDefinitionArn: t.taskDefinitionArn } : {}),
          ...epochSecondsOf({ createdAt: t.createdAt, startedAt: t.startedAt, stoppingAt: t.stoppingAt }),
        });
      }
      // A task listed a moment ago that ECS can no longer describe has been cleaned up: it is stopped.
    }
    return out;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    await this.send(new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason }), (c) => this.client.send(c));
  }

  async getTaskProtection(taskArns: readonly string[]): Promise<TaskProtection[]> {
    const out: TaskProtection[] = [];
    for (const batch of chunk(taskArns, TASK_PROTECTION_BATCH)) {
      const res = await this.send(new GetTaskProtectionCommand({ cluster: this.cluster, tasks: batch }), (c) => this.client.send(c));
      for (const t of res.protectedTasks ?? []) {
        if (!t.taskArn) continue;
        out.push({
          arn: t.taskArn, protectionEnabled: t.protectionEnabled === true,
          ...(t.expirationDate !== undefined ? { expiresAt: t.expirationDate.getTime() } : {}),
        });
      }
      for (const f of res.failures ?? []) {
        if (f.arn) out.push({ arn: f.arn, protectionEnabled: false, failure: f.reason ?? 'unknown' });
      }
    }
    return out;
  }

  /**
   * Sends an ECS command. Every ECS call names the cluster: ClusterNotFoundException ("The specified cluster wasn't
   * found", ECS API Reference) becomes a ClusterNotFoundError, the one ECS error the workflow acts on as such.
   */
  private async send<C extends object, O>(command: C, send: (command: C) => Promise<O>): Promise<O> {
    try {
      return await call(command, send);
    } catch (error) {
      if (errorName(error) === 'ClusterNotFoundException') throw new ClusterNotFoundError(this.cluster, error);
      throw error;
    }
  }

  private async listContainerInstanceArns(query: { filter?: string; status?: 'ACTIVE' | 'DRAINING' }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.send(new ListContainerInstancesCommand({
        cluster: this.cluster, ...query, maxResults: DESCRIBE_BATCH, nextToken,
      }), (c) => this.client.send(c));
      arns.push(...(res.containerInstanceArns ?? []));
      nextToken = res.nextToken;
    } while (nextToken);
    return arns;
  }
}

/** Auto Scaling answers a ValidationError like this when no lifecycle action is pending for the instance. */
export function isNoActiveLifecycleAction(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string } | undefined;
  return (e?.name === 'ValidationError' || e?.Code === 'ValidationError')
    && /no active lifecycle action/i.test(e?.message ?? '');
}

/** Scaling activity status codes of an activity that has ended (Auto Scaling API Reference, Activity). */
const ENDED_ACTIVITY = new Set(['Successful', 'Failed', 'Cancelled']);
/** The EC2 instance an activity is about, as its description names it ("Terminating EC2 instance: i-0123…"). */
const INSTANCE_IN_DESCRIPTION = /\bi-[0-9a-f]{8,17}\b/;
/** How many pages of activities (100 each) a sweep reads at most to find when terminations began. */
const MAX_ACTIVITY_PAGES = 5;

export class SdkAutoScalingGateway implements AutoScalingGateway {
  constructor(
    private readonly client: AutoScalingClient,
    private readonly autoScalingGroupName: string,
    private readonly lifecycleHookName: string,
  ) {}

  async completeLifecycleAction(instanceId: string, result: LifecycleResult): Promise<LifecycleCallResult> {
    return this.lifecycleCall(() => call(new CompleteLifecycleActionCommand({
      AutoScalingGroupName: this.autoScalingGroupName,
      LifecycleHookName: this.lifecycleHookName,
      InstanceId: instanceId,
      LifecycleActionResult: result,
    }), (c) => this.client.send(c)));
  }

  async recordHeartbeat(instanceId: string): Promise<LifecycleCallResult> {
    return this.lifecycleCall(() => call(new RecordLifecycleActionHeartbeatCommand({
      AutoScalingGroupName: this.autoScalingGroupName,
      LifecycleHookName: this.lifecycleHookName,
      InstanceId: instanceId,
    }), (c) => this.client.send(c)));
  }

  async describeGroup(): Promise<GroupDescription> {
    const res = await call(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.autoScalingGroupName] }), (c) => this.client.send(c));
    const group = (res.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === this.autoScalingGroupName);
    return {
      instances: toGroupInstances(group?.Instances),
      hasWarmPool: group?.WarmPoolConfiguration !== undefined,
      // RetentionAction: retain | terminate (Auto Scaling API Reference, RetentionTriggers); some pages spell it Retain.
      retainsOnAbandon: group?.InstanceLifecyclePolicy?.RetentionTriggers?.TerminateHookAbandon?.toLowerCase() === 'retain',
    };
  }

  async terminateRetainedInstance(instanceId: string): Promise<void> {
    // The single-instance form (InstanceId alone): the group is the instance's own, which the role's statement scopes.
    await call(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }),
      (c) => this.client.send(c));
  }

  async describeWarmPoolInstances(): Promise<GroupInstance[]> {
    const out: GroupInstance[] = [];
    let nextToken: string | undefined;
    do {
      const res = await call(new DescribeWarmPoolCommand({ AutoScalingGroupName: this.autoScalingGroupName, NextToken: nextToken }),
        (c) => this.client.send(c));
      out.push(...toGroupInstances(res.Instances));
      nextToken = res.NextToken;
    } while (nextToken);
    return out;
  }

  async terminationStartTimes(instanceIds: readonly string[]): Promise<Map<string, number>> {
    const ms = await this.terminationStartTimesMs(instanceIds);
    return new Map([...ms].map(([id, at]) => [id, Math.floor(at / 1000)]));
  }

  async terminationStartTimesMs(instanceIds: readonly string[]): Promise<Map<string, number>> {
    const wanted = new Set(instanceIds);
    const found = new Map<string, number>();
    let nextToken: string | undefined;
    let pages = 0;
    // Newest first, 100 a page; the activity of a waiting termination is recent, so a few pages are enough.
    do {
      const res = await call(new DescribeScalingActivitiesCommand({
        AutoScalingGroupName: this.autoScalingGroupName, MaxRecords: 100, NextToken: nextToken,
      }), (c) => this.client.send(c));
      for (const activity of res.Activities ?? []) {
        const instanceId = activityInstance(activity);
        if (!instanceId || !wanted.has(instanceId) || !activity.StartTime) continue;
        const startedAt = activity.StartTime.getTime();
        found.set(instanceId, Math.min(startedAt, found.get(instanceId) ?? startedAt));
      }
      nextToken = res.NextToken;
      pages += 1;
    } while (nextToken && found.size < wanted.size && pages < MAX_ACTIVITY_PAGES);
    return found;
  }

  private async lifecycleCall(send: () => Promise<unknown>): Promise<LifecycleCallResult> {
    try {
      await send();
      return 'done';
    } catch (error) {
      if (isNoActiveLifecycleAction(error)) return 'gone';
      throw error;
    }
  }
}

/** The instance a scaling activity that has not ended is about, if its description names one. */
function activityInstance(activity: Activity): string | undefined {
  if (ENDED_ACTIVITY.has(String(activity.StatusCode))) return undefined;
  return INSTANCE_IN_DESCRIPTION.exec(activity.Description ?? '')?.[0];
}

function toGroupInstances(instances: readonly Instance[] | undefined): GroupInstance[] {
  return (instances ?? [])
    .filter((i): i is Instance & { InstanceId: string; LifecycleState: string } => typeof i.InstanceId === 'string' && typeof i.LifecycleState === 'string')
    .map((i) => ({ instanceId: i.InstanceId, lifecycleState: i.LifecycleState }));
}

/**
 * PutEvents to the account's default event bus (no EventBusName: "If you omit this, the default event bus is used",
 * EventBridge API Reference, PutEventsRequestEntry). A request is at most 10 entries (PutEvents, Entries); each
 * entry's own result says whether it was taken, for "FailedEntryCount" entries it was not.
 */
export class SdkEventBridgeGateway implements EventBridgeGateway {
  constructor(private readonly client: EventBridgeClient) {}

  async putEvents(entries: readonly EventEntry[]): Promise<EventEntryResult[]> {
    const results: EventEntryResult[] = [];
    for (const batch of chunk(entries, PUT_EVENTS_BATCH)) {
      const res = await call(new PutEventsCommand({
        Entries: batch.map((e) => ({
          Source: e.source, DetailType: e.detailType, Detail: e.detail, Resources: [...e.resources], Time: new Date(e.time),
        })),
      }), (c) => this.client.send(c));
      batch.forEach((_, i) => {
        const entry = res.Entries?.[i];
        results.push(entry?.EventId
          ? { eventId: entry.EventId }
          : { errorCode: entry?.ErrorCode ?? 'NoResult', errorMessage: entry?.ErrorMessage ?? 'EventBridge returned no result for the entry' });
      });
    }
    return results;
  }
}
