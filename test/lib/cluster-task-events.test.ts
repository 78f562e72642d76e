import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { resolve } from '../../emulator';
import { DrainingLifecycleHook } from '../../lib';
import { PER_GROUP_TASK_RULE_CONTEXT, TASK_EVENT_PATH_ID_PREFIX } from '../../lib/cluster-task-events';
import { GROUP_ENVIRONMENT_KEYS, MAX_GROUPS_PER_TASK_EVENT_PATH, TaskEventEnvironment } from '../../lib/handler-contract';
import { ENV } from './fixtures';

/** Hooks on `groups` of the clusters named, in one stack. */
function stackWith(hooks: Array<{ group: string; cluster: string }>, context: Record<string, unknown> = {}) {
  const stack = new Stack(new App({ context }), 'Test', { env: ENV });
  const clusters = new Map<string, ecs.ICluster>();
  const clusterOf = (name: string) => clusters.get(name)
    ?? clusters.set(name, ecs.Cluster.fromClusterArn(stack, `Cluster-${name}`, `arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`)).get(name)!;
  hooks.forEach((h, i) => new DrainingLifecycleHook(stack, `DrainHook${i}`, {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, `Asg${i}`, h.group),
    cluster: clusterOf(h.cluster),
  }));
  return { stack, template: Template.fromStack(stack) };
}

const paths = (stack: Stack) => stack.node.children.filter((c) => c.node.id.startsWith(TASK_EVENT_PATH_ID_PREFIX));

describe('three hooks on three groups of one cluster', () => {
  const { stack, template } = stackWith([{ group: 'web', cluster: 'prod' }, { group: 'batch', cluster: 'prod' }, { group: 'gpu', cluster: 'prod' }]);

  test('share one task-event path: one rule, one queue with its dead-letter queue, one consumer', () => {
    expect(paths(stack).map((p) => p.node.children.map((c) => c.node.id))).toEqual([
      ['DeadLetterQueue', 'Queue', 'LogGroup', 'ServiceRole', 'Handler', 'EventSourceMapping', 'Rule'],
    ]);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ecs'] } }, 1);
    // three group functions and one consumer
    template.resourceCountIs('AWS::Lambda::Function', 4);
  });

  test('the rule: task state changes of this cluster that reached STOPPED, on a container instance, into the queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'],
        'detail': { clusterArn: ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod'], lastStatus: ['STOPPED'], containerInstanceArn: [{ exists: true }] },
      },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${TASK_EVENT_PATH_ID_PREFIX}.*Queue`), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${TASK_EVENT_PATH_ID_PREFIX}.*DeadLetterQueue`), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
      })],
    });
  });

  test('the queue: SSE-SQS, 12-minute visibility (6 × the consumer\'s 2-minute timeout), 1 hour, redrive after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true, VisibilityTimeout: 720, MessageRetentionPeriod: 3600,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
  });

  test('the event source: batches of up to 100, a 4-second window, at most 2 at once, partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100, MaximumBatchingWindowInSeconds: 4, ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: { Ref: Match.stringLikeRegexp(`^${TASK_EVENT_PATH_ID_PREFIX}.*Handler`) },
    });
  });

  test('the consumer: the bundled handler\'s other entry point, with every group\'s settings', () => {
    const consumers = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.taskEventHandler');
    expect(consumers).toHaveLength(1);
    // the hook names are CloudFormation's (Ref): resolved as CloudFormation would, the value is a JSON array
    const rendered = resolve({ template: template.toJSON(), region: ENV.region, account: ENV.account },
      consumers[0].Properties.Environment.Variables[TaskEventEnvironment.DRAIN_GROUPS]);
    const groups = JSON.parse(rendered);
    // each group: the values its own function's environment gives GROUP_ENVIRONMENT_KEYS
    const groupFns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler');
    const ctx = { template: template.toJSON(), region: ENV.region, account: ENV.account };
    const own = groupFns.map((f) => resolve(ctx, f.Properties.Environment.Variables));
    expect(groups).toEqual(own.map((env) => GROUP_ENVIRONMENT_KEYS.map((k) => env[k] ?? null)));
    expect(groups.map((g: unknown[]) => g[GROUP_ENVIRONMENT_KEYS.indexOf('AUTO_SCALING_GROUP_NAME')])).toEqual(['web', 'batch', 'gpu']);
    expect(stack.resolve(consumers[0].Properties.Handler)).toBe('index.taskEventHandler');
  });
});

test('two clusters: two independent paths', () => {
  const { stack, template } = stackWith([{ group: 'web', cluster: 'prod' }, { group: 'web-staging', cluster: 'staging' }]);
  expect(paths(stack)).toHaveLength(2);
  for (const name of ['prod', 'staging']) {
    template.resourcePropertiesCountIs('AWS::Events::Rule', {
      EventPattern: { detail: Match.objectLike({ clusterArn: [`arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`] }) },
    }, 1);
  }
});

test('the path\'s construct ID depends on the cluster only: stable across synths and hook order', () => {
  const ids = (hooks: Array<{ group: string; cluster: string }>) => paths(stackWith(hooks).stack).map((p) => p.node.id);
  expect(ids([{ group: 'a', cluster: 'prod' }])).toEqual(ids([{ group: 'b', cluster: 'prod' }, { group: 'c', cluster: 'prod' }]));
  expect(ids([{ group: 'a', cluster: 'prod' }])[0]).toMatch(new RegExp(`^${TASK_EVENT_PATH_ID_PREFIX}[0-9A-F]{8}$`));
});

test(`more than ${MAX_GROUPS_PER_TASK_EVENT_PATH} hooks on one cluster in one stack: a validation error naming the count`, () => {
  const hooks = Array.from({ length: MAX_GROUPS_PER_TASK_EVENT_PATH + 1 }, (_, i) => ({ group: `g${i}`, cluster: 'prod' }));
  expect(() => stackWith(hooks)).toThrow(`at most ${MAX_GROUPS_PER_TASK_EVENT_PATH} DrainingLifecycleHooks may share the task-event path of one cluster in one stack`);
  expect(() => stackWith(hooks)).toThrow(`got ${MAX_GROUPS_PER_TASK_EVENT_PATH + 1}`);
});

test('release 0.1.0\'s wiring (the benchmark\'s internal context key): a task rule per hook, no shared path, no lifecycle queue', () => {
  const { stack, template } = stackWith([{ group: 'web', cluster: 'prod' }, { group: 'batch', cluster: 'prod' }], { [PER_GROUP_TASK_RULE_CONTEXT]: true });
  expect(paths(stack)).toEqual([]);
  template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ecs'] } }, 2);
  template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
});

test(`${MAX_GROUPS_PER_TASK_EVENT_PATH} hooks with long names: the consumer's environment stays within Lambda's 4 KB`, () => {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const c = ecs.Cluster.fromClusterArn(stack, 'Cluster', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod');
  for (let i = 0; i < MAX_GROUPS_PER_TASK_EVENT_PATH; i++) {
    new DrainingLifecycleHook(stack, `DrainHook${i}`, {
      // 64-character names: longer than CloudFormation's generated ones
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, `Asg${i}`, `group-${i}-`.padEnd(64, 'x')),
      cluster: c,
      lifecycleHookName: `hook-${i}-`.padEnd(64, 'y'),
      metricsNamespace: 'Platform/EcsDrainingLifecycleHook',
    });
  }
  const template = Template.fromStack(stack);
  const [consumer] = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.taskEventHandler');
  const ctx = { template: template.toJSON(), region: ENV.region, account: ENV.account };
  const env = resolve(ctx, consumer.Properties.Environment.Variables) as Record<string, string>;
  // Lambda counts the keys and values of every variable (AWS Lambda quotas: 4 KB in all).
  const size = Object.entries(env).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  expect(size).toBeLessThanOrEqual(4096);
});
