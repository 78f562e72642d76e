/**
 * The wire protocols, as the real SDK v3 clients speak them:
 * - ECS: awsJson1_1, POST / with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`, JSON in and out,
 *   errors as HTTP 4xx/5xx with `{"__type": "<Code>", "message": ...}`.
 * - EventBridge: awsJson1_1 too, with `X-Amz-Target: AWSEvents.<Operation>`; only PutEvents, onto the default bus.
 * - Auto Scaling: awsQuery, POST / with a form-encoded body (`Action=...&Version=2011-01-01&...`), XML responses
 *   `<OpResponse><OpResult>...</OpResult></OpResponse>`, errors as `<ErrorResponse><Error><Code>`.
 */
import { type EmuContainerInstance, type EmuTask, TASK_CPU, TASK_MEMORY, VERSION_INFO, type World, attributeList, taskContainer } from './world';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** Which EC2 instances a call is about, to count calls per drained instance. */
export interface CallSubject {
  readonly instanceIds: string[];
}

const MAX_RESULTS = 100;
/** ECS allows 10 custom attributes per resource (AttributeLimitExceededException beyond). */
const MAX_CUSTOM_ATTRIBUTES = 10;
const isBuiltIn = (name: string) => name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');
/** awsJson timestamps are epoch seconds. */
const epochSeconds = (ms: number) => ms / 1000;

function page<T>(items: T[], maxResults: unknown, nextToken: unknown): { items: T[]; nextToken?: string } {
  if (maxResults !== undefined && (typeof maxResults !== 'number' || maxResults < 1 || maxResults > MAX_RESULTS)) {
    throw new ApiError('InvalidParameterException', 'maxResults must be between 1 and 100.');
  }
  const start = nextToken === undefined ? 0 : Number(Buffer.from(String(nextToken), 'base64').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidParameterException', 'Invalid nextToken.');
  const size = (maxResults as number | undefined) ?? MAX_RESULTS;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64') } : {}) };
}

/**
 * The EC2 instance IDs a cluster query selects, for the two forms the emulator supports: `ec2InstanceId == i-…` and
 * `ec2InstanceId in [i-…, i-…]` (quoted or not). Amazon ECS Developer Guide, "Create expressions to define container
 * instances" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html): ec2InstanceId
 * takes ==, !=, in, !in, =~ and !~. Undefined for any other expression.
 */
export function instanceFilter(filter: string): string[] | undefined {
  const eq = /^\s*ec2InstanceId\s*==\s*(i-[0-9a-f]+)\s*$/.exec(filter);
  if (eq) return [eq[1]];
  const list = /^\s*ec2InstanceId\s+in\s*\[([^\]]*)\]\s*$/.exec(filter);
  if (!list) return undefined;
  const ids = list[1].split(',').map((x) => x.trim().replace(/^'(.*)'$/, '$1'));
  return ids.every((id) => /^i-[0-9a-f]+$/.test(id)) ? ids : undefined;
}

export class EcsApi {
  constructor(private readonly world: World) {}

  private cluster(input: Record<string, any>): void {
    const c = input.cluster ?? 'default';
    if (c !== this.world.clusterName && c !== this.world.clusterArn) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  }

  private ci(ref: string): EmuContainerInstance | undefined {
    return this.world.containerInstances.get(ref)
      ?? [...this.world.containerInstances.values()].find((c) => c.arn.endsWith(`/${ref}`));
  }

  private task(ref: string): EmuTask | undefined {
    return this.world.tasks.get(ref) ?? [...this.world.tasks.values()].find((t) => t.arn.endsWith(`/${ref}`));
  }

  /**
   * runningTasksCount: the tasks "in the RUNNING status", pendingTasksCount those "in the PENDING status" (ECS API
   * Reference, ContainerInstance). A task told to stop drops out at once (its desired status is STOPPED, and it is
   * DEACTIVATING or STOPPING soon after), long before it has stopped.
   */
  private describeCi(ci: EmuContainerInstance) {
    const tasks = this.world.tasksOn(ci.arn).filter((t) => t.desiredStatus === 'RUNNING');
    return {
      containerInstanceArn: ci.arn, ec2InstanceId: ci.ec2InstanceId, status: ci.status, agentConnected: ci.status !== 'INACTIVE',
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => t.lastStatus === 'PENDING').length,
      attributes: attributeList(ci), registeredAt: epochSeconds(ci.registeredAt), versionInfo: VERSION_INFO,
      ...this.world.resourcesOf(ci), version: ci.version, attachments: [], tags: [],
    };
  }

  private describeTask(t: EmuTask) {
    return {
      taskArn: t.arn, clusterArn: this.world.clusterArn, containerInstanceArn: t.containerInstanceArn, group: t.group,
      taskDefinitionArn: t.taskDefinitionArn, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, launchType: 'EC2',
      availabilityZone: 'eu-west-1a', connectivity: 'CONNECTED', cpu: String(TASK_CPU), memory: String(TASK_MEMORY), version: t.version,
      containers: [taskContainer(t)], attachments: [], overrides: { containerOverrides: [] }, tags: [],
      createdAt: epochSeconds(t.createdAt), startedAt: epochSeconds(t.startedAt),
      ...(t.startedBy ? { startedBy: t.startedBy } : {}), ...(t.stopCode ? { stopCode: t.stopCode, stoppedReason: t.stoppedReason } : {}),
      ...(t.stoppingAt !== undefined ? { stoppingAt: epochSeconds(t.stoppingAt) } : {}),
      ...(t.stoppedAt !== undefined ? { stoppedAt: epochSeconds(t.stoppedAt), executionStoppedAt: epochSeconds(t.stoppedAt) } : {}),
    };
  }

  /** Which instances a call concerns (before it runs, so failed calls count too). */
  subject(operation: string, input: Record<string, any>): CallSubject {
    const fromCi = (refs: unknown[]) => refs.map((r) => this.ci(String(r))?.ec2InstanceId).filter((x): x is string => !!x);
    switch (operation) {
      case 'ListContainerInstances': return { instanceIds: input.filter === undefined ? [] : instanceFilter(String(input.filter)) ?? [] };
      case 'DescribeContainerInstances':
      case 'UpdateContainerInstancesState': return { instanceIds: fromCi(input.containerInstances ?? []) };
      case 'PutAttributes':
      case 'DeleteAttributes': return { instanceIds: fromCi((input.attributes ?? []).map((a: any) => a.targetId)) };
      case 'ListTasks': return { instanceIds: fromCi(input.containerInstance ? [input.containerInstance] : []) };
      case 'DescribeTasks':
      case 'GetTaskProtection':
      case 'UpdateTaskProtection':
      case 'StopTask': {
        const arns: string[] = input.tasks ?? (input.task ? [input.task] : []);
        return { instanceIds: [...new Set(fromCi(arns.map((a) => this.task(String(a))?.containerInstanceArn).filter(Boolean) as string[]))] };
      }
      default: return { instanceIds: [] };
    }
  }

  handle(operation: string, input: Record<string, any>): unknown {
    const handler = (this as any)[`op${operation}`] as ((i: Record<string, any>) => unknown) | undefined;
    if (!handler) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
    this.cluster(input);
    return handler.call(this, input);
  }

  opListContainerInstances(input: Record<string, any>) {
    let items = [...this.world.containerInstances.values()];
    // Deregistered (INACTIVE) instances are never listed, and are no valid filter either.
    const statuses = ['ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', 'REGISTRATION_FAILED'];
    if (input.status !== undefined && !statuses.includes(input.status)) throw new ApiError('InvalidParameterException', `status must be one of ${statuses.join(', ')}.`);
    if (input.status) items = items.filter((c) => c.status === input.status);
    else items = items.filter((c) => c.status !== 'INACTIVE');
    if (input.filter !== undefined) {
      const ids = instanceFilter(String(input.filter));
      if (!ids) throw new ApiError('InvalidParameterException', `Unsupported filter in this emulator: ${input.filter}`);
      items = items.filter((c) => ids.includes(c.ec2InstanceId));
    }
    const { items: arns, nextToken } = page(items.map((c) => c.arn), input.maxResults, input.nextToken);
    return { containerInstanceArns: arns, ...(nextToken ? { nextToken } : {}) };
  }

  opDescribeContainerInstances(input: Record<string, any>) {
    const refs: string[] = input.containerInstances ?? [];
    if (refs.length === 0 || refs.length > MAX_RESULTS) throw new ApiError('InvalidParameterException', 'containerInstances must have between 1 and 100 items.');
    const found = refs.map((r) => this.ci(r));
    return {
      containerInstances: found.filter((c): c is EmuContainerInstance => !!c).map((c) => this.describeCi(c)),
      failures: refs.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  }

  opUpdateContainerInstancesState(input: Record<string, any>) {
    const refs: string[] = input.containerInstances ?? [];
    if (refs.length === 0 || refs.length > 10) throw new ApiError('InvalidParameterException', 'containerInstances must have between 1 and 10 items.');
    if (!['ACTIVE', 'DRAINING'].includes(input.status)) throw new ApiError('InvalidParameterException', 'status must be ACTIVE or DRAINING.');
    const updated = [];
    const failures = [];
    for (const ref of refs) {
      const ci = this.ci(ref);
      if (!ci) {failures.push({ arn: ref, reason: 'MISSING' });} else if (ci.status === 'INACTIVE' || ci.status === 'REGISTERING') {failures.push({ arn: ci.arn, reason: 'INVALID_STATUS', detail: `Container instance is ${ci.status}` });} else { this.world.setStatus(ci, input.status); updated.push(this.describeCi(ci)); }
    }
    return { containerInstances: updated, failures };
  }

  opPutAttributes(input: Record<string, any>) {
    const attributes: any[] = input.attributes ?? [];
    if (attributes.length === 0 || attributes.length > 10) throw new ApiError('InvalidParameterException', 'attributes must have between 1 and 10 items.');
    for (const a of attributes) {
      const ci = this.ci(a.targetId);
      if (a.targetType !== 'container-instance' || !ci) throw new ApiError('TargetNotFoundException', `Could not find ${a.targetId}.`);
      // names: letters, digits, hyphens, underscores, periods, slashes; values may add @, colons and inner spaces
      if (!/^[A-Za-z0-9_./\\-]{1,128}$/.test(a.name) || (a.value !== undefined && !/^[A-Za-z0-9_.@/\\:-](?:[A-Za-z0-9_.@/\\: -]{0,126}[A-Za-z0-9_.@/\\:-])?$/.test(a.value))) {
        throw new ApiError('InvalidParameterException', `Invalid attribute ${a.name}=${a.value}.`);
      }
      const custom = [...ci.attributes.keys()].filter((n) => !isBuiltIn(n));
      if (!ci.attributes.has(a.name) && !isBuiltIn(a.name) && custom.length >= MAX_CUSTOM_ATTRIBUTES) {
        throw new ApiError('AttributeLimitExceededException', `You can apply up to ${MAX_CUSTOM_ATTRIBUTES} custom attributes per resource.`);
      }
    }
    for (const a of attributes) this.ci(a.targetId)!.attributes.set(a.name, a.value);
    return { attributes };
  }

  opDeleteAttributes(input: Record<string, any>) {
    const attributes: any[] = input.attributes ?? [];
    if (attributes.length === 0) throw new ApiError('InvalidParameterException', 'attributes must not be empty.');
    for (const a of attributes) {
      const ci = this.ci(a.targetId);
      if ((a.targetType !== undefined && a.targetType !== 'container-instance') || !ci) throw new ApiError('TargetNotFoundException', `Could not find ${a.targetId}.`);
      ci.attributes.delete(a.name);
    }
    return { attributes: input.attributes };
  }

  opListTasks(input: Record<string, any>) {
    const desired = input.desiredStatus ?? 'RUNNING';
    if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desired)) throw new ApiError('InvalidParameterException', 'desiredStatus must be RUNNING, PENDING or STOPPED.');
    let tasks: EmuTask[];
    if (input.containerInstance) {
      const ci = this.ci(input.containerInstance);
      if (!ci) throw new ApiError('InvalidParameterException', 'Container instance not found.');
      tasks = this.world.tasksOn(ci.arn).filter((t) => t.desiredStatus === desired);
    } else {
      tasks = [...this.world.tasks.values()].filter((t) => t.desiredStatus === desired);
    }
    const { items, nextToken } = page(tasks.map((t) => t.arn), input.maxResults, input.nextToken);
    return { taskArns: items, ...(nextToken ? { nextToken } : {}) };
  }

  opDescribeTasks(input: Record<string, any>) {
    const arns: string[] = input.tasks ?? [];
    if (arns.length === 0 || arns.length > MAX_RESULTS) throw new ApiError('InvalidParameterException', 'tasks must have between 1 and 100 items.');
    const found = arns.map((a) => this.task(String(a)));
    return {
      tasks: found.filter((t): t is EmuTask => !!t).map((t) => this.describeTask(t)),
      failures: arns.filter((_, i) => !found[i]).map((arn) => ({ arn, reason: 'MISSING' })),
    };
  }

  /**
   * GetTaskProtection: "A list of up to 100 task IDs or full ARN entries"; each task's protectionEnabled and, while
   * protected, expirationDate (epoch seconds on the wire). A task of no service is a TASK_NOT_VALID failure (the reason
   * UpdateTaskProtection documents for standalone tasks; the agent endpoint's GET answers the same), a task ECS does
   * not know a MISSING one (the reason DescribeTasks documents; GetTaskProtection's is not documented). ECS API
   * Reference, GetTaskProtection and ProtectedTask.
   */
  opGetTaskProtection(input: Record<string, any>) {
    const refs: string[] = input.tasks ?? [];
    if (refs.length > MAX_RESULTS) throw new ApiError('InvalidParameterException', 'tasks can have at most 100 items.');
    return this.protectionAnswer(refs);
  }

  /**
   * UpdateTaskProtection: "A list of up to 10 task IDs or full ARN entries", protectionEnabled required,
   * expiresInMinutes "from 1 minute to up to 2,880 minutes (48 hours)", 120 when not given; a standalone task is a
   * TASK_NOT_VALID failure. ECS API Reference, UpdateTaskProtection. (DEPLOYMENT_BLOCKED, for a service with more
   * protected tasks than its desired count, is not modelled: the emulator has no service scheduler.)
   */
  opUpdateTaskProtection(input: Record<string, any>) {
    const refs: string[] = input.tasks ?? [];
    if (refs.length === 0 || refs.length > 10) throw new ApiError('InvalidParameterException', 'tasks must have between 1 and 10 items.');
    if (typeof input.protectionEnabled !== 'boolean') throw new ApiError('InvalidParameterException', 'protectionEnabled is required.');
    const minutes = input.expiresInMinutes;
    if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880)) {
      throw new ApiError('InvalidParameterException', 'expiresInMinutes must be between 1 and 2880.');
    }
    for (const ref of refs) {
      const t = this.task(String(ref));
      if (t) this.world.updateTaskProtection(t, input.protectionEnabled, minutes ?? 120);
    }
    return this.protectionAnswer(refs);
  }

  private protectionAnswer(refs: readonly string[]) {
    const protectedTasks = [];
    const failures = [];
    for (const ref of refs) {
      const t = this.task(String(ref));
      if (!t) {failures.push({ arn: ref, reason: 'MISSING' });} else if (t.kind === 'standalone') {failures.push({ arn: t.arn, reason: 'TASK_NOT_VALID' });} else {
        const p = this.world.protectionOf(t);
        const expirationDate = p.expiresAt !== undefined ? { expirationDate: epochSeconds(p.expiresAt) } : {};
        protectedTasks.push({ taskArn: t.arn, protectionEnabled: p.protectionEnabled, ...expirationDate });
      }
    }
    return { protectedTasks, failures };
  }

  opStopTask(input: Record<string, any>) {
    const t = input.task === undefined ? undefined : this.task(String(input.task));
    if (!t) throw new ApiError('InvalidParameterException', 'The referenced task was not found.');
    this.world.stopTask(t, 'UserInitiated', String(input.reason ?? ''));
    return { task: this.describeTask(t) };
  }
}

// ------------------------------------------------------------------ Auto Scaling (awsQuery)

const NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Serializes a plain object the awsQuery way: arrays become <member> lists. */
export function toXml(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`).join('');
  }
  return xmlEscape(String(value));
}

export function queryResponse(operation: string, result: Record<string, unknown> | undefined, requestId: string): string {
  // AWS sends the result wrapper even when the output has no members (<CompleteLifecycleActionResult/>).
  const body = `<${operation}Result>${result ? toXml(result) : ''}</${operation}Result>`;
  return `<${operation}Response xmlns="${NS}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
}

export function queryError(code: string, message: string, requestId: string, type = 'Sender'): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

export class AutoScalingApi {
  constructor(private readonly world: World) {}

  subject(_operation: string, params: URLSearchParams): CallSubject {
    const id = params.get('InstanceId') ?? this.instanceForToken(params.get('LifecycleActionToken'));
    return { instanceIds: id ? [id] : [] };
  }

  handle(operation: string, params: URLSearchParams): Record<string, unknown> | undefined {
    if (params.get('Version') !== '2011-01-01') throw new ApiError('InvalidAction', `Could not find operation ${operation} for version ${params.get('Version')}`);
    /** Required members, with the message AWS's validation gives for a missing one. */
    const required = (...names: string[]) => {
      const missing = names.filter((n) => !params.get(n));
      if (missing.length > 0) {
        throw new ApiError('ValidationError', `${missing.length} validation error${missing.length > 1 ? 's' : ''} detected: ${missing
          .map((n) => `Value null at '${n[0].toLowerCase()}${n.slice(1)}' failed to satisfy constraint: Member must not be null`).join('; ')}`);
      }
    };
    const group = params.get('AutoScalingGroupName');
    const requireGroup = () => {
      if (group === null || !this.world.groupNames.has(group)) throw new ApiError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${group}' not found`);
    };
    const members = () => [...this.world.group.values()].filter((m) => m.groupName === group);
    const lifecycle = (fn: (id: string, hook: string) => boolean) => {
      requireGroup();
      const id = params.get('InstanceId') ?? this.instanceForToken(params.get('LifecycleActionToken'));
      const hook = params.get('LifecycleHookName') ?? '';
      // An action is found only for an instance of the named group.
      if (!id || this.world.group.get(id)?.groupName !== group || !fn(id, hook)) throw new ApiError('ValidationError', `No active Lifecycle Action found with instance ID ${id ?? '(none)'}`);
      return undefined;
    };
    switch (operation) {
      case 'CompleteLifecycleAction': {
        required('AutoScalingGroupName', 'LifecycleHookName', 'LifecycleActionResult');
        const result = params.get('LifecycleActionResult');
        if (result !== 'CONTINUE' && result !== 'ABANDON') throw new ApiError('ValidationError', 'LifecycleActionResult must be CONTINUE or ABANDON');
        return lifecycle((id, hook) => this.world.complete(id, hook, result));
      }
      case 'RecordLifecycleActionHeartbeat':
        required('AutoScalingGroupName', 'LifecycleHookName');
        return lifecycle((id, hook) => this.world.heartbeat(id, hook));
      case 'DescribeAutoScalingGroups': {
        const names = [...params.entries()].filter(([k]) => k.startsWith('AutoScalingGroupNames.member.')).map(([, v]) => v);
        const selected = [...this.world.groupNames].filter((g) => names.length === 0 || names.includes(g));
        const groups = selected.map((name) => {
          const inGroup = [...this.world.group.values()].filter((m) => m.groupName === name);
          const inService = inGroup.filter((m) => !m.inWarmPool);
          return {
            AutoScalingGroupName: name,
            AutoScalingGroupARN: this.world.groupArnOf(name),
            MinSize: 0, MaxSize: 1000,
            DesiredCapacity: (name === this.world.groupName ? this.world.desiredCapacity : undefined)
              ?? inService.filter((m) => m.lifecycleState === 'InService').length,
            DefaultCooldown: 300, AvailabilityZones: ['eu-west-1a', 'eu-west-1b'], HealthCheckType: 'EC2', HealthCheckGracePeriod: 0,
            CreatedTime: new Date(this.world.clock.epochMs - 86_400_000).toISOString(), TerminationPolicies: ['Default'],
            ...(this.world.warmPoolConfigured ? {
            // Status is set only for a pool being deleted (PendingDelete), so an active pool has none.
              WarmPoolConfiguration: { MinSize: 0, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true } },
              WarmPoolSize: inGroup.filter((m) => m.inWarmPool).length,
            } : {}),
            // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceLifecyclePolicy.html (values: retain | terminate)
            ...(this.world.terminateHookAbandon
              ? { InstanceLifecyclePolicy: { RetentionTriggers: { TerminateHookAbandon: this.world.terminateHookAbandon } } }
              : {}),
            NewInstancesProtectedFromScaleIn: false, ServiceLinkedRoleARN: 'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
            Instances: inService.map((m) => ({
              InstanceId: m.instanceId, InstanceType: 'm6g.large', AvailabilityZone: 'eu-west-1a', LifecycleState: m.lifecycleState,
              HealthStatus: 'Healthy', ProtectedFromScaleIn: false, LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', LaunchTemplateName: 'ecs', Version: '1' },
            })),
          };
        });
        return { AutoScalingGroups: groups };
      }
      case 'DescribeScalingActivities': {
        requireGroup();
        // "Activities are sorted by start time. Activities still in progress are described first." (Auto Scaling API
        // Reference, DescribeScalingActivities, Activities; https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeScalingActivities.html)
        const newestFirst = this.world.activities.filter((a) => a.groupName === group).reverse();
        const all = [...newestFirst.filter((a) => a.statusCode !== 'Successful'), ...newestFirst.filter((a) => a.statusCode === 'Successful')];
        const max = Number(params.get('MaxRecords') ?? 100);
        if (!Number.isInteger(max) || max < 1 || max > 100) throw new ApiError('ValidationError', 'MaxRecords must be between 1 and 100');
        const start = params.get('NextToken') ? Number(Buffer.from(params.get('NextToken')!, 'base64').toString('utf8')) : 0;
        const items = all.slice(start, start + max);
        return {
          Activities: items.map((a) => ({
            ActivityId: a.activityId, AutoScalingGroupName: a.groupName, Description: a.description, Cause: a.cause,
            StartTime: new Date(a.startTime).toISOString(), ...(a.endTime !== undefined ? { EndTime: new Date(a.endTime).toISOString() } : {}),
            StatusCode: a.statusCode, Progress: a.statusCode === 'Successful' ? 100 : 50,
            Details: JSON.stringify({ 'Subnet ID': 'subnet-0123456789abcdef0', 'Availability Zone': 'eu-west-1a' }),
            AutoScalingGroupARN: this.world.groupArnOf(a.groupName),
          })),
          ...(start + max < all.length ? { NextToken: Buffer.from(String(start + max)).toString('base64') } : {}),
        };
      }
      case 'TerminateInstanceInAutoScalingGroup': {
        // The single-instance form of the botocore model: InstanceId and ShouldDecrementDesiredCapacity, both required.
        required('InstanceId', 'ShouldDecrementDesiredCapacity');
        const id = params.get('InstanceId')!;
        const decrement = params.get('ShouldDecrementDesiredCapacity');
        if (decrement !== 'true' && decrement !== 'false') throw new ApiError('ValidationError', 'ShouldDecrementDesiredCapacity must be a boolean');
        const member = this.world.group.get(id);
        // Not documented: the error for an instance of no group. ValidationError, the error of every unknown resource here.
        if (!member) throw new ApiError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`);
        // "This operation cannot be called on instances in a warm pool" (API Reference); its error is not documented.
        if (member.inWarmPool) throw new ApiError('ValidationError', `The instance ${id} is in the warm pool: this operation cannot be called on instances in a warm pool`);
        // An instance already terminating: not documented. ScalingActivityInProgress, which the operation declares ("The
        // operation can't be performed because there are scaling activities in progress"), is the conservative answer.
        if (member.lifecycleState !== 'InService' && member.lifecycleState !== 'Terminating:Retained') {
          throw new ApiError('ScalingActivityInProgress', `Scaling activities are in progress for instance ${id} (${member.lifecycleState})`);
        }
        this.world.terminateInstance(id, decrement === 'true');
        const a = this.world.activities[this.world.activities.length - 1];
        return {
          Activity: {
            ActivityId: a.activityId, AutoScalingGroupName: this.world.groupName, Description: a.description,
            Cause: `At ${new Date(a.startTime).toISOString().replace(/\.\d{3}Z$/, 'Z')} instance ${id} was taken out of service in response to a user request.`,
            StartTime: new Date(a.startTime).toISOString(), StatusCode: a.statusCode === 'Successful' ? 'Successful' : 'InProgress',
            Progress: a.statusCode === 'Successful' ? 100 : 0, Details: JSON.stringify({ 'Subnet ID': 'subnet-0123456789abcdef0', 'Availability Zone': 'eu-west-1a' }),
            AutoScalingGroupARN: this.world.groupArn,
          },
        };
      }
      case 'DescribeWarmPool': {
        requireGroup();
        return {
          Instances: members().filter((m) => m.inWarmPool)
            .map((m) => ({
              InstanceId: m.instanceId, LifecycleState: m.lifecycleState, HealthStatus: 'Healthy', AvailabilityZone: 'eu-west-1a',
              ProtectedFromScaleIn: false,
            })),
        };
      }
      default:
        throw new ApiError('InvalidAction', `Could not find operation ${operation} for version 2011-01-01`);
    }
  }

  private instanceForToken(token: string | null): string | undefined {
    if (!token) return undefined;
    for (const m of this.world.group.values()) {
      for (const a of m.actions.values()) if (a.token === token) return m.instanceId;
    }
    return undefined;
  }
}

/** PutEvents takes 1 to 10 entries (EventBridge API Reference, PutEvents, Entries: the model's list min 1, max 10). */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/**
 * "The maximum size for a PutEvents event entry is 256 KB", and the entries of a request together must be "less than
 * 256KB" (EventBridge API Reference, PutEvents, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** "Free-form string, with a maximum of 128 characters" (PutEventsRequestEntry, DetailType). */
const MAX_DETAIL_TYPE_CHARS = 128;
/** A resource is at most 2048 characters (the model's EventResource). */
const MAX_RESOURCE_CHARS = 2048;

/**
 * An entry's size as EventBridge counts it: Time 14 bytes if set, then the UTF-8 bytes of Source, DetailType, Detail
 * and each resource (EventBridge User Guide, "Calculating PutEvents event entry size",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export function putEventsEntrySize(entry: Record<string, any>): number {
  const bytes = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);
  return (entry.Time !== undefined ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail)
    + (Array.isArray(entry.Resources) ? entry.Resources.reduce((n: number, r: unknown) => n + bytes(r), 0) : 0);
}

/** An entry failed, as PutEventsResultEntry reports it. */
interface FailedEntry { readonly ErrorCode: string; readonly ErrorMessage: string }

/**
 * EventBridge's PutEvents onto the account's default event bus, checked as AWS documents it (EventBridge API
 * Reference, PutEvents and PutEventsRequestEntry; PutEventsResultEntry for the error codes):
 * - 1 to 10 entries, and at most 256 KB in all (observed answer beyond: ValidationException "Total size of the entries
 *   in the request is over the limit.", awslabs/aws-service-catalog-puppet#563); both fail the whole request.
 * - "Detail, DetailType, and Source are required ... If you include event entries in a request that do not include each
 *   of those properties, EventBridge fails that entry. If you submit a request in which none of the entries have each
 *   of these properties, EventBridge fails the entire request." The code of such an entry is not documented: the
 *   emulator answers InvalidArgument ("A specified parameter is not valid").
 * - A source that starts with `aws.` is reserved: "Customer-generated events can have any value here, as long as it
 *   doesn't begin with 'aws.'" (EventBridge User Guide, "Event structure reference",
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html). AWS documents no code for it:
 *   the emulator fails the entry with NotAuthorizedForSourceException ("You do not have permissions to publish events
 *   with this source onto this event bus"), the documented code that fits.
 * - Detail must be "A valid JSON object": else MalformedDetail ("The JSON provided is not valid").
 * - DetailType is at most 128 characters, each resource at most 2048: else InvalidArgument.
 * Only the default bus exists here: an entry naming another bus fails with InvalidArgument (not AWS's answer, which is
 * not documented; the handler never names a bus). Taken entries are delivered to the matching rules at once.
 */
export class EventsApi {
  constructor(private readonly world: World) {}

  /** The EC2 instances a request's entries name (a drain event's `detail.instanceId`). */
  subject(_operation: string, input: Record<string, any>): CallSubject {
    const ids = (Array.isArray(input.Entries) ? input.Entries : []).map((e: any) => {
      try {
        return JSON.parse(String(e?.Detail))?.instanceId;
      } catch {
        return undefined;
      }
    }).filter((id: unknown): id is string => typeof id === 'string');
    return { instanceIds: [...new Set<string>(ids)] };
  }

  handle(operation: string, input: Record<string, any>): unknown {
    if (operation !== 'PutEvents') throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
    return this.putEvents(input);
  }

  private putEvents(input: Record<string, any>) {
    const entries: unknown = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw new ApiError('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: '
        + `Member must have length between 1 and ${PUT_EVENTS_MAX_ENTRIES}, got ${Array.isArray(entries) ? entries.length : 'none'}`);
    }
    const total = entries.reduce((n: number, e: Record<string, any>) => n + putEventsEntrySize(e ?? {}), 0);
    if (total >= PUT_EVENTS_MAX_BYTES) throw new ApiError('ValidationException', 'Total size of the entries in the request is over the limit.');
    const complete = (e: any) => typeof e?.Source === 'string' && typeof e?.DetailType === 'string' && typeof e?.Detail === 'string';
    if (!entries.some(complete)) {
      throw new ApiError('ValidationException', 'Parameters Source, DetailType and Detail are required in at least one entry.');
    }
    const results = entries.map((e: Record<string, any>) => {
      const failure = this.check(e);
      if (failure) return failure;
      const time = typeof e.Time === 'number' ? e.Time * 1000 : undefined;
      return { EventId: this.world.putEvent(e.Source, e.DetailType, e.Resources ?? [], JSON.parse(e.Detail), time) };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /** Why an entry fails, if it does. */
  private check(e: Record<string, any>): FailedEntry | undefined {
    const invalid = (message: string): FailedEntry => ({ ErrorCode: 'InvalidArgument', ErrorMessage: message });
    if (typeof e.Source !== 'string' || typeof e.DetailType !== 'string' || typeof e.Detail !== 'string') {
      return invalid('Parameters Source, DetailType and Detail are required.');
    }
    if (e.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `Not authorized for the source ${e.Source}.` };
    }
    if (e.Source.length < 1 || e.Source.length > 256) return invalid('Source must be 1 to 256 characters.');
    if (e.DetailType.length < 1 || e.DetailType.length > MAX_DETAIL_TYPE_CHARS) return invalid(`DetailType must be 1 to ${MAX_DETAIL_TYPE_CHARS} characters.`);
    if ((e.Resources ?? []).some((r: unknown) => typeof r !== 'string' || r.length > MAX_RESOURCE_CHARS)) return invalid('A resource is not valid.');
    if (e.EventBusName !== undefined && e.EventBusName !== 'default' && !String(e.EventBusName).endsWith(':event-bus/default')) {
      return invalid(`The emulator has only the default event bus, not ${e.EventBusName}.`);
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    return undefined;
  }
}
