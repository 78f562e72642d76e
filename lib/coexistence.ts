import { Annotations, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct, IConstruct } from 'constructs';
import { INSTANCE_DRAIN_HOOK_ID, managedDrainingOf } from './capacity-provider';
import { DrainingLifecycleHookWarnings } from './warnings';

const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';

/**
 * Competitors that make the app wrong rather than risky: a second DrainingLifecycleHook on the group. They fail
 * synthesis; the others are warnings, which a user who dealt with them another way can acknowledge.
 */
const ERRORS: ReadonlySet<string> = new Set([DrainingLifecycleHookWarnings.SECOND_DRAINING_HOOK]);

/**
 * Registers, on `hook`, a check that runs when the app is synthesized (so it also sees constructs added after the
 * hook) over every other drain mechanism on the same Auto Scaling group: they race this one. A second
 * DrainingLifecycleHook is returned as a validation error, which fails `app.synth()` and `cdk synth`; the others are
 * added as warnings.
 *
 * Internal: not exported from lib/index.ts.
 */
export function addCoexistenceChecks(hook: Construct, autoScalingGroup: autoscaling.IAutoScalingGroup, own: autoscaling.LifecycleHook): void {
  drainingHooks.set(hook, autoScalingGroup);
  hook.node.addValidation({
    validate: () => {
      const competitors = findCompetingDrains(hook, autoScalingGroup, own);
      for (const warning of competitors.filter((c) => !ERRORS.has(c.id))) {
        Annotations.of(hook).addWarningV2(warning.id, warning.message);
      }
      return competitors.filter((c) => ERRORS.has(c.id)).map((error) => `${error.message} [${error.id}]`);
    },
  });
}

interface Competitor {
  readonly id: string;
  readonly message: string;
}

/** Every competing drain hook of the group visible in the construct tree. */
export function findCompetingDrains(hook: Construct, autoScalingGroup: autoscaling.IAutoScalingGroup, own: autoscaling.LifecycleHook): Competitor[] {
  const stack = Stack.of(hook);
  const groupKey = JSON.stringify(stack.resolve(autoScalingGroup.autoScalingGroupName));
  const sameGroup = (group: autoscaling.IAutoScalingGroup | string | unknown, scope: IConstruct) =>
    group === autoScalingGroup || JSON.stringify(Stack.of(scope).resolve(
      typeof group === 'string' ? group : (group as autoscaling.IAutoScalingGroup).autoScalingGroupName,
    )) === groupKey;
  const ownCfn = own.node.defaultChild;
  const found: Competitor[] = [];

  for (const c of hook.node.root.node.findAll()) {
    // Read from the capacity provider's CloudFormation resource: forCapacityProvider turns an unset one off there.
    const managedDraining = c instanceof ecs.AsgCapacityProvider && sameGroup(c.autoScalingGroup, c) ? managedDrainingOf(c) : 'DISABLED';
    if (managedDraining !== 'DISABLED') {
      found.push({
        id: DrainingLifecycleHookWarnings.MANAGED_DRAINING,
        message: `ECS managed instance draining is on for capacity provider ${c.node.path} (enableManagedDraining is `
          + `${managedDraining === 'ENABLED' ? 'true' : 'not set, and ECS turns it on by default'}): it drains the same instances `
          + 'as this hook and the two race. Set enableManagedDraining: false on the AsgCapacityProvider, or add it to the '
          + 'cluster with DrainingLifecycleHook.forCapacityProvider(), which turns an unset one off.',
      });
    }
    // aws-cdk-lib's InstanceDrainHook: added as '<group>/DrainECSHook' by Cluster.addAsgCapacityProvider,
    // addAutoScalingGroup and addCapacity unless taskDrainTime is 0.
    if (c.node.id === INSTANCE_DRAIN_HOOK_ID && c.node.scope === autoScalingGroup) {
      found.push({
        id: DrainingLifecycleHookWarnings.INSTANCE_DRAIN_HOOK,
        message: `aws-cdk-lib's InstanceDrainHook ${c.node.path} also drains this group, with a Lambda function that `
          + 'sleeps for at most 15 minutes. Add the capacity provider to the cluster with '
          + 'DrainingLifecycleHook.forCapacityProvider(), which adds no InstanceDrainHook, instead of '
          + 'cluster.addAsgCapacityProvider() or cluster.addCapacity().',
      });
    }
    if (c instanceof autoscaling.CfnLifecycleHook && c !== ownCfn && c.lifecycleTransition === TERMINATING && c.defaultResult === 'ABANDON'
      && sameGroup(c.autoScalingGroupName, c)) {
      found.push({
        id: DrainingLifecycleHookWarnings.ABANDON_HOOK,
        message: `Termination hook ${c.node.path} of this group has defaultResult ABANDON: when it times out, Auto Scaling `
          + 'skips every other termination hook, including this drain, and terminates the instance with its tasks. Set its '
          + 'defaultResult to CONTINUE.',
      });
    }
    if (c instanceof autoscaling.CfnAutoScalingGroup && c === (autoScalingGroup.node.defaultChild as unknown)) {
      const specs = stack.resolve(c.lifecycleHookSpecificationList) as Array<Record<string, unknown>> | undefined;
      for (const spec of specs ?? []) {
        if (spec.lifecycleTransition === TERMINATING && spec.defaultResult === 'ABANDON') {
          found.push({
            id: DrainingLifecycleHookWarnings.ABANDON_HOOK,
            message: `Termination hook ${String(spec.lifecycleHookName)} in the lifecycleHookSpecificationList of ${c.node.path} has `
              + 'defaultResult ABANDON: when it times out, Auto Scaling skips every other termination hook, including this drain. '
              + 'Set its defaultResult to CONTINUE.',
          });
        }
      }
    }
    const otherGroup = c !== hook ? drainingHooks.get(c) : undefined;
    if (otherGroup && sameGroup(otherGroup, c)) {
      found.push({
        id: DrainingLifecycleHookWarnings.SECOND_DRAINING_HOOK,
        message: `DrainingLifecycleHook ${c.node.path} drains the same group: two drain hooks race each other. Keep one.`,
      });
    }
  }
  return found;
}

/** Every DrainingLifecycleHook and its group, to spot two of them on one group. */
const drainingHooks = new WeakMap<IConstruct, autoscaling.IAutoScalingGroup>();
