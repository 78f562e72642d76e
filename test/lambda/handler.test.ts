import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { HANDLER_API_CALLS } from '../../lib/handler-api-calls';
import { ASG, CLUSTER_ARN, CLUSTER_NAME, HOOK, lifecycleEvent, taskStoppedEvent } from './fixtures';
import { FakeAws } from './mock-aws';

const ENV = {
  CLUSTER_NAME, CLUSTER_ARN, AUTO_SCALING_GROUP_NAME: ASG, LIFECYCLE_HOOK_NAME: HOOK,
  DRAIN_TIMEOUT_SECONDS: '3600', HEARTBEAT_TIMEOUT_SECONDS: '600', SWEEP_INTERVAL_SECONDS: '60',
  DRAIN_TIMEOUT_RESULT: 'CONTINUE', STANDALONE_TASK_POLICY: 'WAIT', STANDALONE_TASK_GRACE_PERIOD_SECONDS: '300', TASK_PROTECTION_POLICY: 'IGNORE',
  SPOT_INTERRUPTION_DRAINING: 'false', WARM_POOL_REACTIVATION: 'true', METRICS_NAMESPACE: 'EcsDrainingLifecycleHook',
  DRAIN_EVENTS: 'true', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
};
const TOKEN = '87654321-4321-4321-4321-210987654321';
const I1 = 'i-0123456789abcdef0';

let aws: FakeAws;
let output: string[];
let handler: typeof import('../../lambda/index').handler;
const context = { getRemainingTimeInMillis: () => 300_000, awsRequestId: 'req-1' };

beforeAll(() => {
  Object.assign(process.env, ENV);
  handler = require('../../lambda/index').handler;
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

const lines = () => output.join('').trim().split('\n').map((l) => JSON.parse(l));

test('a full drain through the entry point never writes the lifecycle action token', async () => {
  const ci = aws.addInstance(I1);
  aws.addTasks(ci, 2);
  aws.terminate(I1);
  await expect(handler(lifecycleEvent({ LifecycleActionToken: TOKEN }), context)).resolves.toEqual({
    trigger: 'lifecycle-action', instances: [{ instanceId: I1, outcome: 'waiting' }],
  });
  aws.stopAll(ci);
  await expect(handler(taskStoppedEvent(), context)).resolves.toMatchObject({ instances: [{ outcome: 'completed' }] });

  expect(output.join('')).not.toContain(TOKEN);
  // the drain's events went to EventBridge, without the token either
  expect(aws.eventTypes()).toEqual(['Drain Started', 'Drain Completed']);
  expect(JSON.stringify(aws.events)).not.toContain(TOKEN);
  const logs = lines().filter((l) => l.message);
  expect(logs.map((l) => l.message)).toEqual([
    'set the container instance to DRAINING',
    'drained: every task is STOPPED; completed the lifecycle action',
  ]);
  // every log line carries the persistent keys
  for (const l of logs) {
    expect(l).toMatchObject({ level: expect.any(String), requestId: 'req-1', cluster: CLUSTER_NAME, autoScalingGroupName: ASG, lifecycleHookName: HOOK });
  }
  expect(logs.filter((l) => l.instanceId === I1).length).toBeGreaterThan(1);
  // every metric line is EMF
  const metrics = lines().filter((l) => l._aws);
  expect(metrics.map((m) => m._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual(['DrainsStarted', 'DrainsCompleted', 'DrainDuration']);
  expect(metrics[0]).toMatchObject({ AutoScalingGroupName: ASG, _aws: { CloudWatchMetrics: [{ Namespace: 'EcsDrainingLifecycleHook', Dimensions: [['AutoScalingGroupName']] }] } });
});

test('a throttled call fails the invocation (so Lambda retries it); the retry finishes the drain', async () => {
  const ci = aws.addInstance(I1);
  aws.terminate(I1);
  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
  // once the drain has started, the task listing is throttled past the SDK's own retries
  aws.ecs.on(ListTasksCommand).rejectsOnce(throttled).callsFake(() => ({ taskArns: [] }));

  await expect(handler(lifecycleEvent(), context)).rejects.toThrow('Rate exceeded');
  expect(lines().find((l) => l.level === 'ERROR')).toMatchObject({ message: expect.stringMatching(/retried/), error: { name: 'ThrottlingException' } });
  expect(lines().filter((l) => l._aws).map((l) => l._aws.CloudWatchMetrics[0].Metrics[0].Name)).toContain('HandlerErrors');
  expect(ci.status).toBe('DRAINING');

  await expect(handler(lifecycleEvent(), context)).resolves.toMatchObject({ instances: [{ instanceId: I1, outcome: 'completed' }] });
  expect(aws.calls().filter((c) => c === 'UpdateContainerInstancesState')).toHaveLength(1);
  expect(aws.completedWith(I1)).toBe('CONTINUE');
});

test('a malformed event is logged and acknowledged, not thrown (no endless retries)', async () => {
  await expect(handler('not an event', context)).resolves.toEqual({ trigger: 'ignored', instances: [] });
  expect(aws.calls()).toEqual([]);
  expect(lines()[0]).toMatchObject({ level: 'INFO', message: 'event ignored', reason: 'event is not a JSON object' });
});

test('every command the handler sent in these tests is in HANDLER_API_CALLS (the IAM policy source)', async () => {
  const ci = aws.addInstance(I1);
  aws.addTasks(ci, 1);
  aws.terminate(I1);
  await handler(lifecycleEvent(), context);
  await handler({ 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }, context);
  const listed = new Set(HANDLER_API_CALLS.map((c) => c.operation));
  const eventBridgeCalls = aws.eventBridge.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
  expect(eventBridgeCalls).toContain('PutEvents');
  expect([...aws.calls(), ...eventBridgeCalls].filter((c) => !listed.has(c))).toEqual([]);
});

test('an invalid configuration fails the invocation with a clear ERROR line', async () => {
  const saved = process.env.DRAIN_TIMEOUT_RESULT;
  process.env.DRAIN_TIMEOUT_RESULT = 'MAYBE';
  try {
    let fresh!: typeof handler;
    jest.isolateModules(() => { fresh = require('../../lambda/index').handler; });
    await expect(fresh(lifecycleEvent(), context)).rejects.toThrow(/DRAIN_TIMEOUT_RESULT must be one of CONTINUE, ABANDON, RETAIN, got 'MAYBE'/);
    expect(lines()).toEqual([expect.objectContaining({
      level: 'ERROR', message: 'handler configuration is invalid', requestId: 'req-1',
      error: { name: 'ConfigurationError', message: expect.stringContaining('DRAIN_TIMEOUT_RESULT') },
    })]);
  } finally {
    process.env.DRAIN_TIMEOUT_RESULT = saved;
  }
});

test('DRAIN_EVENTS false: the same drain publishes nothing', async () => {
  const saved = process.env.DRAIN_EVENTS;
  process.env.DRAIN_EVENTS = 'false';
  try {
    // A fresh handler reads the configuration again; its SDK clients are fresh modules too, so they get a fresh mock.
    let fresh!: typeof handler;
    let freshAws!: FakeAws;
    jest.isolateModules(() => {
      fresh = require('../../lambda/index').handler;
      freshAws = new (require('./mock-aws').FakeAws)();
    });
    try {
      const ci = freshAws.addInstance(I1);
      freshAws.terminate(I1);
      await expect(fresh(lifecycleEvent(), context)).resolves.toMatchObject({ instances: [{ outcome: 'completed' }] });
      expect(freshAws.completedWith(I1)).toBe('CONTINUE');
      expect(ci.status).toBe('DRAINING');
      expect(freshAws.eventBridge.calls()).toHaveLength(0);
    } finally {
      freshAws.restore();
    }
  } finally {
    process.env.DRAIN_EVENTS = saved;
  }
});
