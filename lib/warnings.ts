/**
 * The IDs of the warnings a `DrainingLifecycleHook` adds to itself when the app is synthesized. Acknowledge one you
 * have dealt with another way with `Annotations.of(scope).acknowledgeWarning(id, reason)`, on the construct, its
 * stack or the app. `SECOND_DRAINING_HOOK` is the exception: it is an error that fails synthesis.
 */
export class DrainingLifecycleHookWarnings {
  /**
   * An `AsgCapacityProvider` for the group has ECS managed instance draining on (`enableManagedDraining` `true` or
   * unset, as its CloudFormation resource will say): it drains the same instances, and the two race.
   * `DrainingLifecycleHook.forCapacityProvider` turns an unset one off.
   */
  public static readonly MANAGED_DRAINING = 'ecs-draining-lifecycle-hook:managedDraining';

  /**
   * aws-cdk-lib's `InstanceDrainHook` (`<group>/DrainECSHook`, added by `addCapacity`, `addAutoScalingGroup` and
   * `addAsgCapacityProvider` unless `taskDrainTime` is 0) also drains the group. `DrainingLifecycleHook.forCapacityProvider`
   * adds a capacity provider without it.
   */
  public static readonly INSTANCE_DRAIN_HOOK = 'ecs-draining-lifecycle-hook:instanceDrainHook';

  /**
   * Another termination hook of the group has `defaultResult` ABANDON: when it times out, Auto Scaling skips every
   * other termination hook, including this drain.
   */
  public static readonly ABANDON_HOOK = 'ecs-draining-lifecycle-hook:abandonHook';

  /**
   * Another `DrainingLifecycleHook` drains the same group. An error, not a warning: synthesis fails (the construct's
   * validation returns it, with this ID at the end of the message), and it cannot be acknowledged. The constant keeps
   * its name and value for compatibility.
   */
  public static readonly SECOND_DRAINING_HOOK = 'ecs-draining-lifecycle-hook:secondDrainingHook';

  /**
   * `drainTimeout` is shorter than `sweepInterval`: the timeout is checked only at a sweep or a task event, so a
   * drain whose tasks do not stop can run up to one `sweepInterval` past it.
   */
  public static readonly DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL = 'ecs-draining-lifecycle-hook:drainTimeoutBelowSweepInterval';

  /**
   * `deadLetterQueueEncryptionKey` is an imported key, whose key policy the construct cannot change: the key policy
   * must allow `events.amazonaws.com` `kms:GenerateDataKey` and `kms:Decrypt`.
   */
  public static readonly DEAD_LETTER_QUEUE_KEY_POLICY = 'ecs-draining-lifecycle-hook:deadLetterQueueKeyPolicy';

  /**
   * `logLevel` is WARN, ERROR or FATAL: Lambda treats the handler's metric lines (EMF, which carry no level) as INFO
   * and drops them, so the metrics and any alarm on them stay empty.
   */
  public static readonly LOG_LEVEL_DROPS_METRICS = 'ecs-draining-lifecycle-hook:logLevelDropsMetrics';

  /**
   * `drainTimeoutBehavior` is `DrainTimeoutBehavior.retain()`, and the group, created in this app, has no instance
   * lifecycle policy with the retention trigger `TerminateHookAbandon: retain`: ABANDON would terminate the instance
   * with its tasks still running instead of retaining it. (An imported group cannot be checked: see the README.)
   */
  public static readonly NO_RETENTION_TRIGGER = 'ecs-draining-lifecycle-hook:noRetentionTrigger';

  /** `drainTimeoutResult` is set: it is deprecated, use `drainTimeoutBehavior`. */
  public static readonly DRAIN_TIMEOUT_RESULT_DEPRECATED = 'ecs-draining-lifecycle-hook:drainTimeoutResultDeprecated';

  /**
   * `maxConcurrentDrains` is set, but an instance can wait for the budget less than one `drainTimeout`: Auto Scaling's
   * limit for the lifecycle action (48 hours, or 100 × `heartbeatTimeout`) leaves that little room after a full drain,
   * and an instance still waiting then starts draining over the budget.
   */
  public static readonly DRAIN_BUDGET_SHORT_WAIT = 'ecs-draining-lifecycle-hook:drainBudgetShortWait';

  private constructor() {}
}
