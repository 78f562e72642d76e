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
import { type DrainConfig, loadConfig } from './config';
import { type DrainEventPublisher, EventBridgeDrainEvents, NO_DRAIN_EVENTS } from './drain-events';
import { Drainer, type InstanceReport } from './drainer';
import { classifyEvent } from './events';
import { EmfMetrics, JsonLogger, MetricName, stdoutWriter } from './telemetry';

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

export async function handler(event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<HandlerResult> {
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
  const metrics = new EmfMetrics(stdoutWriter, clock.now, config.metricsNamespace, config.autoScalingGroupName);
  // One publisher per invocation: once a PutEvents fails it sends no more in this invocation.
  const events: DrainEventPublisher = config.drainEvents
    ? new EventBridgeDrainEvents(new SdkEventBridgeGateway(eventBridgeClient), log, metrics)
    : NO_DRAIN_EVENTS;
  const drainer = new Drainer({
    config,
    ecs: new SdkEcsGateway(ecsClient, config.clusterName),
    autoScaling: new SdkAutoScalingGateway(autoScalingClient, config.autoScalingGroupName, config.lifecycleHookName),
    clock,
    log,
    metrics,
    events,
  });
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
