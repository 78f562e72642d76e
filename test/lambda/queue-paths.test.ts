/**
 * The two SQS paths of the handler, through its entry points: a group's lifecycle queue (index.handler with a batch
 * of lifecycle actions) and the cluster's task-event queue (index.taskEventHandler), with partial batch failures.
 */
import { CompleteLifecycleActionCommand, RecordLifecycleActionHeartbeatCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeContainerInstancesCommand, DescribeTasksCommand, ListContainerInstancesCommand, UpdateContainerInstancesStateCommand } from '@aws-sdk/client-ecs';
import { loadConsumerConfigs } from '../../lambda/consumer-config';
import { encodeMarker, newMarker, DrainTrigger, DRAIN_MARKER_ATTRIBUTE, ownerId } from '../../lambda/drain-marker';
import { CONSUMER_RESERVE_MS, CONSUMER_RETRY_PAUSES_MS } from '../../lambda/task-event-consumer';
import { GROUP_ENVIRONMENT_KEYS } from '../../lib/handler-contract';
import { ASG, CLUSTER_ARN, CLUSTER_NAME, HOOK, containerInstanceArn, lifecycleEvent, taskArn, taskStoppedEvent } from './fixtures';
import { FakeAws } from './mock-aws';

const GROUP_ENV = {
  CLUSTER_NAME, CLUSTER_ARN, AUTO_SCALING_GROUP_NAME: ASG, LIFECYCLE_HOOK_NAME: HOOK,
  DRAIN_TIMEOUT_SECONDS: '3600', HEARTBEAT_TIMEOUT_SECONDS: '600', SWEEP_INTERVAL_SECONDS: '60',
  DRAIN_TIMEOUT_RESULT: 'CONTINUE', STANDALONE_TASK_POLICY: 'WAIT', STANDALONE_TASK_GRACE_PERIOD_SECONDS: '300',
  TASK_PROTECTION_POLICY: 'IGNORE', SPOT_INTERRUPTION_DRAINING: 'false', WARM_POOL_REACTIVATION: 'true',
  METRICS_NAMESPACE: 'EcsDrainingLifecycleHook', DRAIN_EVENTS: 'false',
  AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
};
const OTHER_ASG = 'batch-capacity';
const OTHER_HOOK = 'batch-hook';
/** A registered group, as the construct renders it: its function's environment values of GROUP_ENVIRONMENT_KEYS. */
const groupTuple = (env: Record<string, string>) => GROUP_ENVIRONMENT_KEYS.map((k) => env[k] ?? null);
const DRAIN_GROUPS = JSON.stringify([
  groupTuple(GROUP_ENV),
  groupTuple({ ...GROUP_ENV, AUTO_SCALING_GROUP_NAME: OTHER_ASG, LIFECYCLE_HOOK_NAME: OTHER_HOOK }),
]);
const context = { getRemainingTimeInMillis: () => 120_000, awsRequestId: 'req-1' };

let aws: FakeAws;
let output: string[];
let index: typeof import('../../lambda/index');

beforeAll(() => {
  Object.assign(process.env, GROUP_ENV, { DRAIN_GROUPS });
  index = require('../../lambda/index');
});

beforeEach(() => {
  aws = new FakeAws();
  output = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { output.push(String(chunk)); return true; });
});

afterEach(() => {
  jest.restoreAllMocks();
  aws.restore();
});

/** An SQS batch as Lambda's event source mapping delivers it: each event as a message body. */
function sqsBatch(bodies: ReadonlyArray<Record<string, unknown> | string>) {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i + 1}`, receiptHandle: `r${i + 1}`, body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:q', awsRegion: 'eu-west-1',
    })),
  };
}

describe('the lifecycle queue (index.handler)', () => {
  test('a batch: one lookup for every instance, ACTIVE ones set DRAINING in one call, idle and unregistered ones completed', async () => {
    const busy = aws.addInstance('i-0000000000000000a');
    aws.addTasks(busy, 2);
    aws.addInstance('i-0000000000000000b');
    for (const id of ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']) aws.terminate(id);
    const result = await index.handler(sqsBatch([
      lifecycleEvent({ EC2InstanceId: 'i-0000000000000000a' }), lifecycleEvent({ EC2InstanceId: 'i-0000000000000000b' }),
      lifecycleEvent({ EC2InstanceId: 'i-0000000000000000c' }), 'not json', lifecycleEvent({ AutoScalingGroupName: 'another-group' }),
    ]), context);
    expect(result).toMatchObject({ trigger: 'lifecycle-batch', batchItemFailures: [] });
    expect(aws.ecs.commandCalls(ListContainerInstancesCommand).map((c) => c.args[0].input.filter)).toEqual([
      "ec2InstanceId in ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']",
    ]);
    expect(aws.ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => c.args[0].input.containerInstances)).toEqual([
      [containerInstanceArn(1), containerInstanceArn(2)],
    ]);
    expect(aws.completedWith('i-0000000000000000b')).toBe('CONTINUE'); // idle: completed in the same invocation
    expect(aws.completedWith('i-0000000000000000c')).toBe('CONTINUE'); // not registered
    expect(aws.completedWith('i-0000000000000000a')).toBeUndefined(); // tasks still running
  });

  test('a batch of one instance costs what a single event does: one ListContainerInstances for an ACTIVE instance, no describe', async () => {
    const ci = aws.addInstance('i-0000000000000000a');
    aws.addTasks(ci, 1);
    aws.terminate('i-0000000000000000a');
    // the same lifecycle event twice (EventBridge delivers at least once): still one instance
    const result = await index.handler(sqsBatch([lifecycleEvent({ EC2InstanceId: 'i-0000000000000000a' }), lifecycleEvent({ EC2InstanceId: 'i-0000000000000000a' })]), context);
    expect(result).toMatchObject({ instances: [{ instanceId: 'i-0000000000000000a', outcome: 'waiting' }], batchItemFailures: [] });
    expect(aws.calls()).toEqual(['ListContainerInstances', 'RecordLifecycleActionHeartbeat', 'PutAttributes', 'UpdateContainerInstancesState']);
  });

  test('an instance whose work fails: only its messages are retried', async () => {
    aws.addInstance('i-0000000000000000a');
    aws.addInstance('i-0000000000000000b');
    aws.terminate('i-0000000000000000a');
    aws.terminate('i-0000000000000000b');
    aws.autoScaling.on(RecordLifecycleActionHeartbeatCommand, { InstanceId: 'i-0000000000000000b' })
      .rejects(Object.assign(new Error('access denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const result = await index.handler(sqsBatch([
      lifecycleEvent({ EC2InstanceId: 'i-0000000000000000a' }), lifecycleEvent({ EC2InstanceId: 'i-0000000000000000b' }),
      lifecycleEvent({ EC2InstanceId: 'i-0000000000000000b' }), // a duplicate: retried with it
    ]), context);
    expect(result).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }] });
    expect(aws.completedWith('i-0000000000000000a')).toBe('CONTINUE');
  });
});

describe('the cluster\'s task-event queue (index.taskEventHandler)', () => {
  const markerOf = (asg: string, hook: string) =>
    encodeMarker(newMarker(ownerId(asg, hook), Math.floor(Date.now() / 1000) - 60, DrainTrigger.LIFECYCLE_ACTION));

  test('one DescribeContainerInstances for the batch; each drain checked with its own group\'s hook; unrelated stops cost nothing more', async () => {
    const ours = aws.addInstance('i-0000000000000000a', 'DRAINING');
    ours.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerOf(OTHER_ASG, OTHER_HOOK));
    aws.terminate('i-0000000000000000a');
    const [stopped] = aws.addTasks(ours, 1, 'STOPPED', 'STOPPED');
    const busy = aws.addInstance('i-0000000000000000b'); // ACTIVE: a batch job stopped on it
    const notOurs = aws.addInstance('i-0000000000000000c', 'DRAINING');
    notOurs.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerOf('someone-else', 'their-hook'));
    const result = await index.taskEventHandler(sqsBatch([
      taskStoppedEvent({ containerInstanceArn: ours.arn, taskArn: stopped.arn }),
      ...Array.from({ length: 20 }, (_, i) => taskStoppedEvent({ containerInstanceArn: busy.arn, taskArn: taskArn(100 + i) })),
      taskStoppedEvent({ containerInstanceArn: notOurs.arn, taskArn: taskArn(200) }),
      taskStoppedEvent({ clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/other' }),
    ]), context);
    expect(result).toMatchObject({ trigger: 'task-event-batch', instances: [{ instanceId: 'i-0000000000000000a', outcome: 'completed' }], batchItemFailures: [] });
    expect(aws.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(1);
    const [completion] = aws.autoScaling.commandCalls(CompleteLifecycleActionCommand);
    expect(completion.args[0].input).toMatchObject({ AutoScalingGroupName: OTHER_ASG, LifecycleHookName: OTHER_HOOK, InstanceId: 'i-0000000000000000a' });
    // the metric goes under the drain's own group
    const metric = output.map((l) => JSON.parse(l)).find((l) => l.DrainsCompleted !== undefined);
    expect(metric.AutoScalingGroupName).toBe(OTHER_ASG);
  });

  test('a check that fails: only the messages of its container instance are retried', async () => {
    const failing = aws.addInstance('i-0000000000000000a', 'DRAINING');
    failing.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerOf(ASG, HOOK));
    aws.addTasks(failing, 1, 'STOPPING', 'STOPPED');
    aws.terminate('i-0000000000000000a');
    const fine = aws.addInstance('i-0000000000000000b', 'DRAINING');
    fine.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerOf(ASG, HOOK));
    aws.terminate('i-0000000000000000b');
    aws.ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error('access denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const result = await index.taskEventHandler(sqsBatch([
      taskStoppedEvent({ containerInstanceArn: failing.arn, taskArn: taskArn(50) }),
      taskStoppedEvent({ containerInstanceArn: fine.arn, taskArn: taskArn(51) }),
      taskStoppedEvent({ containerInstanceArn: failing.arn, taskArn: taskArn(52) }),
    ]), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }]);
    expect(aws.completedWith('i-0000000000000000b')).toBe('CONTINUE');
    // access denied is no transient error: not tried again in the invocation (no second read of the instances)
    expect(aws.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(1);
  });

  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
  function drainedInstanceThrottledOnce(): string {
    const drained = aws.addInstance('i-0000000000000000a', 'DRAINING');
    drained.attributes.set(DRAIN_MARKER_ATTRIBUTE, markerOf(ASG, HOOK));
    aws.addTasks(drained, 2, 'STOPPED', 'STOPPED');
    aws.terminate('i-0000000000000000a');
    let listings = 0;
    // ECS throttles the check's first task listing (past the SDK's own retries)
    aws.afterListTasks = () => {
      if (listings++ === 0) throw throttled();
    };
    return drained.arn;
  }

  test('a check throttled past the SDK\'s retries is tried again in the invocation, after a pause, on a fresh read: completed, no message retried', async () => {
    const arn = drainedInstanceThrottledOnce();
    const started = Date.now();
    const result = await index.taskEventHandler(sqsBatch([taskStoppedEvent({ containerInstanceArn: arn, taskArn: taskArn(50) })]), context);
    expect(result).toMatchObject({ instances: [{ instanceId: 'i-0000000000000000a', outcome: 'completed' }], batchItemFailures: [] });
    expect(aws.completedWith('i-0000000000000000a')).toBe('CONTINUE');
    expect(aws.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CONSUMER_RETRY_PAUSES_MS[0] - 50);
    expect(output.filter((l) => l.includes('task event check failed'))).toEqual([]);
  });

  test('a new try that the time does not let reach the check: its messages are still retried by the queue', async () => {
    const arn = drainedInstanceThrottledOnce();
    const started = Date.now();
    // time enough for the first try and the pause; once paused, only the reserve is left
    const paused = () => Date.now() - started >= CONSUMER_RETRY_PAUSES_MS[0] / 2;
    const running = { ...context, getRemainingTimeInMillis: () => (paused() ? CONSUMER_RESERVE_MS : 120_000) };
    const result = await index.taskEventHandler(sqsBatch([taskStoppedEvent({ containerInstanceArn: arn, taskArn: taskArn(50) })]), running);
    expect(aws.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(2);
    expect(aws.completedWith('i-0000000000000000a')).toBeUndefined();
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  test('no new try when the pause would leave less than the reserve: the messages are retried by the queue, with an ERROR', async () => {
    const arn = drainedInstanceThrottledOnce();
    const short = { ...context, getRemainingTimeInMillis: () => CONSUMER_RESERVE_MS + CONSUMER_RETRY_PAUSES_MS[0] };
    const result = await index.taskEventHandler(sqsBatch([taskStoppedEvent({ containerInstanceArn: arn, taskArn: taskArn(50) })]), short);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(aws.completedWith('i-0000000000000000a')).toBeUndefined();
    expect(aws.ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(1);
    expect(output.filter((l) => l.includes('task event check failed') && l.includes('"level":"ERROR"'))).toHaveLength(1);
  });

  test('a batch that cannot be read at all fails whole (thrown: every message comes back)', async () => {
    aws.ecs.on(DescribeContainerInstancesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(index.taskEventHandler(sqsBatch([taskStoppedEvent()]), context)).rejects.toThrow('Rate exceeded');
  });
});

describe('the consumer\'s configuration', () => {
  const env = { CLUSTER_NAME, CLUSTER_ARN };
  test('one DrainConfig per group tuple', () => {
    expect(loadConsumerConfigs({ ...env, DRAIN_GROUPS }).map((c) => [c.autoScalingGroupName, c.lifecycleHookName, c.clusterName])).toEqual([
      [ASG, HOOK, CLUSTER_NAME], [OTHER_ASG, OTHER_HOOK, CLUSTER_NAME],
    ]);
  });
  test.each([
    ['not JSON', '{', 'must be a JSON array'],
    ['empty', '[]', 'must list at least one group'],
    ['a short tuple', '[["a","b"]]', `must have ${GROUP_ENVIRONMENT_KEYS.length} values`],
    ['a bad value', JSON.stringify([groupTuple({ ...GROUP_ENV, DRAIN_TIMEOUT_SECONDS: '-1' })]), 'DRAIN_TIMEOUT_SECONDS'],
    ['a missing value', JSON.stringify([groupTuple({ ...GROUP_ENV, METRICS_NAMESPACE: undefined as unknown as string })]), 'METRICS_NAMESPACE'],
  ])('%s: a ConfigurationError that says what is wrong', (_, value, message) => {
    expect(() => loadConsumerConfigs({ ...env, DRAIN_GROUPS: value })).toThrow(message);
  });
});
