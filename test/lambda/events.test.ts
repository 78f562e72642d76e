import { classifyEvent } from '../../lambda/events';
import { ASG, CLUSTER_ARN, config, lifecycleEvent, scheduledEvent, taskStoppedEvent } from './fixtures';

const c = config();

describe('classifyEvent', () => {
  test('a lifecycle action of our group and hook', () => {
    expect(classifyEvent(lifecycleEvent(), c)).toEqual({
      kind: 'lifecycle-action', instanceId: 'i-0123456789abcdef0', origin: 'AutoScalingGroup', destination: 'EC2',
    });
  });

  test('a lifecycle action into the warm pool keeps its destination', () => {
    expect(classifyEvent(lifecycleEvent({ Destination: 'WarmPool' }), c)).toMatchObject({ kind: 'lifecycle-action', destination: 'WarmPool' });
  });

  test.each([
    ['another group', { AutoScalingGroupName: 'other' }, /another Auto Scaling group/],
    ['another hook', { LifecycleHookName: 'other' }, /another lifecycle hook/],
    ['a launch transition', { LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' }, /not autoscaling:EC2_INSTANCE_TERMINATING/],
    ['a malformed instance id', { EC2InstanceId: 'i-; DROP' }, /valid EC2InstanceId/],
    ['a missing instance id', { EC2InstanceId: undefined }, /valid EC2InstanceId/],
    ['a numeric group name', { AutoScalingGroupName: 42 }, /another Auto Scaling group/],
  ])('a lifecycle action for %s is ignored', (_, detail, reason) => {
    expect(classifyEvent(lifecycleEvent(detail), c)).toEqual(expect.objectContaining({ kind: 'ignored', reason: expect.stringMatching(reason) }));
  });

  test('test notifications are ignored, in either shape', () => {
    const sns = { AccountId: '123456789012', RequestId: 'x', AutoScalingGroupARN: 'arn', AutoScalingGroupName: ASG, Service: 'AWS Auto Scaling', Event: 'autoscaling:TEST_NOTIFICATION', Time: '2026-11-23T10:00:00Z' };
    expect(classifyEvent(sns, c)).toEqual({ kind: 'ignored', reason: 'autoscaling:TEST_NOTIFICATION' });
    expect(classifyEvent(lifecycleEvent({ Event: 'autoscaling:TEST_NOTIFICATION' }), c)).toEqual({ kind: 'ignored', reason: 'autoscaling:TEST_NOTIFICATION' });
  });

  test.each([null, undefined, 42, 'text', [], {}, { source: 'aws.autoscaling' }, { 'source': 'aws.autoscaling', 'detail-type': 'EC2 Instance-terminate Lifecycle Action', 'detail': 'x' }])(
    'malformed input %p is ignored, never thrown', (event) => {
      expect(classifyEvent(event, c).kind).toBe('ignored');
    });

  test('an unknown event type is ignored', () => {
    expect(classifyEvent({ 'source': 'aws.s3', 'detail-type': 'Object Created', 'detail': {} }, c)).toMatchObject({ kind: 'ignored' });
  });

  test('the scheduled sweep: its time is not used (a sweep may run at any moment of its minute, or later)', () => {
    expect(classifyEvent(scheduledEvent('2026-11-23T10:06:00Z'), c)).toEqual({ kind: 'sweep' });
  });

  test('a scheduled event without a readable time is still a sweep', () => {
    expect(classifyEvent({ ...scheduledEvent(), time: 'yesterday' }, c)).toEqual({ kind: 'sweep' });
    const { time: _, ...noTime } = scheduledEvent();
    expect(classifyEvent(noTime, c)).toEqual({ kind: 'sweep' });
  });

  test('a task of our cluster that reached STOPPED', () => {
    expect(classifyEvent(taskStoppedEvent(), c)).toMatchObject({ kind: 'task-stopped' });
  });

  test.each([
    ['another cluster', { clusterArn: CLUSTER_ARN.replace('prod', 'staging') }, /another cluster/],
    ['a task not yet STOPPED', { lastStatus: 'DEACTIVATING' }, /not lastStatus STOPPED/],
    ['a Fargate task (no container instance)', { containerInstanceArn: undefined }, /without a container instance/],
    ['a malformed task ARN', { taskArn: 'nope' }, /valid taskArn/],
  ])('a task state change for %s is ignored', (_, detail, reason) => {
    expect(classifyEvent(taskStoppedEvent(detail), c)).toEqual(expect.objectContaining({ kind: 'ignored', reason: expect.stringMatching(reason) }));
  });

  describe('warm pool return', () => {
    const launch = (detail: Record<string, unknown>) => ({
      'source': 'aws.autoscaling', 'detail-type': 'EC2 Instance Launch Successful',
      'detail': { AutoScalingGroupName: ASG, EC2InstanceId: 'i-0123456789abcdef0', Origin: 'WarmPool', Destination: 'AutoScalingGroup', ...detail },
    });
    test('from the warm pool into service', () => {
      expect(classifyEvent(launch({}), c)).toEqual({ kind: 'warm-pool-return', instanceId: 'i-0123456789abcdef0' });
    });
    test('with the time it happened, when the event has one', () => {
      expect(classifyEvent({ ...launch({}), time: '2026-11-23T10:06:00Z' }, c))
        .toEqual({ kind: 'warm-pool-return', instanceId: 'i-0123456789abcdef0', occurredAt: Date.UTC(2026, 10, 23, 10, 6) / 1000 });
    });
    test('a plain launch, another group, or reactivation turned off: ignored', () => {
      expect(classifyEvent(launch({ Origin: 'EC2' }), c).kind).toBe('ignored');
      expect(classifyEvent(launch({ AutoScalingGroupName: 'other' }), c).kind).toBe('ignored');
      expect(classifyEvent(launch({}), config({ warmPoolReactivation: false })).kind).toBe('ignored');
    });
  });

  describe('spot interruption', () => {
    const warning = { 'source': 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning', 'detail': { 'instance-id': 'i-0123456789abcdef0', 'instance-action': 'terminate' } };
    test('only when turned on', () => {
      expect(classifyEvent(warning, config({ spotInterruptionDraining: true }))).toEqual({ kind: 'spot-interruption', instanceId: 'i-0123456789abcdef0' });
      expect(classifyEvent(warning, c)).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/turned off/) });
    });
  });
});
