/**
 * The construct's side of TaskProtectionPolicy: the default, what WAIT tells the handler, and ecs:GetTaskProtection
 * granted only with WAIT, on this cluster's tasks. (The IAM simulation of the same statements is in iam-policy.test.ts.)
 */
import { Match } from 'aws-cdk-lib/assertions';
import { StandaloneTaskPolicy, TaskProtectionPolicy } from '../../lib';
import { ApiCallUse, HANDLER_API_CALLS, iamActionOf } from '../../lib/handler-api-calls';
import { arn, envOf, importedStack } from './fixtures';

const TASKS = arn(':ecs:eu-west-1:123456789012:task/prod/*');
const IN_THIS_CLUSTER = { ArnEquals: { 'ecs:cluster': arn(':ecs:eu-west-1:123456789012:cluster/prod') } };

function actionsOf(template: ReturnType<typeof importedStack>['template']): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .flatMap((s: any) => [s.Action].flat());
}

test('the default is IGNORE: the handler is told so, and gets no ecs:GetTaskProtection', () => {
  const { template } = importedStack();
  expect(envOf(template)).toMatchObject({ TASK_PROTECTION_POLICY: 'IGNORE' });
  expect(actionsOf(template)).not.toContain('ecs:GetTaskProtection');
  expect(actionsOf(importedStack({ taskProtectionPolicy: TaskProtectionPolicy.IGNORE }).template)).not.toContain('ecs:GetTaskProtection');
});

test('WAIT: the handler is told so, and may read the protection of this cluster\'s tasks, in the task statement', () => {
  const { template } = importedStack({ taskProtectionPolicy: TaskProtectionPolicy.WAIT });
  expect(envOf(template)).toMatchObject({ TASK_PROTECTION_POLICY: 'WAIT' });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['ecs:DescribeTasks', 'ecs:GetTaskProtection'], Resource: TASKS, Condition: IN_THIS_CLUSTER }]),
    },
  });
  const always = HANDLER_API_CALLS.filter((c) => c.use === ApiCallUse.ALWAYS).map(iamActionOf);
  expect(actionsOf(template).filter((a) => /^(ecs|autoscaling):/.test(a)).sort()).toEqual([...always, 'ecs:GetTaskProtection'].sort());
});

test('WAIT with StandaloneTaskPolicy.STOP: one task statement with all three task actions', () => {
  const { template } = importedStack({ taskProtectionPolicy: TaskProtectionPolicy.WAIT, standaloneTaskPolicy: StandaloneTaskPolicy.STOP });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([{
        Effect: 'Allow', Action: ['ecs:DescribeTasks', 'ecs:StopTask', 'ecs:GetTaskProtection'], Resource: TASKS, Condition: IN_THIS_CLUSTER,
      }]),
    },
  });
});

test('GetTaskProtection is listed for WAIT alone, scoped like DescribeTasks (the task resource type and ecs:cluster)', () => {
  const call = HANDLER_API_CALLS.find((c) => c.operation === 'GetTaskProtection')!;
  const describe = HANDLER_API_CALLS.find((c) => c.operation === 'DescribeTasks')!;
  expect(call).toMatchObject({ service: 'ecs', use: ApiCallUse.WAIT_FOR_TASK_PROTECTION, scope: describe.scope });
});

test('the enum\'s values are the environment\'s: the handler accepts exactly these', () => {
  expect(Object.values(TaskProtectionPolicy)).toEqual(['IGNORE', 'WAIT']);
});
