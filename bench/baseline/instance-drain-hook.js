/**
 * Baseline for the benchmarks: a line-by-line Node.js port of aws-cdk-lib's InstanceDrainHook handler
 * (aws-cdk-lib/custom-resource-handlers/dist/aws-ecs/lambda-source/index.py, aws-cdk-lib 2.276), so both drainers
 * run through the same emulator. Only the event envelope differs: the original reads an SNS record; here the same
 * lifecycle message arrives as an EventBridge event's `detail`.
 *
 * Its algorithm: one invocation lists the tasks once, sets DRAINING, then sleeps 10 s between checks until none of
 * those tasks is running, and completes. It never heartbeats; aws-cdk-lib gives it a Lambda timeout of
 * drainTime + 10 s (at most 15 minutes).
 *
 * BASELINE_SLEEP_MS exists only so the benchmark can compress time; it defaults to the original 10 s.
 */
const { AutoScalingClient, CompleteLifecycleActionCommand } = require('@aws-sdk/client-auto-scaling');
const { ECSClient, ListContainerInstancesCommand, ListTasksCommand, DescribeContainerInstancesCommand, DescribeTasksCommand, UpdateContainerInstancesStateCommand } = require('@aws-sdk/client-ecs');

const ecs = new ECSClient({});
const autoscaling = new AutoScalingClient({});
const sleepMs = Number(process.env.BASELINE_SLEEP_MS ?? 10000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = async (event) => {
  const cluster = process.env.CLUSTER_NAME;
  const lifecycleEvent = (event && event.detail) || {};
  const instanceId = lifecycleEvent.EC2InstanceId;
  if (!instanceId) {
    console.log('Got event without EC2InstanceId');
    return;
  }
  const instanceArn = await containerInstanceArn(cluster, instanceId);
  if (!instanceArn) return;
  const taskArns = (await ecs.send(new ListTasksCommand({ cluster, containerInstance: instanceArn }))).taskArns ?? [];
  while (await hasTasks(cluster, instanceArn, taskArns)) {
    await sleep(sleepMs);
  }
  try {
    await autoscaling.send(new CompleteLifecycleActionCommand({
      LifecycleActionResult: 'CONTINUE',
      LifecycleHookName: lifecycleEvent.LifecycleHookName,
      LifecycleActionToken: lifecycleEvent.LifecycleActionToken,
      AutoScalingGroupName: lifecycleEvent.AutoScalingGroupName,
    }));
  } catch (e) {
    // Lifecycle action may have already completed.
    console.log(String(e));
  }
};

async function containerInstanceArn(cluster, instanceId) {
  const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster, filter: 'ec2InstanceId==' + instanceId }))).containerInstanceArns ?? [];
  return arns[0];
}

async function hasTasks(cluster, instanceArn, taskArns) {
  const instances = (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [instanceArn] }))).containerInstances ?? [];
  if (instances.length === 0) return false;
  const instance = instances[0];
  if (instance.status === 'ACTIVE') {
    await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: [instanceArn], status: 'DRAINING' }));
    return true;
  }
  let taskCount = null;
  if (taskArns.length > 0) {
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }))).tasks ?? [];
    if (tasks.length > 0) {
      taskCount = tasks.filter((t) => t.lastStatus !== 'STOPPED').length + instance.pendingTasksCount;
    }
  }
  if (!taskCount) taskCount = instance.runningTasksCount + instance.pendingTasksCount;
  return taskCount > 0;
}
