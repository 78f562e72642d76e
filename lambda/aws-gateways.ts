/**
 * Thin adapters over the AWS SDK v3 clients: pagination, batching and error mapping, nothing else.
 * Every call goes through `send`, which refuses operations missing from HANDLER_API_CALLS (the list the IAM policy
 * is built from).
 */
import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
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
  type AutoScalingGateway, DESCRIBE_BATCH, type EcsGateway, type GroupDescription, type GroupInstance, type LifecycleCallResult,
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

export class SdkEcsGateway implements EcsGateway {
  constructor(private readonly client: Sender, private readonly cluster: string) {}

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
      const res = await send<any>(this.client, 'ecs', 'DescribeContainerInstances',
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
      const res = await send<any>(this.client, 'ecs', 'UpdateContainerInstancesState',
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

  async putMarker(containerInstanceArn: string, value: string): Promise<void> {
    await send(this.client, 'ecs', 'PutAttributes', new PutAttributesCommand({
      cluster: this.cluster,
      attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, value, targetType: 'container-instance', targetId: containerInstanceArn }],
    }));
  }

  async deleteMarker(containerInstanceArn: string): Promise<void> {
    await send(this.client, 'ecs', 'DeleteAttributes', new DeleteAttributesCommand({
      cluster: this.cluster,
      attributes: [{ name: DRAIN_MARKER_ATTRIBUTE, targetType: 'container-instance', targetId: containerInstanceArn }],
    }));
  }

  async listTaskArns(containerInstanceArn: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await send<any>(this.client, 'ecs', 'ListTasks', new ListTasksCommand({
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
      const res = await send<any>(this.client, 'ecs', 'DescribeTasks', new DescribeTasksCommand({ cluster: this.cluster, tasks: batch }));
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
    await send(this.client, 'ecs', 'StopTask', new StopTaskCommand({ cluster: this.cluster, task: taskArn, reason }));
  }

  private async listContainerInstanceArns(query: { filter?: string; status?: 'ACTIVE' | 'DRAINING' }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await send<any>(this.client, 'ecs', 'ListContainerInstances', new ListContainerInstancesCommand({
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

function toGroupInstances(instances: any[] | undefined): GroupInstance[] {
  return (instances ?? [])
    .filter((i) => typeof i.InstanceId === 'string' && typeof i.LifecycleState === 'string')
    .map((i) => ({ instanceId: i.InstanceId, lifecycleState: i.LifecycleState }));
}
