/**
 * Thin adapters over the AWS SDK v3 clients: pagination, batching and error mapping, nothing else.
 * Every call goes through `send`, which refuses operations missing from HANDLER_API_CALLS (the list the IAM policy
 * is built from).
 */
import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type Attribute,
  type ContainerInstance,
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { HANDLER_API_CALLS } from '../lib/handler-api-calls';
import type { LifecycleResult } from './config';
import type { ContainerInstanceState, TaskState } from './decisions';
import { DRAIN_MARKER_ATTRIBUTE } from './drain-marker';
import {
  type AutoScalingGateway, ClusterNotFoundError, DESCRIBE_BATCH, type MarkerWrite, type EcsGateway, type GroupDescription, type GroupInstance, type LifecycleCallResult,
  type StatusFailure, type StatusUpdate, UPDATE_STATE_BATCH, chunk,
} from './ports';


const ALLOWED = new Set(HANDLER_API_CALLS.map((c) => `${c.service}:${c.operation}`));

export class UnlistedApiCallError extends Error {
  constructor(action: string) {
    super(`${action} is not in HANDLER_API_CALLS, so the handler's role does not allow it`);
    this.name = 'UnlistedApiCallError';
  }
}

interface Sender { send(command: any): Promise<any> }

async function send<T>(client: Sender, service: 'ecs' | 'autoscaling', operation: string, command: unknown): Promise<T> {
  const action = `${service}:${operation}`;
  if (!ALLOWED.has(action)) throw new UnlistedApiCallError(action);
  return client.send(command) as Promise<T>;
}

/** The cluster query for one EC2 instance. ec2InstanceId was validated against /^i-[0-9a-f]+$/, so it cannot break out. */
function instanceFilter(ec2InstanceId: string): string {
  return `ec2InstanceId == ${ec2InstanceId}`;
}

function toInstanceState(ci: ContainerInstance): ContainerInstanceState | undefined {
  if (!ci.containerInstanceArn || !ci.ec2InstanceId || !ci.status) return undefined;
  const marker = (ci.attributes ?? []).find((a: Attribute) => a.name === DRAIN_MARKER_ATTRIBUTE);
  return {
    arn: ci.containerInstanceArn,
    ec2InstanceId: ci.ec2InstanceId,
    status: ci.status,
    runningTasksCount: ci.runningTasksCount ?? 0,
    pendingTasksCount: ci.pendingTasksCount ?? 0,
    ...(marker?.value !== undefined ? { markerValue: marker.value } : {}),
  };
}

/** The error code (the SDK's exception name) of an AWS error. */
function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export class SdkEcsGateway implements EcsGateway {
  constructor(private readonly client: Sender, private readonly cluster: string) {}

  /**
   * Sends an ECS command. Every ECS call names the cluster: ClusterNotFoundException ("The specified cluster wasn't
   * found", ECS API Reference, Common Errors of each action) becomes a ClusterNotFoundError, the one ECS error the
   * workflow acts on as such.
   */
  private async send<T>(operation: string, command: unknown): Promise<T> {
    try {
      return await send<T>(this.client, 'ecs', operation, command);
    } catch (error) {
      if (errorName(error) === 'ClusterNotFoundException') throw new ClusterNotFoundError(this.cluster, error);
      throw error;
    }
  }

  async findContainerInstance(ec2InstanceId: string): Promise<ContainerInstanceState | undefined> {
    const arns = await this.listContainerInstanceArns({ filter: instanceFilter(ec2InstanceId) });
    const described = await this.describeContainerInstances(arns);
    return described.find((ci) => ci.ec2InstanceId === ec2InstanceId);
  }

  async findActiveContainerInstanceArn(ec2InstanceId: string): Promise<string | undefined> {
    const [arn] = await this.listContainerInstanceArns({ filter: instanceFilter(ec2InstanceId), status: 'ACTIVE' });
    return arn;
  }

  async describeContainerInstances(arns: readonly string[]): Promise<ContainerInstanceState[]> {
    const out: ContainerInstanceState[] = [];
    for (const batch of chunk(arns, DESCRIBE_BATCH)) {
      const res = await this.send<any>('DescribeContainerInstances',
        new DescribeContainerInstancesCommand({ cluster: this.cluster, containerInstances: batch }));
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
      const res = await this.send<any>('UpdateContainerInstancesState',
        new UpdateContainerInstancesStateCommand({ cluster: this.cluster, containerInstances: batch, status }));
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
      await this.send('PutAttributes', new PutAttributesCommand({
        cluster: this.cluster,
        attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, value, targetType: 'container-instance', targetId: containerInstanceArn }],
      }));
      return 'recorded';
    } catch (error) {
      // "You can apply up to 10 custom attributes for each resource" (ECS API Reference, PutAttributes;
      // AttributeLimitExceededException).
      if (errorName(error) === 'AttributeLimitExceededException') return 'quota-full';
      throw error;
    }
  }

  async deleteMarker(containerInstanceArn: string): Promise<void> {
    await this.send('DeleteAttributes', new DeleteAttributesCommand({
      cluster: this.cluster,
      attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, targetType: 'container-instance', targetId: containerInstanceArn }],
    }));
  }

  async listTaskArns(containerInstanceArn: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.send<any>('ListTasks', new ListTasksCommand({
        cluster: this.cluster, containerInstance: containerInstanceArn, desiredStatus, maxResults: DESCRIBE_BATCH, nextToken,
      }));
      arns.push(...(res.taskArns ?? []));
      nextToken = res.nextToken;
    } while (nextToken);
    return arns;
  }

  async describeTasks(taskArns: readonly string[]): Promise<TaskState[]> {
    const out: TaskState[] = [];
    for (const batch of chunk(taskArns, DESCRIBE_BATCH)) {
      const res = await this.send<any>('DescribeTasks', new DescribeTasksCommand({ cluster: this.cluster, tasks: batch }));
      for (const t of res.tasks ?? []) {
        if (!t.taskArn) continue;
        out.push({
          arn: t.taskArn,
          lastStatus: t.lastStatus ?? 'UNKNOWN',
          desiredStatus: t.desiredStatus ?? 'UNKNOWN',
          ...(t.group !== undefined ? { group: t.group } : {}),
        });
      }
      // A task listed a moment ago that ECS can no longer describe has been cleaned up: it is stopped.
    }
    return out;
  }

  async stopTask(taskArn: string, reason: string): Promise<void> {
    await this.send('StopTask', new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason }));
  }

  private async listContainerInstanceArns(query: { filter?: string; status?: 'ACTIVE' | 'DRAINING' }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.send<any>('ListContainerInstances', new ListContainerInstancesCommand({
        cluster: this.cluster, ...query, maxResults: DESCRIBE_BATCH, nextToken,
      }));
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

export class SdkAutoScalingGateway implements AutoScalingGateway {
  constructor(
    private readonly client: Sender,
    private readonly autoScalingGroupName: string,
    private readonly lifecycleHookName: string,
  ) {}

  async completeLifecycleAction(instanceId: string, result: LifecycleResult): Promise<LifecycleCallResult> {
    return this.lifecycleCall('CompleteLifecycleAction', new CompleteLifecycleActionCommand({
      AutoScalingGroupName: this.autoScalingGroupName,
      LifecycleHookName: this.lifecycleHookName,
      InstanceId: instanceId,
      LifecycleActionResult: result,
    }));
  }

  async recordHeartbeat(instanceId: string): Promise<LifecycleCallResult> {
    return this.lifecycleCall('RecordLifecycleActionHeartbeat', new RecordLifecycleActionHeartbeatCommand({
      AutoScalingGroupName: this.autoScalingGroupName,
      LifecycleHookName: this.lifecycleHookName,
      InstanceId: instanceId,
    }));
  }

  async describeGroup(): Promise<GroupDescription> {
    const res = await send<any>(this.client, 'autoscaling', 'DescribeAutoScalingGroups',
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.autoScalingGroupName] }));
    const group = (res.AutoScalingGroups ?? []).find((g: any) => g.AutoScalingGroupName === this.autoScalingGroupName);
    return { instances: toGroupInstances(group?.Instances), hasWarmPool: group?.WarmPoolConfiguration !== undefined };
  }

  async describeWarmPoolInstances(): Promise<GroupInstance[]> {
    const out: GroupInstance[] = [];
    let nextToken: string | undefined;
    do {
      const res = await send<any>(this.client, 'autoscaling', 'DescribeWarmPool',
        new DescribeWarmPoolCommand({ AutoScalingGroupName: this.autoScalingGroupName, NextToken: nextToken }));
      out.push(...toGroupInstances(res.Instances));
      nextToken = res.NextToken;
    } while (nextToken);
    return out;
  }

  async terminationStartTimes(instanceIds: readonly string[]): Promise<Map<string, number>> {
    const wanted = new Set(instanceIds);
    const found = new Map<string, number>();
    let nextToken: string | undefined;
    let pages = 0;
    // Newest first, 100 a page; the activity of a waiting termination is recent, so a few pages are enough.
    do {
      const res = await send<any>(this.client, 'autoscaling', 'DescribeScalingActivities', new DescribeScalingActivitiesCommand({
        AutoScalingGroupName: this.autoScalingGroupName, MaxRecords: 100, NextToken: nextToken,
      }));
      for (const activity of res.Activities ?? []) {
        if (ENDED_ACTIVITY.has(activity.StatusCode) || !(activity.StartTime instanceof Date)) continue;
        const instanceId = INSTANCE_IN_DESCRIPTION.exec(String(activity.Description ?? ''))?.[0];
        if (!instanceId || !wanted.has(instanceId)) continue;
        const startedAt = Math.floor(activity.StartTime.getTime() / 1000);
        found.set(instanceId, Math.min(startedAt, found.get(instanceId) ?? startedAt));
      }
      nextToken = res.NextToken;
      pages += 1;
    } while (nextToken && found.size < wanted.size && pages < MAX_ACTIVITY_PAGES);
    return found;
  }

  private async lifecycleCall(operation: string, command: unknown): Promise<LifecycleCallResult> {
    try {
      await send(this.client, 'autoscaling', operation, command);
      return 'done';
    } catch (error) {
      if (isNoActiveLifecycleAction(error)) return 'gone';
      throw error;
    }
  }
}

/** Scaling activity status codes of an activity that has ended (Auto Scaling API Reference, Activity). */
const ENDED_ACTIVITY = new Set(['Successful', 'Failed', 'Cancelled']);
/** The EC2 instance an activity is about, as its description names it ("Terminating EC2 instance: i-0123…"). */
const INSTANCE_IN_DESCRIPTION = /\bi-[0-9a-f]{8,17}\b/;
/** How many pages of activities (100 each) a sweep reads at most to find when terminations began. */
const MAX_ACTIVITY_PAGES = 5;

function toGroupInstances(instances: any[] | undefined): GroupInstance[] {
  return (instances ?? [])
    .filter((i) => typeof i.InstanceId === 'string' && typeof i.LifecycleState === 'string')
    .map((i) => ({ instanceId: i.InstanceId, lifecycleState: i.LifecycleState }));
}
