/**
 * A deliberately naive drain handler, for the e2e tests only: it sets DRAINING and completes the lifecycle action as
 * soon as runningTasksCount is 0, and never records a heartbeat. The scenarios must catch both mistakes.
 */
const { AutoScalingClient, CompleteLifecycleActionCommand, DescribeAutoScalingGroupsCommand } = require('@aws-sdk/client-auto-scaling');
const { ECSClient, ListContainerInstancesCommand, DescribeContainerInstancesCommand, UpdateContainerInstancesStateCommand } = require('@aws-sdk/client-ecs');

const ecs = new ECSClient({});
const autoscaling = new AutoScalingClient({});
const cluster = process.env.CLUSTER_NAME;
const group = process.env.AUTO_SCALING_GROUP_NAME;
const hook = process.env.LIFECYCLE_HOOK_NAME;

async function check(instanceId) {
  const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster, filter: `ec2InstanceId == ${instanceId}` }))).containerInstanceArns ?? [];
  if (arns.length > 0) {
    const [ci] = (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances;
    if (ci.status === 'ACTIVE') await ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: arns, status: 'DRAINING' }));
    if (ci.runningTasksCount > 0) return;
  }
  try {
    await autoscaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: group, LifecycleHookName: hook, InstanceId: instanceId, LifecycleActionResult: 'CONTINUE' }));
  } catch (e) {
    if (e.name !== 'ValidationError') throw e;
  }
}

exports.handler = async (event) => {
  if (event['detail-type'] === 'EC2 Instance-terminate Lifecycle Action') return check(event.detail.EC2InstanceId);
  // every other trigger (task events, the sweep): re-check every instance waiting to terminate
  const res = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
  for (const i of res.AutoScalingGroups?.[0]?.Instances ?? []) {
    if (i.LifecycleState === 'Terminating:Wait') await check(i.InstanceId);
  }
};
