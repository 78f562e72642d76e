/**
 * Least privilege of the cluster's task-event consumer, proven with the IAM simulator as the group function's role is
 * (test/lib/iam-policy.test.ts): for each registered hook, the drain permissions of that hook's own function (this
 * cluster, that group), so it may act on their drains and on no other cluster or group.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { resolve } from '../../emulator';
import { DrainingLifecycleHook, StandaloneTaskPolicy } from '../../lib';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const cluster = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
const instance = (c: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${c}/0a1b2c3d4e5f`;
const task = (c: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${c}/9f8e7d6c5b4a`;
const group = (g: string) => `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:8e1f2a3b-uuid:autoScalingGroupName/${g}`;

/** The consumer's identity policy, for hooks on `groups` of cluster prod. */
function consumerPolicy(groups: Array<{ name: string; standaloneTaskPolicy?: StandaloneTaskPolicy }>): Record<string, any> {
  const stack = new Stack(new App(), 'Iam', { env: { account: ACCOUNT, region: REGION } });
  const c = ecs.Cluster.fromClusterArn(stack, 'Cluster', cluster('prod'));
  groups.forEach((g, i) => new DrainingLifecycleHook(stack, `DrainHook${i}`, {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, `Asg${i}`, g.name),
    cluster: c,
    standaloneTaskPolicy: g.standaloneTaskPolicy,
  }));
  const template = Template.fromStack(stack).toJSON();
  const policies = Object.entries(template.Resources).filter(([id, r]: [string, any]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('DrainingLifecycleHookTaskEvents'));
  expect(policies).toHaveLength(1);
  return resolve({ template, region: REGION, account: ACCOUNT }, (policies[0][1] as any).Properties.PolicyDocument);
}

async function decide(policy: Record<string, any>, action: string, resource: string, clusterName?: string): Promise<string> {
  const response = await runSimulation({
    identityPolicies: [{ name: 'consumer', policy }], serviceControlPolicies: [], resourceControlPolicies: [],
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/consumer`, action, resource: { resource, accountId: ACCOUNT },
      contextVariables: clusterName ? { 'ecs:cluster': cluster(clusterName) } : {},
    },
  } as any, {});
  if (response.resultType === 'error') throw new Error(`simulation error for ${action}: ${JSON.stringify(response.errors)}`);
  return response.overallResult;
}

/** The consumer's calls on a cluster and a group, with their decisions. */
async function calls(policy: Record<string, any>, clusterName: string, groupName: string): Promise<Record<string, string>> {
  const requests: Array<[string, string, string | undefined]> = [
    ['ecs:DescribeContainerInstances', instance(clusterName), clusterName],
    ['ecs:PutAttributes', instance(clusterName), clusterName],
    ['ecs:ListTasks', '*', clusterName],
    ['ecs:DescribeTasks', task(clusterName), clusterName],
    ['autoscaling:CompleteLifecycleAction', group(groupName), undefined],
    ['autoscaling:RecordLifecycleActionHeartbeat', group(groupName), undefined],
  ];
  const out: Record<string, string> = {};
  for (const [action, resource, c] of requests) out[action] = await decide(policy, action, resource, c);
  return out;
}

const all = (result: string) => ({
  'ecs:DescribeContainerInstances': result, 'ecs:PutAttributes': result, 'ecs:ListTasks': result, 'ecs:DescribeTasks': result,
  'autoscaling:CompleteLifecycleAction': result, 'autoscaling:RecordLifecycleActionHeartbeat': result,
});

test('every call the consumer makes, on its cluster and each registered group: allowed', async () => {
  const policy = consumerPolicy([{ name: 'web' }, { name: 'batch' }]);
  expect(await calls(policy, 'prod', 'web')).toEqual(all('Allowed'));
  expect(await calls(policy, 'prod', 'batch')).toEqual(all('Allowed'));
});

test('another cluster, and a group that is not registered: denied', async () => {
  const policy = consumerPolicy([{ name: 'web' }]);
  expect(await calls(policy, 'staging', 'staging-capacity')).toEqual(all('ImplicitlyDenied'));
  expect(await decide(policy, 'autoscaling:CompleteLifecycleAction', group('batch'))).toBe('ImplicitlyDenied');
});

test('anything dangerous, and another group\'s lifecycle: denied, even on its cluster', async () => {
  const policy = consumerPolicy([{ name: 'web', standaloneTaskPolicy: StandaloneTaskPolicy.STOP }]);
  const denied: Array<[string, string, string | undefined]> = [
    ['autoscaling:TerminateInstanceInAutoScalingGroup', group('web'), undefined],
    ['autoscaling:UpdateAutoScalingGroup', group('web'), undefined],
    ['autoscaling:RecordLifecycleActionHeartbeat', group('batch'), undefined],
    ['ecs:DeregisterContainerInstance', cluster('prod'), undefined],
    ['ecs:DeleteCluster', cluster('prod'), undefined],
    ['ecs:UpdateContainerInstancesState', instance('staging'), 'staging'],
    ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/admin`, undefined],
  ];
  for (const [action, resource, c] of denied) expect([action, await decide(policy, action, resource, c)]).toEqual([action, 'ImplicitlyDenied']);
});

test('what a registered hook\'s function may do on its drains, the consumer may too (it acts for that hook)', async () => {
  const policy = consumerPolicy([{ name: 'web' }]);
  for (const [action, resource, c] of [
    ['ecs:UpdateContainerInstancesState', instance('prod'), 'prod'],
    ['ecs:ListContainerInstances', cluster('prod'), undefined],
  ] as Array<[string, string, string | undefined]>) expect([action, await decide(policy, action, resource, c)]).toEqual([action, 'Allowed']);
});

test('StopTask only when a registered group stops standalone tasks, and only in its cluster', async () => {
  expect(await decide(consumerPolicy([{ name: 'web' }]), 'ecs:StopTask', task('prod'), 'prod')).toBe('ImplicitlyDenied');
  const stopping = consumerPolicy([{ name: 'web' }, { name: 'batch', standaloneTaskPolicy: StandaloneTaskPolicy.STOP }]);
  expect(await decide(stopping, 'ecs:StopTask', task('prod'), 'prod')).toBe('Allowed');
  expect(await decide(stopping, 'ecs:StopTask', task('staging'), 'staging')).toBe('ImplicitlyDenied');
});
