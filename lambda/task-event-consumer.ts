/**
 * The cluster's task-event consumer: one batch of ECS task events (up to 100, from the cluster's task-event queue)
 * for every DrainingLifecycleHook of the cluster in the stack. Almost every task stop concerns no drain, and an event
 * cannot tell: the consumer dedupes the container instances the batch names, describes them in one
 * DescribeContainerInstances per 100, and checks only those that are DRAINING with a drain marker of one of its
 * groups, with that group's DrainCore (its settings, lifecycle hook and metrics). A check that fails fails only the
 * messages of its container instance (partial batch failure); a batch that cannot be read at all fails whole. Both
 * come back after the queue's visibility timeout (six times the function's timeout: minutes), and the sweep's back-off
 * check catches anything lost, later still for a long drain. So a check that failed with a transient error (ECS
 * throttling past the SDK's retries, whose retry quota a busy environment can spend, or a 5xx) is first retried in
 * the invocation, after a pause in which ECS's token buckets refill, for as long as its time allows.
 */
import type { DrainBudgetGate } from './budget';
import { type ContainerInstanceState, planInstance } from './decisions';
import type { DrainCore, InstanceReport } from './drain-core';
import { type DrainMarker, decodeMarker } from './drain-marker';
import { type classifyEvent } from './events';
import type { EcsGateway } from './ports';
import type { QueueRecord } from './sqs-batch';
import { type Logger, MetricName, type Metrics } from './telemetry';
import { BoundedRunner } from './work-scope';

/** One registered group: its drain core, and its metrics (its own dimension). */
export interface ConsumerGroup {
  readonly core: DrainCore;
  /** The group's disruption budget, when it has one: a drain that ends lets the next waiting instance start. */
  readonly budget?: DrainBudgetGate;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** How many drains of a batch are checked at once. */
export const CONSUMER_CONCURRENCY = 2;
/** No new check starts when less than this is left of the invocation; its messages are retried. */
export const CONSUMER_RESERVE_MS = 20_000;
/**
 * The pauses before each new try of the checks that failed with a transient error, ms. A try happens only when the
 * pause still leaves {@link CONSUMER_RESERVE_MS} of the invocation; what still fails is retried by the queue.
 */
export const CONSUMER_RETRY_PAUSES_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 8_000];

/** A drain of a registered group that a batch's task events concern. */
interface ConsumerDrain {
  readonly instance: ContainerInstanceState;
  readonly marker: DrainMarker;
  readonly group: ConsumerGroup;
  /** Still ACTIVE, held by TaskProtectionPolicy.WAIT. */
  readonly held: boolean;
}

export interface ConsumerResult {
  readonly reports: InstanceReport[];
  readonly failedMessageIds: string[];
  /** Container instances the batch named, and of those, drains of a registered group that were checked. */
  readonly containerInstances: number;
  readonly drainsChecked: number;
}

export class TaskEventConsumer {
  private readonly byOwner: ReadonlyMap<string, ConsumerGroup>;

  constructor(
    private readonly ecs: EcsGateway,
    groups: readonly ConsumerGroup[],
    /** Any group's config: they share the cluster, which is all classifying a task event needs. */
    private readonly classify: (event: unknown) => ReturnType<typeof classifyEvent>,
    private readonly log: Logger,
    /** Waits `ms` (the pause before retrying checks that failed with a transient error). */
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.byOwner = new Map(groups.map((g) => [g.core.owner, g]));
  }

  async handle(records: readonly QueueRecord[], remainingMs: () => number): Promise<ConsumerResult> {
    // container instance ARN -> the task ARNs the batch reports STOPPED on it, and the messages that said so
    const named = new Map<string, { taskArns: Set<string>; messageIds: string[] }>();
    for (const record of records) {
      const trigger = this.classify(record.event);
      if (trigger.kind !== 'task-stopped') continue; // not ours, or malformed: acknowledged, never retried
      const entry = named.get(trigger.containerInstanceArn) ?? { taskArns: new Set<string>(), messageIds: [] };
      entry.taskArns.add(trigger.taskArn);
      entry.messageIds.push(record.messageId);
      named.set(trigger.containerInstanceArn, entry);
    }
    if (named.size === 0) return { reports: [], failedMessageIds: [], containerInstances: 0, drainsChecked: 0 };

    // One DescribeContainerInstances per 100 container instances; a failure here fails the batch (thrown).
    const drains = this.drainsOf(await this.ecs.describeContainerInstances([...named.keys()]));
    const first = await this.check(drains, named, remainingMs);
    const reports = [...first.reports];
    let failed = first.failed;
    // Checks that failed with a transient error: re-read and tried again after a pause, while the time allows.
    for (const pauseMs of CONSUMER_RETRY_PAUSES_MS) {
      const again = [...failed].filter(([, error]) => this.ecs.isTransient(error)).map(([arn]) => arn);
      if (again.length === 0 || remainingMs() - pauseMs <= CONSUMER_RESERVE_MS) break;
      await this.pause(pauseMs);
      let reread: ConsumerDrain[];
      try {
        reread = this.drainsOf(await this.ecs.describeContainerInstances(again));
      } catch (error) {
        if (!this.ecs.isTransient(error)) break;
        continue; // the same checks stay failed; the next pause may let ECS answer
      }
      const retry = await this.check(reread, named, remainingMs);
      // Those that are no longer a drain of a registered group (completed meanwhile, say) need nothing more; those
      // the time did not let this try reach stay failed, so the queue retries them.
      const unreached = new Set(reread.map((d) => d.instance.arn).filter((arn) => !retry.checked.has(arn)));
      failed = new Map([...[...failed].filter(([arn]) => !again.includes(arn) || unreached.has(arn)), ...retry.failed]);
      reports.push(...retry.reports);
    }
    for (const [arn, error] of failed) {
      const group = drains.find((d) => d.instance.arn === arn)?.group;
      group?.metrics.count(MetricName.HANDLER_ERRORS);
      (group?.log ?? this.log).error('task event check failed; its messages are retried and the sweep re-checks the instance', {
        containerInstanceArns: [arn], error,
      });
    }
    const retried = drains.filter((d) => failed.has(d.instance.arn) || !first.checked.has(d.instance.arn)).map((d) => d.instance.arn);
    return {
      reports,
      failedMessageIds: retried.flatMap((arn) => named.get(arn)!.messageIds),
      containerInstances: named.size,
      drainsChecked: drains.length,
    };
  }

  /**
   * The drains of a registered group among these container instances: DRAINING with its marker, or still ACTIVE and
   * held by it (TaskProtectionPolicy.WAIT: a task stopped, so the hold may end), exactly what the group function's
   * onTaskStopped acts on. Drained by another hook (of another stack), or by nobody: not this consumer's.
   */
  private drainsOf(instances: readonly ContainerInstanceState[]): ConsumerDrain[] {
    return instances.flatMap((instance): ConsumerDrain[] => {
      const marker = decodeMarker(instance.markerValue);
      const group = marker ? this.byOwner.get(marker.owner) : undefined;
      if (!marker || !group) return [];
      if (instance.status === 'DRAINING') return [{ instance, marker, group, held: false }];
      if (instance.status === 'ACTIVE' && planInstance(instance, group.core.owner).action === 'hold') return [{ instance, marker, group, held: true }];
      return [];
    });
  }

  /** One try of these drains' checks, a few at a time while the time allows: what they reported, and what failed. */
  private async check(drains: readonly ConsumerDrain[], named: ReadonlyMap<string, { taskArns: Set<string> }>, remainingMs: () => number) {
    const failed = new Map<string, unknown>();
    const checked = new Set<string>();
    const runner = new BoundedRunner({
      concurrency: CONSUMER_CONCURRENCY,
      remainingMs,
      reserveMs: CONSUMER_RESERVE_MS,
      onFailure: (arns, error) => arns.forEach((arn) => failed.set(arn, error)),
      onOutOfTime: (left) => this.log.warn('task-event batch ran out of time; the rest is retried', { left }),
    });
    const reports = await runner.run(drains, (d) => [d.instance.arn], async ({ instance, marker, group, held }) => {
      checked.add(instance.arn);
      if (held) return [await group.core.drain(instance.ec2InstanceId, instance)];
      // Any one of the tasks the batch reports STOPPED needs no DescribeTasks.
      const [taskArn] = named.get(instance.arn)!.taskArns;
      const report = await group.core.evaluateAfterTaskStopped({ instance, marker, recorded: true }, taskArn);
      // As the group function's onTaskStopped does: the drain that ended frees its place in the budget.
      return group.budget ? [report, ...await group.budget.admitAfterEvent([report])] : [report];
    });
    return { reports, checked, failed };
  }
}
