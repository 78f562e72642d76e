/**
 * The configuration of the cluster's task-event consumer: the cluster, and one DrainConfig per registered group, from
 * the DRAIN_GROUPS environment variable the construct renders (lib/cluster-task-events.ts): per group, the values its
 * own function's environment gives GROUP_ENVIRONMENT_KEYS (lib/handler-contract.ts). Each group is read and validated
 * exactly as its own function reads its environment.
 */
import { GROUP_ENVIRONMENT_KEYS, HandlerEnvironment as E, TaskEventEnvironment } from '../lib/handler-contract';
import { ConfigurationError, type DrainConfig, loadConfig } from './config';

type Env = Record<string, string | undefined>;

export function loadConsumerConfigs(env: Env): DrainConfig[] {
  const raw = env[TaskEventEnvironment.DRAIN_GROUPS];
  let groups: unknown;
  try {
    groups = JSON.parse(raw ?? '');
  } catch {
    throw new ConfigurationError(`environment variable ${TaskEventEnvironment.DRAIN_GROUPS} must be a JSON array, got '${raw ?? ''}'`);
  }
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new ConfigurationError(`environment variable ${TaskEventEnvironment.DRAIN_GROUPS} must list at least one group`);
  }
  return groups.map((g, i) => {
    if (!Array.isArray(g) || g.length !== GROUP_ENVIRONMENT_KEYS.length) {
      throw new ConfigurationError(`group ${i} of ${TaskEventEnvironment.DRAIN_GROUPS} must have ${GROUP_ENVIRONMENT_KEYS.length} values, got ${JSON.stringify(g)}`);
    }
    const groupEnv: Env = { [E.CLUSTER_NAME]: env[E.CLUSTER_NAME], [E.CLUSTER_ARN]: env[E.CLUSTER_ARN] };
    GROUP_ENVIRONMENT_KEYS.forEach((key, k) => {
      if (g[k] !== null && g[k] !== undefined) groupEnv[key] = String(g[k]);
    });
    return loadConfig(groupEnv);
  });
}
