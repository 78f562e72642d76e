/**
 * A batch of a group's lifecycle actions, as its lifecycle queue delivers them (up to 10 at once, at most 2 batches at
 * a time): the instances are looked up together (one ListContainerInstances with an `ec2InstanceId in [...]` query and
 * one DescribeContainerInstances), the ACTIVE ones set DRAINING in one UpdateContainerInstancesState, and each
 * instance's failure is its own, so only its messages are retried. The decisions are those of a single lifecycle
 * event (DrainCore.drain, startDrains, adoptDrains); nothing here decides anything new.
 */
import { type ContainerInstanceState, planInstance } from './decisions';
import type { DrainCore, DrainerDeps, InstanceReport } from './drain-core';
import { ClusterNotFoundError, UPDATE_STATE_BATCH, chunk } from './ports';
import { MetricName } from './telemetry';
import { BoundedRunner } from './work-scope';

/** One lifecycle action of the batch, with the queue message that carried it. */
export interface LifecycleItem {
  readonly messageId: string;
  readonly instanceId: string;
  readonly origin?: string;
}

/** How many instances of a batch are worked on at once (a batch holds 10). */
export const LIFECYCLE_BATCH_CONCURRENCY = 2;
/** No new instance starts when less than this is left of the invocation; its message is retried. */
export const LIFECYCLE_BATCH_RESERVE_MS = 30_000;

export interface LifecycleBatchResult {
  readonly reports: InstanceReport[];
  /** The messages to retry: those of the instances whose work failed or did not run. */
  readonly failedMessageIds: string[];
}

export async function handleLifecycleBatch(
  items: readonly LifecycleItem[], core: DrainCore, deps: DrainerDeps, remainingMs: () => number,
): Promise<LifecycleBatchResult> {
  const { ecs, log, metrics } = deps;
  const failedInstances = new Set<string>();
  const done = new Set<string>();
  const runner = new BoundedRunner({
    concurrency: LIFECYCLE_BATCH_CONCURRENCY,
    remainingMs,
    reserveMs: LIFECYCLE_BATCH_RESERVE_MS,
    onFailure: (instanceIds, error) => {
      for (const id of instanceIds) failedInstances.add(id);
      metrics.count(MetricName.HANDLER_ERRORS);
      log.error('lifecycle action failed; its message is retried and the sweep re-checks the instance', { instanceIds, error });
    },
    onOutOfTime: (left) => log.warn('lifecycle batch ran out of time; the rest is retried', { left }),
  });
  const reports: InstanceReport[] = [];
  const track = (instanceIds: readonly string[], result: readonly InstanceReport[]) => {
    for (const id of instanceIds) done.add(id);
    reports.push(...result);
    return result;
  };

  const instanceIds = [...new Set(items.map((i) => i.instanceId))];
  const fromWarmPool = new Set(items.filter((i) => i.origin === 'WarmPool').map((i) => i.instanceId));
  // Instances waiting in the warm pool are not in service and run no tasks.
  await runner.run([...fromWarmPool], (id) => [id], async (id) => track([id],
    [await core.completeUnmanaged(id, 'the instance terminates from the warm pool')]));

  const inService = instanceIds.filter((id) => !fromWarmPool.has(id));
  let found: Map<string, ContainerInstanceState> | undefined;
  try {
    found = inService.length === 0 ? new Map() : await ecs.findContainerInstances(inService);
  } catch (error) {
    if (!(error instanceof ClusterNotFoundError)) throw error;
    await runner.run(inService, (id) => [id], async (id) => track([id], [await core.completeWithoutCluster(id, error)]));
  }
  if (found) {
    const toStart: ContainerInstanceState[] = [];
    const toAdopt: ContainerInstanceState[] = [];
    const others: string[] = [];
    for (const id of inService) {
      const instance = found.get(id);
      const plan = planInstance(instance, core.owner);
      if (plan.action === 'start-drain') toStart.push(instance!);
      else if (plan.action === 'adopt-drain') toAdopt.push(instance!);
      else others.push(id);
    }
    const ec2Ids = (list: readonly ContainerInstanceState[]) => list.map((i) => i.ec2InstanceId);
    await runner.run(chunk(toStart, UPDATE_STATE_BATCH), ec2Ids, async (list) => track(ec2Ids(list), await core.startDrains(list, runner)));
    await runner.run(chunk(toAdopt, UPDATE_STATE_BATCH), ec2Ids, async (list) => track(ec2Ids(list), await core.adoptDrains(list, runner)));
    await runner.run(others, (id) => [id], async (id) => track([id], [await core.drain(id, found.get(id))]));
  }

  // A failure isolated inside startDrains or adoptDrains (a refused status, a failed heartbeat) is the instance's own;
  // an instance whose work never ran (out of time) is retried too.
  const failedMessageIds = items.filter((i) => failedInstances.has(i.instanceId) || !done.has(i.instanceId)).map((i) => i.messageId);
  return { reports, failedMessageIds };
}
