import { Annotations, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type { Construct } from 'constructs';
import { DrainingLifecycleHookWarnings } from './warnings';

/**
 * With `DrainTimeoutBehavior.retain()`, the group must retain instances whose termination lifecycle action is
 * abandoned: its instance lifecycle policy needs the retention trigger `TerminateHookAbandon: retain` (EC2 Auto
 * Scaling User Guide, "Configure instance retention"). Without it, ABANDON terminates the instance with its tasks.
 *
 * Registers, on `hook`, a check that runs when the app is synthesized (so it sees the group's policy as finally set,
 * escape hatches included) and warns when a group created in the app has no such trigger. An imported group's policy
 * cannot be seen: nothing is checked (the handler reads it at drainTimeout, and logs an ERROR when it is missing).
 *
 * Internal: not exported from lib/index.ts.
 */
export function addRetentionTriggerCheck(hook: Construct, autoScalingGroup: autoscaling.IAutoScalingGroup): void {
  hook.node.addValidation({
    validate: () => {
      const cfn = autoScalingGroup.node.defaultChild;
      if (!(cfn instanceof autoscaling.CfnAutoScalingGroup)) return [];
      if (!retainsOnAbandon(Stack.of(cfn).resolve(cfn.instanceLifecyclePolicy))) {
        Annotations.of(hook).addWarningV2(DrainingLifecycleHookWarnings.NO_RETENTION_TRIGGER, 'drainTimeoutBehavior is '
          + `DrainTimeoutBehavior.retain(), but the Auto Scaling group ${autoScalingGroup.node.path} has no instance lifecycle policy `
          + 'that retains instances on TerminateHookAbandon: at drainTimeout, ABANDON terminates the instance with its tasks still '
          + 'running. Set instanceLifecyclePolicy: { retentionTriggers: { terminateHookAbandon: TerminateHookAbandonAction.RETAIN } } '
          + 'on the group.');
      }
      return [];
    },
  });
}

/**
 * Whether a resolved InstanceLifecyclePolicy (the L1's keys, or CloudFormation's, as an IResolvable may give them)
 * retains on TerminateHookAbandon. CloudFormation accepts `retain` and `terminate` only (lower case); the API
 * Reference's prose also says Retain, so the value is compared without case. A raw property override
 * (`addPropertyOverride`) is not seen.
 */
function retainsOnAbandon(policy: unknown): boolean {
  type Triggers = { terminateHookAbandon?: unknown; TerminateHookAbandon?: unknown };
  const p = policy as { retentionTriggers?: Triggers; RetentionTriggers?: Triggers } | undefined;
  const triggers = p?.retentionTriggers ?? p?.RetentionTriggers;
  const action = triggers?.terminateHookAbandon ?? triggers?.TerminateHookAbandon;
  // RetentionAction: retain | terminate (Auto Scaling API Reference, RetentionTriggers).
  return typeof action === 'string' && action.toLowerCase() === 'retain';
}
