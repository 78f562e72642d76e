import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { DrainingLifecycleHook } from '../lib';

/**
 * A realistic ECS-on-EC2 stack: VPC, cluster, an Auto Scaling group registered as capacity, a sample service, and
 * DrainingLifecycleHook as the group's only drain hook. Synthesizes with no credentials and no context lookups.
 */
export class ExampleStack extends Stack {
  public readonly drainHook: DrainingLifecycleHook;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Public subnets only, no NAT gateway: the example stays cheap to deploy.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });

    const autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Capacity', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      associatePublicIpAddress: true,
      instanceType: new ec2.InstanceType('t3.small'),
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      minCapacity: 1,
      maxCapacity: 3,
      requireImdsv2: true,
    });

    const capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup,
      // This construct is the one drain hook: ECS managed draining would race it (forCapacityProvider would also
      // turn it off when not set).
      enableManagedDraining: false,
      // Without termination protection, scale-in picks instances that still run tasks: this construct drains them.
      enableManagedTerminationProtection: false,
    });
    // Adds the capacity provider to the cluster, without aws-cdk-lib's InstanceDrainHook.
    this.drainHook = DrainingLifecycleHook.forCapacityProvider(this, 'DrainHook', {
      cluster,
      capacityProvider,
      drainTimeout: Duration.hours(1),
    });

    const taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition');
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
      memoryReservationMiB: 128,
      portMappings: [{ containerPort: 80 }],
      stopTimeout: Duration.seconds(30),
    });
    new ecs.Ec2Service(this, 'Service', {
      cluster,
      taskDefinition,
      desiredCount: 2,
      minHealthyPercent: 50,
      circuitBreaker: { rollback: true },
      capacityProviderStrategies: [{ capacityProvider: capacityProvider.capacityProviderName, weight: 1 }],
    });
  }
}
