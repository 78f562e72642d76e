import { App, Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DrainTimeoutBehavior, DrainingLifecycleHook, DrainingLifecycleHookWarnings } from '../../lib';

function setup() {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const group = (id: string) => new autoscaling.AutoScalingGroup(stack, id, {
    vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
  });
  const asg = group('Asg');
  return { stack, cluster, asg, group };
}

/** The coexistence warnings on the construct, by id. */
function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.stringLikeRegexp('.*'))
    .map((w) => String(w.entry.data)).filter((m) => m.includes('ecs-draining-lifecycle-hook:'))
    .map((m) => /\[ack: (ecs-draining-lifecycle-hook:[A-Za-z]+)\]/.exec(m)?.[1] ?? m);
}

/**
 * aws-cdk-lib 2.276 dropped `taskDrainTime` and `Cluster.addAutoScalingGroup` from its TypeScript types, but both still
 * work at runtime, and users' existing code still calls them: the guard must see what they create.
 */
const noCdkDrainHook = { spotInstanceDraining: false, taskDrainTime: Duration.seconds(0) };
function addAutoScalingGroup(cluster: ecs.Cluster, group: autoscaling.AutoScalingGroup, options?: object): void {
  (cluster as unknown as { addAutoScalingGroup(g: autoscaling.AutoScalingGroup, o?: object): void }).addAutoScalingGroup(group, options);
}

test('a capacity provider with managed draining left at its default: warned, naming it and the fix', () => {
  const { stack, cluster, asg } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(stack, 'Cp', { autoScalingGroup: asg, enableManagedTerminationProtection: false }), noCdkDrainHook);
  expect(warnings(stack)).toEqual([DrainingLifecycleHookWarnings.MANAGED_DRAINING]);
  const message = String(Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.anyValue())[0].entry.data);
  expect(message).toMatch(/capacity provider Test\/Cp .*not set, and ECS turns it on by default.*enableManagedDraining: false/);
});

test('managed draining explicitly on: warned; off: not', () => {
  const on = setup();
  new DrainingLifecycleHook(on.stack, 'DrainHook', { autoScalingGroup: on.asg, cluster: on.cluster });
  on.cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(on.stack, 'Cp', { autoScalingGroup: on.asg, enableManagedDraining: true, enableManagedTerminationProtection: false }));
  expect(warnings(on.stack)).toEqual([DrainingLifecycleHookWarnings.MANAGED_DRAINING]);

  const off = setup();
  new DrainingLifecycleHook(off.stack, 'DrainHook', { autoScalingGroup: off.asg, cluster: off.cluster });
  off.cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(off.stack, 'Cp', { autoScalingGroup: off.asg, enableManagedDraining: false, enableManagedTerminationProtection: false }), noCdkDrainHook);
  expect(warnings(off.stack)).toEqual([]);
});

test('aws-cdk-lib\'s InstanceDrainHook from addAsgCapacityProvider or addAutoScalingGroup: warned; taskDrainTime 0: not', () => {
  const viaProvider = setup();
  new DrainingLifecycleHook(viaProvider.stack, 'DrainHook', { autoScalingGroup: viaProvider.asg, cluster: viaProvider.cluster });
  viaProvider.cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(viaProvider.stack, 'Cp', { autoScalingGroup: viaProvider.asg, enableManagedDraining: false, enableManagedTerminationProtection: false }));
  expect(warnings(viaProvider.stack)).toEqual([DrainingLifecycleHookWarnings.INSTANCE_DRAIN_HOOK]);

  const viaGroup = setup();
  addAutoScalingGroup(viaGroup.cluster, viaGroup.asg);
  new DrainingLifecycleHook(viaGroup.stack, 'DrainHook', { autoScalingGroup: viaGroup.asg, cluster: viaGroup.cluster });
  expect(warnings(viaGroup.stack)).toEqual([DrainingLifecycleHookWarnings.INSTANCE_DRAIN_HOOK]);

  const zero = setup();
  addAutoScalingGroup(zero.cluster, zero.asg, noCdkDrainHook);
  new DrainingLifecycleHook(zero.stack, 'DrainHook', { autoScalingGroup: zero.asg, cluster: zero.cluster });
  expect(warnings(zero.stack)).toEqual([]);
});

test('another termination hook with ABANDON on this group: warned; CONTINUE, a launch hook, or another group: not', () => {
  const { stack, cluster, asg, group } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  asg.addLifecycleHook('Abandon', { lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING, defaultResult: autoscaling.DefaultResult.ABANDON });
  asg.addLifecycleHook('Continue', { lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING, defaultResult: autoscaling.DefaultResult.CONTINUE });
  asg.addLifecycleHook('Launch', { lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_LAUNCHING, defaultResult: autoscaling.DefaultResult.ABANDON });
  group('Other').addLifecycleHook('OtherAbandon', { lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING, defaultResult: autoscaling.DefaultResult.ABANDON });
  expect(warnings(stack)).toEqual([DrainingLifecycleHookWarnings.ABANDON_HOOK]);
  expect(String(Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.anyValue())[0].entry.data)).toMatch(/Test\/Asg\/LifecycleHookAbandon\/Resource .*Set its defaultResult to CONTINUE/);
});

test.each([
  ['drainTimeoutBehavior ABANDON', { drainTimeoutBehavior: DrainTimeoutBehavior.ABANDON }, []],
  ['DrainTimeoutBehavior.retain()', { drainTimeoutBehavior: DrainTimeoutBehavior.retain() }, [DrainingLifecycleHookWarnings.NO_RETENTION_TRIGGER]],
  ['the deprecated drainTimeoutResult ABANDON', { drainTimeoutResult: autoscaling.DefaultResult.ABANDON }, [DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_RESULT_DEPRECATED]],
])('this construct\'s own hook with %s (default result ABANDON) is not reported as a competitor', (_, props, expected) => {
  const { stack, cluster, asg } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster, ...props });
  expect(warnings(stack)).toEqual(expected);
});

test('two DrainingLifecycleHooks on one group: synthesis fails, each naming the other and the ID', () => {
  const { stack, cluster, asg } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  new DrainingLifecycleHook(stack, 'DrainHook2', { autoScalingGroup: asg, cluster });
  const id = DrainingLifecycleHookWarnings.SECOND_DRAINING_HOOK.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let error: unknown;
  try {
    (stack.node.root as App).synth();
  } catch (e) {
    error = e;
  }
  expect(String(error)).toMatch(new RegExp(`\\[Test/DrainHook\\] DrainingLifecycleHook Test/DrainHook2 drains the same group: two drain hooks race each other\\. Keep one\\. \\[${id}\\]`));
  expect(String(error)).toMatch(new RegExp('\\[Test/DrainHook2\\] DrainingLifecycleHook Test/DrainHook drains the same group'));
});

test('a second DrainingLifecycleHook added later, in another stack: seen, the check runs at synthesis over the whole tree', () => {
  const { stack, cluster, asg } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  const app = stack.node.root as App;
  new DrainingLifecycleHook(new Stack(app, 'Later', { env: { account: '123456789012', region: 'eu-west-1' } }), 'DrainHook',
    { autoScalingGroup: asg, cluster });
  expect(() => app.synth()).toThrow(/\[Test\/DrainHook\] DrainingLifecycleHook Later\/DrainHook drains the same group/);
});

test('DrainingLifecycleHooks on two groups: synthesis succeeds, with no warning', () => {
  const { stack, cluster, asg, group } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  new DrainingLifecycleHook(stack, 'DrainHook2', { autoScalingGroup: group('B'), cluster });
  expect(() => (stack.node.root as App).synth()).not.toThrow();
  expect(warnings(stack)).toEqual([]);
});

test('an imported group with a capacity provider on another group: no false positive', () => {
  const { stack, cluster, asg } = setup();
  new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Imported', 'some-other-group'), cluster,
  });
  cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(stack, 'Cp', { autoScalingGroup: asg, enableManagedTerminationProtection: false }));
  expect(warnings(stack)).toEqual([]);
});

test('acknowledged, as the README shows: not reported', () => {
  const { stack, cluster, asg } = setup();
  const hook = new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: asg, cluster });
  cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(stack, 'Cp', { autoScalingGroup: asg, enableManagedTerminationProtection: false }), noCdkDrainHook);
  CoreAnnotations.of(hook).acknowledgeWarning(DrainingLifecycleHookWarnings.MANAGED_DRAINING, 'managed draining is off in the account');
  expect(warnings(stack)).toEqual([]);
});

test('the warning IDs are public API, and their values are part of the contract (acknowledgements name them)', () => {
  expect([
    DrainingLifecycleHookWarnings.MANAGED_DRAINING,
    DrainingLifecycleHookWarnings.INSTANCE_DRAIN_HOOK,
    DrainingLifecycleHookWarnings.ABANDON_HOOK,
    DrainingLifecycleHookWarnings.SECOND_DRAINING_HOOK,
    DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL,
    DrainingLifecycleHookWarnings.DEAD_LETTER_QUEUE_KEY_POLICY,
    DrainingLifecycleHookWarnings.LOG_LEVEL_DROPS_METRICS,
    DrainingLifecycleHookWarnings.DRAIN_BUDGET_SHORT_WAIT,
  ]).toEqual([
    'ecs-draining-lifecycle-hook:managedDraining',
    'ecs-draining-lifecycle-hook:instanceDrainHook',
    'ecs-draining-lifecycle-hook:abandonHook',
    'ecs-draining-lifecycle-hook:secondDrainingHook',
    'ecs-draining-lifecycle-hook:drainTimeoutBelowSweepInterval',
    'ecs-draining-lifecycle-hook:deadLetterQueueKeyPolicy',
    'ecs-draining-lifecycle-hook:logLevelDropsMetrics',
    'ecs-draining-lifecycle-hook:drainBudgetShortWait',
  ]);
});
