import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SdkAutoScalingGateway, SdkEcsGateway } from '../../lambda/aws-gateways';
import type { DrainConfig } from '../../lambda/config';
import type { ContainerInstanceState, TaskState } from '../../lambda/decisions';
import type { DrainEvent } from '../../lambda/drain-events';
import { DrainPhase, DrainTrigger, encodeMarker, ownerId } from '../../lambda/drain-marker';
import { Drainer } from '../../lambda/drainer';
import { EmfMetrics, JsonLogger, type LineWriter } from '../../lambda/telemetry';

export const ACCOUNT = '123456789012';
export const CLUSTER_NAME = 'prod';
export const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/${CLUSTER_NAME}`;
export const ASG = 'prod-capacity';
export const HOOK = 'drain-hook';
export const OWNER = ownerId(ASG, HOOK);

export function config(overrides: Partial<DrainConfig> = {}): DrainConfig {
  return {
    clusterName: CLUSTER_NAME,
    clusterArn: CLUSTER_ARN,
    autoScalingGroupName: ASG,
    lifecycleHookName: HOOK,
    drainTimeoutSeconds: 3600,
    heartbeatTimeoutSeconds: 600,
    sweepIntervalSeconds: 60,
    drainTimeoutResult: 'CONTINUE',
    standaloneTaskPolicy: 'WAIT',
    standaloneTaskGracePeriodSeconds: 300,
    taskProtectionPolicy: 'IGNORE',
    spotInterruptionDraining: false,
    warmPoolReactivation: true,
    metricsNamespace: 'EcsDrainingLifecycleHook',
    drainEvents: true,
    ...overrides,
  };
}

export function containerInstanceArn(n: number): string {
  return `arn:aws:ecs:eu-west-1:${ACCOUNT}:container-instance/${CLUSTER_NAME}/${String(n).padStart(32, '0')}`;
}

export function taskArn(n: number): string {
  return `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/${CLUSTER_NAME}/${String(n).padStart(32, 'a')}`;
}

export function instance(overrides: Partial<ContainerInstanceState> = {}): ContainerInstanceState {
  return {
    arn: containerInstanceArn(1),
    ec2InstanceId: 'i-0123456789abcdef0',
    status: 'ACTIVE',
    runningTasksCount: 0,
    pendingTasksCount: 0,
    ...overrides,
  };
}

/** A drain marker as this release writes it (version 2 while draining, version 3 in another phase). */
export function marker(
  drainStartedAt: number, lastHeartbeatAt = drainStartedAt, owner = OWNER,
  lastCheckedAt = drainStartedAt, trigger = DrainTrigger.LIFECYCLE_ACTION, phase = DrainPhase.DRAINING,
): string {
  return encodeMarker({ owner, drainStartedAt, lastHeartbeatAt, lastCheckedAt, trigger, phase });
}

/** A drain marker as releases before the drain trigger was recorded wrote it (version 1). */
export function markerV1(drainStartedAt: number, lastHeartbeatAt = drainStartedAt, owner = OWNER): string {
  return `${owner}/${drainStartedAt}/${lastHeartbeatAt}`;
}

export function task(lastStatus: string, desiredStatus: string, group = 'service:web', n = 1): TaskState {
  return { arn: taskArn(n), lastStatus, desiredStatus, group };
}

/** Collects what the handler writes to stdout, one parsed JSON object per line. */
export class CapturedLines {
  readonly lines: string[] = [];
  readonly write: LineWriter = (line) => { this.lines.push(line); };
  get parsed(): Array<Record<string, any>> { return this.lines.map((l) => JSON.parse(l)); }
  logs(): Array<Record<string, any>> { return this.parsed.filter((l) => l.message !== undefined); }
  metricValues(name: string): number[] {
    return this.parsed.filter((l) => l._aws && l[name] !== undefined).map((l) => l[name]);
  }
}

export function lifecycleEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'version': '0',
    'id': '468fef11-4bd5-4c0e-8a25-7bd6c6d4a0d3',
    'detail-type': 'EC2 Instance-terminate Lifecycle Action',
    'source': 'aws.autoscaling',
    'account': ACCOUNT,
    'time': '2026-11-23T10:00:00Z',
    'region': 'eu-west-1',
    'resources': [`arn:aws:autoscaling:eu-west-1:${ACCOUNT}:autoScalingGroup:uuid:autoScalingGroupName/${ASG}`],
    'detail': {
      LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
      AutoScalingGroupName: ASG,
      LifecycleHookName: HOOK,
      EC2InstanceId: 'i-0123456789abcdef0',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      NotificationMetadata: 'metadata',
      Origin: 'AutoScalingGroup',
      Destination: 'EC2',
      ...detail,
    },
  };
}

export function taskStoppedEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'version': '0',
    'id': '3317b2af-7005-947d-b652-f55e762e571a',
    'detail-type': 'ECS Task State Change',
    'source': 'aws.ecs',
    'account': ACCOUNT,
    'time': '2026-11-23T10:05:00Z',
    'region': 'eu-west-1',
    'resources': [taskArn(1)],
    'detail': {
      clusterArn: CLUSTER_ARN,
      containerInstanceArn: containerInstanceArn(1),
      taskArn: taskArn(1),
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      group: 'service:web',
      stoppedReason: 'Service web: container instance is in DRAINING state',
      ...detail,
    },
  };
}

/** A scheduled event; `time` is the schedule tick it was fired for. */
export function scheduledEvent(time = '2026-11-23T10:06:00Z'): Record<string, unknown> {
  return {
    'version': '0',
    'id': '89d1a02d-5ec7-412e-82f5-13505f849b41',
    'detail-type': 'Scheduled Event',
    'source': 'aws.events',
    'account': ACCOUNT,
    time,
    'region': 'eu-west-1',
    'resources': [`arn:aws:events:eu-west-1:${ACCOUNT}:rule/sweep`],
    'detail': {},
  };
}

/**
 * A drainer over the real SDK gateways (answered by aws-sdk-client-mock, see mock-aws.ts), on a clock the test moves,
 * its logs and metrics written to `out`, and the drain events it publishes pushed to `events`.
 */
export function sdkDrainer(config: DrainConfig, now: () => number, out: CapturedLines, events: DrainEvent[]): Drainer {
  const clock = { now };
  return new Drainer({
    config,
    ecs: new SdkEcsGateway(new ECSClient({ region: 'eu-west-1' }), config.clusterName),
    autoScaling: new SdkAutoScalingGateway(new AutoScalingClient({ region: 'eu-west-1' }), ASG, HOOK),
    clock,
    log: new JsonLogger(out.write, clock.now),
    metrics: new EmfMetrics(out.write, clock.now, config.metricsNamespace, ASG),
    events: { publish: async (event) => { events.push(event); } },
  });
}
