/**
 * The disruption budget prop (`maxConcurrentDrains`): validation (token-aware), what reaches the handler, the
 * metric methods, and the IAM policy (unchanged: the budget needs no permission the handler does not have already).
 */
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DrainBudget, DrainingLifecycleHook, DrainingLifecycleHookWarnings } from '../../lib';
import { DrainingLifecycleHookValidationError } from '../../lib/validation';
import { CLUSTER_ARN, ENV, envOf, importedStack } from './fixtures';

describe('maxConcurrentDrains validation', () => {
  test.each([
    ['a count of 0', DrainBudget.count(0), /^maxConcurrentDrains must allow at least 1 drain: DrainBudget.count takes a whole number of instances, at least 1, got 0$/],
    ['a negative count', DrainBudget.count(-2), /at least 1, got -2$/],
    ['a count that is not whole', DrainBudget.count(1.5), /whole number of instances, at least 1, got 1.5$/],
    ['a percentage of 0', DrainBudget.percent(0), /^DrainBudget.percent takes a whole number from 1 to 100 \(a percentage of the group's InService instances\) for maxConcurrentDrains, got 0$/],
    ['a percentage over 100', DrainBudget.percent(101), /from 1 to 100 .* got 101$/],
    ['a percentage that is not whole', DrainBudget.percent(12.5), /from 1 to 100 .* got 12.5$/],
  ])('%s is rejected, naming the value', (_, budget, message) => {
    expect(() => importedStack({ maxConcurrentDrains: budget })).toThrow(DrainingLifecycleHookValidationError);
    expect(() => importedStack({ maxConcurrentDrains: budget })).toThrow(message);
  });

  test.each([
    ['a count of 1', DrainBudget.count(1), '1'],
    ['a count of 50', DrainBudget.count(50), '50'],
    ['1 %', DrainBudget.percent(1), '1%'],
    ['100 %', DrainBudget.percent(100), '100%'],
  ])('%s is accepted and reaches the handler as MAX_CONCURRENT_DRAINS', (_, budget, value) => {
    const { template } = importedStack({ maxConcurrentDrains: budget });
    expect(envOf(template).MAX_CONCURRENT_DRAINS).toBe(value);
  });
});

describe('maxConcurrentDrains: what reaches the handler', () => {
  test('by default: no budget, and no MAX_CONCURRENT_DRAINS (the template is as before)', () => {
    expect(envOf(importedStack({}).template).MAX_CONCURRENT_DRAINS).toBeUndefined();
  });

  test('a token count or percentage: not validated, passed through', () => {
    const count = importedStackWithParameter((p) => DrainBudget.count(p));
    expect(count.env.MAX_CONCURRENT_DRAINS).toEqual({ Ref: 'MaxDrains' });
    const percent = importedStackWithParameter((p) => DrainBudget.percent(p));
    expect(percent.env.MAX_CONCURRENT_DRAINS).toEqual({ 'Fn::Join': ['', [{ Ref: 'MaxDrains' }, '%']] });
  });

  test('the budget needs no new permission: the role\'s policy is the same with and without it', () => {
    const policy = (template: Template) => Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument);
    expect(policy(importedStack({ maxConcurrentDrains: DrainBudget.count(2) }).template)).toEqual(policy(importedStack({}).template));
  });

  test('metric methods for the queue gauge and the drains started over the budget', () => {
    const { stack, hook } = importedStack({ maxConcurrentDrains: DrainBudget.percent(20) });
    const queued = hook.metricInstancesQueued();
    expect([queued.metricName, queued.statistic, queued.namespace]).toEqual(['InstancesQueued', 'Maximum', 'EcsDrainingLifecycleHook']);
    const over = hook.metricDrainsOverBudget();
    expect([over.metricName, over.statistic]).toEqual(['DrainsOverBudget', 'Sum']);
    expect(stack.resolve(over.dimensions)).toEqual({ AutoScalingGroupName: 'my-asg' });
  });
});

describe('a budget with little room to wait: warned', () => {
  const warnings = (props: Parameters<typeof importedStack>[0]) => Annotations.fromStack(importedStack(props).stack)
    .findWarning('*', Match.stringLikeRegexp(DrainingLifecycleHookWarnings.DRAIN_BUDGET_SHORT_WAIT));

  test('drainTimeout 12 hours with the derived heartbeatTimeout (10 minutes): an instance could wait only 4 hours 35 minutes', () => {
    const found = warnings({ maxConcurrentDrains: DrainBudget.count(2), drainTimeout: Duration.hours(12) });
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found[0].entry.data))
      .toMatch(/an instance can wait for the budget at most 4 hours 35 minutes, less than one drainTimeout \(12 hours\)/);
    expect(JSON.stringify(found[0].entry.data)).toMatch(/Raise heartbeatTimeout \(29 minutes gives the full 48 hours\), or lower drainTimeout/);
  });

  test('not warned: the defaults (about 15 hours 35 minutes of room), a heartbeatTimeout of 29 minutes, or no budget', () => {
    expect(warnings({ maxConcurrentDrains: DrainBudget.count(2) })).toEqual([]);
    const roomy = { maxConcurrentDrains: DrainBudget.count(2), drainTimeout: Duration.hours(12), heartbeatTimeout: Duration.minutes(29) };
    expect(warnings(roomy)).toEqual([]);
    expect(warnings({ drainTimeout: Duration.hours(12) })).toEqual([]);
  });

  test('a drainTimeout that is a token is not compared', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      drainTimeout: Duration.seconds(new CfnParameter(stack, 'DrainTimeout', { type: 'Number' }).valueAsNumber),
      maxConcurrentDrains: DrainBudget.count(2),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('drainBudgetShortWait'))).toEqual([]);
  });
});

/** The construct with a budget built from a CloudFormation Number parameter `MaxDrains`; the handler's environment. */
function importedStackWithParameter(budget: (value: number) => DrainBudget): { env: Record<string, unknown> } {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const value = new CfnParameter(stack, 'MaxDrains', { type: 'Number' }).valueAsNumber;
  new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
    cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
    maxConcurrentDrains: budget(value),
  });
  return { env: envOf(Template.fromStack(stack)) };
}
