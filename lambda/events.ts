/**
 * Turns an incoming EventBridge event into a trigger. Every field is untrusted input: events that are malformed,
 * test notifications, or for another group, hook or cluster become `ignored` with a reason, never an exception
 * (an exception would make EventBridge and Lambda retry a bad event again and again).
 */
import type { DrainConfig } from './config';

export const LIFECYCLE_ACTION_DETAIL_TYPE = 'EC2 Instance-terminate Lifecycle Action';
export const LAUNCH_SUCCESSFUL_DETAIL_TYPE = 'EC2 Instance Launch Successful';
export const TASK_STATE_CHANGE_DETAIL_TYPE = 'ECS Task State Change';
export const SPOT_INTERRUPTION_DETAIL_TYPE = 'EC2 Spot Instance Interruption Warning';
export const SCHEDULED_EVENT_DETAIL_TYPE = 'Scheduled Event';

export type Trigger =
  /** A termination lifecycle action of our group and hook. */
  | { readonly kind: 'lifecycle-action'; readonly instanceId: string; readonly origin?: string; readonly destination?: string }
  /** A task of our cluster reached STOPPED: its instance may now be drained. */
  | { readonly kind: 'task-stopped'; readonly containerInstanceArn: string; readonly taskArn: string }
  /** The scheduled safety sweep. It may run at any moment of its minute, or later (retries): it judges by the clock. */
  | { readonly kind: 'sweep' }
  /** An instance of our group came into service from the warm pool; `occurredAt` is the event's time (epoch seconds). */
  | { readonly kind: 'warm-pool-return'; readonly instanceId: string; readonly occurredAt?: number }
  /** A Spot instance will be reclaimed in two minutes. */
  | { readonly kind: 'spot-interruption'; readonly instanceId: string }
  | { readonly kind: 'ignored'; readonly reason: string; readonly instanceId?: string };

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const ECS_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:[a-z-]+\/[A-Za-z0-9/_-]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

function ignored(reason: string, instanceId?: string): Trigger {
  return instanceId ? { kind: 'ignored', reason, instanceId } : { kind: 'ignored', reason };
}

export function classifyEvent(event: unknown, config: DrainConfig): Trigger {
  if (!isRecord(event)) return ignored('event is not a JSON object');
  // Auto Scaling test notifications (sent when a notification target is attached) carry no instance.
  if (str(event, 'Event') === 'autoscaling:TEST_NOTIFICATION') return ignored('autoscaling:TEST_NOTIFICATION');
  const source = str(event, 'source');
  const detailType = str(event, 'detail-type');
  const detail = event.detail;
  if (source === undefined || detailType === undefined) return ignored('event has no source or detail-type');
  const time = eventTime(str(event, 'time'));
  if (detailType === SCHEDULED_EVENT_DETAIL_TYPE && source === 'aws.events') {
    return { kind: 'sweep' };
  }
  if (!isRecord(detail)) return ignored(`${detailType} event has no detail object`);
  if (str(detail, 'Event') === 'autoscaling:TEST_NOTIFICATION') return ignored('autoscaling:TEST_NOTIFICATION');

  if (source === 'aws.autoscaling' && detailType === LIFECYCLE_ACTION_DETAIL_TYPE) {
    return classifyLifecycleAction(detail, config);
  }
  if (source === 'aws.autoscaling' && detailType === LAUNCH_SUCCESSFUL_DETAIL_TYPE) {
    const launch = classifyLaunch(detail, config);
    return launch.kind === 'warm-pool-return' && time !== undefined ? { ...launch, occurredAt: time } : launch;
  }
  if (source === 'aws.ecs' && detailType === TASK_STATE_CHANGE_DETAIL_TYPE) {
    return classifyTaskStateChange(detail, config);
  }
  if (source === 'aws.ec2' && detailType === SPOT_INTERRUPTION_DETAIL_TYPE) {
    const instanceId = str(detail, 'instance-id');
    if (!instanceId || !INSTANCE_ID.test(instanceId)) return ignored('spot interruption warning without a valid instance-id');
    if (!config.spotInterruptionDraining) return ignored('spot interruption draining is turned off', instanceId);
    return { kind: 'spot-interruption', instanceId };
  }
  return ignored(`unexpected event ${source} / ${detailType}`);
}

/** An event's `time` in epoch seconds, or undefined when missing or unreadable. */
function eventTime(time: string | undefined): number | undefined {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

function classifyLifecycleAction(detail: Record<string, unknown>, config: DrainConfig): Trigger {
  const instanceId = str(detail, 'EC2InstanceId');
  if (!instanceId || !INSTANCE_ID.test(instanceId)) return ignored('lifecycle action without a valid EC2InstanceId');
  if (str(detail, 'AutoScalingGroupName') !== config.autoScalingGroupName) {
    return ignored('lifecycle action for another Auto Scaling group', instanceId);
  }
  if (str(detail, 'LifecycleHookName') !== config.lifecycleHookName) {
    return ignored('lifecycle action for another lifecycle hook', instanceId);
  }
  if (str(detail, 'LifecycleTransition') !== 'autoscaling:EC2_INSTANCE_TERMINATING') {
    return ignored('lifecycle action is not autoscaling:EC2_INSTANCE_TERMINATING', instanceId);
  }
  return { kind: 'lifecycle-action', instanceId, origin: str(detail, 'Origin'), destination: str(detail, 'Destination') };
}

function classifyLaunch(detail: Record<string, unknown>, config: DrainConfig): Trigger {
  const instanceId = str(detail, 'EC2InstanceId');
  if (!instanceId || !INSTANCE_ID.test(instanceId)) return ignored('launch event without a valid EC2InstanceId');
  if (str(detail, 'AutoScalingGroupName') !== config.autoScalingGroupName) {
    return ignored('launch event for another Auto Scaling group', instanceId);
  }
  // Origin and Destination are not in AWS's sample of this event: a launch that names neither may be a return from
  // the warm pool (the handler acts only on an instance it drained). One that names them must name the warm pool.
  const origin = str(detail, 'Origin');
  const destination = str(detail, 'Destination');
  if ((origin !== undefined || destination !== undefined) && (origin !== 'WarmPool' || destination !== 'AutoScalingGroup')) {
    return ignored('launch event is not a return from the warm pool', instanceId);
  }
  if (!config.warmPoolReactivation) return ignored('warm pool reactivation is turned off', instanceId);
  return { kind: 'warm-pool-return', instanceId };
}

function classifyTaskStateChange(detail: Record<string, unknown>, config: DrainConfig): Trigger {
  if (str(detail, 'clusterArn') !== config.clusterArn) return ignored('task state change for another cluster');
  if (str(detail, 'lastStatus') !== 'STOPPED') return ignored('task state change is not lastStatus STOPPED');
  const containerInstanceArn = str(detail, 'containerInstanceArn');
  const taskArn = str(detail, 'taskArn');
  // Fargate tasks have no container instance.
  if (!containerInstanceArn || !ECS_ARN.test(containerInstanceArn)) return ignored('task state change without a container instance');
  if (!taskArn || !ECS_ARN.test(taskArn)) return ignored('task state change without a valid taskArn');
  return { kind: 'task-stopped', containerInstanceArn, taskArn };
}
