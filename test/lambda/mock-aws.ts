/**
 * aws-sdk-client-mock handlers backed by a small in-memory state, so SDK-level tests read as scenarios.
 * (Behaviour over time, throttling with real SDK retries and the wire protocols are covered by the emulator tests.)
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  GetTaskProtectionCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { CLUSTER_NAME, containerInstanceArn, taskArn } from './fixtures';

export interface FakeTask {
  arn: string;
  containerInstanceArn: string;
  lastStatus: string;
  desiredStatus: string;
  group: string;
  /** Scale-in protection, as UpdateTaskProtection set it (service tasks only). */
  protection?: { enabled: boolean; expiresAt?: Date };
  /** The deployment ID of a service task; unset for a standalone task. */
  startedBy?: string;
  taskDefinitionArn: string;
  createdAt: Date;
  startedAt: Date;
  stoppingAt?: Date;
}

/** When every fake task was created and started. */
export const TASK_CREATED_AT = new Date(Date.UTC(2026, 10, 23, 9, 0, 0));
export const TASK_STARTED_AT = new Date(Date.UTC(2026, 10, 23, 9, 0, 30));

export interface FakeInstance {
  arn: string;
  ec2InstanceId: string;
  status: string;
  attributes: Map<string, string>;
}

export class ValidationError extends Error {
  readonly $fault = 'client';
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class FakeAws {
  readonly ecs = mockClient(ECSClient);
  readonly autoScaling = mockClient(AutoScalingClient);
  readonly eventBridge = mockClient(EventBridgeClient);
  /** Every entry PutEvents took, its Detail parsed. */
  readonly events: Array<{ source: string; detailType: string; detail: Record<string, any>; resources: string[]; time?: Date }> = [];
  /** How PutEvents fails: the whole request throws, or every entry comes back failed. */
  putEventsFault?: 'throw' | 'fail-entries';
  readonly instances: FakeInstance[] = [];
  readonly tasks: FakeTask[] = [];
  /** Instance id -> lifecycle action state of our hook. */
  readonly actions = new Map<string, 'pending' | { result: string }>();
  readonly heartbeats: string[] = [];
  readonly groupStates = new Map<string, string>();
  readonly warmPoolStates = new Map<string, string>();
  /** Runs after each ListTasks answer: lets a test change the world between two calls of one check. */
  afterListTasks?: () => void;
  /** Leaves these container instances out of UpdateContainerInstancesState answers (updated, but not reported). */
  readonly unreportedUpdates = new Set<string>();
  /** The group's scaling activities, newest first, as DescribeScalingActivities returns them. */
  readonly activities: Array<{ ActivityId: string; Description: string; StartTime: Date; StatusCode: string }> = [];
  /**
   * The group's instance lifecycle policy retains instances whose termination action is abandoned
   * (RetentionTriggers.TerminateHookAbandon: retain): ABANDON moves them to Terminating:Retained.
   */
  retainOnAbandon = false;
  /** Whether DescribeAutoScalingGroups shows the policy (an SDK that predates InstanceLifecyclePolicy reads none). */
  policyInAnswer = true;
  /** Whether TerminateInstanceInAutoScalingGroup of a retained instance runs the termination hooks again. */
  retainedTerminationRunsHooks = true;
  /** Every TerminateInstanceInAutoScalingGroup call: the instance and ShouldDecrementDesiredCapacity. */
  readonly terminations: Array<{ instanceId: string; decrement: boolean | undefined }> = [];
  private nextTask = 1;

  constructor() {
    this.install();
  }

  addInstance(ec2InstanceId: string, status = 'ACTIVE', n = this.instances.length + 1): FakeInstance {
    const ci = { arn: containerInstanceArn(n), ec2InstanceId, status, attributes: new Map<string, string>() };
    this.instances.push(ci);
    return ci;
  }

  addTasks(ci: FakeInstance, count: number, lastStatus = 'RUNNING', desiredStatus = 'RUNNING', group = 'service:web'): FakeTask[] {
    const family = group.replace(/^(service|family):/, '');
    const added: FakeTask[] = Array.from({ length: count }, () => ({
      arn: taskArn(this.nextTask++), containerInstanceArn: ci.arn, lastStatus, desiredStatus, group,
      ...(group.startsWith('service:') ? { startedBy: 'ecs-svc/1234567890123456789' } : {}),
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:7`,
      createdAt: TASK_CREATED_AT, startedAt: TASK_STARTED_AT,
    }));
    this.tasks.push(...added);
    return added;
  }

  /** Scale-in: the instance enters Terminating:Wait with a pending lifecycle action. */
  terminate(ec2InstanceId: string, startedAt?: Date): void {
    this.actions.set(ec2InstanceId, 'pending');
    this.groupStates.set(ec2InstanceId, 'Terminating:Wait');
    if (startedAt) {
      this.activities.unshift({ ActivityId: `a-${this.activities.length}`, Description: `Terminating EC2 instance: ${ec2InstanceId}`, StartTime: startedAt, StatusCode: 'InProgress' });
    }
  }

  /** Scale-in into the warm pool (instance reuse policy): the instance waits in Warmed:Pending:Wait. */
  scaleInToWarmPool(ec2InstanceId: string): void {
    this.actions.set(ec2InstanceId, 'pending');
    this.groupStates.delete(ec2InstanceId);
    this.warmPoolStates.set(ec2InstanceId, 'Warmed:Pending:Wait');
  }

  /** Custom attributes set through ECS_INSTANCE_ATTRIBUTES, filling ECS's quota of 10 per resource. */
  fillAttributes(ci: FakeInstance, count = 10): void {
    for (let i = 0; i < count; i++) ci.attributes.set(`team.attribute-${i}`, 'x');
  }

  /** UpdateTaskProtection on these tasks: protected for `minutes` from `now` (ECS's default is 120 minutes). */
  protect(tasks: readonly FakeTask[], now: Date, minutes = 120): void {
    for (const t of tasks) t.protection = { enabled: true, expiresAt: new Date(now.getTime() + minutes * 60_000) };
  }

  /** What ECS does when an instance is DRAINING: service tasks are told to stop (they are not stopped yet). */
  applyDraining(): void {
    for (const t of this.tasks) {
      const ci = this.instances.find((i) => i.arn === t.containerInstanceArn);
      if (ci?.status === 'DRAINING' && t.group.startsWith('service:') && t.desiredStatus === 'RUNNING') {
        t.desiredStatus = 'STOPPED';
        t.lastStatus = 'DEACTIVATING';
      }
    }
  }

  stopAll(ci: FakeInstance): void {
    for (const t of this.tasks.filter((x) => x.containerInstanceArn === ci.arn)) {
      t.desiredStatus = 'STOPPED';
      t.lastStatus = 'STOPPED';
    }
  }

  completedWith(ec2InstanceId: string): string | undefined {
    const a = this.actions.get(ec2InstanceId);
    return a && a !== 'pending' ? a.result : undefined;
  }

  /** Names of the commands sent, in order. */
  calls(): string[] {
    // sinon numbers every spy call globally, which restores the order across the two clients
    return [...this.ecs.calls(), ...this.autoScaling.calls()]
      .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
      .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
  }

  mutatingCalls(): string[] {
    const mutating = new Set(['UpdateContainerInstancesState', 'PutAttributes', 'DeleteAttributes', 'StopTask', 'CompleteLifecycleAction',
      'RecordLifecycleActionHeartbeat', 'TerminateInstanceInAutoScalingGroup']);
    return this.calls().filter((c) => mutating.has(c));
  }

  restore(): void {
    this.ecs.restore();
    this.autoScaling.restore();
    this.eventBridge.restore();
  }

  /** The detail-types of the events put, in order. */
  eventTypes(): string[] {
    return this.events.map((e) => e.detailType);
  }

  private counts(ci: FakeInstance) {
    const mine = this.tasks.filter((t) => t.containerInstanceArn === ci.arn && t.desiredStatus === 'RUNNING');
    return {
      runningTasksCount: mine.filter((t) => t.lastStatus !== 'PENDING').length,
      pendingTasksCount: mine.filter((t) => t.lastStatus === 'PENDING').length,
    };
  }

  private describeInstance(ci: FakeInstance) {
    return {
      containerInstanceArn: ci.arn,
      ec2InstanceId: ci.ec2InstanceId,
      status: ci.status,
      ...this.counts(ci),
      attributes: [...ci.attributes].map(([name, value]) => ({ name, value })),
    };
  }

  private page<T>(items: T[], maxResults = 100, nextToken?: string) {
    const start = nextToken ? Number(nextToken) : 0;
    const end = start + maxResults;
    return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
  }

  private lifecycle(instanceId: string, onPending: () => void) {
    if (this.actions.get(instanceId) !== 'pending') {
      throw new ValidationError(`No active Lifecycle Action found with instance ID ${instanceId}`);
    }
    onPending();
    return {};
  }

  private install(): void {
    this.eventBridge.on(PutEventsCommand).callsFake((input) => {
      if (this.putEventsFault === 'throw') {
        throw Object.assign(new Error('User is not authorized to perform: events:PutEvents'), { name: 'AccessDeniedException', $fault: 'client' });
      }
      const entries = input.Entries ?? [];
      if (this.putEventsFault === 'fail-entries') {
        return { FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure' })) };
      }
      for (const e of entries) {
        this.events.push({ source: e.Source!, detailType: e.DetailType!, detail: JSON.parse(e.Detail!), resources: e.Resources ?? [], time: e.Time });
      }
      return { FailedEntryCount: 0, Entries: entries.map((_: unknown, i: number) => ({ EventId: `event-${this.events.length - entries.length + i}` })) };
    });
    this.ecs.on(ListContainerInstancesCommand).callsFake((input) => {
      if (input.cluster !== CLUSTER_NAME) throw Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' });
      // `ec2InstanceId == i-…` or `ec2InstanceId in ['i-…', …]` (Amazon ECS cluster query language)
      const byId = /^ec2InstanceId == (i-[0-9a-f]+)$/.exec(input.filter ?? '');
      const inList = /^ec2InstanceId in \[(.*)\]$/.exec(input.filter ?? '');
      const ids = byId ? [byId[1]] : inList ? inList[1].split(',').map((x) => x.trim().replace(/^'(.*)'$/, '$1')) : undefined;
      if (input.filter !== undefined && !ids) throw new Error(`unsupported filter ${input.filter}`);
      const matches = this.instances.filter((ci) => (ids ? ids.includes(ci.ec2InstanceId) : true)
        // AWS: without a status filter, every status other than INACTIVE is listed
        && (input.status ? ci.status === input.status : ci.status !== 'INACTIVE'));
      const { items, nextToken } = this.page(matches.map((ci) => ci.arn), input.maxResults, input.nextToken);
      return { containerInstanceArns: items, nextToken };
    });
    this.ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances?: string[] }) => {
      const arns: string[] = input.containerInstances ?? [];
      if (arns.length > 100) throw new Error('InvalidParameterException: more than 100');
      const found = arns.map((arn) => this.instances.find((ci) => ci.arn === arn));
      return {
        containerInstances: found.filter((ci): ci is FakeInstance => !!ci).map((ci) => this.describeInstance(ci)),
        failures: arns.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
      };
    });
    this.ecs.on(UpdateContainerInstancesStateCommand).callsFake((input) => {
      if ((input.containerInstances ?? []).length > 10) throw new Error('InvalidParameterException: more than 10');
      const updated = [];
      for (const arn of input.containerInstances ?? []) {
        const ci = this.instances.find((i) => i.arn === arn);
        if (ci) {
          ci.status = input.status!;
          if (!this.unreportedUpdates.has(arn)) updated.push(this.describeInstance(ci));
        }
      }
      return { containerInstances: updated, failures: [] };
    });
    this.ecs.on(PutAttributesCommand).callsFake((input) => {
      for (const a of input.attributes ?? []) {
        const attributes = this.instances.find((i) => i.arn === a.targetId)!.attributes;
        const custom = [...attributes.keys()].filter((n) => !n.startsWith('ecs.') && !n.startsWith('com.amazonaws.ecs.'));
        if (!attributes.has(a.name!) && custom.length >= 10) {
          throw Object.assign(new Error('You can apply up to 10 custom attributes per resource.'), { name: 'AttributeLimitExceededException', $fault: 'client' });
        }
      }
      for (const a of input.attributes ?? []) this.instances.find((i) => i.arn === a.targetId)!.attributes.set(a.name!, a.value!);
      return { attributes: input.attributes };
    });
    this.ecs.on(DeleteAttributesCommand).callsFake((input) => {
      for (const a of input.attributes ?? []) this.instances.find((i) => i.arn === a.targetId)!.attributes.delete(a.name!);
      return { attributes: input.attributes };
    });
    this.ecs.on(ListTasksCommand).callsFake((input) => {
      if ((input.maxResults ?? 100) > 100) throw new Error('InvalidParameterException: maxResults');
      const matches = this.tasks.filter((t) => t.containerInstanceArn === input.containerInstance
        && t.desiredStatus === (input.desiredStatus ?? 'RUNNING'));
      const { items, nextToken } = this.page(matches.map((t) => t.arn), input.maxResults, input.nextToken);
      this.afterListTasks?.();
      return { taskArns: items, nextToken };
    });
    this.ecs.on(DescribeTasksCommand).callsFake((input) => {
      if ((input.tasks ?? []).length > 100) throw new Error('InvalidParameterException: more than 100 tasks');
      return {
        tasks: this.tasks.filter((t) => input.tasks!.includes(t.arn)).map((t) => ({
          taskArn: t.arn, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, group: t.group, containerInstanceArn: t.containerInstanceArn,
          ...(t.startedBy ? { startedBy: t.startedBy } : {}), taskDefinitionArn: t.taskDefinitionArn,
          createdAt: t.createdAt, startedAt: t.startedAt, ...(t.stoppingAt ? { stoppingAt: t.stoppingAt } : {}),
        })),
        failures: [],
      };
    });
    this.ecs.on(GetTaskProtectionCommand).callsFake((input) => {
      const arns: string[] = input.tasks ?? [];
      if (arns.length > 100) throw new Error('InvalidParameterException: more than 100 tasks');
      const found = arns.map((arn) => this.tasks.find((t) => t.arn === arn));
      return {
        // Only service tasks can be protected: a task of no service answers TASK_NOT_VALID (ECS API Reference).
        protectedTasks: found.filter((t): t is FakeTask => !!t && t.group.startsWith('service:')).map((t) => ({
          taskArn: t.arn, protectionEnabled: t.protection?.enabled ?? false,
          ...(t.protection?.enabled && t.protection.expiresAt ? { expirationDate: t.protection.expiresAt } : {}),
        })),
        failures: arns.flatMap((arn, i) => {
          const t = found[i];
          if (!t) return [{ arn, reason: 'MISSING' }];
          return t.group.startsWith('service:') ? [] : [{ arn, reason: 'TASK_NOT_VALID' }];
        }),
      };
    });
    this.ecs.on(StopTaskCommand).callsFake((input) => {
      const t = this.tasks.find((x) => x.arn === input.task)!;
      t.desiredStatus = 'STOPPED';
      t.lastStatus = 'STOPPING';
      return { task: { taskArn: t.arn } };
    });
    this.autoScaling.on(CompleteLifecycleActionCommand).callsFake((input) => this.lifecycle(input.InstanceId!, () => {
      this.actions.set(input.InstanceId!, { result: input.LifecycleActionResult! });
      const retained = this.retainOnAbandon && input.LifecycleActionResult === 'ABANDON';
      this.groupStates.set(input.InstanceId!, retained ? 'Terminating:Retained' : 'Terminating:Proceed');
    }));
    this.autoScaling.on(TerminateInstanceInAutoScalingGroupCommand).callsFake((input) => {
      const id = input.InstanceId!;
      this.terminations.push({ instanceId: id, decrement: input.ShouldDecrementDesiredCapacity });
      if (!this.groupStates.has(id)) throw new ValidationError(`Instance Id not found - No managed instance found for instance ID: ${id}`);
      if (this.groupStates.get(id) === 'Terminating:Retained' && this.retainedTerminationRunsHooks) this.terminate(id);
      else this.groupStates.set(id, 'Terminating');
      return { Activity: { ActivityId: `a-${id}`, AutoScalingGroupName: 'prod-capacity', Cause: 'user request', StartTime: new Date(), StatusCode: 'InProgress' } };
    });
    this.autoScaling.on(RecordLifecycleActionHeartbeatCommand).callsFake((input) => this.lifecycle(input.InstanceId!, () => {
      this.heartbeats.push(input.InstanceId!);
    }));
    this.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
      AutoScalingGroups: [{
        AutoScalingGroupName: 'prod-capacity',
        Instances: [...this.groupStates].map(([InstanceId, LifecycleState]) => ({ InstanceId, LifecycleState })),
        ...(this.retainOnAbandon && this.policyInAnswer ? { InstanceLifecyclePolicy: { RetentionTriggers: { TerminateHookAbandon: 'retain' } } } : {}),
        ...(this.warmPoolStates.size > 0 ? { WarmPoolConfiguration: { MinSize: 0, PoolState: 'Stopped' }, WarmPoolSize: this.warmPoolStates.size } : {}),
      }],
    }));
    this.autoScaling.on(DescribeScalingActivitiesCommand).callsFake((input) => {
      const { items, nextToken } = this.page(this.activities, input.MaxRecords ?? 100, input.NextToken);
      return { Activities: items, NextToken: nextToken };
    });
    this.autoScaling.on(DescribeWarmPoolCommand).callsFake((input) => {
      // AWS: at most 50 instances per page (MaxRecords), then a NextToken
      const all = [...this.warmPoolStates].map(([InstanceId, LifecycleState]) => ({ InstanceId, LifecycleState }));
      const { items, nextToken } = this.page(all, Math.min(input.MaxRecords ?? 50, 50), input.NextToken);
      return { Instances: items, NextToken: nextToken };
    });
  }
}
