/**
 * What a drain does with ECS task scale-in protection (`UpdateTaskProtection`, or the agent's
 * `$ECS_AGENT_URI/task-protection/v1/state` endpoint): service tasks that protect themselves while they hold a job,
 * for 1 minute to 48 hours (2 hours when no expiry is given).
 *
 * AWS documents protection against scale-in by service auto scaling and by deployments only; its page on container
 * instance draining says that RUNNING service tasks of a DRAINING instance are stopped, and names no exception for
 * protected ones (docs/aws-behaviour.md, "Task scale-in protection"). So a drain that honours protection must not set
 * the instance DRAINING while any of its tasks is protected.
 */
export enum TaskProtectionPolicy {
  /**
   * Do not look at task protection: the instance is set DRAINING at once, and ECS stops its service tasks, protected
   * or not. The behaviour of every release before this policy existed.
   */
  IGNORE = 'IGNORE',
  /**
   * While any task on the instance is protected (`GetTaskProtection`; protection whose expiration date has passed
   * counts as none), the instance is not set DRAINING: it stays ACTIVE, its lifecycle action is kept alive with
   * heartbeats, and it is checked again at every sweep and whenever one of its tasks stops. Once no task is protected,
   * or when `drainTimeout` comes, it is set DRAINING and drained as usual. While it waits ECS may still place new tasks
   * on it: keep new work off with a placement constraint on the drain marker attribute (see the README, "Task
   * scale-in protection").
   */
  WAIT = 'WAIT',
}
