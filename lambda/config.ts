/**
 * Handler configuration, read from environment variables set by the construct.
 */

export type LifecycleResult = 'CONTINUE' | 'ABANDON';
export type StandalonePolicy = 'WAIT' | 'STOP' | 'IGNORE';

export interface DrainConfig {
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  readonly drainTimeoutSeconds: number;
  readonly heartbeatTimeoutSeconds: number;
  readonly sweepIntervalSeconds: number;
  readonly drainTimeoutResult: LifecycleResult;
  readonly standaloneTaskPolicy: StandalonePolicy;
  readonly standaloneTaskGracePeriodSeconds: number;
  readonly spotInterruptionDraining: boolean;
  readonly warmPoolReactivation: boolean;
  readonly metricsNamespace: string;
}

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value.trim();
}

function seconds(env: Env, name: string, min: number, max: number): number {
  const raw = required(env, name);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`environment variable ${name} must be a whole number of seconds from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T {
  const raw = required(env, name);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigurationError(`environment variable ${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function flag(env: Env, name: string): boolean {
  return oneOf(env, name, ['true', 'false'] as const) === 'true';
}

/** Seconds in 48 hours: the longest a lifecycle action can be kept alive. */
export const MAX_LIFECYCLE_ACTION_SECONDS = 48 * 3600;

export function loadConfig(env: Env): DrainConfig {
  const heartbeatTimeoutSeconds = seconds(env, 'HEARTBEAT_TIMEOUT_SECONDS', 30, 7200);
  const config: DrainConfig = {
    clusterName: required(env, 'CLUSTER_NAME'),
    clusterArn: required(env, 'CLUSTER_ARN'),
    autoScalingGroupName: required(env, 'AUTO_SCALING_GROUP_NAME'),
    lifecycleHookName: required(env, 'LIFECYCLE_HOOK_NAME'),
    drainTimeoutSeconds: seconds(env, 'DRAIN_TIMEOUT_SECONDS', 0, MAX_LIFECYCLE_ACTION_SECONDS),
    heartbeatTimeoutSeconds,
    sweepIntervalSeconds: seconds(env, 'SWEEP_INTERVAL_SECONDS', 60, 86400),
    drainTimeoutResult: oneOf(env, 'DRAIN_TIMEOUT_RESULT', ['CONTINUE', 'ABANDON'] as const),
    standaloneTaskPolicy: oneOf(env, 'STANDALONE_TASK_POLICY', ['WAIT', 'STOP', 'IGNORE'] as const),
    standaloneTaskGracePeriodSeconds: seconds(env, 'STANDALONE_TASK_GRACE_PERIOD_SECONDS', 0, MAX_LIFECYCLE_ACTION_SECONDS),
    spotInterruptionDraining: flag(env, 'SPOT_INTERRUPTION_DRAINING'),
    warmPoolReactivation: flag(env, 'WARM_POOL_REACTIVATION'),
    metricsNamespace: required(env, 'METRICS_NAMESPACE'),
  };
  return config;
}
