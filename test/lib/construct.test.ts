import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DrainingLifecycleHook, type DrainingLifecycleHookProps, DrainingLifecycleHookWarnings, StandaloneTaskPolicy } from '../../lib';
import { ApiCallUse, HANDLER_API_CALLS, iamActionOf } from '../../lib/handler-api-calls';
import { MetricName } from '../../lib/handler-contract';
import { arn, CLUSTER_ARN, ENV, envOf, EVERY_OPTION, groupTemplate, importedStack, importedStackWith } from './fixtures';

const IMPORTED_CLUSTER_ARN = arn(':ecs:eu-west-1:123456789012:cluster/prod');
const ASG_ARN = arn(':autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/my-asg');
const HOOK_REF = { Ref: expect.stringMatching(/^DrainHook/) };

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
      TASK_PROTECTION_POLICY: 'IGNORE',
      SPOT_INTERRUPTION_DRAINING: 'false',
      WARM_POOL_REACTIVATION: 'true',
      METRICS_NAMESPACE: 'EcsDrainingLifecycleHook',
      DRAIN_EVENTS: 'true',
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

  test('outside any VPC, with no log level: the function has no VpcConfig and Lambda\'s default levels', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties;
    expect(fn.VpcConfig).toBeUndefined();
    expect(Object.keys(fn.LoggingConfig).sort()).toEqual(['LogFormat', 'LogGroup']);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
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

  test('no task rule of its own: task events reach the cluster\'s shared task-event path', () => {
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ecs'] } }, 0);
    importedStack().fullTemplate.resourcePropertiesCountIs('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'], 'detail': Match.objectLike({ clusterArn: [IMPORTED_CLUSTER_ARN], lastStatus: ['STOPPED'] }) },
    }, 1);
  });

  test('lifecycle queue: SSE-SQS, SSL only, 30-minute visibility (6 × the function\'s timeout), redrive to the dead-letter queue after 5 receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true, VisibilityTimeout: 1800, MessageRetentionPeriod: 3600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrainHookDeadLetterQueue'), 'Arn'] }, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrainHookLifecycleQueue'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^DrainHookHandler') },
      BatchSize: 10, MaximumBatchingWindowInSeconds: 1, ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // bounded by the event source's maximum concurrency, not by reserved concurrency
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
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
    template.resourceCountIs('AWS::Events::Rule', 3);
  });

  test('every rule targets the function, or for lifecycle actions the lifecycle queue, with a dead-letter queue and a retry policy', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    for (const rule of rules) {
      const lifecycle = JSON.stringify(rule.Properties.EventPattern ?? {}).includes('Lifecycle Action');
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(lifecycle ? /^DrainHookLifecycleQueue/ : /^DrainHookHandler/), 'Arn'] },
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
      ...EVERY_OPTION,
      deadLetterQueueEncryptionKey: key(stack),
    });
    const template = groupTemplate(stack);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { LifecycleHookName: 'drain-ecs', HeartbeatTimeout: 1800, DefaultResult: 'ABANDON' });
    expect(envOf(template)).toMatchObject({
      LIFECYCLE_HOOK_NAME: HOOK_REF, DRAIN_TIMEOUT_SECONDS: '21600', HEARTBEAT_TIMEOUT_SECONDS: '1800', SWEEP_INTERVAL_SECONDS: '300',
      DRAIN_TIMEOUT_RESULT: 'RETAIN', RETAINED_DRAIN_OVERDUE_SECONDS: '172800', STANDALONE_TASK_POLICY: 'STOP',
      STANDALONE_TASK_GRACE_PERIOD_SECONDS: '1200', TASK_PROTECTION_POLICY: 'WAIT', SPOT_INTERRUPTION_DRAINING: 'true',
      WARM_POOL_REACTIVATION: 'false', METRICS_NAMESPACE: 'Platform/Drain',
      DRAIN_EVENTS: 'false',
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'source': ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { 'detail-type': ['EC2 Instance Launch Successful'] } }, 0);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] }, SqsManagedSseEnabled: Match.absent() });
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('in a VPC', () => {
  const ENI_ACTIONS = [
    'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
  ];
  function inVpc(props: { subnets?: boolean; securityGroup?: boolean } = {}) {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'FunctionVpc', {
      vpcId: 'vpc-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-private-a', 'subnet-private-b'], isolatedSubnetIds: ['subnet-isolated-a', 'subnet-isolated-b'],
    });
    importedStackWith(stack, {
      vpc,
      vpcSubnets: props.subnets ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
      securityGroups: props.securityGroup ? [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1')] : undefined,
    });
    return Template.fromStack(stack);
  }

  test('the function runs in the given subnets with the given security groups', () => {
    inVpc({ subnets: true, securityGroup: true }).hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-isolated-a', 'subnet-isolated-b'], SecurityGroupIds: ['sg-1'] },
    });
  });

  test('with vpc alone: the VPC\'s private subnets, and a security group with outbound traffic only', () => {
    const template = inVpc();
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-private-a', 'subnet-private-b'], SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DrainHookHandlerSecurityGroup'), 'GroupId'] }] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-1', SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }], SecurityGroupIngress: Match.absent(),
    });
  });

  test('the role may manage the function\'s network interfaces (AWSLambdaVPCAccessExecutionRole\'s EC2 actions, not its logs:*), before the function is created', () => {
    const template = inVpc();
    const [policyId, policy] = Object.entries(template.findResources('AWS::IAM::Policy'))[0];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({ Effect: 'Allow', Action: ENI_ACTIONS, Resource: '*' });
    expect(Object.values(template.findResources('AWS::IAM::Role')).map((r) => r.Properties.ManagedPolicyArns)).toEqual([undefined]);
    expect(Object.values(template.findResources('AWS::Lambda::Function'))[0].DependsOn).toContain(policyId);
  });

  test('without vpc: no EC2 permission', () => {
    expect(ecsAndAutoscalingActions(importedStack().template).filter((a) => a.startsWith('ec2:'))).toEqual([]);
  });

  test.each<[string, (stack: Stack) => Partial<DrainingLifecycleHookProps>, string]>([
    ['vpcSubnets', () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }), 'vpcSubnets'],
    ['securityGroups', (stack) => ({ securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-1')] }), 'securityGroups \\(1\\)'],
  ])('%s without vpc: an error naming it', (_, props, named) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    expect(() => importedStackWith(stack, props(stack))).toThrow(new RegExp('^vpcSubnets and securityGroups are only used with vpc, which '
      + `places the handler in a VPC: set vpc, or remove them; got ${named} without vpc$`));
  });
});

describe('logLevel', () => {
  const logLevelWarnings = (stack: Stack) => Annotations.fromStack(stack)
    .findWarning('/Test/DrainHook', Match.stringLikeRegexp('logLevelDropsMetrics')).map((w) => String(w.entry.data));

  test('sets the function\'s application log level, and nothing else of its logging', () => {
    const { template, stack } = importedStack({ logLevel: lambda.ApplicationLogLevel.DEBUG });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG', SystemLogLevel: Match.absent() },
    });
    expect(logLevelWarnings(stack)).toEqual([]);
  });

  test.each([lambda.ApplicationLogLevel.WARN, lambda.ApplicationLogLevel.ERROR, lambda.ApplicationLogLevel.FATAL])(
    '%s drops the EMF metric lines (Lambda treats a line without a level as INFO): warned', (logLevel) => {
      const { stack } = importedStack({ logLevel });
      expect(logLevelWarnings(stack)).toEqual([expect.stringMatching(new RegExp(`^logLevel ${logLevel} drops the handler's metrics: .*`
        + `Use INFO, or leave logLevel unset\\. \\[ack: ${DrainingLifecycleHookWarnings.LOG_LEVEL_DROPS_METRICS}\\]$`))]);
    });

  test('INFO: not warned', () => {
    expect(logLevelWarnings(importedStack({ logLevel: lambda.ApplicationLogLevel.INFO }).stack)).toEqual([]);
  });
});

describe('environment', () => {
  const group = (stack: Stack) => autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg');

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
    const statements = Object.values(groupTemplate(stack).findResources('AWS::IAM::Policy'))
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
    // one function per group, and one task-event consumer for the cluster they share
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.ecs'] } }, 1);
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
  const { stack, hook, fullTemplate } = importedStack({ drainOnSpotInterruption: true });

  test('construct IDs are part of the contract', () => {
    expect(hook.node.children.map((c) => c.node.id)).toEqual([
      'Resource', 'DeadLetterQueue', 'LogGroup', 'ServiceRole', 'Handler',
      'LifecycleQueue', 'LifecycleEventSource', 'LifecycleActionRule', 'SweepRule', 'WarmPoolReturnRule', 'SpotInterruptionRule',
      'DrainsQuery', 'TimedOutDrainsQuery', 'BlockingTasksQuery', 'ErrorsQuery',
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
    ['metricInstancesDraining', 'InstancesDraining', 'Maximum'],
    ['metricOldestDrainAge', 'OldestDrainAge', 'Maximum'],
    ['metricClusterNotFound', 'ClusterNotFound', 'Sum'],
    ['metricDrainsHeldByProtection', 'DrainsHeldByProtection', 'Sum'],
    ['metricDrainsRetained', 'DrainsRetained', 'Sum'],
    ['metricInstancesRetained', 'InstancesRetained', 'Maximum'],
    ['metricOldestRetainedDrainAge', 'OldestRetainedDrainAge', 'Maximum'],
    ['metricRetainedDrainsOverdue', 'RetainedDrainsOverdue', 'Maximum'],
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
    expect(fullTemplate.toJSON()).toMatchSnapshot();
  });
});
