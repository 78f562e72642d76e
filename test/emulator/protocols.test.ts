/**
 * Protocol fidelity: the real SDK v3 clients talk to the emulator over HTTP and get AWS's shapes, pagination,
 * limits and errors back; a few raw requests check the wire format itself.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { AwsServer, ManualClock, VirtualClock, World } from '../../emulator';

const credentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'secret' };
let clock: VirtualClock;
let world: World;
let server: AwsServer;
let ecs: ECSClient;
let asg: AutoScalingClient;
let endpoint: string;
const events: Array<Record<string, any>> = [];

beforeEach(async () => {
  clock = new VirtualClock(1);
  world = new World(clock);
  world.addHook({ name: 'hook', heartbeatTimeoutSeconds: 300, defaultResult: 'CONTINUE' });
  events.length = 0;
  world.onEvent((e) => events.push(e));
  server = new AwsServer(world);
  endpoint = await server.start();
  ecs = new ECSClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  asg = new AutoScalingClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
});

afterEach(async () => {
  ecs.destroy();
  asg.destroy();
  clock.stop();
  await server.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const group = 'prod-capacity';

async function raw(headers: Record<string, string>, body: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('ECS (awsJson1_1)', () => {
  test('ListContainerInstances by ec2InstanceId; DescribeContainerInstances with counts, custom and built-in attributes, failures', async () => {
    const id = world.addInstance({ serviceTasks: 2 });
    world.addInstance({ serviceTasks: 1 });
    const list = await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', filter: `ec2InstanceId == ${id}` }));
    expect(list.containerInstanceArns).toHaveLength(1);
    const [arn] = list.containerInstanceArns!;
    await ecs.send(new PutAttributesCommand({ cluster: 'prod', attributes: [{ name: 'a.b', value: 'x/1/2', targetType: 'container-instance', targetId: arn }] }));
    const missing = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/nope';
    const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [arn, missing] }));
    expect(described.containerInstances).toEqual([expect.objectContaining({
      containerInstanceArn: arn, ec2InstanceId: id, status: 'ACTIVE', runningTasksCount: 2, pendingTasksCount: 0, agentConnected: true,
      attributes: expect.arrayContaining([{ name: 'a.b', value: 'x/1/2' }, { name: 'ecs.instance-type', value: 'm6g.large' }, { name: 'ecs.capability.task-eni' }]),
    })]);
    expect(described.containerInstances![0].registeredAt).toBeInstanceOf(Date);
    expect(described.failures).toEqual([{ arn: missing, reason: 'MISSING' }]);
  });

  test('ListContainerInstances pages by maxResults with nextToken, filters by status, hides INACTIVE', async () => {
    const ids = Array.from({ length: 250 }, () => world.addInstance());
    const pages: number[] = [];
    let nextToken: string | undefined;
    do {
      const res = await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', nextToken }));
      pages.push(res.containerInstanceArns!.length);
      nextToken = res.nextToken;
    } while (nextToken);
    expect(pages).toEqual([100, 100, 50]);
    const first = await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', maxResults: 7 }));
    expect(first.containerInstanceArns).toHaveLength(7);
    await expect(ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', nextToken: 'bogus!' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });

    world.setStatus(world.containerInstanceOf(ids[0])!, 'DRAINING');
    world.containerInstanceOf(ids[1])!.status = 'INACTIVE';
    const draining = await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', status: 'DRAINING' }));
    expect(draining.containerInstanceArns).toEqual([world.containerInstanceOf(ids[0])!.arn]);
    const all = await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', maxResults: 100, nextToken: Buffer.from('200').toString('base64') }));
    expect(all.containerInstanceArns).toHaveLength(49); // 249 not INACTIVE
    await expect(ecs.send(new ListContainerInstancesCommand({ cluster: 'prod', status: 'INACTIVE' as any }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: Array(101).fill(world.containerInstanceOf(ids[0])!.arn) })))
      .rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('ListTasks pages by 100 with nextToken; DescribeTasks refuses more than 100 and reports unknown ARNs as failures', async () => {
    const id = world.addInstance({ serviceTasks: 230 });
    const ci = world.containerInstanceOf(id)!;
    const pages: number[] = [];
    let nextToken: string | undefined;
    do {
      const res = await ecs.send(new ListTasksCommand({ cluster: 'prod', containerInstance: ci.arn, nextToken }));
      pages.push(res.taskArns!.length);
      nextToken = res.nextToken;
    } while (nextToken);
    expect(pages).toEqual([100, 100, 30]);
    const arns = [...world.tasks.keys()];
    await expect(ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns.slice(0, 101) }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const res = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [...arns.slice(0, 99), 'arn:aws:ecs:eu-west-1:123456789012:task/prod/gone'] }));
    expect(res.tasks).toHaveLength(99);
    expect(res.failures).toEqual([{ arn: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/gone', reason: 'MISSING' }]);
    expect(res.tasks![0]).toMatchObject({
      lastStatus: 'RUNNING', desiredStatus: 'RUNNING', group: 'service:web', startedBy: 'ecs-svc/1234567890123456789',
      containerInstanceArn: ci.arn, taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3', launchType: 'EC2',
    });
    expect(res.tasks![0].startedAt).toBeInstanceOf(Date);
    expect(res.tasks![0].stoppedAt).toBeUndefined();
  });

  test('DescribeContainerInstances reports CPU and memory reserved by running tasks', async () => {
    const id = world.addInstance({ serviceTasks: 2 });
    const ci = world.containerInstanceOf(id)!;
    const [d] = (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [ci.arn] }))).containerInstances!;
    const value = (list: typeof d.remainingResources, name: string) => list!.find((r) => r.name === name)!.integerValue!;
    expect(value(d.registeredResources, 'CPU') - value(d.remainingResources, 'CPU')).toBe(2 * 256);
    expect(value(d.registeredResources, 'MEMORY') - value(d.remainingResources, 'MEMORY')).toBe(2 * 512);
    expect(d.remainingResources!.find((r) => r.name === 'PORTS')!.stringSetValue).toEqual(['22', '2375', '2376', '51678', '51679']);
  });

  test('UpdateContainerInstancesState: at most 10, failures for unknown and INACTIVE ones, and DRAINING walks tasks to STOPPED', async () => {
    const id = world.addInstance({ serviceTasks: 1, deactivatingMs: 400, stoppingMs: 100 }); // wide windows: real time, loaded CI
    const gone = world.containerInstanceOf(world.addInstance({ status: 'INACTIVE' }))!;
    world.drainReactionMs = 10;
    const ci = world.containerInstanceOf(id)!;
    await expect(ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', status: 'DRAINING', containerInstances: Array(11).fill(ci.arn) })))
      .rejects.toMatchObject({ name: 'InvalidParameterException' });
    const res = await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', status: 'DRAINING', containerInstances: [ci.arn, 'unknown', gone.arn] }));
    expect(res.containerInstances!.map((c) => [c.containerInstanceArn, c.status])).toEqual([[ci.arn, 'DRAINING']]);
    expect(res.failures).toEqual([{ arn: 'unknown', reason: 'MISSING' }, expect.objectContaining({ arn: gone.arn, reason: 'INVALID_STATUS' })]);
    const [task] = world.tasksOn(ci.arn);
    await sleep(30);
    // desired STOPPED at once, so runningTasksCount drops while the task is still DEACTIVATING
    expect(task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING' });
    const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [ci.arn] }));
    expect(described.containerInstances![0].runningTasksCount).toBe(0);
    // ... and ECS already reports its CPU and memory as free: resources are no proof of drained either
    expect(described.containerInstances![0].remainingResources).toEqual(described.containerInstances![0].registeredResources);
    await sleep(700);
    expect(task.lastStatus).toBe('STOPPED');
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'prod', containerInstance: ci.arn, desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toEqual([task.arn]);
    const [d] = (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [task.arn] }))).tasks!;
    expect(d).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
    expect(d.stoppedAt!.getTime()).toBeGreaterThanOrEqual(d.stoppingAt!.getTime());
    // one task event per transition, in AWS's shape, and STOPPED exactly once
    const taskEvents = events.filter((e) => e['detail-type'] === 'ECS Task State Change').map((e) => e.detail);
    expect(taskEvents.map((e) => e.lastStatus)).toEqual(['DEACTIVATING', 'STOPPING', 'STOPPED']);
    expect(taskEvents[2]).toMatchObject({
      clusterArn: world.clusterArn, containerInstanceArn: ci.arn, taskArn: task.arn, group: 'service:web', desiredStatus: 'STOPPED',
      stopCode: 'ServiceSchedulerInitiated', stoppedAt: expect.stringMatching(/Z$/), version: expect.any(Number),
    });
    expect(events.find((e) => e['detail-type'] === 'ECS Container Instance State Change')!.detail).toMatchObject({ ec2InstanceId: id, status: 'DRAINING' });
  });

  test('on a DRAINING instance daemon tasks stop only after the service tasks; standalone tasks only on StopTask', async () => {
    world.drainReactionMs = 10;
    const id = world.addInstance({ serviceTasks: 2, daemonTasks: 1, standaloneTasks: 1, deactivatingMs: 300, stoppingMs: 50 }); // wide windows: real time, loaded CI
    const ci = world.containerInstanceOf(id)!;
    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster: 'prod', status: 'DRAINING', containerInstances: [ci.arn] }));
    const byKind = (kind: string) => world.tasksOn(ci.arn).filter((t) => t.kind === kind);
    await sleep(40);
    expect(byKind('daemon')[0].desiredStatus).toBe('RUNNING');
    await sleep(900);
    expect(byKind('service').every((t) => t.lastStatus === 'STOPPED')).toBe(true);
    expect(byKind('daemon')[0].lastStatus).toBe('STOPPED');
    expect(byKind('daemon')[0].stoppedAt!).toBeGreaterThan(Math.max(...byKind('service').map((t) => t.stoppedAt!)));
    const [standalone] = byKind('standalone');
    expect(standalone).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', group: 'family:batch-job' });
    expect((await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [ci.arn] }))).containerInstances![0].runningTasksCount).toBe(1);

    const stopped = await ecs.send(new StopTaskCommand({ cluster: 'prod', task: standalone.arn, reason: 'drain' }));
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'drain' });
    await sleep(400);
    expect(standalone.lastStatus).toBe('STOPPED');
    await expect(ecs.send(new StopTaskCommand({ cluster: 'prod', task: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/gone' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('PutAttributes and DeleteAttributes: round trip, validation, the 10 custom attribute limit, unknown targets', async () => {
    const arn = world.containerInstanceOf(world.addInstance())!.arn;
    const put = (name: string, value?: string, targetId = arn) => ecs.send(new PutAttributesCommand({ cluster: 'prod', attributes: [{ name, value, targetType: 'container-instance', targetId }] }));
    await put('marker', 'owner/1/2');
    await put('marker', 'owner/1/3'); // overwrite
    const attrs = async () => (await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [arn] }))).containerInstances![0].attributes!;
    expect((await attrs()).filter((a) => a.name === 'marker')).toEqual([{ name: 'marker', value: 'owner/1/3' }]);
    await ecs.send(new DeleteAttributesCommand({ cluster: 'prod', attributes: [{ name: 'marker', targetType: 'container-instance', targetId: arn }] }));
    expect((await attrs()).some((a) => a.name === 'marker')).toBe(false);

    await expect(put('bad name!', 'x')).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(put('ok', ' leading space')).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(put('ok', 'x', 'arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/nope')).rejects.toMatchObject({ name: 'TargetNotFoundException' });
    for (let i = 0; i < 10; i++) await put(`custom-${i}`, 'v');
    await expect(put('one-too-many', 'v')).rejects.toMatchObject({ name: 'AttributeLimitExceededException' });
    await put('custom-3', 'overwrite is fine');
  });

  test('errors carry the ECS error codes, on the wire as {"__type", "message"}', async () => {
    await expect(ecs.send(new ListContainerInstancesCommand({ cluster: 'other' }))).rejects.toMatchObject({ name: 'ClusterNotFoundException', $metadata: { httpStatusCode: 400 } });
    await expect(ecs.send(new ListContainerInstancesCommand({}))).rejects.toMatchObject({ name: 'ClusterNotFoundException' }); // the default cluster
    await expect(ecs.send(new ListTasksCommand({ cluster: 'prod', maxResults: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'DONE' as any }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    const res = await raw({ 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DeleteCluster', 'content-type': 'application/x-amz-json-1.1' }, '{"cluster":"prod"}');
    expect(res).toMatchObject({ status: 400, type: 'application/x-amz-json-1.1' });
    expect(JSON.parse(res.body)).toEqual({ __type: 'UnknownOperationException', message: 'Unknown operation DeleteCluster' });
    const malformed = await raw({ 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListTasks', 'content-type': 'application/x-amz-json-1.1' }, '{');
    expect(JSON.parse(malformed.body).__type).toBe('SerializationException');
  });

  test('throttling answers ThrottlingException, which the SDK retries with back-off', async () => {
    server.setFaults({ rateLimits: { ListContainerInstances: { rate: 0.001, burst: 1 } } });
    await ecs.send(new ListContainerInstancesCommand({ cluster: 'prod' }));
    await expect(ecs.send(new ListContainerInstancesCommand({ cluster: 'prod' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    // a bucket of 2 requests, refilled at 20 per second: the third of three quick calls is throttled, then retried
    server.setFaults({ rateLimits: { DescribeTasks: { rate: 20, burst: 2 } } });
    const retrying = new ECSClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 10 });
    world.addInstance({ serviceTasks: 1 });
    const tasks = [...world.tasks.keys()];
    const results = await Promise.all([1, 2, 3].map(() => retrying.send(new DescribeTasksCommand({ cluster: 'prod', tasks }))));
    const attempts = results.map((r) => r.$metadata.attempts!);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(server.calls.filter((c) => c.operation === 'DescribeTasks' && c.error === 'ThrottlingException').length)
      .toBe(attempts.reduce((a, b) => a + b, 0) - 3);
    retrying.destroy();
  });

  test('injected 5xx answers ServerException, which the SDK retries; the seeded PRNG makes it replay exactly', async () => {
    const run = async (seed: number) => {
      const s = new AwsServer(world, { serverErrorRate: { DescribeContainerInstances: 0.5 } }, seed);
      const url = await s.start();
      const client = new ECSClient({ endpoint: url, region: 'eu-west-1', credentials, maxAttempts: 10 });
      const arn = world.containerInstanceOf(world.addInstance())!.arn;
      const attempts: number[] = [];
      for (let i = 0; i < 8; i++) attempts.push((await client.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [arn] }))).$metadata.attempts!);
      client.destroy();
      await s.stop();
      expect(s.calls.filter((c) => c.error === 'ServerException' && c.injected)).toHaveLength(attempts.reduce((a, b) => a + b, 0) - 8);
      return attempts;
    };
    const first = await run(99);
    expect(first.some((a) => a > 1)).toBe(true);
    expect(await run(99)).toEqual(first);
  });

  test('every call is recorded with its operation, the instances it concerns and a summary of its parameters', async () => {
    const id = world.addInstance({ serviceTasks: 1 });
    const arn = world.containerInstanceOf(id)!.arn;
    await ecs.send(new DescribeContainerInstancesCommand({ cluster: 'prod', containerInstances: [arn] }));
    await ecs.send(new ListTasksCommand({ cluster: 'prod', containerInstance: arn }));
    await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [...world.tasks.keys()] }));
    expect(server.calls.map((c) => [c.service, c.operation, c.instanceIds])).toEqual([
      ['ecs', 'DescribeContainerInstances', [id]], ['ecs', 'ListTasks', [id]], ['ecs', 'DescribeTasks', [id]],
    ]);
    expect(JSON.parse(server.calls[1].params)).toEqual({ cluster: 'prod', containerInstance: arn });
    expect(server.calls.every((c) => !c.error && !c.injected && typeof c.at === 'number')).toBe(true);
  });
});

describe('Auto Scaling (awsQuery, XML)', () => {
  test('DescribeAutoScalingGroups lists instances with their lifecycle state; DescribeWarmPool the pool', async () => {
    const a = world.addInstance();
    const b = world.addInstance({ inWarmPool: true });
    world.scaleIn(a);
    const res = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
    expect(res.AutoScalingGroups![0]).toMatchObject({ AutoScalingGroupName: group, MinSize: 0, HealthCheckType: 'EC2' });
    expect(res.AutoScalingGroups![0].CreatedTime).toBeInstanceOf(Date);
    expect(res.AutoScalingGroups![0].Instances).toEqual([expect.objectContaining({ InstanceId: a, LifecycleState: 'Terminating:Wait', HealthStatus: 'Healthy', ProtectedFromScaleIn: false })]);
    expect((await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['other'] }))).AutoScalingGroups).toEqual([]);
    const pool = await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group }));
    expect(pool.Instances).toEqual([expect.objectContaining({ InstanceId: b, LifecycleState: 'Warmed:Stopped' })]);
  });

  test('DescribeScalingActivities: "sorted by start time", "activities still in progress are described first", StartTime to the millisecond', async () => {
    const [a, b, c] = [world.addInstance(), world.addInstance(), world.addInstance()];
    world.scaleIn(a);
    await sleep(5);
    world.scaleIn(b);
    await sleep(5);
    world.scaleIn(c);
    world.complete(b, 'hook', 'CONTINUE'); // b's termination ends: its activity is Successful
    const res = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group }));
    const described = res.Activities!.map((x) => [x.Description, x.StatusCode]);
    expect(described).toEqual([
      [`Terminating EC2 instance: ${c}`, 'MidLifecycleAction'],
      [`Terminating EC2 instance: ${a}`, 'MidLifecycleAction'],
      [`Terminating EC2 instance: ${b}`, 'Successful'],
    ]);
    const starts = res.Activities!.map((x) => x.StartTime!.getTime());
    expect(starts[0]).toBeGreaterThan(starts[1]);
    expect(starts.some((t) => t % 1000 !== 0)).toBe(true);
  });

  test('scale-in emits the documented lifecycle action event', async () => {
    const id = world.addInstance();
    world.scaleIn(id);
    expect(events).toEqual([{
      'version': '0', 'id': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'detail-type': 'EC2 Instance-terminate Lifecycle Action', 'source': 'aws.autoscaling', 'account': '123456789012',
      'time': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), 'region': 'eu-west-1',
      'resources': [expect.stringMatching(/^arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:.*:autoScalingGroupName\/prod-capacity$/)],
      'detail': {
        LifecycleActionToken: world.issuedTokens[0], AutoScalingGroupName: group, LifecycleHookName: 'hook', EC2InstanceId: id,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', Origin: 'AutoScalingGroup', Destination: 'EC2',
      },
    }]);
  });

  test('heartbeat and completion by instance id or by token; ValidationError once no action is pending', async () => {
    const id = world.addInstance();
    world.scaleIn(id);
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id }));
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id, LifecycleActionResult: 'CONTINUE' }));
    expect(world.outcomes).toEqual([expect.objectContaining({ instanceId: id, how: 'completed', result: 'CONTINUE', tasksNotStopped: 0 })]);
    expect(world.group.has(id)).toBe(false);
    await expect(asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id, LifecycleActionResult: 'CONTINUE' })))
      .rejects.toMatchObject({ name: 'ValidationError', message: `No active Lifecycle Action found with instance ID ${id}`, $metadata: { httpStatusCode: 400 } });
    await expect(asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id })))
      .rejects.toMatchObject({ name: 'ValidationError', message: `No active Lifecycle Action found with instance ID ${id}` });

    const other = world.addInstance();
    world.scaleIn(other);
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', LifecycleActionToken: world.issuedTokens[1], LifecycleActionResult: 'ABANDON' }));
    expect(world.outcomes[1]).toMatchObject({ instanceId: other, how: 'completed', result: 'ABANDON' });
  });

  test('validation: unknown group, a missing hook name, a bad result', async () => {
    const id = world.addInstance();
    world.scaleIn(id);
    await expect(asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'other', LifecycleHookName: 'hook', InstanceId: id })))
      .rejects.toMatchObject({ name: 'ValidationError' });
    await expect(asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, InstanceId: id } as any)))
      .rejects.toMatchObject({ name: 'ValidationError', message: "1 validation error detected: Value null at 'lifecycleHookName' failed to satisfy constraint: Member must not be null" });
    await expect(asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id, LifecycleActionResult: 'MAYBE' })))
      .rejects.toMatchObject({ name: 'ValidationError' });
    expect(world.outcomes).toEqual([]);
  });

  test('an action expires after its heartbeat timeout unless a heartbeat arrives, applies the DefaultResult, and records what it cut off', async () => {
    world.hooks.splice(0, 1, { name: 'hook', heartbeatTimeoutSeconds: 1, defaultResult: 'ABANDON' }); // real time: wide margins
    const id = world.addInstance({ serviceTasks: 1 });
    world.scaleIn(id);
    await sleep(500);
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id }));
    await sleep(700); // past the first expiry (1 s after the scale-in), before the one the heartbeat set (1.5 s)
    expect(world.outcomes).toEqual([]);
    await sleep(600);
    expect(world.outcomes).toEqual([expect.objectContaining({ instanceId: id, how: 'expired', result: 'ABANDON', tasksNotStopped: 1 })]);
  });

  test('heartbeats cannot keep an action past the global timeout, min(48 h, 100 x heartbeat timeout)', () => {
    const manual = new ManualClock();
    const w = new World(manual);
    w.addHook({ name: 'short', heartbeatTimeoutSeconds: 30, defaultResult: 'CONTINUE' });
    w.addHook({ name: 'long', heartbeatTimeoutSeconds: 7200, defaultResult: 'CONTINUE' });
    const id = w.addInstance();
    w.scaleIn(id);
    const start = manual.now();
    const long = w.group.get(id)!.actions.get('long')!;
    expect(long.deadline - start).toBe(48 * 3600 * 1000); // 100 x 2 h is capped at 48 h
    w.complete(id, 'long', 'CONTINUE');
    // a heartbeat every 10 s keeps the 30 s action alive ... until 100 x 30 s
    for (let t = 10_000; t < 3000 * 1000; t += 10_000) {
      manual.advance(10_000);
      expect(w.heartbeat(id, 'short')).toBe(true);
    }
    expect(w.outcomes).toEqual([]);
    manual.advance(10_000);
    expect(w.outcomes).toEqual([expect.objectContaining({ instanceId: id, how: 'expired', result: 'CONTINUE', endedAt: start + 3000 * 1000 })]);
    expect(w.heartbeat(id, 'short')).toBe(false);
    // without heartbeats, the heartbeat timeout itself
    const other = w.addInstance();
    w.scaleIn(other);
    manual.advance(29_999);
    expect(w.outcomeOf(other)).toBeUndefined();
    w.complete(other, 'long', 'CONTINUE');
    manual.advance(1);
    expect(w.outcomeOf(other)).toMatchObject({ how: 'expired' });
  });

  test('a warm pool: scale-in into the pool stops the instance there; terminating from the pool says Origin WarmPool', async () => {
    const a = world.addInstance();
    world.scaleIn(a, 'WarmPool');
    expect(events[0].detail).toMatchObject({ Origin: 'AutoScalingGroup', Destination: 'WarmPool' });
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: a, LifecycleActionResult: 'CONTINUE' }));
    expect(world.outcomes[0]).toMatchObject({ instanceId: a, destination: 'WarmPool' });
    expect((await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group }))).Instances).toEqual([expect.objectContaining({ InstanceId: a, LifecycleState: 'Warmed:Stopped' })]);
    world.scaleIn(a);
    expect(events.at(-1)!.detail).toMatchObject({ Origin: 'WarmPool', Destination: 'EC2' });
    expect((await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group }))).Instances).toEqual([expect.objectContaining({ InstanceId: a, LifecycleState: 'Warmed:Terminating:Wait' })]);
  });

  test('throttling answers the awsQuery Throttling error, which the SDK retries', async () => {
    server.setFaults({ throttleRate: { DescribeAutoScalingGroups: 1 } });
    await expect(asg.send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    server.setFaults({ rateLimits: { DescribeAutoScalingGroups: { rate: 10, burst: 1 } } });
    const retrying = new AutoScalingClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 10 });
    const results = await Promise.all([1, 2, 3].map(() => retrying.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))));
    expect(Math.max(...results.map((r) => r.$metadata.attempts!))).toBeGreaterThan(1);
    retrying.destroy();
  });

  test('on the wire: form-encoded requests, XML responses, <ErrorResponse> errors', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const ok = await raw(form, `Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=${group}`);
    expect(ok).toMatchObject({ status: 200, type: 'text/xml' });
    expect(ok.body).toMatch(/^<DescribeAutoScalingGroupsResponse xmlns="http:\/\/autoscaling.amazonaws.com\/doc\/2011-01-01\/"><DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>prod-capacity<\/AutoScalingGroupName>/);
    expect(ok.body).toMatch(/<ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/DescribeAutoScalingGroupsResponse>$/);
    const bad = await raw(form, `Action=CompleteLifecycleAction&Version=2011-01-01&AutoScalingGroupName=${group}&LifecycleHookName=hook&InstanceId=i-0abc&LifecycleActionResult=CONTINUE`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>No active Lifecycle Action found with instance ID i-0abc<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/);
    expect((await raw(form, 'Action=DescribeAutoScalingGroups&Version=2010-08-01')).body).toContain('<Code>InvalidAction</Code>');
    expect((await raw(form, 'Action=DeleteAutoScalingGroup&Version=2011-01-01')).body).toContain('<Code>InvalidAction</Code>');
  });
});

describe('the Date header', () => {
  async function serverOn(clock: VirtualClock): Promise<{ server: AwsServer; url: string }> {
    const w = new World(clock);
    w.addHook({ name: 'hook', heartbeatTimeoutSeconds: 300, defaultResult: 'CONTINUE' });
    const s = new AwsServer(w);
    return { server: s, url: await s.start() };
  }

  test('every answer is dated in emulated time (the epoch of the scenarios is days from this machine\'s clock)', async () => {
    const emulated = new VirtualClock(1, Date.UTC(2026, 0, 1));
    const { server: s, url } = await serverOn(emulated);
    try {
      const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeAutoScalingGroups&Version=2011-01-01' });
      expect(Math.abs(Date.parse(answer.headers.get('date')!) - emulated.now())).toBeLessThan(2_000);
    } finally {
      emulated.stop();
      await s.stop();
    }
  });

  test('why: the SDK retries an error answer whose Date is 4 minutes or more from its own clock, up to maxAttempts', async () => {
    // The Lambda children's clock is the emulated one (time-shim.js); this process's is real: a server on real time
    // agrees with it, one on the scenarios' epoch does not.
    const attemptsWith = async (clock: VirtualClock) => {
      const { server: s, url } = await serverOn(clock);
      const client = new AutoScalingClient({ endpoint: url, region: 'eu-west-1', credentials, maxAttempts: 4 });
      try {
        const error = await client.send(new CompleteLifecycleActionCommand({
          AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: 'i-0abc', LifecycleActionResult: 'CONTINUE',
        })).catch((e) => e);
        expect(error.name).toBe('ValidationError');
        return s.calls.filter((c) => c.operation === 'CompleteLifecycleAction').length;
      } finally {
        client.destroy();
        clock.stop();
        await s.stop();
      }
    };
    expect(await attemptsWith(new VirtualClock(1, Date.now()))).toBe(1);
    expect(await attemptsWith(new VirtualClock(1, Date.now() - 10 * 60_000))).toBe(4);
  });
});
