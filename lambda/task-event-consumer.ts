/**
 * The cluster's task-event consumer: one batch of ECS task events (up to 100, from the cluster's task-event queue)
 * for every DrainingLifecycleHook of the cluster in the stack. Almost every task stop concerns no drain, and an event
 * cannot tell: the consumer dedupes the container instances the batch names, describes them in one
 * DescribeContainerInstances per 100, and checks only those that are DRAINING with a drain marker of one of its
 * groups, with that group's DrainCore (its settings, lifecycle hook and metrics). A check that fails fails only the
 * messages of its container instance (partial batch failure); a batch that cannot be read at all fails whole. Both
 * come back after the queue's visibility timeout; the sweep's back-off check catches anything lost.
 */
import type { DrainBudgetGate } from './budget';
import { planInstance } from './decisions';
import type { DrainCore, InstanceReport } from './drain-core';
import { decodeMarker } from './drain-marker';
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
    const instances = await this.ecs.describeContainerInstances([...named.keys()]);
    // The drains of a registered group: DRAINING with its marker, or still ACTIVE and held by it (TaskProtectionPolicy
    // .WAIT: a task stopped, so the hold may end), exactly what the group function's onTaskStopped acts on.
    const drains = instances.flatMap((instance) => {
      const marker = decodeMarker(instance.markerValue);
      const group = marker ? this.byOwner.get(marker.owner) : undefined;
      // Drained by another hook (of another stack), or by nobody: not this consumer's.
      if (!marker || !group) return [];
      if (instance.status === 'DRAINING') return [{ instance, marker, group, held: false }];
      if (instance.status === 'ACTIVE' && planInstance(instance, group.core.owner).action === 'hold') return [{ instance, marker, group, held: true }];
      return [];
    });

    const failedArns = new Set<string>();
    const checked = new Set<string>();
    const runner = new BoundedRunner({
      concurrency: CONSUMER_CONCURRENCY,
      remainingMs,
      reserveMs: CONSUMER_RESERVE_MS,
      onFailure: (arns, error) => {
        for (const arn of arns) failedArns.add(arn);
        const group = drains.find((d) => arns.includes(d.instance.arn))?.group;
        group?.metrics.count(MetricName.HANDLER_ERRORS);
        (group?.log ?? this.log).error('task event check failed; its messages are retried and the sweep re-checks the instance', {
          containerInstanceArns: arns, error,
        });
      },
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
    const retried = drains.filter((d) => failedArns.has(d.instance.arn) || !checked.has(d.instance.arn)).map((d) => d.instance.arn);
    return {
      reports,
      failedMessageIds: retried.flatMap((arn) => named.get(arn)!.messageIds),
      containerInstances: named.size,
      drainsChecked: drains.length,
    };
  }
}
