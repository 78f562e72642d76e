/**
 * DrainTimeoutBehavior in the construct: the hook's default result, the handler's environment, the permission to
 * terminate retained instances (only with retain()), the synth-time check of the group's retention trigger, the
 * deprecated drainTimeoutResult, and validation.
 */
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DrainTimeoutBehavior, DrainingLifecycleHook, type DrainingLifecycleHookProps, DrainingLifecycleHookWarnings } from '../../lib';
import { ENV, envOf, importedStack, importedStackWith } from './fixtures';

const TERMINATE = 'autoscaling:TerminateInstanceInAutoScalingGroup';

/** The statements of the handler's role that grant an action. */
function statementsWith(template: Template, action: string): Array<Record<string, any>> {
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
  return statements.filter((s: any) => [s.Action].flat().includes(action));
}

/** A group created in the app, with or without the retention trigger, drained by the construct. */
function createdGroup(instanceLifecyclePolicy: autoscaling.InstanceLifecyclePolicy | undefined, props: Partial<DrainingLifecycleHookProps>) {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const group = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(), instanceLifecyclePolicy,
  });
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: group, cluster, ...props });
  return { stack, group };
}
const RETAIN_POLICY = { retentionTriggers: { terminateHookAbandon: autoscaling.TerminateHookAbandonAction.RETAIN } };

function warningIds(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.stringLikeRegexp('.*'))
    .map((w) => /\[ack: (ecs-draining-lifecycle-hook:[A-Za-z]+)\]/.exec(String(w.entry.data))?.[1] ?? String(w.entry.data));
}

describe('DrainTimeoutBehavior.retain()', () => {
  const { template } = importedStack({ drainTimeoutBehavior: DrainTimeoutBehavior.retain() });

  test('the hook\'s default result is ABANDON: an action that expires retains the instance instead of terminating it', () => {
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { DefaultResult: 'ABANDON' });
  });

  test('the handler is told to retain, and when a retained drain is overdue (default 7 days)', () => {
    expect(envOf(template)).toMatchObject({ DRAIN_TIMEOUT_RESULT: 'RETAIN', RETAINED_DRAIN_OVERDUE_SECONDS: String(7 * 86400) });
    const custom = importedStack({ drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter: Duration.hours(60) }) }).template;
    expect(envOf(custom)).toMatchObject({ RETAINED_DRAIN_OVERDUE_SECONDS: String(60 * 3600) });
  });

  test('the role may terminate instances of this group only (TerminateInstanceInAutoScalingGroup, on the group ARN)', () => {
    const [statement] = statementsWith(template, TERMINATE);
    expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/my-asg']] });
    expect(statement.Condition).toBeUndefined();
  });

  test('the behaviour\'s public shape', () => {
    const retain = DrainTimeoutBehavior.retain({ overdueAfter: Duration.days(2) });
    expect([retain.name, retain.result, retain.retainsInstances, retain.overdueAfter?.toDays()]).toEqual(['RETAIN', 'ABANDON', true, 2]);
    expect([DrainTimeoutBehavior.CONTINUE.name, DrainTimeoutBehavior.CONTINUE.result, DrainTimeoutBehavior.CONTINUE.retainsInstances])
      .toEqual(['CONTINUE', 'CONTINUE', false]);
    expect([DrainTimeoutBehavior.ABANDON.name, DrainTimeoutBehavior.ABANDON.result, DrainTimeoutBehavior.ABANDON.overdueAfter])
      .toEqual(['ABANDON', 'ABANDON', undefined]);
  });
});

describe('CONTINUE (the default) and ABANDON', () => {
  test.each([
    ['the default', 'CONTINUE', {}],
    ['CONTINUE', 'CONTINUE', { drainTimeoutBehavior: DrainTimeoutBehavior.CONTINUE }],
    ['ABANDON', 'ABANDON', { drainTimeoutBehavior: DrainTimeoutBehavior.ABANDON }],
    ['the deprecated drainTimeoutResult ABANDON', 'ABANDON', { drainTimeoutResult: autoscaling.DefaultResult.ABANDON }],
  ] as const)('%s: the hook\'s default result and the handler\'s result are %s, and nothing may be terminated', (_, result, props) => {
    const { template } = importedStack(props);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { DefaultResult: result });
    expect(envOf(template)).toMatchObject({ DRAIN_TIMEOUT_RESULT: result });
    expect(envOf(template)).not.toHaveProperty('RETAINED_DRAIN_OVERDUE_SECONDS');
    expect(statementsWith(template, TERMINATE)).toEqual([]);
  });
});

describe('the group\'s retention trigger, checked at synthesis', () => {
  test('a group created in the app without an instance lifecycle policy: warned, naming the group and the fix', () => {
    const { stack } = createdGroup(undefined, { drainTimeoutBehavior: DrainTimeoutBehavior.retain() });
    expect(warningIds(stack)).toEqual([DrainingLifecycleHookWarnings.NO_RETENTION_TRIGGER]);
    expect(String(Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.anyValue())[0].entry.data))
      .toMatch(/Auto Scaling group Test\/Asg has no instance lifecycle policy .*terminateHookAbandon: TerminateHookAbandonAction.RETAIN/);
  });

  test('a policy with TerminateHookAbandon terminate: warned; retain: not', () => {
    const terminate = { retentionTriggers: { terminateHookAbandon: autoscaling.TerminateHookAbandonAction.TERMINATE } };
    expect(warningIds(createdGroup(terminate, { drainTimeoutBehavior: DrainTimeoutBehavior.retain() }).stack))
      .toEqual([DrainingLifecycleHookWarnings.NO_RETENTION_TRIGGER]);
    expect(warningIds(createdGroup(RETAIN_POLICY, { drainTimeoutBehavior: DrainTimeoutBehavior.retain() }).stack)).toEqual([]);
  });

  test('the policy as finally set is checked: an escape hatch on the L1 after the construct', () => {
    const { stack, group } = createdGroup(undefined, { drainTimeoutBehavior: DrainTimeoutBehavior.retain() });
    (group.node.defaultChild as autoscaling.CfnAutoScalingGroup).instanceLifecyclePolicy = { retentionTriggers: { terminateHookAbandon: 'retain' } };
    expect(warningIds(stack)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      InstanceLifecyclePolicy: { RetentionTriggers: { TerminateHookAbandon: 'retain' } },
    });
  });

  test('not checked without retain(), nor for an imported group (its policy cannot be seen)', () => {
    expect(warningIds(createdGroup(undefined, {}).stack)).toEqual([]);
    const { stack } = importedStack({ drainTimeoutBehavior: DrainTimeoutBehavior.retain() });
    expect(warningIds(stack)).toEqual([]);
  });
});

describe('the deprecated drainTimeoutResult', () => {
  test('set: warned with its own ID, naming the replacement', () => {
    const { stack } = importedStack({ drainTimeoutResult: autoscaling.DefaultResult.CONTINUE });
    expect(warningIds(stack)).toEqual([DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_RESULT_DEPRECATED]);
    expect(String(Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.anyValue())[0].entry.data))
      .toMatch(/^drainTimeoutResult is deprecated: use drainTimeoutBehavior: DrainTimeoutBehavior.CONTINUE instead/);
  });

  test('with drainTimeoutBehavior too: an error naming both', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const both = { drainTimeoutResult: autoscaling.DefaultResult.ABANDON, drainTimeoutBehavior: DrainTimeoutBehavior.retain() };
    expect(() => importedStackWith(stack, both))
      .toThrow(/^only one of drainTimeoutResult \(deprecated\) and drainTimeoutBehavior may be set, got drainTimeoutResult ABANDON and drainTimeoutBehavior RETAIN/);
  });
});

describe('overdueAfter', () => {
  test.each([
    [Duration.seconds(59), '59 seconds'],
    [Duration.days(367), '367 days'],
    [Duration.millis(60_500), '1 minute 500 millis'],
  ])('%s is rejected, naming it', (overdueAfter, named) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    expect(() => importedStackWith(stack, { drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter }) }))
      .toThrow(new RegExp(`^overdueAfter of DrainTimeoutBehavior.retain\\(\\) must be a whole number of seconds from 1 minute to 366 days, got ${named}$`));
  });

  test('the limits are accepted; a token in seconds passes through, in minutes it is an error', () => {
    for (const overdueAfter of [Duration.minutes(1), Duration.days(366)]) {
      importedStackWith(new Stack(new App(), 'Test', { env: ENV }), { drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter }) });
    }
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const seconds = new CfnParameter(stack, 'Overdue', { type: 'Number' }).valueAsNumber;
    importedStackWith(stack, { drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter: Duration.seconds(seconds) }) });
    expect(envOf(Template.fromStack(stack)).RETAINED_DRAIN_OVERDUE_SECONDS).toEqual({ Ref: 'Overdue' });
    const other = new Stack(new App(), 'Test', { env: ENV });
    const minutes = new CfnParameter(other, 'Overdue', { type: 'Number' }).valueAsNumber;
    expect(() => importedStackWith(other, { drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter: Duration.minutes(minutes) }) }))
      .toThrow(/^overdueAfter of DrainTimeoutBehavior.retain\(\) must be given in seconds when it is a token/);
  });
});
