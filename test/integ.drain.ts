/**
 * Integration test (deploys real resources; run it with an AWS account, see the README):
 * a small cluster with one service task on one instance; the group scales in to zero; the assertions check that the
 * lifecycle action completed (the scale-in activity succeeded) and that the task was stopped by the ECS service
 * scheduler because its instance was DRAINING, not cut off by the instance's termination.
 */
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { DrainingLifecycleHook } from '../lib';

const app = new App({ context: { '@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig': true } });
const stack = new Stack(app, 'DrainingLifecycleHookInteg');

const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] });
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Capacity', {
  vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, associatePublicIpAddress: true,
  instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
  minCapacity: 0, maxCapacity: 1, desiredCapacity: 1,
});
const capacityProvider = new ecs.AsgCapacityProvider(stack, 'CapacityProvider', {
  autoScalingGroup, enableManagedDraining: false, enableManagedTerminationProtection: false, enableManagedScaling: false,
});
// As the README's first example: adds the capacity provider to the cluster, with this construct as its one drain hook.
DrainingLifecycleHook.forCapacityProvider(stack, 'DrainHook', { cluster, capacityProvider, drainTimeout: Duration.minutes(20) });

const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task');
taskDefinition.addContainer('web', {
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'), memoryReservationMiB: 64, stopTimeout: Duration.seconds(10),
});
const service = new ecs.Ec2Service(stack, 'Service', {
  cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 0, maxHealthyPercent: 100,
  capacityProviderStrategies: [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }],
});

const integ = new IntegTest(app, 'DrainOnScaleIn', { testCases: [stack], diffAssets: false });

// 1. the service task runs
const running = integ.assertions.awsApiCall('ECS', 'listTasks', { cluster: cluster.clusterName, serviceName: service.serviceName, desiredStatus: 'RUNNING' })
  .expect(ExpectedResult.objectLike({ taskArns: [ExpectedResult.stringLikeRegexp('arn:')] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) });
const taskArn = running.getAttString('taskArns.0');

// 2. scale in to zero: the instance waits in Terminating:Wait while the construct drains it
const scaleIn = integ.assertions.awsApiCall('AutoScaling', 'setDesiredCapacity', {
  AutoScalingGroupName: autoScalingGroup.autoScalingGroupName, DesiredCapacity: 0, HonorCooldown: false,
});

// 3. the lifecycle action completed: the scale-in activity succeeded
const terminated = integ.assertions.awsApiCall('AutoScaling', 'describeScalingActivities', {
  AutoScalingGroupName: autoScalingGroup.autoScalingGroupName, MaxRecords: 1,
}).expect(ExpectedResult.objectLike({ Activities: [ExpectedResult.objectLike({ StatusCode: 'Successful', Description: ExpectedResult.stringLikeRegexp('Terminating') })] }))
  .waitForAssertions({ totalTimeout: Duration.minutes(25), interval: Duration.seconds(30) });

// 4. the task was stopped by the service scheduler because the instance was DRAINING, before the instance went
const stopped = integ.assertions.awsApiCall('ECS', 'describeTasks', { cluster: cluster.clusterName, tasks: [taskArn] })
  .expect(ExpectedResult.objectLike({ tasks: [ExpectedResult.objectLike({ lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' })] }));

running.next(scaleIn).next(terminated).next(stopped);
app.synth();
