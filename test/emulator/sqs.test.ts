/**
 * The emulator's SQS queue and Lambda's SQS event source, on a manual clock, against the documented behaviour
 * (docs/aws-behaviour.md, "Scale"); and the ECS token buckets and the `in` cluster query.
 */
import { AwsServer, ECS_THROTTLING_CATEGORIES, EcsApi, EmuQueue, type Invocation, type LambdaHost, ManualClock, SqsEventSource, World } from '../../emulator';

const flush = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

/** A function that answers each batch with `answer` (by default success), recording the batches. */
function fakeHost(clock: ManualClock, answer: (records: Array<{ messageId: string }>) => Partial<Invocation> = () => ({ ok: true })) {
  const batches: Array<Array<{ messageId: string; body: string }>> = [];
  const host = {
    invoke: async (event: { Records: Array<{ messageId: string; body: string }> }) => {
      batches.push(event.Records);
      return { requestId: `inv-${batches.length}`, detailType: 'x', startedAt: clock.now(), emulatedMs: 0, ...answer(event.Records) } as Invocation;
    },
  };
  return { host: host as unknown as LambdaHost, batches };
}

function queue(clock: ManualClock, overrides: Partial<ConstructorParameters<typeof EmuQueue>[0]> = {}) {
  return new EmuQueue({ name: 'q', arn: 'arn:aws:sqs:eu-west-1:123456789012:q', visibilityTimeoutMs: 60_000, retentionMs: 3_600_000, ...overrides }, clock);
}

const source = (q: EmuQueue, host: LambdaHost, clock: ManualClock, batchSize: number, windowMs: number) =>
  new SqsEventSource(q, host, clock, { id: 'esm', batchSize, batchingWindowMs: windowMs, maximumConcurrency: 2, reportBatchItemFailures: true, region: 'eu-west-1' });

test('a batch is sent when its window ends, or at once when it is full', async () => {
  const clock = new ManualClock();
  const q = queue(clock);
  const { host, batches } = fakeHost(clock);
  const esm = source(q, host, clock, 3, 4_000);
  esm.start();
  await flush();
  q.send('a');
  clock.advance(1_000);
  await flush();
  expect(batches).toHaveLength(0); // the window is still open
  clock.advance(3_000);
  await flush();
  expect(batches.map((b) => b.length)).toEqual([1]);
  // a burst fills batches of 3 at once, without waiting for the window
  for (let i = 0; i < 15; i++) q.send(`m${i}`);
  await flush();
  expect(batches.slice(1).map((b) => b.length)).toEqual([3, 3, 3, 3, 3]);
  await esm.stop();
});

test('five pollers share the messages: a batch gathers about a fifth of them', async () => {
  const clock = new ManualClock();
  const q = queue(clock);
  const { host, batches } = fakeHost(clock);
  const esm = source(q, host, clock, 100, 4_000);
  esm.start();
  await flush();
  // 16.7 messages a second for 40 seconds, as 1,000 task stops a minute would send them
  for (let t = 0; t < 40_000; t += 60) {
    q.send(`m${t}`);
    clock.advance(60);
    await flush();
  }
  clock.advance(5_000);
  await flush();
  const sizes = batches.map((b) => b.length);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(667);
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  // 16.7/s × 4 s / 5 pollers ≈ 13
  expect(mean).toBeGreaterThan(10);
  expect(mean).toBeLessThan(16);
  await esm.stop();
});

test('partial batch failures: only the reported messages come back, after the visibility timeout', async () => {
  const clock = new ManualClock();
  const q = queue(clock);
  let first = true;
  const { host, batches } = fakeHost(clock, (records) => {
    if (!first) return { ok: true };
    first = false;
    return { ok: true, result: { batchItemFailures: [{ itemIdentifier: records[1].messageId }] } };
  });
  const esm = source(q, host, clock, 3, 0);
  q.send('a');
  q.send('b');
  q.send('c');
  esm.start();
  await flush();
  expect(batches.map((b) => b.map((r) => r.body))).toEqual([['a', 'b', 'c']]);
  clock.advance(59_000);
  await flush();
  expect(batches).toHaveLength(1);
  clock.advance(2_000);
  await flush();
  expect(batches.map((b) => b.map((r) => r.body))).toEqual([['a', 'b', 'c'], ['b']]);
  expect(q.messages.size).toBe(0);
  await esm.stop();
});

test('a function error returns the whole batch; a message received more than maxReceiveCount times moves to the dead-letter queue', async () => {
  const clock = new ManualClock();
  const dlq = queue(clock, { name: 'dlq' });
  const q = queue(clock, { maxReceiveCount: 2 });
  q.deadLetterQueue = dlq;
  const { host, batches } = fakeHost(clock, () => ({ ok: false, error: 'Error: boom' }));
  const esm = source(q, host, clock, 10, 0);
  q.send('poison');
  esm.start();
  for (let i = 0; i < 4; i++) {
    await flush();
    clock.advance(61_000);
  }
  await flush();
  expect(batches).toHaveLength(2); // received twice, then redriven instead of a third receive
  expect([...dlq.messages.values()].map((m) => m.body)).toEqual(['poison']);
  expect(q.movedToDeadLetter).toHaveLength(1);
  await esm.stop();
});

test('ECS token buckets: one per documented category, shared by its actions; an empty bucket answers ThrottlingException', async () => {
  const world = new World(new ManualClock());
  const server = new AwsServer(world, { ecsTokenBuckets: 1 });
  const endpoint = await server.start();
  const call = async (operation: string, body: Record<string, unknown>) => (await fetch(endpoint, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
  })).status;
  try {
    expect(ECS_THROTTLING_CATEGORIES.ListTasks).toEqual(ECS_THROTTLING_CATEGORIES.DescribeContainerInstances);
    expect(ECS_THROTTLING_CATEGORIES.ListTasks).toMatchObject({ burst: 100, rate: 20 });
    expect(ECS_THROTTLING_CATEGORIES.PutAttributes).toMatchObject({ burst: 100, rate: 40 });
    // time stands still: no refill. 60 ListTasks and 40 ListContainerInstances empty the read bucket together ...
    for (let i = 0; i < 60; i++) expect(await call('ListTasks', { cluster: 'prod' })).toBe(200);
    for (let i = 0; i < 40; i++) expect(await call('ListContainerInstances', { cluster: 'prod' })).toBe(200);
    expect(await call('DescribeTasks', { cluster: 'prod', tasks: ['x'] })).toBe(400);
    expect(server.calls.at(-1)?.error).toBe('ThrottlingException');
    // ... and the modify bucket is another one
    expect(await call('DeleteAttributes', { cluster: 'prod', attributes: [{ name: 'a', targetId: 'nope' }] })).not.toBe(200);
    expect(server.calls.at(-1)?.error).not.toBe('ThrottlingException');
  } finally {
    await server.stop();
  }
});

test('ListContainerInstances takes ec2InstanceId in [...]', () => {
  const world = new World(new ManualClock());
  const ids = [1, 2, 3].map(() => world.addInstance());
  const api = new EcsApi(world);
  const list = (filter: string) => (api.handle('ListContainerInstances', { cluster: 'prod', filter }) as { containerInstanceArns: string[] }).containerInstanceArns;
  expect(list(`ec2InstanceId in ['${ids[0]}', '${ids[2]}']`)).toEqual([world.containerInstanceOf(ids[0])!.arn, world.containerInstanceOf(ids[2])!.arn]);
  expect(list(`ec2InstanceId in [${ids[1]}]`)).toEqual([world.containerInstanceOf(ids[1])!.arn]);
  expect(() => list('attribute:ecs.instance-type == t3.small')).toThrow('Unsupported filter');
});
