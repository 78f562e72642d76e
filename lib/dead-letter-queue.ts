import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DrainingLifecycleHookWarnings } from './warnings';

/** What SendMessage to a KMS-encrypted queue needs on the key (Amazon SQS Developer Guide, key management). */
const SQS_PRODUCER_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Lets both writers of a KMS-encrypted dead-letter queue use its key: the handler's role (Lambda sends failed
 * asynchronous invocations with the function's role) and EventBridge (the rules' target dead-letter queue).
 *
 * Internal: not exported from lib/index.ts.
 */
export function allowDeadLetterQueueWriters(scope: Construct, key: kms.IKey, role: iam.IRole): void {
  key.grant(role, ...SQS_PRODUCER_KEY_ACTIONS);
  // Conditioned on this account's rules in this region, not on the rule ARNs themselves: the key policy would then
  // reference the rules, the rules the queue, and the queue the key, a dependency cycle.
  const stack = Stack.of(scope);
  const { statementAdded } = key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('events.amazonaws.com')],
    actions: SQS_PRODUCER_KEY_ACTIONS,
    resources: ['*'],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
    },
  }));
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2(DrainingLifecycleHookWarnings.DEAD_LETTER_QUEUE_KEY_POLICY, 'the key policy of deadLetterQueueEncryptionKey cannot be changed '
      + 'from this app (an imported key): allow events.amazonaws.com kms:GenerateDataKey and kms:Decrypt in it, or EventBridge '
      + 'cannot write undeliverable events to the dead-letter queue.');
  }
}
