/**
 * cdk-nag's AwsSolutions and Serverless packs find nothing unacknowledged in the construct's resources, and every
 * acknowledgement is the construct's own (lib/nag-acknowledgements.ts). A new finding fails synthesis, so this test.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { DrainingLifecycleHook, StandaloneTaskPolicy } from '../../lib';

function nagApp(build: (stack: Stack) => void): () => void {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'eu-west-1' } });
  build(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return () => app.synth();
}

const imported = (stack: Stack) => ({
  autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'prod-capacity'),
  cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'),
});

test('imported group and cluster: no unacknowledged finding', () => {
  expect(nagApp((stack) => new DrainingLifecycleHook(stack, 'DrainHook', imported(stack)))).not.toThrow();
});

test('with StandaloneTaskPolicy.STOP and every option: no unacknowledged finding', () => {
  expect(nagApp((stack) => new DrainingLifecycleHook(stack, 'DrainHook', {
    ...imported(stack), standaloneTaskPolicy: StandaloneTaskPolicy.STOP, drainOnSpotInterruption: true, lifecycleHookName: 'drain',
  }))).not.toThrow();
});

test('a dead-letter queue encrypted with a KMS key: no unacknowledged finding', () => {
  expect(nagApp((stack) => new DrainingLifecycleHook(stack, 'DrainHook', {
    ...imported(stack), deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
  }))).not.toThrow();
});

test('the handler in a VPC (its own security group, and the network-interface statement): no unacknowledged finding', () => {
  expect(nagApp((stack) => new DrainingLifecycleHook(stack, 'DrainHook', {
    ...imported(stack),
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'FunctionVpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-0a1b2c3d4e5f60718'],
    }),
  }))).not.toThrow();
});

test('group and cluster defined in the same stack (token ARNs): the construct\'s own resources have no finding', () => {
  let error: unknown;
  try {
    nagApp((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
      const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
      const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Asg', {
        vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      });
      new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup, cluster });
    })();
  } catch (e) {
    error = e;
  }
  // The VPC, cluster and group have findings of their own; none may point into the construct.
  expect(String(error ?? '').split('\n').filter((line) => line.includes('Nag/DrainHook/'))).toEqual([]);
});

test('a new finding in the construct\'s scope fails synthesis', () => {
  const synth = nagApp((stack) => {
    const hook = new DrainingLifecycleHook(stack, 'DrainHook', imported(stack));
    new sqs.Queue(hook, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  });
  expect(synth).toThrow(/Nag\/DrainHook\/Unencrypted/);
});
