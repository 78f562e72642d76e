import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DrainingLifecycleHook, DrainingLifecycleHookWarnings } from '../../lib';
import { DrainingLifecycleHookValidationError } from '../../lib/validation';

// GIVEN a cluster and a group, as a user of aws-cdk-lib makes them.
function setup(groupProps: Partial<autoscaling.AutoScalingGroupProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Asg', {
    vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(), ...groupProps,
  });
  return { stack, cluster, autoScalingGroup };
}

/** Managed termination protection: on, off, and not set (aws-cdk-lib's default: on). */
const TERMINATION_PROTECTION = [true, false, undefined] as const;
/** The managed draining settings forCapacityProvider accepts; `true` is refused (below). */
const ACCEPTED_MANAGED_DRAINING = [false, undefined] as const;
const COMBINATIONS = TERMINATION_PROTECTION.flatMap((enableManagedTerminationProtection) =>
  ACCEPTED_MANAGED_DRAINING.map((enableManagedDraining) => ({ enableManagedTerminationProtection, enableManagedDraining })));

/** The termination lifecycle hooks of the template, by logical ID. */
function terminationHooks(template: Template): string[] {
  return Object.keys(template.findResources('AWS::AutoScaling::LifecycleHook', {
    Properties: { LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' },
  }));
}

/** This construct's warnings (coexistence and others), by ID. */
function ownWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ecs-draining-lifecycle-hook:')).map((w) => String(w.entry.data));
}

describe.each(COMBINATIONS)('forCapacityProvider, termination protection $enableManagedTerminationProtection, managed draining $enableManagedDraining', (settings) => {
  // WHEN the capacity provider is attached with the factory
  const { stack, cluster, autoScalingGroup } = setup();
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup, ...settings });
  const hook = DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider });
  const template = Template.fromStack(stack);

  test('exactly one termination hook that drains: this construct\'s', () => {
    const own = stack.getLogicalId((hook.lifecycleHook as autoscaling.LifecycleHook).node.defaultChild as CfnElement);
    expect(terminationHooks(template)).toEqual([own]);
  });

  test('no aws-cdk-lib InstanceDrainHook: no DrainECSHook construct, no topic, one drain function (the handler)', () => {
    expect(autoScalingGroup.node.tryFindChild('DrainECSHook')).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 0);
    // the hook's handler, and the cluster's task-event consumer (lib/cluster-task-events.ts): nothing of InstanceDrainHook
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.taskEventHandler' }, 1);
  });

  test('ECS managed draining is off; managed termination protection is as given', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        ManagedDraining: 'DISABLED',
        ManagedTerminationProtection: settings.enableManagedTerminationProtection === false ? 'DISABLED' : 'ENABLED',
      },
    });
  });

  test('the capacity provider is the cluster\'s, and the hook drains its group', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: [{ Ref: Match.stringLikeRegexp('^CapacityProvider') }],
    });
    expect(cluster.capacityProviderNames).toEqual([capacityProvider.capacityProviderName]);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^AsgASG') } });
  });

  test('no coexistence warning', () => {
    expect(ownWarnings(stack)).toEqual([]);
  });
});

describe.each(TERMINATION_PROTECTION)('managed draining explicitly on, termination protection %s', (enableManagedTerminationProtection) => {
  test('refused: a validation error that names the capacity provider and the setting; nothing is added to the cluster', () => {
    const { stack, cluster, autoScalingGroup } = setup();
    const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', {
      autoScalingGroup, enableManagedTerminationProtection, enableManagedDraining: true,
    });
    let error: unknown;
    try {
      DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DrainingLifecycleHookValidationError);
    expect((error as Error).message).toMatch(/^capacityProvider Test\/CapacityProvider has ECS managed instance draining on \(enableManagedDraining: true\)/);
    expect(cluster.capacityProviderNames).toEqual([]);
  });
});

test('the same configurations through cluster.addAsgCapacityProvider() alone: managed draining stays on where not set, '
  + 'and termination protection off adds aws-cdk-lib\'s hook (what the factory prevents)', () => {
  for (const settings of COMBINATIONS) {
    const { stack, cluster, autoScalingGroup } = setup();
    const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup, ...settings });
    cluster.addAsgCapacityProvider(capacityProvider);
    new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup, cluster });
    const template = Template.fromStack(stack);
    const withInstanceDrainHook = settings.enableManagedTerminationProtection === false;
    expect({ settings, hooks: terminationHooks(template).length }).toEqual({ settings, hooks: withInstanceDrainHook ? 2 : 1 });
    const managedDraining = template.findResources('AWS::ECS::CapacityProvider');
    expect(Object.values(managedDraining)[0].Properties.AutoScalingGroupProvider.ManagedDraining)
      .toBe(settings.enableManagedDraining === false ? 'DISABLED' : undefined);
  }
});

test('a capacity provider already added to the cluster with aws-cdk-lib\'s InstanceDrainHook: refused, naming it', () => {
  const { stack, cluster, autoScalingGroup } = setup();
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', {
    autoScalingGroup, enableManagedTerminationProtection: false, enableManagedDraining: false,
  });
  cluster.addAsgCapacityProvider(capacityProvider);
  expect(() => DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider }))
    .toThrow(/already has aws-cdk-lib's InstanceDrainHook Test\/Asg\/DrainECSHook.*only through DrainingLifecycleHook.forCapacityProvider$/);
});

test('a capacity provider already added without one (termination protection on): accepted, still one drain hook', () => {
  const { stack, cluster, autoScalingGroup } = setup();
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup, enableManagedDraining: false });
  cluster.addAsgCapacityProvider(capacityProvider);
  DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider });
  expect(terminationHooks(Template.fromStack(stack))).toHaveLength(1);
  expect(cluster.capacityProviderNames).toHaveLength(1);
});

test('a second hook on the same capacity provider fails synthesis, as any second DrainingLifecycleHook on a group does', () => {
  const { stack, cluster, autoScalingGroup } = setup();
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup });
  DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider });
  DrainingLifecycleHook.forCapacityProvider(stack, 'SecondDrainHook', { cluster, capacityProvider });
  expect(() => Template.fromStack(stack)).toThrow(new RegExp(`drains the same group.*\\[${DrainingLifecycleHookWarnings.SECOND_DRAINING_HOOK}\\]`));
});

test('the hook\'s options and the capacity provider options are passed on', () => {
  const { stack, cluster, autoScalingGroup } = setup({ spotPrice: '0.05' });
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup });
  DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', {
    cluster, capacityProvider, drainTimeout: Duration.hours(2), capacityProviderOptions: { spotInstanceDraining: true },
  });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DRAIN_TIMEOUT_SECONDS: '7200' }) } });
  // The group's user data (spotInstanceDraining writes this line when the group has a Spot price).
  expect(JSON.stringify(template.toJSON())).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
  expect(terminationHooks(template)).toHaveLength(1);
});

test('a default capacity provider strategy may name it: the capacity provider is added before the cluster validates', () => {
  const { stack, cluster, autoScalingGroup } = setup();
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', { autoScalingGroup });
  DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider });
  cluster.addDefaultCapacityProviderStrategy([{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }]);
  Template.fromStack(stack).hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
    DefaultCapacityProviderStrategy: [{ CapacityProvider: { Ref: Match.stringLikeRegexp('^CapacityProvider') }, Weight: 1 }],
  });
});
