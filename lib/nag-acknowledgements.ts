import { Aspects, type IAspect, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag findings this construct acknowledges, each with its specific reason. They are recorded with
 * aws-cdk-lib's own `Validations.of(scope).acknowledge()`, which cdk-nag 3 reads, so the construct does not depend
 * on cdk-nag. Listed in the README; test/lib/nag.test.ts fails on any other finding.
 *
 * Internal: not exported from lib/index.ts.
 */
export const NAG_REASONS = {
  containerInstances: 'container-instance/<cluster>/*: container instance IDs are not known at deploy time; the '
    + 'ARN prefix and the ecs:cluster condition keep every action to this cluster.',
  tasks: 'task/<cluster>/*: task IDs are not known at deploy time; the ARN prefix and the ecs:cluster condition keep '
    + 'every action to this cluster.',
  autoScalingGroup: 'The `*` in the Auto Scaling group ARN is the group ID that CloudFormation assigns; the ARN names '
    + 'this group only.',
  describeOnly: '`*` only for autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeWarmPool and '
    + 'autoscaling:DescribeScalingActivities, which support no resource-level permissions (Service Authorization '
    + 'Reference), and for ecs:ListTasks with the ecs:cluster condition, the form the ECS developer guide documents.',
  vpcNetworkInterfaces: 'With a vpc, `*` also for the network-interface actions Lambda needs to attach the function '
    + 'to the VPC (ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets, '
    + 'ec2:DeleteNetworkInterface, ec2:AssignPrivateIpAddresses, ec2:UnassignPrivateIpAddresses): those of the AWS managed '
    + 'policy AWSLambdaVPCAccessExecutionRole without its logs actions; Lambda requires `*` for '
    + 'ec2:DescribeNetworkInterfaces.',
  redrive: 'This queue is itself the dead-letter queue (of the rules\' targets and of the function\'s failed '
    + 'asynchronous invocations): there is no further queue to redrive to.',
  asyncDestination: 'Failed asynchronous invocations go to the function\'s dead-letter queue (DeadLetterConfig), '
    + 'after Lambda\'s two retries; the safety sweep re-checks the instance in any case.',
  consumerRedrive: 'This queue is itself the dead-letter queue of the task-event queue and of the task-event rule\'s '
    + 'target: there is no further queue to redrive to.',
  queueConsumer: 'The function is invoked only by its SQS event source mapping (synchronously): a batch that fails stays in '
    + 'the queue, is retried after the visibility timeout, and moves to the queue\'s dead-letter queue after 5 receives; '
    + 'an asynchronous-invocation dead-letter queue or destination would never be used.',
  queueRedrive: 'An SQS event source mapping takes no on-failure destination (Lambda offers them for stream and Kafka '
    + 'sources): a message that keeps failing moves to the queue\'s dead-letter queue after 5 receives (its redrive policy).',
  tracing: 'Structured JSON logs and CloudWatch metrics (EMF) cover the handler; active X-Ray tracing would add cost '
    + 'and an xray:* statement on `*` for short, event-driven invocations.',
} as const;

/** A wildcard resource of the handler's policy, and why it is acceptable. */
export interface WildcardResource {
  readonly resource: string;
  readonly reason: string;
}

/** cdk-nag's rendering of a CloudFormation value in a finding ID (Ref → <X>, GetAtt → <X.Attr>, Join → text). */
export function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  const v = value as Record<string, unknown> & { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [unknown, unknown] };
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flattenForNag).join(v['Fn::Join'][0]);
  if (v['Fn::Sub']) return flattenForNag(v['Fn::Sub']);
  if (v['Fn::GetAtt']) return `<${flattenForNag(v['Fn::GetAtt'][0])}.${flattenForNag(v['Fn::GetAtt'][1])}>`;
  if (v['Fn::ImportValue']) return flattenForNag(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenForNag(v.Ref)}>`;
  return JSON.stringify(value);
}

/** Acknowledges each wildcard-resource finding (AwsSolutions-IAM5) by its exact ID, once tokens can be resolved. */
class AcknowledgeWildcards implements IAspect {
  private done = false;
  constructor(private readonly policy: IConstruct, private readonly wildcards: readonly WildcardResource[]) {}

  visit(node: IConstruct): void {
    if (this.done || node !== this.policy) return;
    this.done = true;
    const stack = Stack.of(this.policy);
    // One finding per resource: a resource that several statements use gets one acknowledgement with every reason.
    const reasons = new Map<string, string[]>();
    for (const { resource, reason } of this.wildcards) {
      const id = `AwsSolutions-IAM5[Resource::${flattenForNag(stack.resolve(resource))}]`;
      reasons.set(id, [...(reasons.get(id) ?? []), reason]);
    }
    for (const [id, reason] of reasons) Validations.of(this.policy).acknowledge({ id, reason: reason.join(' ') });
  }
}

export function acknowledgeNagFindings(parts: {
  readonly policy: IConstruct;
  readonly wildcards: readonly WildcardResource[];
  readonly fn: IConstruct;
  readonly deadLetterQueue: IConstruct;
}): void {
  Aspects.of(parts.policy).add(new AcknowledgeWildcards(parts.policy, parts.wildcards));
  Validations.of(parts.deadLetterQueue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: NAG_REASONS.redrive });
  Validations.of(parts.fn).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: NAG_REASONS.asyncDestination });
  Validations.of(parts.fn).acknowledge({ id: 'Serverless-LambdaTracing', reason: NAG_REASONS.tracing });
}

/** The cluster's task-event consumer (lib/cluster-task-events.ts): its wildcard resources, queue and function. */
export function acknowledgeConsumerNagFindings(parts: {
  readonly policy: IConstruct;
  readonly wildcards: readonly WildcardResource[];
  readonly fn: IConstruct;
  readonly deadLetterQueue: IConstruct;
}): void {
  Aspects.of(parts.policy).add(new AcknowledgeWildcards(parts.policy, parts.wildcards));
  Validations.of(parts.deadLetterQueue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: NAG_REASONS.consumerRedrive });
  Validations.of(parts.fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: NAG_REASONS.queueConsumer });
  Validations.of(parts.fn).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: NAG_REASONS.queueConsumer });
  Validations.of(parts.fn).acknowledge({ id: 'Serverless-LambdaTracing', reason: NAG_REASONS.tracing });
}

/** An SQS event source mapping: its failures go to the queue's dead-letter queue, through the redrive policy. */
export function acknowledgeQueueEventSource(eventSourceMapping: IConstruct): void {
  Validations.of(eventSourceMapping).acknowledge({ id: 'Serverless-LambdaEventSourceMappingDestination', reason: NAG_REASONS.queueRedrive });
}
