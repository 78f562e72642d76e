/**
 * The emulator answers as AWS's own service models say (botocore's JSON models for ECS and Auto Scaling). Traffic comes
 * from two sources, recorded on the wire with AwsServer.onExchange:
 * - the real SDK v3 clients (and a few raw requests) driving every operation the handler uses through its successful
 *   answers and every error the emulator implements, injected throttling and 5xx included;
 * - the bundled handler itself, in an emulated scenario (drains, a warm-pool round trip, a Spot warning, standalone
 *   tasks stopped, random throttling and 5xx).
 * Every request must fit its operation's input shape (except the few sent wrong on purpose), every success its output
 * shape, and every error code must be one the operation declares or a documented common error (service-model.ts).
 * Without the model files on this machine the test is skipped and says what is missing.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DescribeWarmPoolCommand,
  RecordLifecycleActionHeartbeatCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  GetTaskProtectionCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutAttributesCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
  UpdateTaskProtectionCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Duration } from 'aws-cdk-lib';
import { AwsServer, type CheckedExchange, Emulator, ManualClock, type Service, type ServiceModel, type WireExchange, World, checkExchange, locateModels } from '../../emulator';
import { DrainTimeoutBehavior, StandaloneTaskPolicy, TaskProtectionPolicy } from '../../lib';
import { HANDLER_API_CALLS } from '../../lib/handler-api-calls';

jest.setTimeout(180_000);

const located = locateModels();
if (!located.models) {
  console.warn(`test/emulator/service-model.test.ts skipped: AWS's service models were not found. Missing: ${located.missing.join(', ')}. `
    + `Searched botocore in: ${located.searched.join(', ') || '(nowhere: python3 did not answer)'}. Install botocore (\`pip install botocore\`, or the AWS CLI v1 / boto3) to run it.`);
}
const maybe = located.models ? describe : describe.skip;

/**
 * Known departures from the models, reported rather than allowed silently: each names the operation, what differs,
 * and the fix. The test fails when one no longer occurs, so that the entry goes once the emulator is fixed.
 */
const KNOWN_DEVIATIONS: ReadonlyArray<{ readonly operation: string; readonly problem: RegExp; readonly why: string }> = [
  // none: the four found when this test was written (Auto Scaling result wrappers, WarmPoolConfiguration.Status,
  // DescribeWarmPool's ProtectedFromScaleIn) are fixed in protocols.ts
];

interface Recorded {
  readonly exchange: WireExchange;
  /** Whether the request is meant to be valid (some are wrong on purpose, to get the emulator's validation errors). */
  readonly validRequest: boolean;
  readonly source: 'sdk' | 'handler';
}

const credentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'secret' };
const MISSING_CI = 'arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/0123456789abcdef0123456789abcdef';
const MISSING_TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';

/** Every operation the handler uses, through its answers and the emulator's errors, with the real SDK clients. */
async function driveWithSdk(recorded: Recorded[]): Promise<void> {
  const clock = new ManualClock();
  const world = new World(clock);
  world.addHook({ name: 'hook', heartbeatTimeoutSeconds: 300, defaultResult: 'CONTINUE' });
  const server = new AwsServer(world);
  let validRequest = true;
  server.onExchange((exchange) => recorded.push({ exchange, validRequest, source: 'sdk' }));
  const endpoint = await server.start();
  const ecs = new ECSClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  const asg = new AutoScalingClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  const eventBridge = new EventBridgeClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  /** Runs a call that must fail; `invalid` when the request itself breaks the input shape on purpose. */
  const fails = async (call: () => Promise<unknown>, invalid = false) => {
    validRequest = !invalid;
    try {
      await call();
    } catch {
      return;
    } finally {
      validRequest = true;
    }
    throw new Error('the call was expected to fail');
  };
  const raw = async (body: string) => {
    validRequest = false;
    try {
      await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    } finally {
      validRequest = true;
    }
  };
  try {
    const a = world.addInstance({ serviceTasks: 2, daemonTasks: 1, standaloneTasks: 1, deactivatingMs: 5_000 });
    const registering = world.addInstance({ status: 'REGISTERING' });
    world.addInstance({ inWarmPool: true, serviceTasks: 0 });
    for (let i = 0; i < 3; i++) world.addInstance({ serviceTasks: 1 });
    const arnA = world.containerInstanceOf(a)!.arn;
    const arnRegistering = world.containerInstanceOf(registering)!.arn;
    const cluster = 'prod';

    // ECS: successes, with pagination, failures lists and stopped tasks
    await ecs.send(new ListContainerInstancesCommand({ cluster }));
    await ecs.send(new ListContainerInstancesCommand({ cluster, filter: `ec2InstanceId == ${a}` }));
    const firstPage = await ecs.send(new ListContainerInstancesCommand({ cluster, maxResults: 2 }));
    await ecs.send(new ListContainerInstancesCommand({ cluster, maxResults: 2, nextToken: firstPage.nextToken }));
    await ecs.send(new PutAttributesCommand({ cluster, attributes: [{ name: 'ecs-draining-lifecycle-hook', value: 'drain@2026-11-23T10:00:00Z', targetType: 'container-instance', targetId: arnA }] }));
    await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arnA, arnRegistering, MISSING_CI] }));
    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [arnA, arnRegistering, MISSING_CI], status: 'DRAINING' }));
    await ecs.send(new ListContainerInstancesCommand({ cluster, status: 'DRAINING' }));
    const running = await ecs.send(new ListTasksCommand({ cluster, containerInstance: arnA }));
    await ecs.send(new ListTasksCommand({ cluster, containerInstance: arnA, maxResults: 1 }));
    const standalone = [...world.tasks.values()].find((t) => t.kind === 'standalone')!;
    // Task scale-in protection: a worker protects itself (UpdateTaskProtection), the handler reads it back
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [running.taskArns![0]], protectionEnabled: true, expiresInMinutes: 30 }));
    const unprotect = [running.taskArns![1], standalone.arn, MISSING_TASK];
    await ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: unprotect, protectionEnabled: false }));
    await ecs.send(new GetTaskProtectionCommand({ cluster, tasks: [...running.taskArns!, MISSING_TASK] }));
    await ecs.send(new StopTaskCommand({ cluster, task: standalone.arn, reason: 'ecs-draining-lifecycle-hook: instance is terminating' }));
    await ecs.send(new DescribeTasksCommand({ cluster, tasks: [...running.taskArns!, MISSING_TASK] }));
    clock.advance(60_000); // every task of the instance stops: DEACTIVATING, STOPPING, STOPPED
    await ecs.send(new ListTasksCommand({ cluster, containerInstance: arnA, desiredStatus: 'STOPPED' }));
    await ecs.send(new DescribeTasksCommand({ cluster, tasks: running.taskArns! }));
    await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arnA] }));
    await ecs.send(new DeleteAttributesCommand({ cluster, attributes: [{ name: 'ecs-draining-lifecycle-hook', targetType: 'container-instance', targetId: arnA }] }));
    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [arnA], status: 'ACTIVE' }));

    // ECS: every error the emulator implements
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster: 'no-such-cluster' })));
    await fails(() => ecs.send(new DescribeTasksCommand({ cluster: 'no-such-cluster', tasks: [MISSING_TASK] })));
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster, maxResults: 101 })));
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster, nextToken: 'bm90IGEgbnVtYmVy' })));
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster, status: 'BOGUS' as never })), true);
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster, filter: 'attribute:ecs.instance-type == t3.small' })));
    await fails(() => ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [] })));
    await fails(() => ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [arnA], status: 'DEREGISTERING' })));
    await fails(() => ecs.send(new PutAttributesCommand({ cluster, attributes: [{ name: 'bad name!', value: 'x', targetType: 'container-instance', targetId: arnA }] })));
    await fails(() => ecs.send(new PutAttributesCommand({ cluster, attributes: [{ name: 'x', value: 'y', targetType: 'container-instance', targetId: MISSING_CI }] })));
    await fails(() => ecs.send(new DeleteAttributesCommand({ cluster, attributes: [{ name: 'x', targetType: 'container-instance', targetId: MISSING_CI }] })));
    await ecs.send(new PutAttributesCommand({ cluster, attributes: Array.from({ length: 10 }, (_, i) => ({ name: `custom-${i}`, value: 'v', targetType: 'container-instance' as const, targetId: arnA })) }));
    await fails(() => ecs.send(new PutAttributesCommand({ cluster, attributes: [{ name: 'custom-10', value: 'v', targetType: 'container-instance', targetId: arnA }] })));
    await fails(() => ecs.send(new ListTasksCommand({ cluster, containerInstance: MISSING_CI })));
    await fails(() => ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'BOGUS' as never })), true);
    await fails(() => ecs.send(new DescribeTasksCommand({ cluster, tasks: [] })));
    await fails(() => ecs.send(new StopTaskCommand({ cluster, task: MISSING_TASK })));
    await fails(() => ecs.send(new GetTaskProtectionCommand({ cluster, tasks: Array.from({ length: 101 }, () => MISSING_TASK) })));
    await fails(() => ecs.send(new UpdateTaskProtectionCommand({ cluster, tasks: [MISSING_TASK], protectionEnabled: true, expiresInMinutes: 2881 })));
    await fails(() => ecs.send(new GetTaskProtectionCommand({ cluster: 'no-such-cluster', tasks: [MISSING_TASK] })));

    // Auto Scaling: successes
    await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['prod-capacity'] }));
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['another-group'] }));
    await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'prod-capacity' }));
    world.scaleIn(a);
    const token = world.issuedTokens[world.issuedTokens.length - 1];
    await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['prod-capacity'] }));
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a }));
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', LifecycleActionToken: token }));
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a, LifecycleActionResult: 'CONTINUE' }));
    // Instance retention: a group that retains abandoned terminations, an instance retained, then terminated
    world.terminateHookAbandon = 'retain';
    world.trackDesiredCapacity();
    const retained = world.addInstance({ serviceTasks: 1 });
    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: retained, ShouldDecrementDesiredCapacity: false }));
    await asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: retained, LifecycleActionResult: 'ABANDON' }));
    await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['prod-capacity'] }));
    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: retained, ShouldDecrementDesiredCapacity: false }));
    const activities = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'prod-capacity', MaxRecords: 1 }));
    await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'prod-capacity', MaxRecords: 1, NextToken: activities.NextToken }));

    // Auto Scaling: every error the emulator implements
    await fails(() => asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a, LifecycleActionResult: 'CONTINUE' })));
    await fails(() => asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a })));
    await fails(() => asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'another-group', LifecycleHookName: 'hook', InstanceId: a, LifecycleActionResult: 'CONTINUE' })));
    await fails(() => asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a, LifecycleActionResult: 'MAYBE' })));
    await fails(() => asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'another-group' })));
    await fails(() => asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'another-group' })));
    await fails(() => asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: retained, ShouldDecrementDesiredCapacity: false })));
    await fails(() => asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-0fffffffffffffff0', ShouldDecrementDesiredCapacity: false })));
    await raw('Action=CompleteLifecycleAction&Version=2011-01-01&InstanceId=i-0123456789abcdef0'); // required members missing
    await raw('Action=DescribeAutoScalingGroups&Version=2010-01-01'); // another API version

    // EventBridge: an event taken, entries failed one by one, requests failed as a whole
    const entry = { Source: 'ecs-draining-lifecycle-hook', DetailType: 'Drain Started', Detail: '{"instanceId":"i-0123456789abcdef0"}', Resources: [arnA], Time: new Date() };
    await eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
    await eventBridge.send(new PutEventsCommand({ Entries: [entry, { ...entry, Source: 'aws.ecs' }, { ...entry, Detail: 'not json' }, { Source: 'my.app', DetailType: 'x' }] }));
    await fails(() => eventBridge.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })), true);
    await fails(() => eventBridge.send(new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify({ big: 'x'.repeat(256 * 1024) }) }] })));
    await fails(() => eventBridge.send(new PutEventsCommand({ Entries: [{ Source: 'my.app' }] })));

    // Injected faults: throttling, then 5xx, on every service
    server.setFaults({ throttleRate: { '*': 1 } });
    await fails(() => ecs.send(new ListContainerInstancesCommand({ cluster })));
    await fails(() => asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['prod-capacity'] })));
    await fails(() => eventBridge.send(new PutEventsCommand({ Entries: [entry] })));
    server.setFaults({ serverErrorRate: { '*': 1 } });
    await fails(() => eventBridge.send(new PutEventsCommand({ Entries: [entry] })));
    await fails(() => ecs.send(new DescribeTasksCommand({ cluster, tasks: [MISSING_TASK] })));
    await fails(() => asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'prod-capacity', LifecycleHookName: 'hook', InstanceId: a })));
    server.setFaults({ rateLimits: { DescribeContainerInstances: { rate: 1, burst: 1 } } });
    await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arnA] }));
    await fails(() => ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arnA] })));
  } finally {
    ecs.destroy();
    asg.destroy();
    eventBridge.destroy();
    clock.stop();
    await server.stop();
  }
}

/** The bundled handler's own traffic: drains, standalone tasks stopped, a warm-pool round trip, a Spot warning, faults. */
async function driveWithHandler(recorded: Recorded[]): Promise<void> {
  const emu = await Emulator.start({
    scale: 40, seed: 7,
    props: {
      standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(2), drainOnSpotInterruption: true,
      taskProtectionPolicy: TaskProtectionPolicy.WAIT,
    },
    faults: { throttleRate: { '*': 0.1 }, serverErrorRate: { '*': 0.03 } },
  });
  emu.server.onExchange((exchange) => recorded.push({ exchange, validRequest: true, source: 'handler' }));
  try {
    const drained = emu.world.addInstance({ serviceTasks: 2, daemonTasks: 1, standaloneTasks: 1, deactivatingMs: 20_000 });
    const warm = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 10_000 });
    const unregistered = emu.world.addInstance({ status: 'unregistered' });
    const spot = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 10_000 });
    // a service task protected for three minutes: its instance is held ACTIVE, then drained
    const held = emu.world.addInstance({ serviceTasks: 2, deactivatingMs: 10_000 });
    emu.world.updateTaskProtection(emu.world.tasksOn(emu.world.containerInstanceOf(held)!.arn)[0], true, 3);
    // ECS's custom-attribute quota full: the drain goes on without a marker, timed from the scaling activity
    const full = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 70_000, customAttributes: 10 });
    emu.world.spotInterruption(spot);
    emu.world.scaleIn(full);
    emu.world.scaleIn(drained);
    emu.world.scaleIn(warm, 'WarmPool');
    emu.world.scaleIn(unregistered);
    emu.world.scaleIn(spot);
    emu.world.scaleIn(held);
    await emu.waitForOutcomes([drained, warm, unregistered, spot, full, held], 30 * 60_000);
    const ci = emu.world.containerInstanceOf(warm)!;
    emu.world.returnFromWarmPool(warm);
    await emu.waitFor(() => ci.status === 'ACTIVE' && !ci.attributes.has('ecs-draining-lifecycle-hook'), 10 * 60_000, 'the warm-pool instance to be ACTIVE again');
    await emu.idle(2 * 60_000); // two more sweeps, which look at the warm pool
    await emu.settle();
  } finally {
    await emu.stop();
  }
}

/** The bundled handler with DrainTimeoutBehavior.retain(): a drain past drainTimeout, retained, then terminated. */
async function driveRetentionWithHandler(recorded: Recorded[]): Promise<void> {
  const emu = await Emulator.start({
    scale: 60, seed: 11, props: { drainTimeout: Duration.minutes(3), drainTimeoutBehavior: DrainTimeoutBehavior.retain() },
  });
  emu.server.onExchange((exchange) => recorded.push({ exchange, validRequest: true, source: 'handler' }));
  try {
    emu.world.terminateHookAbandon = 'retain';
    const id = emu.world.addInstance({ serviceTasks: 1, deactivatingMs: 6 * 60_000 });
    emu.world.addInstance();
    emu.world.trackDesiredCapacity();
    emu.world.terminateInstance(id, false);
    await emu.waitForOutcomes([id], 20 * 60_000);
    if (!emu.world.retentions.some((r) => r.instanceId === id)) throw new Error('the instance was not retained');
    await emu.settle();
  } finally {
    await emu.stop();
  }
}

maybe('the emulator answers as AWS\'s service models say', () => {
  const models = located.models as Record<Service, ServiceModel>;
  const recorded: Recorded[] = [];
  let checked: Array<CheckedExchange & { readonly source: Recorded['source'] }>;

  beforeAll(async () => {
    await driveWithSdk(recorded);
    await driveWithHandler(recorded);
    await driveRetentionWithHandler(recorded);
    checked = recorded.map((r) => ({ ...checkExchange(models, r.exchange, { checkRequest: r.validRequest }), source: r.source }));
  });

  const allProblems = () => [...new Set(checked.flatMap((c) => c.problems))];
  const known = (problem: string) => KNOWN_DEVIATIONS.some((d) => d.problem.test(problem));

  test('every request, successful answer and error fits the models (known deviations aside)', () => {
    expect(allProblems().filter((p) => !known(p))).toEqual([]);
  });

  test('every known deviation still occurs (remove the entry once the emulator is fixed)', () => {
    const problems = allProblems();
    expect(KNOWN_DEVIATIONS.filter((d) => !problems.some((p) => d.problem.test(p))).map((d) => `${d.operation}: ${d.why}`)).toEqual([]);
  });

  test('the traffic covers every operation the handler uses, answered successfully, by the SDK clients and by the handler', () => {
    const operations = HANDLER_API_CALLS.map((c) => `${c.service} ${c.operation}`).sort();
    const succeeded = (source: Recorded['source']) => [...new Set(checked.filter((c) => c.source === source && c.status === 200).map((c) => `${c.service} ${c.operation}`))].sort();
    // and UpdateTaskProtection, which workers call to protect themselves (the handler only reads protection)
    expect(succeeded('sdk')).toEqual([...operations, 'ecs UpdateTaskProtection'].sort());
    expect(succeeded('handler')).toEqual(operations);
  });

  test('the traffic covers every error the emulator implements, and the handler\'s own requests met injected throttling', () => {
    const errors = [...new Set(checked.filter((c) => c.error).map((c) => `${c.service} ${c.error}`))].sort();
    expect(errors).toEqual([
      'autoscaling InternalFailure', 'autoscaling InvalidAction', 'autoscaling ScalingActivityInProgress', 'autoscaling Throttling',
      'autoscaling ValidationError',
      'ecs AttributeLimitExceededException', 'ecs ClusterNotFoundException', 'ecs InvalidParameterException',
      'ecs ServerException', 'ecs TargetNotFoundException', 'ecs ThrottlingException',
      'events InternalException', 'events ThrottlingException', 'events ValidationException',
    ]);
    // A 10% throttle rate over the scenario's hundred-odd calls: throttled answers (and the retries after them) are
    // part of the handler's checked traffic. (Which calls, and whether a 5xx comes too, depends on timing.)
    expect(checked.filter((c) => c.source === 'handler' && /^Throttling(Exception)?$/.test(c.error ?? '')).length).toBeGreaterThan(0);
    // Every request is checked against its input shape: all of the handler's, all of the SDK's but the five wrong on
    // purpose (two enum values no model has, a request missing required members, another API version, 11 PutEvents entries).
    expect(recorded.filter((r) => !r.validRequest)).toHaveLength(5);
    expect(recorded.filter((r) => r.source === 'handler').length).toBeGreaterThan(50);
  });

  describe('the checks can fail: a tampered answer is reported, naming the operation and the path', () => {
    const tampered = (operation: string, status: number, edit: (body: string) => string): string[] => {
      const r = recorded.find((x) => x.exchange.status === status && (
        x.exchange.headers['x-amz-target'] === `AmazonEC2ContainerServiceV20141113.${operation}` || new URLSearchParams(x.exchange.requestBody).get('Action') === operation));
      if (!r) throw new Error(`no recorded ${operation} answered ${status}`);
      const edited = edit(r.exchange.responseBody);
      expect(edited).not.toBe(r.exchange.responseBody);
      return checkExchange(models, { ...r.exchange, responseBody: edited }, { checkRequest: true }).problems;
    };
    const json = (edit: (body: any) => void) => (text: string) => {
      const body = JSON.parse(text);
      edit(body);
      return JSON.stringify(body);
    };

    test('an unknown member, a wrong type, a value outside an enum (ECS, JSON)', () => {
      expect(tampered('DescribeContainerInstances', 200, json((b) => { b.containerInstances[0].registeredResources[0].colour = 'blue'; })))
        .toContainEqual(expect.stringMatching(/^ecs DescribeContainerInstances response: \$\.containerInstances\[0\]\.registeredResources\[0\]: unknown member "colour"/));
      expect(tampered('DescribeContainerInstances', 200, json((b) => { b.containerInstances[0].runningTasksCount = '2'; })))
        .toContainEqual(expect.stringMatching(/^ecs DescribeContainerInstances response: \$\.containerInstances\[0\]\.runningTasksCount: expected an integer, got string "2"/));
      expect(tampered('DescribeTasks', 200, json((b) => { b.tasks[0].launchType = 'MAINFRAME'; })))
        .toContainEqual(expect.stringMatching(/^ecs DescribeTasks response: \$\.tasks\[0\]\.launchType: "MAINFRAME" is not one of the enum EC2 \| FARGATE/));
      expect(tampered('DescribeTasks', 200, json((b) => { b.tasks[0].createdAt = new Date().toISOString(); })))
        .toContainEqual(expect.stringMatching(/^ecs DescribeTasks response: \$\.tasks\[0\]\.createdAt: expected a timestamp in epoch seconds/));
    });

    test('an error code the operation does not declare, or with the wrong status (ECS)', () => {
      expect(tampered('ListContainerInstances', 400, json((b) => { b.__type = 'ServiceNotFoundException'; })))
        .toContainEqual(expect.stringMatching(/^ecs ListContainerInstances: error code ServiceNotFoundException is neither declared for ListContainerInstances/));
    });

    test('an unknown element, a wrong type, a missing required member (Auto Scaling, XML)', () => {
      expect(tampered('DescribeAutoScalingGroups', 200, (x) => x.replace('<MinSize>', '<Colour>blue</Colour><MinSize>')))
        .toContainEqual(expect.stringMatching(/^autoscaling DescribeAutoScalingGroups response: \$\.AutoScalingGroups\[0\]: unknown element <Colour>/));
      expect(tampered('DescribeAutoScalingGroups', 200, (x) => x.replace(/<DesiredCapacity>\d+</, '<DesiredCapacity>many<')))
        .toContainEqual(expect.stringMatching(/^autoscaling DescribeAutoScalingGroups response: \$\.AutoScalingGroups\[0\]\.DesiredCapacity: "many" is not an integer/));
      expect(tampered('DescribeAutoScalingGroups', 200, (x) => x.replace(/<HealthCheckType>[^<]*<\/HealthCheckType>/, '')))
        .toContainEqual(expect.stringMatching(/^autoscaling DescribeAutoScalingGroups response: \$\.AutoScalingGroups\[0\]: required member HealthCheckType is missing/));
    });

    test('an undeclared error code, and a fault type that does not match the status (Auto Scaling)', () => {
      expect(tampered('CompleteLifecycleAction', 400, (x) => x.replace('<Code>ValidationError</Code>', '<Code>NoSuchHook</Code>')))
        .toContainEqual(expect.stringMatching(/^autoscaling CompleteLifecycleAction: error code NoSuchHook is neither declared/));
      expect(tampered('CompleteLifecycleAction', 400, (x) => x.replace('<Type>Sender</Type>', '<Type>Receiver</Type>')))
        .toContainEqual(expect.stringMatching(/^autoscaling CompleteLifecycleAction error ValidationError: <Type>Receiver<\/Type>, expected Sender/));
    });

    test('a request with a parameter the input shape does not have', () => {
      const r = recorded.find((x) => x.source === 'handler' && new URLSearchParams(x.exchange.requestBody).get('Action') === 'CompleteLifecycleAction')!;
      expect(checkExchange(models, { ...r.exchange, requestBody: `${r.exchange.requestBody}&Force=true` }, { checkRequest: true }).problems)
        .toContainEqual(expect.stringMatching(/^autoscaling CompleteLifecycleAction request: \$: unknown parameter "Force"/));
      const e = recorded.find((x) => x.source === 'handler' && x.exchange.headers['x-amz-target'] === 'AmazonEC2ContainerServiceV20141113.ListTasks')!;
      expect(checkExchange(models, { ...e.exchange, requestBody: JSON.stringify({ ...JSON.parse(e.exchange.requestBody), desiredStatus: 'GONE' }) }, { checkRequest: true }).problems)
        .toContainEqual(expect.stringMatching(/^ecs ListTasks request: \$\.desiredStatus: "GONE" is not one of the enum/));
    });
  });
});

describe('EventBridge PutEvents, as the API reference documents it', () => {
  /** Sends one PutEvents with the real SDK client to a fresh emulator; returns the answer (or error) and what the bus got. */
  async function putEvents(entries: Array<Record<string, unknown>>) {
    const clock = new ManualClock();
    const world = new World(clock);
    const published: Array<Record<string, any>> = [];
    world.onEvent((e) => published.push(e));
    const server = new AwsServer(world);
    const endpoint = await server.start();
    const client = new EventBridgeClient({ endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
    try {
      const answer = await client.send(new PutEventsCommand({ Entries: entries as never }));
      return { answer, published };
    } catch (error) {
      return { error: error as { name: string; message: string }, published };
    } finally {
      client.destroy();
      clock.stop();
      await server.stop();
    }
  }
  const entry = { Source: 'ecs-draining-lifecycle-hook', DetailType: 'Drain Timed Out', Detail: '{"instanceId":"i-1"}', Resources: ['arn:aws:ecs:r'] };

  test('an entry taken: an event ID, and the event on the default bus in EventBridge\'s envelope, at the entry\'s Time', async () => {
    const { answer, published } = await putEvents([{ ...entry, Time: new Date('2026-11-23T10:00:07Z') }]);
    expect(answer).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(published).toEqual([{
      'version': '0', 'id': answer!.Entries![0].EventId, 'detail-type': 'Drain Timed Out', 'source': 'ecs-draining-lifecycle-hook',
      'account': '123456789012', 'time': '2026-11-23T10:00:07Z', 'region': 'eu-west-1', 'resources': ['arn:aws:ecs:r'], 'detail': { instanceId: 'i-1' },
    }]);
  });

  test('entries failed one by one, in order: a reserved aws. source, a detail that is not a JSON object, a missing field', async () => {
    const { answer, published } = await putEvents([
      { ...entry, Source: 'aws.ecs' }, { ...entry, Detail: '[1]' }, { Source: 'my.app', DetailType: 'x' }, entry, { ...entry, DetailType: 'x'.repeat(129) },
    ]);
    expect(answer?.FailedEntryCount).toBe(4);
    expect(answer?.Entries?.map((e) => e.ErrorCode ?? 'taken')).toEqual(['NotAuthorizedForSourceException', 'MalformedDetail', 'InvalidArgument', 'taken', 'InvalidArgument']);
    expect(published).toHaveLength(1);
  });

  test.each([
    ['11 entries', Array.from({ length: 11 }, () => entry)],
    ['more than 256 KB in all', [{ ...entry, Detail: JSON.stringify({ a: 'x'.repeat(132_000) }) }, { ...entry, Detail: JSON.stringify({ b: 'x'.repeat(132_000) }) }]],
    ['no entry with Source, DetailType and Detail', [{ Source: 'my.app' }, { DetailType: 'x', Detail: '{}' }]],
  ])('%s: the whole request fails with ValidationException, and nothing reaches the bus', async (_, entries) => {
    const { error, published } = await putEvents(entries);
    expect(error?.name).toBe('ValidationException');
    expect(published).toEqual([]);
  });

  test('10 entries and just under 256 KB are taken', async () => {
    const { answer } = await putEvents(Array.from({ length: 10 }, () => entry));
    expect(answer?.Entries).toHaveLength(10);
    const detail = JSON.stringify({ a: 'x'.repeat(256 * 1024 - 200) });
    expect((await putEvents([{ ...entry, Detail: detail }])).answer?.FailedEntryCount).toBe(0);
  });
});
