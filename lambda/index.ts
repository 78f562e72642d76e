/**
 * Lambda entry point: builds the SDK clients once per container, wires them into the drain logic, and maps each
 * EventBridge event to a trigger. Default SDK v3 clients: they honour AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS and
 * AWS_RETRY_MODE from the environment (the EventBridge client sets its own attempts and timeouts, below).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { SdkAutoScalingGateway, SdkEcsGateway, SdkEventBridgeGateway } from './aws-gateways';
import { DrainBudgetGate } from './budget';
import { type DrainConfig, loadConfig } from './config';
import { loadConsumerConfigs } from './consumer-config';
import { DrainCore } from './drain-core';
import { EventBridgeDrainEvents, NO_DRAIN_EVENTS } from './drain-events';
import { Drainer, type InstanceReport } from './drainer';
import { classifyEvent } from './events';
import { type LifecycleItem, handleLifecycleBatch } from './lifecycle-batch';
import { type BatchResponse, type QueueRecord, batchResponse, readSqsBatch } from './sqs-batch';
import { type ConsumerGroup, TaskEventConsumer } from './task-event-consumer';
import { EmfMetrics, JsonLogger, type Logger, MetricName, stdoutWriter } from './telemetry';

export { Drainer } from './drainer';
export { classifyEvent } from './events';

const clock = { now: () => Date.now() };
const ecsClient = new ECSClient({});
const autoScalingClient = new AutoScalingClient({});
/**
 * Drain events are best effort: a short timeout and one retry, so that EventBridge out of reach (a VPC with no route
 * to it) costs an invocation seconds, not its whole timeout. `throwOnRequestTimeout` makes the request timeout an
 * error (the SDK only warns without it). The drain's own clients keep the defaults and AWS_MAX_ATTEMPTS.
 */
const eventBridgeClient = new EventBridgeClient({
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
});

let config: DrainConfig | undefined;

export interface HandlerResult {
  readonly trigger: string;
  readonly instances: readonly InstanceReport[];
}

type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;

/**
 * The group function: an EventBridge event (the sweep, a Spot warning, a warm-pool return), or a batch of lifecycle
 * actions from the hook's lifecycle queue (answered with the messages to retry).
 */
export async function handler(event: unknown, context?: HandlerContext): Promise<HandlerResult | (HandlerResult & BatchResponse)> {
  const batch = readSqsBatch(event);
  return batch ? handleLifecycleQueueBatch(batch, context) : handleEvent(event, context);
}

async function handleEvent(event: unknown, context?: HandlerContext): Promise<HandlerResult> {
  const { config, log, deps } = groupWiring(context);
  const { metrics } = deps;
  const drainer = new Drainer(deps);
  const trigger = classifyEvent(event, config);
  try {
    const instances = await drainer.handle(trigger, () => context?.getRemainingTimeInMillis() ?? Infinity);
    return { trigger: trigger.kind, instances };
  } catch (error) {
    metrics.count(MetricName.HANDLER_ERRORS);
    // Failing the invocation hands the event to Lambda's retries and then the dead-letter queue; the sweep
    // re-evaluates the instance from AWS state in any case.
    log.error('handler failed; the event will be retried and the sweep re-checks the instance', {
      trigger: trigger.kind, error,
    });
    throw error;
  }
}

type GroupWiring = { config: DrainConfig; log: Logger; core: DrainCore; deps: ConstructorParameters<typeof DrainCore>[0] };

function groupWiring(context: HandlerContext | undefined): GroupWiring {
  const rootLog = new JsonLogger(stdoutWriter, clock.now, context?.awsRequestId ? { requestId: context.awsRequestId } : {});
  try {
    config ??= loadConfig(process.env);
  } catch (error) {
    // No namespace to count it in: the function's own Errors metric (and the dead-letter queue) show it.
    rootLog.error('handler configuration is invalid', { error });
    throw error;
  }
  const log = rootLog.child({
    cluster: config.clusterName, autoScalingGroupName: config.autoScalingGroupName, lifecycleHookName: config.lifecycleHookName,
  });
  const deps = groupDeps(config, log);
  return { config, log, core: new DrainCore(deps), deps };
}

/** A group's drain dependencies for one invocation: one drain-event publisher per invocation, as handleEvent has. */
function groupDeps(groupConfig: DrainConfig, log: Logger): ConstructorParameters<typeof DrainCore>[0] {
  const metrics = new EmfMetrics(stdoutWriter, clock.now, groupConfig.metricsNamespace, groupConfig.autoScalingGroupName);
  return {
    config: groupConfig,
    ecs: new SdkEcsGateway(ecsClient, groupConfig.clusterName),
    autoScaling: new SdkAutoScalingGateway(autoScalingClient, groupConfig.autoScalingGroupName, groupConfig.lifecycleHookName),
    clock,
    log,
    metrics,
    events: groupConfig.drainEvents ? new EventBridgeDrainEvents(new SdkEventBridgeGateway(eventBridgeClient), log, metrics) : NO_DRAIN_EVENTS,
  };
}

/**
 * A batch from the lifecycle queue: every message is an EventBridge event. Lifecycle actions of this group and hook
 * are handled together (lambda/lifecycle-batch.ts); anything else (a foreign or malformed event) is ignored as a
 * single event would be. Only the messages of instances whose work failed are retried.
 */
async function handleLifecycleQueueBatch(records: readonly QueueRecord[], context?: HandlerContext): Promise<HandlerResult & BatchResponse> {
  const { config, log, core, deps } = groupWiring(context);
  const items: LifecycleItem[] = [];
  for (const record of records) {
    const trigger = classifyEvent(record.event, config);
    if (trigger.kind === 'lifecycle-action') {
      items.push({ messageId: record.messageId, instanceId: trigger.instanceId, ...(trigger.origin ? { origin: trigger.origin } : {}) });
    } else {
      log.info('event ignored', { reason: trigger.kind === 'ignored' ? trigger.reason : `${trigger.kind} is not read from the lifecycle queue` });
    }
  }
  if (new Set(items.map((i) => i.instanceId)).size === 1 || config.drainBudget) {
    // A batch of one instance (the common case at low traffic) costs what a single event does: one
    // ListContainerInstances for an ACTIVE instance, where the batch's lookup needs a DescribeContainerInstances too.
    // With a disruption budget every lifecycle action goes through the budget's gate, one at a time, as single events do.
    return handleOneByOne(items, new Drainer(deps), deps, log);
  }
  try {
    const { reports, failedMessageIds } = await handleLifecycleBatch(items, core, deps, () => context?.getRemainingTimeInMillis() ?? Infinity);
    return { trigger: 'lifecycle-batch', instances: reports, ...batchResponse(failedMessageIds) };
  } catch (error) {
    deps.metrics.count(MetricName.HANDLER_ERRORS);
    log.error('lifecycle batch failed; its messages are retried and the sweep re-checks the instances', { error });
    throw error;
  }
}

/** Each lifecycle action of a batch as a single event would be handled; a failure fails that instance's messages only. */
async function handleOneByOne(items: readonly LifecycleItem[], drainer: Drainer, deps: ConstructorParameters<typeof DrainCore>[0],
  log: Logger): Promise<HandlerResult & BatchResponse> {
  const reports: InstanceReport[] = [];
  const failed: string[] = [];
  for (const instanceId of new Set(items.map((i) => i.instanceId))) {
    const item = items.find((i) => i.instanceId === instanceId)!;
    try {
      reports.push(...await drainer.handle({ kind: 'lifecycle-action', instanceId, origin: item.origin }));
    } catch (error) {
      deps.metrics.count(MetricName.HANDLER_ERRORS);
      log.error('lifecycle action failed; its message is retried and the sweep re-checks the instance', { instanceId, error });
      failed.push(...items.filter((i) => i.instanceId === instanceId).map((i) => i.messageId));
    }
  }
  return { trigger: 'lifecycle-batch', instances: reports, ...batchResponse(failed) };
}

let consumerConfigs: DrainConfig[] | undefined;

/**
 * The cluster's task-event consumer (lib/cluster-task-events.ts): a batch of ECS task events, checked for the drains
 * of every registered group (lambda/task-event-consumer.ts), each with its group's own settings and dependencies.
 */
export async function taskEventHandler(event: unknown, context?: HandlerContext): Promise<HandlerResult & BatchResponse> {
  const rootLog = new JsonLogger(stdoutWriter, clock.now, context?.awsRequestId ? { requestId: context.awsRequestId } : {});
  try {
    consumerConfigs ??= loadConsumerConfigs(process.env);
  } catch (error) {
    rootLog.error('task-event consumer configuration is invalid', { error });
    throw error;
  }
  const configs = consumerConfigs;
  const groups: ConsumerGroup[] = configs.map((groupConfig) => {
    const log = rootLog.child({
      cluster: groupConfig.clusterName, autoScalingGroupName: groupConfig.autoScalingGroupName, lifecycleHookName: groupConfig.lifecycleHookName,
    });
    const deps = groupDeps(groupConfig, log);
    const core = new DrainCore(deps);
    // With a disruption budget, the drain that ended frees its place: the next waiting instance starts at once.
    const budget = groupConfig.drainBudget ? new DrainBudgetGate(core, deps, groupConfig.drainBudget) : undefined;
    return { core, metrics: deps.metrics, log, ...(budget ? { budget } : {}) };
  });
  const log = rootLog.child({ cluster: configs[0].clusterName });
  const consumer = { consumer: new TaskEventConsumer(new SdkEcsGateway(ecsClient, configs[0].clusterName), groups,
    (e) => classifyEvent(e, configs[0]), log), log };
  const batch = readSqsBatch(event);
  if (!batch) {
    consumer.log.info('event ignored', { reason: 'the task-event consumer reads SQS batches only' });
    return { trigger: 'ignored', instances: [], batchItemFailures: [] };
  }
  try {
    const result = await consumer.consumer.handle(batch, () => context?.getRemainingTimeInMillis() ?? Infinity);
    if (result.drainsChecked > 0 || result.failedMessageIds.length > 0) {
      consumer.log.info('task-event batch', {
        messages: batch.length, containerInstances: result.containerInstances, drainsChecked: result.drainsChecked,
        retried: result.failedMessageIds.length,
      });
    }
    return { trigger: 'task-event-batch', instances: result.reports, ...batchResponse(result.failedMessageIds) };
  } catch (error) {
    consumer.log.error('task-event batch failed; its messages are retried and the sweeps re-check the instances', { error, messages: batch.length });
    throw error;
  }
}
