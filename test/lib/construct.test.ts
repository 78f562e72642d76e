import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DrainingLifecycleHook, type DrainingLifecycleHookProps, DrainingLifecycleHookWarnings, StandaloneTaskPolicy } from '../../lib';
import { MetricName } from '../../lib/handler-contract';
import { ApiCallUse, HANDLER_API_CALLS, iamActionOf } from '../../lib/handler-api-calls';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** A stack with an imported group and cluster: names and ARNs are plain strings, so assertions stay literal. */
function importedStack(props: Partial<DrainingLifecycleHookProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const hook = new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
    cluster: ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'prod', vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
    }),
    ...props,
  });
  return { stack, hook, template: Template.fromStack(stack) };
}

/** The construct on an imported group and cluster, in a given stack. */
function importedStackWith(stack: Stack, props: Partial<DrainingLifecycleHookProps> = {}): DrainingLifecycleHook {
  return new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
    cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
    ...props,
  });
}

const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
/** Imported resources build their ARNs with the partition as a token. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const IMPORTED_CLUSTER_ARN = arn(':ecs:eu-west-1:123456789012:cluster/prod');
const ASG_ARN = arn(':autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/my-asg');
const HOOK_REF = { Ref: expect.stringMatching(/^DrainHook/) };

function envOf(template: Template): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function');
  expect(Object.keys(fns)).toHaveLength(1);
  return Object.values(fns)[0].Properties.Environment.Variables;
}

function ecsAndAutoscalingActions(template: Template): string[] {
  const actions: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const s of policy.Properties.PolicyDocument.Statement) actions.push(...[s.Action].flat());
  }
  return actions.filter((a) => /^(ecs|autoscaling|ec2):/.test(a)).sort();
}

describe('defaults', () => {
  const { template } = importedStack();

  test('one termination lifecycle hook: 10 minute heartbeat, CONTINUE, no notification target', () => {
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 1);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      AutoScalingGroupName: 'my-asg',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 600,
      DefaultResult: 'CONTINUE',
      NotificationTargetARN: Match.absent(),
      RoleARN: Match.absent(),
      LifecycleHookName: Match.absent(),
    });
  });

  test('the handler\'s environment pins every default', () => {
    expect(envOf(template)).toEqual({
      CLUSTER_NAME: 'prod',
      CLUSTER_ARN: IMPORTED_CLUSTER_ARN,
      AUTO_SCALING_GROUP_NAME: 'my-asg',
      LIFECYCLE_HOOK_NAME: HOOK_REF,
      DRAIN_TIMEOUT_SECONDS: '3600',
      HEARTBEAT_TIMEOUT_SECONDS: '600',
      SWEEP_INTERVAL_SECONDS: '60',
      DRAIN_TIMEOUT_RESULT: 'CONTINUE',
      STANDALONE_TASK_POLICY: 'WAIT',
      STANDALONE_TASK_GRACE_PERIOD_SECONDS: '300',
      SPOT_INTERRUPTION_DRAINING: 'false',
      WARM_POOL_REACTIVATION: 'true',
      METRICS_NAMESPACE: 'EcsDrainingLifecycleHook',
      AWS_RETRY_MODE: 'standard',
      AWS_MAX_ATTEMPTS: '8',
    });
  });

  test('the function: Node.js 24 on arm64, 5 minutes, 256 MB, its own log group, a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 300,
      MemorySize: 256,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^DrainHookLogGroup') } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrainHookDeadLetterQueue'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
  });

  test('logs kept for one month', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the dead-letter queue: SSE-SQS, 14 days, SSL only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('lifecycle rule: this group and this hook only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        'detail': { AutoScalingGroupName: ['my-asg'], LifecycleHookName: [{ Ref: Match.stringLikeRegexp('^DrainHook') }] },
      },
    });
  });

  test('task rule: tasks of this cluster that reached STOPPED', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'], 'detail': { clusterArn: [IMPORTED_CLUSTER_ARN], lastStatus: ['STOPPED'] } },
    });
  });

  test('sweep every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  test('warm pool return rule on, spot rule off', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Successful'],
        // AWS's sample of this event names no Origin or Destination: those launches are taken too
        'detail': { AutoScalingGroupName: ['my-asg'], Origin: ['WarmPool', { exists: false }], Destination: ['AutoScalingGroup', { exists: false }] },
      },
    });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ec2'] } }, 0);
    template.resourceCountIs('AWS::Events::Rule', 4);
  });

  test('every rule targets the one function, with a dead-letter queue and a retry policy', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^DrainHookHandler/), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^DrainHookDeadLetterQueue/), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
      })]);
    }
  });
});

describe('permissions', () => {
  const statementsOf = (template: Template) => Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);

  test('one scoped statement per intent', () => {
    const statements = statementsOf(importedStack().template);
    const cond = { ArnEquals: { 'ecs:cluster': IMPORTED_CLUSTER_ARN } };
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: 'ecs:ListContainerInstances', Resource: IMPORTED_CLUSTER_ARN },
      {
        Effect: 'Allow',
        Action: ['ecs:DescribeContainerInstances', 'ecs:UpdateContainerInstancesState', 'ecs:PutAttributes', 'ecs:DeleteAttributes'],
        Resource: arn(':ecs:eu-west-1:123456789012:container-instance/prod/*'),
        Condition: cond,
      },
      // the form the ECS developer guide documents for ListTasks (awsdocs/amazon-ecs-developer-guide#211)
      { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*', Condition: cond },
      { Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: arn(':ecs:eu-west-1:123456789012:task/prod/*'), Condition: cond },
      { Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'], Resource: ASG_ARN },
      { Effect: 'Allow', Action: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeWarmPool', 'autoscaling:DescribeScalingActivities'], Resource: '*' },
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DrainHookLogGroup/), 'Arn'] } },
    ]));
  });

  test('exactly the calls in HANDLER_API_CALLS, and StopTask only with StandaloneTaskPolicy.STOP', () => {
    const always = HANDLER_API_CALLS.filter((c) => c.use === ApiCallUse.ALWAYS).map(iamActionOf).sort();
    expect(ecsAndAutoscalingActions(importedStack().template)).toEqual(always);
    expect(ecsAndAutoscalingActions(importedStack({ standaloneTaskPolicy: StandaloneTaskPolicy.IGNORE }).template)).toEqual(always);
    expect(ecsAndAutoscalingActions(importedStack({ standaloneTaskPolicy: StandaloneTaskPolicy.STOP }).template))
      .toEqual([...always, 'ecs:StopTask'].sort());
  });

  test('no managed policy: no logs:* on every log group', () => {
    const roles = importedStack().template.findResources('AWS::IAM::Role');
    expect(Object.values(roles).map((r) => r.Properties.ManagedPolicyArns)).toEqual([undefined]);
  });
});

describe('options', () => {
  test('every option lands where it matters', () => {
    const key = (stack: Stack) => new kms.Key(stack, 'Key');
    const stack = new Stack(new App(), 'Test', { env: ENV });
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      drainTimeout: Duration.hours(6),
      heartbeatTimeout: Duration.minutes(30),
      drainTimeoutResult: autoscaling.DefaultResult.ABANDON,
      lifecycleHookName: 'drain-ecs',
      sweepInterval: Duration.minutes(5),
      standaloneTaskPolicy: StandaloneTaskPolicy.STOP,
      standaloneTaskGracePeriod: Duration.minutes(20),
      drainOnSpotInterruption: true,
      reactivateWarmPoolInstances: false,
      logRetention: logs.RetentionDays.ONE_YEAR,
      deadLetterQueueEncryptionKey: key(stack),
      metricsNamespace: 'Platform/Drain',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { LifecycleHookName: 'drain-ecs', HeartbeatTimeout: 1800, DefaultResult: 'ABANDON' });
    expect(envOf(template)).toMatchObject({
      LIFECYCLE_HOOK_NAME: HOOK_REF, DRAIN_TIMEOUT_SECONDS: '21600', HEARTBEAT_TIMEOUT_SECONDS: '1800', SWEEP_INTERVAL_SECONDS: '300',
      DRAIN_TIMEOUT_RESULT: 'ABANDON', STANDALONE_TASK_POLICY: 'STOP', STANDALONE_TASK_GRACE_PERIOD_SECONDS: '1200',
      SPOT_INTERRUPTION_DRAINING: 'true', WARM_POOL_REACTIVATION: 'false', METRICS_NAMESPACE: 'Platform/Drain',
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'source': ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { 'detail-type': ['EC2 Instance Launch Successful'] } }, 0);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] }, SqsManagedSseEnabled: Match.absent() });
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('dead-letter queue encrypted with a KMS key', () => {
  const producerActions = ['kms:GenerateDataKey', 'kms:Decrypt'];

  test('the handler\'s role may use the key to send failed invocations to the queue', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow', Action: producerActions, Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        }]),
      },
    });
  });

  test('the key policy lets EventBridge rules of this account and region use it, without a dependency cycle', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    // Template.fromStack rejects a template whose resources depend on each other in a cycle.
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: producerActions,
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': arn(':events:eu-west-1:123456789012:rule/*') },
          },
        }]),
      },
    });
  });

  test('why not the rules\' ARNs: a key policy that names them makes a cycle (key, rule, function, policy, queue, key)', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const key = new kms.Key(stack, 'Key');
    const hook = importedStackWith(stack, { deadLetterQueueEncryptionKey: key });
    const rule = hook.node.findChild('SweepRule') as events.Rule;
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:Decrypt'], resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
    }));
    // aws-cdk-lib also prints its own report of the cycle while synthesizing: keep it out of the test output.
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => Template.fromStack(stack)).toThrow(/dependency cycle: Key.* -> DrainHookSweepRule/);
    } finally {
      report.mockRestore();
    }
  });

  test('an imported key: the role is granted, and a warning says the key policy must allow EventBridge', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, {
      deadLetterQueueEncryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow', Action: producerActions, Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        }]),
      },
    });
    const warnings = Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.stringLikeRegexp('deadLetterQueueEncryptionKey'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringMatching(/key policy .* allow events\.amazonaws\.com kms:GenerateDataKey and kms:Decrypt .*\[ack: ecs-draining-lifecycle-hook:deadLetterQueueKeyPolicy\]/),
    ]);
    expect(String(warnings[0].entry.data)).toContain(`[ack: ${DrainingLifecycleHookWarnings.DEAD_LETTER_QUEUE_KEY_POLICY}]`);
  });

  test('a key made in the app: no warning', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deadLetterQueueEncryptionKey'))).toEqual([]);
  });
});

describe('validation', () => {
  test.each<[string, Partial<DrainingLifecycleHookProps>, RegExp]>([
    ['heartbeat below 30 s', { heartbeatTimeout: Duration.seconds(10) }, /heartbeatTimeout must be a whole number of seconds between 30 seconds and 2 hours, got 10 seconds/],
    ['heartbeat above 2 h', { heartbeatTimeout: Duration.hours(3) }, /heartbeatTimeout must be .* got 3 hours/],
    ['heartbeat not whole seconds', { heartbeatTimeout: Duration.millis(200_500) }, /heartbeatTimeout must be a whole number of seconds/],
    ['sweep of 90 s', { sweepInterval: Duration.seconds(90) }, /sweepInterval must be a whole number of minutes, at least 1 minute, got 1 minute 30 seconds/],
    ['sweep of 30 s', { sweepInterval: Duration.seconds(30) }, /sweepInterval must be .* got 30 seconds/],
    ['heartbeat too close to the sweep', { heartbeatTimeout: Duration.minutes(2) }, /heartbeatTimeout must be at least sweepInterval \+ 2 minutes \(180 seconds\).*got 2 minutes/],
    ['drain over 48 h', { drainTimeout: Duration.hours(49), heartbeatTimeout: Duration.hours(2) },
      /drainTimeout \(2 days 1 hour\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 48 hours \(172800 seconds\).*the highest allowed drainTimeout is 172560 seconds: lower drainTimeout or sweepInterval/],
    ['drain of 48 h: no room for a late drain start and a late check', { drainTimeout: Duration.hours(48), heartbeatTimeout: Duration.hours(2) },
      /drainTimeout \(2 days\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 48 hours .*highest allowed drainTimeout is 172560 seconds/],
    ['drain one second over the maximum', { drainTimeout: Duration.seconds(172561), heartbeatTimeout: Duration.hours(2) }, /highest allowed drainTimeout is 172560 seconds/],
    ['drain near 48 h with a 5 minute sweep', { drainTimeout: Duration.seconds(172081), heartbeatTimeout: Duration.hours(2), sweepInterval: Duration.minutes(5) },
      /2 × sweepInterval \(5 minutes\) .*highest allowed drainTimeout is 172080 seconds/],
    ['drain of 0', { drainTimeout: Duration.seconds(0) }, /drainTimeout must be a whole number of seconds, more than 0, got 0 seconds/],
    ['drain over 100 heartbeats', { drainTimeout: Duration.hours(20) },
      /drainTimeout \(20 hours\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 100 × heartbeatTimeout \(100 × 10 minutes = 60000 seconds\).*highest allowed drainTimeout is 59760 seconds: lower drainTimeout, or raise heartbeatTimeout to at least 723 seconds/],
    ['drain of exactly 100 heartbeats', { drainTimeout: Duration.minutes(1000) }, /highest allowed drainTimeout is 59760 seconds: lower drainTimeout, or raise heartbeatTimeout to at least 603 seconds/],
    ['grace without STOP', { standaloneTaskGracePeriod: Duration.minutes(1) }, /standaloneTaskGracePeriod is only used with StandaloneTaskPolicy.STOP, but standaloneTaskPolicy is WAIT/],
    ['grace not shorter than the drain', { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.hours(1) },
      /^standaloneTaskGracePeriod \(1 hour\) must be shorter than drainTimeout \(1 hour\), or standalone tasks are never stopped$/],
    ['default grace not shorter than the drain', { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, drainTimeout: Duration.minutes(4) },
      /^standaloneTaskGracePeriod \(the default, 5 minutes\) must be shorter than drainTimeout \(4 minutes\), or standalone tasks are never stopped: set a shorter standaloneTaskGracePeriod, or a longer drainTimeout$/],
    ['bad hook name', { lifecycleHookName: 'drain hook!' }, /lifecycleHookName must be 1 to 255 letters, digits, '-', '_' or '\/', got 'drain hook!'/],
    ['bad namespace', { metricsNamespace: 'a$b' }, /metricsNamespace must be/],
    ['namespace reserved for AWS', { metricsNamespace: 'AWS/Drain' }, /^metricsNamespace must not start with 'AWS\/', which CloudWatch reserves for AWS services, got 'AWS\/Drain'$/],
  ])('%s', (_, props, message) => {
    expect(() => importedStack(props)).toThrow(message);
  });

  test('the limits themselves are accepted: drainTimeout + 2 × sweepInterval + 2 minutes = min(48 hours, 100 × heartbeatTimeout)', () => {
    expect(() => importedStack({ heartbeatTimeout: Duration.hours(2), drainTimeout: Duration.minutes(47 * 60 + 56) })).not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.hours(2), drainTimeout: Duration.seconds(172080), sweepInterval: Duration.minutes(5) })).not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.minutes(3), drainTimeout: Duration.minutes(296) })).not.toThrow();
    expect(() => importedStack({ drainTimeout: Duration.seconds(59760) })).not.toThrow();
  });

  test('the documented lowest heartbeatTimeout (3 minutes, with the default sweepInterval) is the enforced one', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'draining-lifecycle-hook.ts'), 'utf8');
    const propDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly heartbeatTimeout/.exec(source)![1].replace(/\s*\* ?/g, ' ');
    expect(propDoc).toMatch(/at least 3 minutes with the default `sweepInterval`/);
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme.split('\n').find((line) => line.startsWith('| `heartbeatTimeout` |'))).toMatch(/3 minutes to 2 hours with the default `sweepInterval`/);
    expect(() => importedStack({ heartbeatTimeout: Duration.minutes(3) })).not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.seconds(179) })).toThrow(/heartbeatTimeout must be at least sweepInterval \+ 2 minutes \(180 seconds\)/);
    // Auto Scaling's own range keeps its check and message.
    expect(() => importedStack({ heartbeatTimeout: Duration.seconds(29) })).toThrow(/heartbeatTimeout must be a whole number of seconds between 30 seconds and 2 hours, got 29 seconds/);
  });

  test('durations that are tokens in seconds: not validated, and passed through to the hook and the handler', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const parameter = (id: string) => Duration.seconds(new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber);
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      drainTimeout: parameter('DrainTimeout'),
      heartbeatTimeout: parameter('HeartbeatTimeout'),
      standaloneTaskPolicy: StandaloneTaskPolicy.STOP,
      standaloneTaskGracePeriod: parameter('GracePeriod'),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: { Ref: 'HeartbeatTimeout' } });
    expect(envOf(template)).toMatchObject({
      DRAIN_TIMEOUT_SECONDS: { Ref: 'DrainTimeout' },
      HEARTBEAT_TIMEOUT_SECONDS: { Ref: 'HeartbeatTimeout' },
      STANDALONE_TASK_GRACE_PERIOD_SECONDS: { Ref: 'GracePeriod' },
      SWEEP_INTERVAL_SECONDS: '60',
    });
  });

  test.each([
    ['drainTimeout', (n: number) => ({ drainTimeout: Duration.minutes(n) })],
    ['heartbeatTimeout', (n: number) => ({ heartbeatTimeout: Duration.hours(n) })],
    ['standaloneTaskGracePeriod', (n: number) => ({ standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(n) })],
  ])('%s as a token in another unit than seconds: a clear error', (name, props) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const token = new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
    expect(() => importedStackWith(stack, props(token)))
      .toThrow(new RegExp(`^${name} must be given in seconds when it is a token, as Duration.seconds\\(token\\): CloudFormation cannot convert a token to seconds; got <token> (minutes|hours)$`));
  });

  test('sweepInterval as a token: a clear error, in any unit', () => {
    for (const unit of ['seconds', 'minutes'] as const) {
      const stack = new Stack(new App(), 'Test', { env: ENV });
      const token = new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
      expect(() => importedStackWith(stack, { sweepInterval: Duration[unit](token) }))
        .toThrow(new RegExp(`^sweepInterval must not be a token: .*SWEEP_INTERVAL_SECONDS.*got <token> ${unit}$`));
    }
  });

  test('unresolved tokens are not validated at synth', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const name = new CfnParameter(stack, 'HookName').valueAsString;
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      lifecycleHookName: name,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::LifecycleHook', { LifecycleHookName: { Ref: 'HookName' } });
  });
});

describe('drainTimeout shorter than sweepInterval', () => {
  const drainWarnings = (stack: Stack) => Annotations.fromStack(stack)
    .findWarning('/Test/DrainHook', Match.stringLikeRegexp('drainTimeoutBelowSweepInterval')).map((w) => String(w.entry.data));

  test('warned: the timeout is only checked once per sweep', () => {
    const { stack } = importedStack({ drainTimeout: Duration.minutes(2), sweepInterval: Duration.minutes(5), heartbeatTimeout: Duration.minutes(10) });
    expect(drainWarnings(stack)).toEqual([
      'drainTimeout (2 minutes) is shorter than sweepInterval (5 minutes): the handler checks the timeout only at a sweep or a task '
      + 'event, so a drain whose tasks do not stop can run up to one sweepInterval past drainTimeout. Lower sweepInterval, or raise '
      + `drainTimeout. [ack: ${DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL}]`,
    ]);
  });

  test('equal to sweepInterval or longer, or a token: not warned', () => {
    expect(drainWarnings(importedStack({ drainTimeout: Duration.minutes(1) }).stack)).toEqual([]);
    expect(drainWarnings(importedStack().stack)).toEqual([]);
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { drainTimeout: Duration.seconds(new CfnParameter(stack, 'Drain', { type: 'Number' }).valueAsNumber) });
    expect(drainWarnings(stack)).toEqual([]);
  });
});

describe('environment', () => {
  const group = (stack: Stack) => autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg');

  test.each([
    ['region', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', /cluster must be in the stack's region \(eu-west-1\), got region us-east-1: .*EventBridge rules only see events of their own region and account/],
    ['account', 'arn:aws:ecs:eu-west-1:210987654321:cluster/prod', /cluster must be in the stack's account \(123456789012\), got account 210987654321/],
  ])('a cluster in another %s: rejected', (_, clusterArn, message) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: group(stack), cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', clusterArn),
    })).toThrow(message);
  });

  test('a group from a stack in another region or account: rejected', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: ENV });
    const cluster = ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN);
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: group(elsewhere), cluster }))
      .toThrow(/autoScalingGroup must be in the stack's region \(eu-west-1\), got region us-east-1/);
    const otherAccount = new Stack(app, 'OtherAccount', { env: { account: '210987654321', region: 'eu-west-1' } });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook2', { autoScalingGroup: group(otherAccount), cluster }))
      .toThrow(/autoScalingGroup must be in the stack's account \(123456789012\), got account 210987654321/);
  });

  test('an environment-agnostic stack, or a cluster ARN that is a token: accepted', () => {
    const agnostic = new Stack(new App(), 'Test');
    expect(() => new DrainingLifecycleHook(agnostic, 'DrainHook', {
      autoScalingGroup: group(agnostic), cluster: ecs.Cluster.fromClusterArn(agnostic, 'Cluster', CLUSTER_ARN),
    })).not.toThrow();
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const arnParameter = new CfnParameter(stack, 'ClusterArn').valueAsString;
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: group(stack), cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', arnParameter),
    })).not.toThrow();
  });

  test.each([
    ['fromClusterArn', (stack: Stack) => ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN)],
    ['fromClusterAttributes', (stack: Stack) => ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'prod', vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
    })],
  ])('a cluster imported %s in the same environment: container-instance and task ARNs in the cluster\'s region and account', (_, importCluster) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const cluster = importCluster(stack);
    new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: group(stack), cluster });
    const resolvedClusterArn = JSON.stringify(stack.resolve(cluster.clusterArn));
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => st.Condition?.ArnEquals?.['ecs:cluster']);
    expect(statements.map((st: any) => JSON.stringify(st.Resource))).toEqual([
      JSON.stringify(arn(':ecs:eu-west-1:123456789012:container-instance/prod/*')),
      JSON.stringify('*'), // ecs:ListTasks: scoped by the condition alone
      JSON.stringify(arn(':ecs:eu-west-1:123456789012:task/prod/*')),
    ]);
    expect(resolvedClusterArn).toMatch(/ecs:eu-west-1:123456789012:cluster\/prod/);
  });
});

describe('with resources defined in the stack', () => {
  function realStack() {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const group = (id: string) => new autoscaling.AutoScalingGroup(stack, id, {
      vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
    });
    return { stack, cluster, group };
  }

  test('two hooks on two groups: each rule and policy points at its own group', () => {
    const { stack, cluster, group } = realStack();
    const a = group('A');
    const b = group('B');
    new DrainingLifecycleHook(stack, 'DrainA', { autoScalingGroup: a, cluster });
    new DrainingLifecycleHook(stack, 'DrainB', { autoScalingGroup: b, cluster });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    for (const [id, asg] of [['DrainA', a], ['DrainB', b]] as const) {
      const asgRef = stack.resolve(asg.autoScalingGroupName);
      template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { AutoScalingGroupName: asgRef });
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { detail: { AutoScalingGroupName: [asgRef], LifecycleHookName: [{ Ref: Match.stringLikeRegexp(`^${id}`) }] } },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ AUTO_SCALING_GROUP_NAME: asgRef, LIFECYCLE_HOOK_NAME: { Ref: Match.stringLikeRegexp(`^${id}`) } }) },
      });
    }
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('a cluster defined in the stack: cluster ARN from GetAtt, resources by its name', () => {
    const { stack, cluster, group } = realStack();
    new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: group('A'), cluster });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'ecs:DescribeTasks',
          Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'Arn'] } } },
        })]),
      },
    });
  });
});

describe('public surface', () => {
  const { stack, hook, template } = importedStack({ drainOnSpotInterruption: true });

  test('construct IDs are part of the contract', () => {
    expect(hook.node.children.map((c) => c.node.id)).toEqual([
      'Resource', 'DeadLetterQueue', 'LogGroup', 'ServiceRole', 'Handler',
      'LifecycleActionRule', 'TaskStoppedRule', 'SweepRule', 'WarmPoolReturnRule', 'SpotInterruptionRule',
    ]);
  });

  test('attributes', () => {
    expect(stack.resolve(hook.lifecycleHookName)).toEqual({ Ref: expect.stringMatching(/^DrainHook/) });
    expect(hook.lifecycleHook).toBeDefined();
    expect(stack.resolve(hook.handler.functionArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DrainHookHandler/), 'Arn'] });
    expect(stack.resolve(hook.deadLetterQueue.queueArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DrainHookDeadLetterQueue/), 'Arn'] });
    expect(stack.resolve(hook.logGroup.logGroupName)).toEqual({ Ref: expect.stringMatching(/^DrainHookLogGroup/) });
    expect(hook.metricsNamespace).toBe('EcsDrainingLifecycleHook');
  });

  test.each([
    ['metricDrainsStarted', 'DrainsStarted', 'Sum'],
    ['metricDrainsCompleted', 'DrainsCompleted', 'Sum'],
    ['metricDrainTimeouts', 'DrainTimeouts', 'Sum'],
    ['metricDrainDuration', 'DrainDuration', 'Maximum'],
    ['metricInstancesNotRegistered', 'InstancesNotRegistered', 'Sum'],
    ['metricPrematureCompletionGuards', 'PrematureCompletionGuards', 'Sum'],
    ['metricHandlerErrors', 'HandlerErrors', 'Sum'],
    ['metricStandaloneTasksStopped', 'StandaloneTasksStopped', 'Sum'],
    ['metricWarmPoolReactivations', 'WarmPoolReactivations', 'Sum'],
    ['metricSpotInterruptionDrains', 'SpotInterruptionDrains', 'Sum'],
    ['metricDrainsWithoutMarker', 'DrainsWithoutMarker', 'Sum'],
    ['metricClusterNotFound', 'ClusterNotFound', 'Sum'],
  ] as const)('%s', (method, metricName, statistic) => {
    const metric = hook[method]();
    expect(metric.namespace).toBe('EcsDrainingLifecycleHook');
    expect(metric.metricName).toBe(metricName);
    expect(metric.statistic).toBe(statistic);
    expect(metric.period.toSeconds()).toBe(300);
    expect(stack.resolve(metric.dimensions)).toEqual({ AutoScalingGroupName: 'my-asg' });
  });

  test('every metric the handler emits (lib/handler-contract.ts) has a metric…() method', () => {
    const methods = Object.getOwnPropertyNames(DrainingLifecycleHook.prototype).filter((n) => /^metric[A-Z]/.test(n));
    expect(Object.values(MetricName).map((name) => `metric${name}`).filter((m) => !methods.includes(m))).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
