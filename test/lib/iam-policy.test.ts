/**
 * Least privilege, proven: the synthesized role policy is evaluated by a local IAM policy simulator
 * (@cloud-copilot/iam-simulate) with the request context AWS sends, including `ecs:cluster`. The calls come from
 * HANDLER_API_CALLS, the same list the handler's SDK adapters enforce.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { resolve } from '../../emulator';
import {
  DrainTimeoutBehavior, DrainingLifecycleHook, type DrainingLifecycleHookProps, StandaloneTaskPolicy, TaskProtectionPolicy,
} from '../../lib';
import { ApiCallScope, ApiCallUse, HANDLER_API_CALLS, type HandlerApiCall, iamActionOf } from '../../lib/handler-api-calls';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/drain-handler`;

interface Target { readonly cluster: string; readonly group: string }
const OURS: Target = { cluster: 'prod', group: 'prod-capacity' };
const FOREIGN: Target = { cluster: 'staging', group: 'staging-capacity' };

const clusterArn = (t: Target) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${t.cluster}`;

/** The resource and request context AWS evaluates for a call on a target. */
function requestFor(call: HandlerApiCall, t: Target): { resource: string; context: Record<string, string> } {
  const ecsContext = { 'ecs:cluster': clusterArn(t) };
  switch (call.scope) {
    case ApiCallScope.CLUSTER: return { resource: clusterArn(t), context: {} };
    case ApiCallScope.CONTAINER_INSTANCE: return { resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${t.cluster}/0a1b2c3d4e5f`, context: ecsContext };
    case ApiCallScope.TASK: return { resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${t.cluster}/9f8e7d6c5b4a`, context: ecsContext };
    case ApiCallScope.AUTO_SCALING_GROUP: return { resource: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:8e1f2a3b-uuid:autoScalingGroupName/${t.group}`, context: {} };
    case ApiCallScope.IN_CLUSTER: return { resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${t.cluster}/0a1b2c3d4e5f`, context: ecsContext };
    case ApiCallScope.UNSCOPED: return { resource: '*', context: {} };
    case ApiCallScope.DEFAULT_EVENT_BUS: return { resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`, context: {} };
  }
}

/** The role's identity policies, with CloudFormation intrinsics resolved. */
function rolePolicy(
  standaloneTaskPolicy?: StandaloneTaskPolicy, inVpc = false, taskProtectionPolicy?: TaskProtectionPolicy,
  extra: Partial<DrainingLifecycleHookProps> = {},
): Record<string, any> {
  const stack = new Stack(new App(), 'Iam', { env: { account: ACCOUNT, region: REGION } });
  new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', OURS.group),
    cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', clusterArn(OURS)),
    standaloneTaskPolicy,
    taskProtectionPolicy,
    ...extra,
    ...(inVpc ? {
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0', availabilityZones: [`${REGION}a`], privateSubnetIds: ['subnet-0123456789abcdef0'],
      }),
    } : {}),
  });
  const template = Template.fromStack(stack).toJSON();
  // The group function's role; the cluster's task-event consumer has its own (test/lib/task-event-consumer-policy.test.ts).
  const policies = Object.entries(template.Resources).filter(([id, r]: [string, any]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('DrainHookServiceRole'));
  expect(policies).toHaveLength(1);
  return resolve({ template, region: REGION, account: ACCOUNT }, (policies[0][1] as any).Properties.PolicyDocument);
}

async function decide(policy: Record<string, any>, action: string, resource: string, context: Record<string, string>): Promise<string> {
  const response = await runSimulation({
    identityPolicies: [{ name: 'drain-handler', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: { principal: PRINCIPAL, action, resource: { resource, accountId: ACCOUNT }, contextVariables: context },
  } as any, {});
  if (response.resultType === 'error') throw new Error(`simulation error for ${action}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/** Every listed call on a target, with its decision. */
async function decisions(policy: Record<string, any>, t: Target, calls: readonly HandlerApiCall[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const call of calls) {
    const { resource, context } = requestFor(call, t);
    out[iamActionOf(call)] = await decide(policy, iamActionOf(call), resource, context);
  }
  return out;
}

const always = HANDLER_API_CALLS.filter((c) => c.use === ApiCallUse.ALWAYS);
const scoped = (calls: readonly HandlerApiCall[]) => calls.filter((c) => c.scope !== ApiCallScope.UNSCOPED);
const allAre = (calls: readonly HandlerApiCall[], result: string) => Object.fromEntries(calls.map((c) => [iamActionOf(c), result]));

test('(a) every call the handler makes, on this cluster, its instances and tasks, and this group: allowed', async () => {
  expect(await decisions(rolePolicy(), OURS, always)).toEqual(allAre(always, 'Allowed'));
});

test('(b) the same calls on another cluster and another group: denied', async () => {
  expect(await decisions(rolePolicy(), FOREIGN, scoped(always))).toEqual(allAre(scoped(always), 'ImplicitlyDenied'));
});

test('(b) the cluster condition matters on its own: this cluster\'s ARN prefix with another ecs:cluster is denied', async () => {
  const policy = rolePolicy();
  const conditioned = [ApiCallScope.CONTAINER_INSTANCE, ApiCallScope.TASK, ApiCallScope.IN_CLUSTER];
  for (const call of always.filter((c) => conditioned.includes(c.scope))) {
    const { resource } = requestFor(call, OURS);
    expect(await decide(policy, iamActionOf(call), resource, { 'ecs:cluster': clusterArn(FOREIGN) })).toBe('ImplicitlyDenied');
  }
});

test('(c) dangerous actions: denied, even on this cluster and group', async () => {
  const policy = rolePolicy(StandaloneTaskPolicy.STOP);
  const dangerous: Array<[string, string, Record<string, string>]> = [
    ['ecs:DeleteCluster', clusterArn(OURS), {}],
    ['ecs:DeregisterContainerInstance', clusterArn(OURS), {}],
    ['autoscaling:TerminateInstanceInAutoScalingGroup', requestFor(always.find((c) => c.scope === ApiCallScope.AUTO_SCALING_GROUP)!, OURS).resource, {}],
    ['autoscaling:UpdateAutoScalingGroup', requestFor(always.find((c) => c.scope === ApiCallScope.AUTO_SCALING_GROUP)!, OURS).resource, {}],
    ['ec2:TerminateInstances', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, {}],
    ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/admin`, {}],
  ];
  for (const [action, resource, context] of dangerous) {
    expect([action, await decide(policy, action, resource, context)]).toEqual([action, 'ImplicitlyDenied']);
  }
});

test('(b) ecs:ListTasks on Resource "*" is scoped by the ecs:cluster condition alone: another cluster is denied, whatever the resource', async () => {
  const policy = rolePolicy();
  for (const resource of ['*', `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${OURS.cluster}/0a1b2c3d4e5f`]) {
    expect(await decide(policy, 'ecs:ListTasks', resource, { 'ecs:cluster': clusterArn(OURS) })).toBe('Allowed');
    expect(await decide(policy, 'ecs:ListTasks', resource, { 'ecs:cluster': clusterArn(FOREIGN) })).toBe('ImplicitlyDenied');
  }
});

test('with vpc: Lambda may manage the function\'s network interfaces, and nothing more of EC2', async () => {
  const policy = rolePolicy(undefined, true);
  for (const action of ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface']) {
    expect([action, await decide(policy, action, '*', {})]).toEqual([action, 'Allowed']);
  }
  for (const action of ['ec2:TerminateInstances', 'ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSecurityGroup']) {
    expect([action, await decide(policy, action, '*', {})]).toEqual([action, 'ImplicitlyDenied']);
  }
  expect(await decide(rolePolicy(), 'ec2:CreateNetworkInterface', '*', {})).toBe('ImplicitlyDenied');
});

test('StopTask is allowed only with StandaloneTaskPolicy.STOP, and only in this cluster', async () => {
  const stopTask = HANDLER_API_CALLS.find((c) => c.operation === 'StopTask')!;
  expect(await decisions(rolePolicy(), OURS, [stopTask])).toEqual({ 'ecs:StopTask': 'ImplicitlyDenied' });
  expect(await decisions(rolePolicy(StandaloneTaskPolicy.STOP), OURS, [stopTask])).toEqual({ 'ecs:StopTask': 'Allowed' });
  expect(await decisions(rolePolicy(StandaloneTaskPolicy.STOP), FOREIGN, [stopTask])).toEqual({ 'ecs:StopTask': 'ImplicitlyDenied' });
});

test('GetTaskProtection is allowed only with TaskProtectionPolicy.WAIT, only on this cluster\'s tasks, and only with its ecs:cluster', async () => {
  const getTaskProtection = HANDLER_API_CALLS.find((c) => c.operation === 'GetTaskProtection')!;
  const wait = rolePolicy(undefined, false, TaskProtectionPolicy.WAIT);
  expect(await decisions(rolePolicy(), OURS, [getTaskProtection])).toEqual({ 'ecs:GetTaskProtection': 'ImplicitlyDenied' });
  expect(await decisions(rolePolicy(undefined, false, TaskProtectionPolicy.IGNORE), OURS, [getTaskProtection])).toEqual({ 'ecs:GetTaskProtection': 'ImplicitlyDenied' });
  expect(await decisions(wait, OURS, [getTaskProtection])).toEqual({ 'ecs:GetTaskProtection': 'Allowed' });
  expect(await decisions(wait, FOREIGN, [getTaskProtection])).toEqual({ 'ecs:GetTaskProtection': 'ImplicitlyDenied' });
  const { resource } = requestFor(getTaskProtection, OURS);
  expect(await decide(wait, 'ecs:GetTaskProtection', resource, { 'ecs:cluster': clusterArn(FOREIGN) })).toBe('ImplicitlyDenied');
  // WAIT reads protection, it never changes it: UpdateTaskProtection stays denied
  expect(await decide(wait, 'ecs:UpdateTaskProtection', resource, { 'ecs:cluster': clusterArn(OURS) })).toBe('ImplicitlyDenied');
  // and everything else the handler calls is still allowed, and only here
  const withWait = [...always, getTaskProtection];
  expect(await decisions(wait, OURS, withWait)).toEqual(allAre(withWait, 'Allowed'));
  expect(await decisions(wait, FOREIGN, scoped(withWait))).toEqual(allAre(scoped(withWait), 'ImplicitlyDenied'));
});

test('TerminateInstanceInAutoScalingGroup is allowed only with DrainTimeoutBehavior.retain(), and only on this group', async () => {
  const terminate = HANDLER_API_CALLS.find((c) => c.operation === 'TerminateInstanceInAutoScalingGroup')!;
  expect(terminate.use).toBe(ApiCallUse.RETAIN_INSTANCES);
  const retain = rolePolicy(undefined, false, undefined, { drainTimeoutBehavior: DrainTimeoutBehavior.retain() });
  expect(await decisions(retain, OURS, [terminate])).toEqual({ [iamActionOf(terminate)]: 'Allowed' });
  expect(await decisions(retain, FOREIGN, [terminate])).toEqual({ [iamActionOf(terminate)]: 'ImplicitlyDenied' });
  for (const behavior of [DrainTimeoutBehavior.CONTINUE, DrainTimeoutBehavior.ABANDON]) {
    expect(await decisions(rolePolicy(undefined, false, undefined, { drainTimeoutBehavior: behavior }), OURS, [terminate]))
      .toEqual({ [iamActionOf(terminate)]: 'ImplicitlyDenied' });
  }
  // every other call keeps its scope, and nothing else of Auto Scaling that changes capacity is granted
  expect(await decisions(retain, OURS, always)).toEqual(allAre(always, 'Allowed'));
  expect(await decisions(retain, FOREIGN, scoped(always))).toEqual(allAre(scoped(always), 'ImplicitlyDenied'));
  const group = requestFor(terminate, OURS).resource;
  for (const action of ['autoscaling:SetDesiredCapacity', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DetachInstances']) {
    expect([action, await decide(retain, action, group, {})]).toEqual([action, 'ImplicitlyDenied']);
  }
});

test('the test has teeth: a statement widened to Resource "*" without its condition lets foreign calls through', async () => {
  for (const action of ['ecs:DescribeTasks', 'ecs:UpdateContainerInstancesState', 'autoscaling:CompleteLifecycleAction']) {
    const policy = rolePolicy();
    const statement = policy.Statement.find((s: any) => [s.Action].flat().includes(action));
    statement.Resource = '*';
    delete statement.Condition;
    const foreign = await decisions(policy, FOREIGN, scoped(always));
    expect([action, foreign[action]]).toEqual([action, 'Allowed']);
  }
});

describe('events:PutEvents (drain events)', () => {
  const putEvents = HANDLER_API_CALLS.find((c) => c.operation === 'PutEvents')!;
  const bus = (name: string, region = REGION, account = ACCOUNT) => `arn:aws:events:${region}:${account}:event-bus/${name}`;

  test('allowed on the default bus of this account and region, by default', async () => {
    expect(await decisions(rolePolicy(), OURS, [putEvents])).toEqual({ 'events:PutEvents': 'Allowed' });
    expect(await decide(rolePolicy(), 'events:PutEvents', bus('default'), {})).toBe('Allowed');
  });

  test('denied on another bus, and on the default bus of another region or account', async () => {
    const policy = rolePolicy();
    for (const resource of [bus('orders'), bus('default', 'us-east-1'), bus('default', REGION, '210987654321')]) {
      expect([resource, await decide(policy, 'events:PutEvents', resource, {})]).toEqual([resource, 'ImplicitlyDenied']);
    }
  });

  test('with publishDrainEvents false: denied even on the default bus', async () => {
    expect(await decide(rolePolicy(undefined, false, undefined, { publishDrainEvents: false }), 'events:PutEvents', bus('default'), {})).toBe('ImplicitlyDenied');
  });

  test('the role gets no other EventBridge action', async () => {
    const policy = rolePolicy();
    const rule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/any-rule`;
    for (const [action, resource] of [['events:PutRule', rule], ['events:PutTargets', rule], ['events:DeleteRule', rule], ['events:PutPermission', '*']]) {
      expect([action, await decide(policy, action, resource, {})]).toEqual([action, 'ImplicitlyDenied']);
    }
  });
});
