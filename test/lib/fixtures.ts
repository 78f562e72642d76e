import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  DrainTimeoutBehavior, DrainingLifecycleHook, type DrainingLifecycleHookProps, StandaloneTaskPolicy, TaskProtectionPolicy,
} from '../../lib';
import { TASK_EVENT_PATH_ID_PREFIX } from '../../lib/cluster-task-events';

/** What the construct's tests share: the stack environment, and the construct on an imported group and cluster. */

export const ENV = { account: '123456789012', region: 'eu-west-1' };

export const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
/** Imported resources build their ARNs with the partition as a token. */
export const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

/** A stack with an imported group and cluster: names and ARNs are plain strings, so assertions stay literal. */
export function importedStack(props: Partial<DrainingLifecycleHookProps> = {}) {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const hook = new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
    cluster: ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'prod', vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
    }),
    ...props,
  });
  return { stack, hook, template: groupTemplate(stack), fullTemplate: Template.fromStack(stack) };
}

/**
 * The stack's template without the cluster's shared task-event path (lib/cluster-task-events.ts, tested in
 * cluster-task-events.test.ts): what one hook creates for its own group.
 */
export function groupTemplate(stack: Stack): Template {
  const json = Template.fromStack(stack).toJSON();
  const resources = Object.fromEntries(Object.entries(json.Resources ?? {}).filter(([id]) => !id.startsWith(TASK_EVENT_PATH_ID_PREFIX)));
  return Template.fromJSON({ ...json, Resources: resources });
}

/** The construct on an imported group and cluster, in a given stack. */
export function importedStackWith(stack: Stack, props: Partial<DrainingLifecycleHookProps> = {}): DrainingLifecycleHook {
  return new DrainingLifecycleHook(stack, 'DrainHook', {
    autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
    cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
    ...props,
  });
}

/** Every option set to a value other than its default (the encryption key aside: each test makes its own). */
export const EVERY_OPTION = {
  drainTimeout: Duration.hours(6),
  heartbeatTimeout: Duration.minutes(30),
  drainTimeoutBehavior: DrainTimeoutBehavior.retain({ overdueAfter: Duration.days(2) }),
  lifecycleHookName: 'drain-ecs',
  sweepInterval: Duration.minutes(5),
  standaloneTaskPolicy: StandaloneTaskPolicy.STOP,
  standaloneTaskGracePeriod: Duration.minutes(20),
  taskProtectionPolicy: TaskProtectionPolicy.WAIT,
  drainOnSpotInterruption: true,
  reactivateWarmPoolInstances: false,
  logRetention: logs.RetentionDays.ONE_YEAR,
  metricsNamespace: 'Platform/Drain',
  publishDrainEvents: false,
} as const satisfies Partial<DrainingLifecycleHookProps>;

/** The group function's environment variables (the cluster's task-event consumer left aside). */
export function envOf(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler !== 'index.taskEventHandler');
  expect(fns).toHaveLength(1);
  return fns[0].Properties.Environment.Variables;
}
