/**
 * The emulator's task scale-in protection, through the real SDK v3 client: UpdateTaskProtection and GetTaskProtection
 * with their limits, defaults, expiry and failures, and what DRAINING does to protected service tasks (both readings:
 * the documented one by default, the undocumented one behind `drainingSparesProtectedTasks`). Sources are in
 * docs/aws-behaviour.md, "Task scale-in protection", and in the emulator's comments.
 */
import { ECSClient, GetTaskProtectionCommand, UpdateContainerInstancesStateCommand, UpdateTaskProtectionCommand } from '@aws-sdk/client-ecs';
import { AwsServer, ManualClock, World } from '../../emulator';

const credentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'secret' };
const cluster = 'prod';
const MISSING_TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
let clock: ManualClock;
let world: World;
let server: AwsServer;
let ecs: ECSClient;

beforeEach(async () => {
  clock = new ManualClock();
  world = new World(clock);
  server = new AwsServer(world);
  ecs = new ECSClient({ endpoint: await server.start(), region: 'eu-west-1', credentials, maxAttempts: 1 });
});

afterEach(async () => {
  ecs.destroy();
  clock.stop();
  await server.stop();
});

function tasksOf(id: string) {
  const tasks = world.tasksOn(world.containerInstanceOf(id)!.arn);
  return { service: tasks.filter((t) => t.kind === 'service'), standalone: tasks.filter((t) => t.kind === 'standalone') };
}

test('UpdateTaskProtection protects a service task for 120 minutes by default, or for expiresInMinutes; GetTaskProtection answers it', async () => {
  const id = world.addInstance({ serviceTasks: 2 });
  const [a, b] = tasksOf(id).service;
  const now = clock.now();
  const set = await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true }));
  expect(set.protectedTasks).toEqual([{ taskArn: a.arn, protectionEnabled: true, expirationDate: new Date(now + 120 * 60_000) }]);
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [b.arn], protectionEnabled: true, expiresInMinutes: 5 }));
  const got = await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [a.arn, b.arn] }));
  expect(got.protectedTasks).toEqual([
    { taskArn: a.arn, protectionEnabled: true, expirationDate: new Date(now + 120 * 60_000) },
    { taskArn: b.arn, protectionEnabled: true, expirationDate: new Date(now + 5 * 60_000) },
  ]);
  expect(got.failures).toEqual([]);
});

test('the period is reset by a new call; protection can be dropped; an unprotected task has no expiration date', async () => {
  const id = world.addInstance({ serviceTasks: 1 });
  const [a] = tasksOf(id).service;
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true, expiresInMinutes: 10 }));
  clock.advance(8 * 60_000);
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true, expiresInMinutes: 10 }));
  expect((await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [a.arn] }))).protectedTasks![0].expirationDate)
    .toEqual(new Date(clock.now() + 10 * 60_000));
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: false }));
  expect((await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [a.arn] }))).protectedTasks)
    .toEqual([{ taskArn: a.arn, protectionEnabled: false }]);
});

test('after the period lapses protectionEnabled is reset to false, a minute late (AWS documents no delay): the date tells first', async () => {
  const id = world.addInstance({ serviceTasks: 1 });
  const [a] = tasksOf(id).service;
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true, expiresInMinutes: 1 }));
  const expiresAt = clock.now() + 60_000;
  clock.advance(60_000 + 30_000);
  expect(world.isProtected(a)).toBe(false);
  expect((await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [a.arn] }))).protectedTasks)
    .toEqual([{ taskArn: a.arn, protectionEnabled: true, expirationDate: new Date(expiresAt) }]);
  clock.advance(30_000);
  expect((await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [a.arn] }))).protectedTasks)
    .toEqual([{ taskArn: a.arn, protectionEnabled: false }]);
});

test('failures: a standalone task is TASK_NOT_VALID (it cannot be protected), an unknown one MISSING', async () => {
  const id = world.addInstance({ serviceTasks: 1, standaloneTasks: 1 });
  const [job] = tasksOf(id).standalone;
  const set = await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [job.arn], protectionEnabled: true }));
  expect(set).toMatchObject({ protectedTasks: [], failures: [{ arn: job.arn, reason: 'TASK_NOT_VALID' }] });
  expect(job.protection).toBeUndefined();
  const got = await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [job.arn, MISSING_TASK] }));
  expect(got).toMatchObject({ protectedTasks: [], failures: [{ arn: job.arn, reason: 'TASK_NOT_VALID' }, { arn: MISSING_TASK, reason: 'MISSING' }] });
});

test('limits: GetTaskProtection up to 100 tasks, UpdateTaskProtection up to 10, expiresInMinutes 1 to 2880', async () => {
  const id = world.addInstance({ serviceTasks: 11 });
  const arns = tasksOf(id).service.map((t) => t.arn);
  await expect(ecs.send(new GetTaskProtectionCommand({ cluster, tasks: Array.from({ length: 101 }, () => arns[0]) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: arns, protectionEnabled: true }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  for (const expiresInMinutes of [0, 2881]) {
    await expect(ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [arns[0]], protectionEnabled: true, expiresInMinutes })))
      .rejects.toMatchObject({ name: 'InvalidParameterException' });
  }
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [arns[0]], protectionEnabled: true, expiresInMinutes: 2880 }));
  await expect(ecs.send(new GetTaskProtectionCommand({ cluster: 'staging', tasks: [arns[0]] }))).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
});

test('DRAINING stops protected service tasks like any other (AWS\'s draining page names no exception), and records that it did', async () => {
  const id = world.addInstance({ serviceTasks: 2, deactivatingMs: 5_000 });
  const [a, b] = tasksOf(id).service;
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true, expiresInMinutes: 60 }));
  await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [world.containerInstanceOf(id)!.arn], status: 'DRAINING' }));
  clock.advance(30_000);
  expect([a.lastStatus, b.lastStatus]).toEqual(['STOPPED', 'STOPPED']);
  expect(world.protectedStops).toEqual([{ taskArn: a.arn, at: expect.any(Number), stopCode: 'ServiceSchedulerInitiated' }]);
});

test('the other reading (drainingSparesProtectedTasks): the scheduler stops a protected task once its protection expires or is dropped', async () => {
  world.drainingSparesProtectedTasks = true;
  const id = world.addInstance({ serviceTasks: 3, deactivatingMs: 5_000 });
  const [a, b, c] = tasksOf(id).service;
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [a.arn], protectionEnabled: true, expiresInMinutes: 10 }));
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [b.arn], protectionEnabled: true, expiresInMinutes: 60 }));
  await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [world.containerInstanceOf(id)!.arn], status: 'DRAINING' }));
  clock.advance(60_000);
  expect([a.desiredStatus, b.desiredStatus, c.lastStatus]).toEqual(['RUNNING', 'RUNNING', 'STOPPED']);
  await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [b.arn], protectionEnabled: false }));
  clock.advance(30_000);
  expect(b.lastStatus).toBe('STOPPED');
  clock.advance(9 * 60_000);
  expect(a.lastStatus).toBe('STOPPED');
  expect(world.protectedStops).toEqual([]);
});

test('an instance that ends with a protected task still running records it as cut off', () => {
  world.addHook({ name: 'hook', heartbeatTimeoutSeconds: 300, defaultResult: 'CONTINUE' });
  const id = world.addInstance({ serviceTasks: 1 });
  const [a] = tasksOf(id).service;
  world.updateTaskProtection(a, true, 60);
  world.scaleIn(id);
  world.complete(id, 'hook', 'CONTINUE');
  expect(world.protectedStops).toEqual([{ taskArn: a.arn, at: clock.now(), stopCode: 'TerminationNotice' }]);
  expect(world.outcomeOf(id)).toMatchObject({ tasksNotStopped: 1 });
});
