import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExampleStack } from '../../examples/example-stack';

// The same feature flags `cdk synth` uses, from cdk.json.
const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
const template = Template.fromStack(new ExampleStack(new App({ context }), 'Example'));

test('the example has exactly one drain hook: this construct\'s (no aws-cdk-lib InstanceDrainHook)', () => {
  template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 1);
  template.resourceCountIs('AWS::SNS::Topic', 0);
  // the group's drain function, and the cluster's task-event consumer (no InstanceDrainHook function)
  template.resourceCountIs('AWS::Lambda::Function', 2);
  template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 1);
  template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.taskEventHandler' }, 1);
  template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Environment: { Variables: { DRAIN_TIMEOUT_SECONDS: '3600' } } });
});

test('ECS managed draining is off on the capacity provider', () => {
  template.hasResourceProperties('AWS::ECS::CapacityProvider', {
    AutoScalingGroupProvider: { ManagedDraining: 'DISABLED', ManagedTerminationProtection: 'DISABLED' },
  });
});

test('the group uses a launch template, and a sample service runs on it', () => {
  template.resourceCountIs('AWS::AutoScaling::LaunchConfiguration', 0);
  template.resourceCountIs('AWS::EC2::LaunchTemplate', 1);
  template.resourceCountIs('AWS::ECS::Service', 1);
});

test('snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

test('the example raises no coexistence warning: it is the group\'s only drain hook', () => {
  const stack = new ExampleStack(new App({ context }), 'Example2');
  const { Annotations, Match } = require('aws-cdk-lib/assertions');
  const messages = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w: any) => String(w.entry.data));
  expect(messages.filter((m: string) => m.includes('ecs-draining-lifecycle-hook:'))).toEqual([]);
});
