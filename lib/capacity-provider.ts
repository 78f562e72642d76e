import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import { DrainingLifecycleHookValidationError } from './validation';

/**
 * What `DrainingLifecycleHook.forCapacityProvider()` does to the capacity provider and the cluster, so that the
 * construct is the group's one drainer, and what the coexistence check reads back from a capacity provider.
 *
 * Internal: not exported from lib/index.ts.
 */

/**
 * The ID aws-cdk-lib gives its `InstanceDrainHook` below the group (`Cluster.configureAutoScalingGroup`, called by
 * `addAsgCapacityProvider`, `addAutoScalingGroup` and `addCapacity`).
 */
export const INSTANCE_DRAIN_HOOK_ID = 'DrainECSHook';

/**
 * The capacity provider's CloudFormation resource. aws-cdk-lib gives it the provider's own ID, not `Resource`, so it
 * is not the node's default child.
 */
function cfnCapacityProviderOf(capacityProvider: ecs.AsgCapacityProvider): ecs.CfnCapacityProvider | undefined {
  return capacityProvider.node.children.find((c): c is ecs.CfnCapacityProvider => c instanceof ecs.CfnCapacityProvider);
}

/**
 * The capacity provider's `ManagedDraining` as it will be synthesized: `ENABLED`, `DISABLED`, or undefined when it
 * is not set (ECS then turns managed instance draining on: "Managed instance draining is on by default when you
 * create a capacity provider", docs/aws-behaviour.md). Read from the CloudFormation resource, so a change made to it
 * after the capacity provider was created (by `forCapacityProvider`, or by the user) counts.
 */
export function managedDrainingOf(capacityProvider: ecs.AsgCapacityProvider): string | undefined {
  const cfn = cfnCapacityProviderOf(capacityProvider);
  const fromProps = capacityProvider.enableManagedDraining === undefined ? undefined : capacityProvider.enableManagedDraining ? 'ENABLED' : 'DISABLED';
  if (!cfn) return fromProps;
  const provider = Stack.of(cfn).resolve(cfn.autoScalingGroupProvider) as { managedDraining?: string } | undefined;
  return provider?.managedDraining;
}

/**
 * Makes `hook` the only drainer of the capacity provider's group, then adds the capacity provider to the cluster:
 * - managed draining `true` is refused: the user asked for the other drainer;
 * - managed draining not set is turned off on the capacity provider (CloudFormation updates it in place);
 * - `cluster.addAsgCapacityProvider()` gets `taskDrainTime: 0`, so aws-cdk-lib adds no `InstanceDrainHook` whatever
 *   the managed termination protection. `taskDrainTime` is no longer in aws-cdk-lib's types, but the method reads it
 *   (aws-cdk-lib 2.271 to 2.276, tested at both ends).
 * An `InstanceDrainHook` already on the group (the capacity provider or the group was added to a cluster before) is
 * refused too: it cannot be removed from here.
 */
export function attachToCapacityProvider(hook: IConstruct, cluster: ecs.Cluster, capacityProvider: ecs.AsgCapacityProvider,
  options: ecs.AddAutoScalingGroupCapacityOptions | undefined): void {
  const managedDraining = managedDrainingOf(capacityProvider);
  if (managedDraining === 'ENABLED') {
    throw new DrainingLifecycleHookValidationError(hook, `capacityProvider ${capacityProvider.node.path} has ECS managed `
      + 'instance draining on (enableManagedDraining: true), which drains the same instances as this construct: two '
      + 'drainers race each other. Leave enableManagedDraining unset (forCapacityProvider turns it off) or set it to false');
  }
  if (managedDraining === undefined) turnOffManagedDraining(capacityProvider);

  const withoutInstanceDrainHook: ecs.AddAutoScalingGroupCapacityOptions & { readonly taskDrainTime: Duration } = {
    ...options,
    taskDrainTime: Duration.seconds(0),
  };
  cluster.addAsgCapacityProvider(capacityProvider, withoutInstanceDrainHook);

  const instanceDrainHook = capacityProvider.autoScalingGroup.node.tryFindChild(INSTANCE_DRAIN_HOOK_ID);
  if (instanceDrainHook) {
    throw new DrainingLifecycleHookValidationError(hook, `the group of capacityProvider ${capacityProvider.node.path} `
      + `already has aws-cdk-lib's InstanceDrainHook ${instanceDrainHook.node.path}, added when the capacity provider or `
      + 'the group was added to a cluster before (addAsgCapacityProvider, addCapacity or addAutoScalingGroup): two drainers '
      + 'race each other. Add the capacity provider to the cluster only through DrainingLifecycleHook.forCapacityProvider');
  }
}

/** Sets the capacity provider's `ManagedDraining` to DISABLED, on its CloudFormation resource. */
function turnOffManagedDraining(capacityProvider: ecs.AsgCapacityProvider): void {
  const cfn = cfnCapacityProviderOf(capacityProvider);
  // aws-cdk-lib's AsgCapacityProvider always creates one (aws-ecs/lib/cluster.ts); none would be a new aws-cdk-lib.
  if (!cfn) throw new Error(`capacityProvider ${capacityProvider.node.path} has no AWS::ECS::CapacityProvider resource`);
  cfn.autoScalingGroupProvider = {
    ...(cfn.autoScalingGroupProvider as ecs.CfnCapacityProvider.AutoScalingGroupProviderProperty),
    managedDraining: 'DISABLED',
  };
}
