/**
 * EventBridge pattern matching, rule by rule, against the examples of the EventBridge user guide
 * (eb-create-pattern.html, eb-create-pattern-operators.html).
 */
import { InvalidEventPatternError, matchesPattern } from '../../emulator';

const ec2Event = {
  'version': '0',
  'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '111122223333',
  'time': '2017-12-22T18:43:48Z',
  'region': 'us-west-1',
  'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated', 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.123', 'nothing': null, 'empty': '', 'tags': ['a', 'b'] },
};

const m = (pattern: Record<string, unknown>, event: Record<string, unknown> = ec2Event) => matchesPattern(pattern, event);

describe('structure', () => {
  test('all named fields must match, values of one field are alternatives, nesting must agree', () => {
    expect(m({ 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], 'detail': { state: ['terminated'] } })).toBe(true);
    expect(m({ source: ['aws.ec2', 'aws.fargate'] })).toBe(true);
    expect(m({ source: ['aws.fargate'] })).toBe(false);
    expect(m({ source: ['aws.ec2'], detail: { state: ['running'] } })).toBe(false);
    // a leaf rule never matches an object, and a nested rule never matches a scalar
    expect(m({ detail: ['x'] })).toBe(false);
    expect(m({ source: { x: ['aws.ec2'] } })).toBe(false);
    // a field missing from the event does not match
    expect(m({ detail: { missing: ['x'] } })).toBe(false);
  });

  test('exact values are typed: a number is not its string, null and "" are values', () => {
    expect(m({ detail: { 'c-count': [5] } })).toBe(true);
    expect(m({ detail: { 'c-count': ['5'] } })).toBe(false);
    expect(m({ detail: { nothing: [null] } })).toBe(true);
    expect(m({ detail: { empty: [''] } })).toBe(true);
    expect(m({ detail: { missing: [null] } })).toBe(false);
  });

  test('an array in the event matches when any element matches', () => {
    expect(m({ resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] })).toBe(true);
    expect(m({ detail: { tags: ['b'] } })).toBe(true);
    expect(m({ detail: { tags: ['c'] } })).toBe(false);
  });

  test('$or: any of the sub-patterns', () => {
    expect(m({ $or: [{ detail: { state: ['running'] } }, { detail: { 'c-count': [5] } }] })).toBe(true);
    expect(m({ source: ['aws.ec2'], $or: [{ detail: { state: ['running'] } }, { region: ['eu-west-1'] }] })).toBe(false);
  });

  test('an invalid pattern is refused, not silently unmatched', () => {
    expect(() => m({ source: 'aws.ec2' })).toThrow(InvalidEventPatternError);
    expect(() => m({ source: [{ bogus: 1 }] })).toThrow(InvalidEventPatternError);
    expect(() => m({ detail: { 'c-count': [{ numeric: ['>', '0'] }] } })).toThrow(InvalidEventPatternError);
  });
});

describe('content filters', () => {
  test('prefix and suffix, optionally ignoring case; only on strings', () => {
    expect(m({ time: [{ prefix: '2017-12-22' }] })).toBe(true);
    expect(m({ region: [{ prefix: 'eu-' }] })).toBe(false);
    expect(m({ source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] })).toBe(true);
    expect(m({ detail: { 'instance-id': [{ suffix: 'def0' }] } })).toBe(true);
    expect(m({ detail: { 'instance-id': [{ suffix: { 'equals-ignore-case': 'DEF0' } }] } })).toBe(true);
    expect(m({ detail: { 'c-count': [{ prefix: '5' }] } })).toBe(false);
  });

  test('equals-ignore-case and wildcard', () => {
    expect(m({ detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } })).toBe(true);
    expect(m({ 'detail-type': [{ wildcard: 'EC2 * State-change*' }] })).toBe(true);
    expect(m({ 'detail-type': [{ wildcard: 'ECS*' }] })).toBe(false);
  });

  test('anything-but: a value, a list, a number, or a nested prefix/suffix/ignore-case/wildcard; never a missing field', () => {
    expect(m({ detail: { state: [{ 'anything-but': 'initializing' }] } })).toBe(true);
    expect(m({ detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } })).toBe(false);
    expect(m({ detail: { 'c-count': [{ 'anything-but': [100, 200, 300] }] } })).toBe(true);
    expect(m({ detail: { 'c-count': [{ 'anything-but': 5 }] } })).toBe(false);
    expect(m({ region: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(false);
    expect(m({ region: [{ 'anything-but': { suffix: '-1' } }] })).toBe(false);
    expect(m({ detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['TERMINATED'] } }] } })).toBe(false);
    expect(m({ source: [{ 'anything-but': { wildcard: '*.ecs' } }] })).toBe(true);
    expect(m({ detail: { missing: [{ 'anything-but': 'x' }] } })).toBe(false);
    // against an array: matches only if no element is excluded
    expect(m({ detail: { tags: [{ 'anything-but': ['a'] }] } })).toBe(false);
    expect(m({ detail: { tags: [{ 'anything-but': ['c'] }] } })).toBe(true);
  });

  test('exists: true for a present field (even null), false for a missing one, including a missing parent', () => {
    expect(m({ detail: { state: [{ exists: true }] } })).toBe(true);
    expect(m({ detail: { nothing: [{ exists: true }] } })).toBe(true);
    expect(m({ detail: { missing: [{ exists: true }] } })).toBe(false);
    expect(m({ detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(m({ detail: { state: [{ exists: false }] } })).toBe(false);
    expect(m({ absent: { deeper: [{ exists: false }] } })).toBe(true);
    expect(m({ absent: { deeper: [{ exists: true }] } })).toBe(false);
  });

  test('numeric: one or two comparisons on JSON numbers', () => {
    expect(m({ detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 301.8] }] } })).toBe(true);
    expect(m({ detail: { 'c-count': [{ numeric: ['>', 5] }] } })).toBe(false);
    expect(m({ detail: { 'c-count': [{ numeric: ['>=', 5] }] } })).toBe(true);
    expect(m({ detail: { state: [{ numeric: ['>', 0] }] } })).toBe(false);
  });

  test('cidr on IPv4 addresses', () => {
    expect(m({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
    expect(m({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
  });

  test('filters and exact values mix in one list (OR)', () => {
    expect(m({ detail: { state: ['running', { prefix: 'term' }] } })).toBe(true);
    expect(m({ detail: { state: ['running', { prefix: 'stop' }] } })).toBe(false);
  });
});

describe('the construct\'s rules against AWS-shaped events', () => {
  const lifecycleRule = {
    'source': ['aws.autoscaling'],
    'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
    'detail': { AutoScalingGroupName: ['prod-capacity'], LifecycleHookName: ['drain-hook'] },
  };
  const lifecycle = (detail: Record<string, unknown>) => ({
    'version': '0', 'id': 'x', 'detail-type': 'EC2 Instance-terminate Lifecycle Action', 'source': 'aws.autoscaling',
    'account': '123456789012', 'time': '2026-11-23T10:00:00Z', 'region': 'eu-west-1', 'resources': [],
    'detail': {
      LifecycleActionToken: '87654321-4321-4321-4321-210987654321', AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'drain-hook',
      EC2InstanceId: 'i-1234567890abcdef0', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', Origin: 'AutoScalingGroup', Destination: 'EC2', ...detail,
    },
  });

  test('a lifecycle action of our group and hook matches; another group or hook does not', () => {
    expect(m(lifecycleRule, lifecycle({}))).toBe(true);
    expect(m(lifecycleRule, lifecycle({ AutoScalingGroupName: 'other' }))).toBe(false);
    expect(m(lifecycleRule, lifecycle({ LifecycleHookName: 'other' }))).toBe(false);
    // the test notification Auto Scaling sends when a hook is created has none of the fields
    expect(m(lifecycleRule, { AccountId: '123456789012', AutoScalingGroupName: 'prod-capacity', Event: 'autoscaling:TEST_NOTIFICATION' })).toBe(false);
  });

  test('the task rule takes STOPPED tasks of the cluster only', () => {
    const rule = { 'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'], 'detail': { clusterArn: ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod'], lastStatus: ['STOPPED'] } };
    const task = (detail: Record<string, unknown>) => ({ 'source': 'aws.ecs', 'detail-type': 'ECS Task State Change', 'detail': { clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', lastStatus: 'STOPPED', ...detail } });
    expect(m(rule, task({}))).toBe(true);
    expect(m(rule, task({ lastStatus: 'DEACTIVATING' }))).toBe(false);
    expect(m(rule, task({ clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/other' }))).toBe(false);
  });
});
