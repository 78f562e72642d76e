import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';

/**
 * Options of {@link DrainTimeoutBehavior.retain}.
 */
export interface RetainOptions {
  /**
   * How long after its start a drain that goes on in the retained state may run before it is overdue: from then on,
   * every check of it logs an ERROR line, and every sweep counts it in the `RetainedDrainsOverdue` gauge
   * (`metricRetainedDrainsOverdue()`). An overdue instance is still not terminated while a task runs on it: a person
   * decides (stop its tasks, after which it is terminated at the next check, or terminate it).
   *
   * At least 1 minute, at most 366 days. A token must be given in seconds (`Duration.seconds(token)`), and is not
   * validated.
   *
   * @default Duration.days(7)
   */
  readonly overdueAfter?: Duration;
}

/**
 * What happens when a drain reaches `drainTimeout` with tasks still running on the instance.
 *
 * `CONTINUE` and `ABANDON` let the instance terminate with whatever still runs on it, as the lifecycle action result
 * of that name. `retain()` keeps the instance, with its tasks, in the Auto Scaling group's retained state until every
 * task on it has stopped, and then terminates it: a drain may then outlast Auto Scaling's 48-hour limit for a
 * lifecycle action. It needs the group's instance lifecycle policy to retain instances on `TerminateHookAbandon`.
 *
 * The behaviour's result is also the hook's default result: the result Auto Scaling applies if the lifecycle action
 * ever expires (the handler could not run in time).
 */
export class DrainTimeoutBehavior {
  /**
   * Complete the lifecycle action with CONTINUE: the instance terminates, after any other termination hooks of the
   * group complete. AWS recommends it for custom hooks.
   */
  public static readonly CONTINUE = new DrainTimeoutBehavior('CONTINUE', autoscaling.DefaultResult.CONTINUE);

  /**
   * Complete the lifecycle action with ABANDON: the instance terminates, and every other termination hook of the group
   * is skipped.
   */
  public static readonly ABANDON = new DrainTimeoutBehavior('ABANDON', autoscaling.DefaultResult.ABANDON);

  /**
   * Complete the lifecycle action with ABANDON into the group's retained state (`Terminating:Retained`): the instance
   * keeps running, with its tasks, outside the group's desired capacity (the group launches a replacement). The drain
   * goes on; once every task on the instance is STOPPED, the handler terminates it with
   * `TerminateInstanceInAutoScalingGroup`, without decrementing the desired capacity. The hook's default result is
   * ABANDON too, so an action that expires retains the instance instead of terminating it.
   *
   * The group needs an instance lifecycle policy with the retention trigger `TerminateHookAbandon: retain`
   * (`instanceLifecyclePolicy` of aws-cdk-lib's `AutoScalingGroup`): the construct warns when a group created in the
   * app has none, and the handler logs an ERROR when the group it reads has none (the instance then terminates on
   * ABANDON). The handler's role is granted `autoscaling:TerminateInstanceInAutoScalingGroup` on the group.
   *
   * ABANDON skips every other termination hook of the group: see the README.
   */
  public static retain(options: RetainOptions = {}): DrainTimeoutBehavior {
    return new DrainTimeoutBehavior('RETAIN', autoscaling.DefaultResult.ABANDON, options.overdueAfter ?? Duration.days(7));
  }

  /** The behaviour's name: `CONTINUE`, `ABANDON` or `RETAIN`. */
  public readonly name: string;
  /** The lifecycle action result sent at `drainTimeout`, and the hook's default result. */
  public readonly result: autoscaling.DefaultResult;
  /** Whether instances are retained at `drainTimeout` (`retain()`). */
  public readonly retainsInstances: boolean;
  /** With `retain()`: when a retained drain is overdue. */
  public readonly overdueAfter?: Duration;

  private constructor(name: string, result: autoscaling.DefaultResult, overdueAfter?: Duration) {
    this.name = name;
    this.result = result;
    this.retainsInstances = name === 'RETAIN';
    this.overdueAfter = overdueAfter;
  }
}
