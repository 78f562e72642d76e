import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiCallScope, ApiCallUse, HANDLER_API_CALLS, type HandlerApiCall, iamActionOf } from './handler-api-calls';
import { NAG_REASONS, type WildcardResource } from './nag-acknowledgements';

/**
 * Builds the handler's IAM statements from HANDLER_API_CALLS: one statement per scope, each as narrow as IAM allows.
 *
 * Internal: not exported from lib/index.ts.
 */
export function drainHandlerStatements(options: {
  readonly cluster: ecs.ICluster;
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  readonly stopsStandaloneTasks: boolean;
  readonly waitsForTaskProtection: boolean;
  readonly publishesDrainEvents: boolean;
  readonly retainsInstances: boolean;
}): { statements: iam.PolicyStatement[]; wildcards: WildcardResource[] } {
  const { cluster, autoScalingGroup } = options;
  const calls = HANDLER_API_CALLS.filter((c) => c.use === ApiCallUse.ALWAYS
    || (c.use === ApiCallUse.STOP_STANDALONE_TASKS && options.stopsStandaloneTasks)
    || (c.use === ApiCallUse.WAIT_FOR_TASK_PROTECTION && options.waitsForTaskProtection)
    || (c.use === ApiCallUse.PUBLISH_DRAIN_EVENTS && options.publishesDrainEvents)
    || (c.use === ApiCallUse.RETAIN_INSTANCES && options.retainsInstances));
  const actions = (scope: ApiCallScope) => calls.filter((c: HandlerApiCall) => c.scope === scope).map(iamActionOf);
  const stack = Stack.of(cluster);
  const inCluster = (resource: string) => stack.formatArn({
    service: 'ecs', resource, resourceName: `${cluster.clusterName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  // ecs:cluster is set on every container-instance and task action; the ARN prefix alone would also match a
  // cluster whose name starts the same way in old-format ARNs.
  const onlyThisCluster = { ArnEquals: { 'ecs:cluster': cluster.clusterArn } };

  const statements: iam.PolicyStatement[] = [];
  const wildcards: WildcardResource[] = [];
  const add = (scope: ApiCallScope, props: Omit<iam.PolicyStatementProps, 'actions'>, wildcardReason?: string) => {
    const list = actions(scope);
    if (list.length === 0) return;
    statements.push(new iam.PolicyStatement({ ...props, actions: list }));
    if (wildcardReason) wildcards.push(...(props.resources ?? []).map((resource) => ({ resource, reason: wildcardReason })));
  };
  // Find the instance's container instance, and the DRAINING ones in a sweep.
  add(ApiCallScope.CLUSTER, { resources: [cluster.clusterArn] });
  // Read, drain, mark and list the tasks of this cluster's container instances only.
  add(ApiCallScope.CONTAINER_INSTANCE, { resources: [inCluster('container-instance')], conditions: onlyThisCluster }, NAG_REASONS.containerInstances);
  // List the tasks of this cluster's container instances. The Service Authorization Reference names the
  // container-instance resource type for ecs:ListTasks, the ECS developer guide's policy examples use "*" with the
  // ecs:cluster condition, and users report the first form denied (awsdocs/amazon-ecs-developer-guide#211): "*" with
  // ArnEquals ecs:cluster is allowed under every reading, and scopes exactly as much. aws-cdk-lib's InstanceDrainHook
  // deploys the same form.
  add(ApiCallScope.IN_CLUSTER, { resources: ['*'], conditions: onlyThisCluster }); // '*' is acknowledged once, below
  // Read (with StandaloneTaskPolicy.STOP, stop; with TaskProtectionPolicy.WAIT, read the protection of) this
  // cluster's tasks only.
  add(ApiCallScope.TASK, { resources: [inCluster('task')], conditions: onlyThisCluster }, NAG_REASONS.tasks);
  // Complete and keep alive lifecycle actions of this group only (and, with DrainTimeoutBehavior.retain(), terminate
  // its retained instances once drained: TerminateInstanceInAutoScalingGroup is authorized on the instance's group).
  add(ApiCallScope.AUTO_SCALING_GROUP, { resources: [autoScalingGroup.autoScalingGroupArn] }, NAG_REASONS.autoScalingGroup);
  // Describe calls support no resource-level permissions: '*' is the only resource IAM accepts for them.
  add(ApiCallScope.UNSCOPED, { resources: ['*'] }, NAG_REASONS.describeOnly);
  // Publish drain events to the default event bus of this account and region only (the event-bus resource type of
  // events:PutEvents, Service Authorization Reference; the form of AWS's same-account example policy).
  add(ApiCallScope.DEFAULT_EVENT_BUS, { resources: [defaultEventBusArn(stack)] });
  return { statements, wildcards };
}

/** The ARN of the account's default event bus in the stack's region. */
export function defaultEventBusArn(stack: Stack): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * What Lambda needs on the handler's role to attach the function to a VPC: the network-interface actions of the AWS
 * managed policy AWSLambdaVPCAccessExecutionRole, which aws-cdk-lib attaches only to roles it creates itself. Its
 * logs:* actions on every log group are left out: the handler writes to its own log group only. Lambda's developer
 * guide requires `*` for ec2:DescribeNetworkInterfaces, and the managed policy uses `*` for all of them.
 */
export function vpcAccessStatement(): { statement: iam.PolicyStatement; wildcards: WildcardResource[] } {
  return {
    statement: new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
    wildcards: [{ resource: '*', reason: NAG_REASONS.vpcNetworkInterfaces }],
  };
}
