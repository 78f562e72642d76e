import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DrainingLifecycleHookWarnings } from '../../lib';
import { arn, ENV, importedStackWith } from './fixtures';

describe('dead-letter queue encrypted with a KMS key', () => {
  const producerActions = ['kms:GenerateDataKey', 'kms:Decrypt'];

  test('the handler\'s role may use the key to send failed invocations to the queue', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow', Action: producerActions, Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        }]),
      },
    });
  });

  test('the key policy lets EventBridge rules of this account and region use it, without a dependency cycle', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    // Template.fromStack rejects a template whose resources depend on each other in a cycle.
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: producerActions,
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': arn(':events:eu-west-1:123456789012:rule/*') },
          },
        }]),
      },
    });
  });

  test('why not the rules\' ARNs: a key policy that names them makes a cycle (key, rule, function, policy, queue, key)', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const key = new kms.Key(stack, 'Key');
    const hook = importedStackWith(stack, { deadLetterQueueEncryptionKey: key });
    const rule = hook.node.findChild('SweepRule') as events.Rule;
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:Decrypt'], resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
    }));
    // aws-cdk-lib also prints its own report of the cycle while synthesizing: keep it out of the test output.
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => Template.fromStack(stack)).toThrow(/dependency cycle: Key.* -> DrainHookSweepRule/);
    } finally {
      report.mockRestore();
    }
  });

  test('an imported key: the role is granted, and a warning says the key policy must allow EventBridge', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, {
      deadLetterQueueEncryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Allow', Action: producerActions, Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        }]),
      },
    });
    const warnings = Annotations.fromStack(stack).findWarning('/Test/DrainHook', Match.stringLikeRegexp('deadLetterQueueEncryptionKey'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringMatching(/key policy .* allow events\.amazonaws\.com kms:GenerateDataKey and kms:Decrypt .*\[ack: ecs-draining-lifecycle-hook:deadLetterQueueKeyPolicy\]/),
    ]);
    expect(String(warnings[0].entry.data)).toContain(`[ack: ${DrainingLifecycleHookWarnings.DEAD_LETTER_QUEUE_KEY_POLICY}]`);
  });

  test('a key made in the app: no warning', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key') });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deadLetterQueueEncryptionKey'))).toEqual([]);
  });
});
