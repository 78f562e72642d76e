/**
 * The emulator's model of instance retention (EC2 Auto Scaling instance lifecycle policies), through the real SDK v3
 * client: an abandoned termination moves the instance to its retained state (User Guide, "Manage retained instances",
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/manage-retained-instances.html), it stops counting toward the
 * desired capacity and the group replaces it, its activity ends Cancelled, and TerminateInstanceInAutoScalingGroup
 * (API Reference) terminates it. What AWS does not document is modelled conservatively, and says so (world.ts).
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  RecordLifecycleActionHeartbeatCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { AwsServer, ManualClock, World } from '../../emulator';

const credentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'secret' };
const group = 'prod-capacity';
let clock: ManualClock;
let world: World;
let server: AwsServer;
let asg: AutoScalingClient;
const events: Array<Record<string, any>> = [];

beforeEach(async () => {
  clock = new ManualClock();
  world = new World(clock);
  world.addHook({ name: 'hook', heartbeatTimeoutSeconds: 300, defaultResult: 'ABANDON' });
  world.addHook({ name: 'other', heartbeatTimeoutSeconds: 300, defaultResult: 'CONTINUE' });
  events.length = 0;
  world.onEvent((e) => events.push(e));
  server = new AwsServer(world);
  asg = new AutoScalingClient({ endpoint: await server.start(), region: 'eu-west-1', credentials, maxAttempts: 1 });
});

afterEach(async () => {
  asg.destroy();
  clock.stop();
  await server.stop();
});

const describeGroup = async () => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups![0];
const abandon = (id: string) => asg.send(new CompleteLifecycleActionCommand({
  AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id, LifecycleActionResult: 'ABANDON',
}));
const terminate = (id: string, decrement = false) => asg.send(new TerminateInstanceInAutoScalingGroupCommand({
  InstanceId: id, ShouldDecrementDesiredCapacity: decrement,
}));
const lifecycleEvents = (id: string) => events.filter((e) => e['detail-type'] === 'EC2 Instance-terminate Lifecycle Action' && e.detail.EC2InstanceId === id);

/** Three instances in service, the desired capacity tracked, and I1 (with a running task) being replaced. */
async function replacing(): Promise<string[]> {
  const ids = [world.addInstance({ serviceTasks: 1 }), world.addInstance(), world.addInstance()];
  world.trackDesiredCapacity();
  await terminate(ids[0]);
  return ids;
}

describe('with the retention trigger TerminateHookAbandon: retain', () => {
  beforeEach(() => { world.terminateHookAbandon = 'retain'; });

  test('ABANDON retains the instance with its tasks, skips the other hooks, and the group replaces it: desired capacity unchanged', async () => {
    const [id] = await replacing();
    expect((await describeGroup()).DesiredCapacity).toBe(3);
    await abandon(id);
    const g = await describeGroup();
    expect(g.InstanceLifecyclePolicy).toEqual({ RetentionTriggers: { TerminateHookAbandon: 'retain' } });
    expect(g.Instances!.find((i) => i.InstanceId === id)!.LifecycleState).toBe('Terminating:Retained');
    expect(g.DesiredCapacity).toBe(3);
    expect(g.Instances!.filter((i) => i.LifecycleState === 'InService')).toHaveLength(3);
    expect(world.replacements).toHaveLength(1);
    expect(world.retentions).toEqual([expect.objectContaining({ instanceId: id, lifecycleState: 'Terminating:Retained', tasksNotStopped: 1 })]);
    expect(world.outcomes).toEqual([]);
    // its tasks keep running, its container instance stays registered
    expect(world.tasksOn(world.containerInstanceOf(id)!.arn).map((t) => t.lastStatus)).toEqual(['RUNNING']);
    // ABANDON stopped the other hook's action too
    await expect(asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: 'other', InstanceId: id })))
      .rejects.toMatchObject({ name: 'ValidationError' });
    // the termination activity ended Cancelled
    const activities = (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: group }))).Activities!;
    expect(activities.find((a) => a.Description === `Terminating EC2 instance: ${id}`)).toMatchObject({ StatusCode: 'Cancelled' });
  });

  test('the default result ABANDON on expiry retains it too', async () => {
    const [id] = await replacing();
    clock.advance(300_000);
    expect(world.group.get(id)!.lifecycleState).toBe('Terminating:Retained');
  });

  test('TerminateInstanceInAutoScalingGroup without decrement: a new termination through the hooks, then terminated; the desired capacity stays', async () => {
    const [id] = await replacing();
    await abandon(id);
    const before = lifecycleEvents(id).length;
    const answer = await terminate(id);
    expect(answer.Activity).toMatchObject({ AutoScalingGroupName: group, Description: `Terminating EC2 instance: ${id}`, StatusCode: 'InProgress' });
    expect(world.group.get(id)!.lifecycleState).toBe('Terminating:Wait');
    expect(lifecycleEvents(id).length).toBe(before + 2); // one per hook
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'hook', InstanceId: id, LifecycleActionResult: 'CONTINUE' }));
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: 'other', InstanceId: id, LifecycleActionResult: 'CONTINUE' }));
    expect(world.outcomeOf(id)).toMatchObject({ how: 'completed', result: 'CONTINUE' });
    const g = await describeGroup();
    expect(g.DesiredCapacity).toBe(3);
    expect(g.Instances!.map((i) => i.LifecycleState)).toEqual(['InService', 'InService', 'InService']);
    expect(world.replacements).toHaveLength(1); // no second replacement: the retained instance no longer counted
  });

  test('with ShouldDecrementDesiredCapacity true, the desired capacity drops (the parameter as documented): the handler never sends it', async () => {
    const [id] = await replacing();
    await abandon(id);
    await terminate(id, true);
    expect((await describeGroup()).DesiredCapacity).toBe(2);
  });

  test('when the termination of a retained instance runs no hooks (retainedTerminationRunsHooks false), it ends at once', async () => {
    world.retainedTerminationRunsHooks = false;
    const [id] = await replacing();
    await abandon(id);
    await terminate(id);
    expect(world.outcomeOf(id)).toMatchObject({ how: 'completed', tasksNotStopped: 1 });
    expect((await describeGroup()).DesiredCapacity).toBe(3);
  });

  test('a scale-in into the warm pool that is abandoned: Warmed:Pending:Retained, which TerminateInstanceInAutoScalingGroup refuses (a warm pool)', async () => {
    const id = world.addInstance({ serviceTasks: 1 });
    world.scaleIn(id, 'WarmPool');
    await abandon(id);
    expect(world.group.get(id)).toMatchObject({ lifecycleState: 'Warmed:Pending:Retained', inWarmPool: true });
    await expect(terminate(id)).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

test('without a retention trigger, ABANDON terminates, as before', async () => {
  const [id] = await replacing();
  await abandon(id);
  expect(world.outcomeOf(id)).toMatchObject({ how: 'completed', result: 'ABANDON', tasksNotStopped: 1 });
  expect(world.retentions).toEqual([]);
  expect((await describeGroup()).InstanceLifecyclePolicy).toBeUndefined();
  // terminated without decrement: replaced
  expect((await describeGroup()).Instances!.filter((i) => i.LifecycleState === 'InService')).toHaveLength(3);
});

test('TerminateInstanceInAutoScalingGroup errors: an unknown instance, one already terminating, a missing parameter', async () => {
  const id = world.addInstance();
  await expect(terminate('i-0fffffffffffffff0')).rejects.toMatchObject({ name: 'ValidationError' });
  await terminate(id);
  await expect(terminate(id)).rejects.toMatchObject({ name: 'ScalingActivityInProgressFault', $metadata: { httpStatusCode: 400 } });
  await expect(asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id } as never))).rejects.toMatchObject({ name: 'ValidationError' });
});
