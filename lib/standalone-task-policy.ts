/**
 * What a drain does with standalone tasks: tasks started by RunTask or StartTask that belong to no service.
 * DRAINING never stops them, so left alone they keep an instance from draining until `drainTimeout`.
 */
export enum StandaloneTaskPolicy {
  /**
   * Wait for standalone tasks to stop by themselves, up to `drainTimeout`. Safe for batch jobs that must finish.
   */
  WAIT = 'WAIT',
  /**
   * Give standalone tasks `standaloneTaskGracePeriod` to finish, then stop them with `StopTask` (their containers get
   * SIGTERM, then SIGKILL after their stop timeout), and wait until they are STOPPED.
   */
  STOP = 'STOP',
  /**
   * Do not wait for standalone tasks: the instance counts as drained once every service task is STOPPED, and the
   * standalone tasks end with the instance.
   */
  IGNORE = 'IGNORE',
}
