/**
 * The construct's side of drain events and of the operations guide: the handler's setting and permission, the
 * `onDrainEvent` family of rules, the metric of events not published, and the saved Logs Insights queries.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { resolve } from '../../emulator';
import { matchesPattern } from '../../emulator/event-pattern';
import { DrainEventType, DrainingLifecycleHook, type DrainingLifecycleHookProps } from '../../lib';
import { DRAIN_EVENT_SOURCE, DrainLogMessage } from '../../lib/handler-contract';
import { CLUSTER_ARN, ENV, arn, envOf, importedStack, importedStackWith } from './fixtures';

const DEFAULT_BUS = arn(':events:eu-west-1:123456789012:event-bus/default');
const HOOK_REF = { Ref: expect.stringMatching(/^DrainHook[0-9A-F]{8}$/) };

/** The construct on an imported group and cluster, not synthesized yet (so rules can still be added). */
function unsynthesized(props: Partial<DrainingLifecycleHookProps> = {}): { stack: Stack; hook: DrainingLifecycleHook } {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  return { stack, hook: importedStackWith(stack, props) };
}

function statementsOf(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The one rule whose logical ID starts with `prefix`. */
function ruleOf(template: Template, prefix: string): Record<string, any> {
  const found = Object.entries(template.findResources('AWS::Events::Rule')).filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  return found[0][1].Properties;
}

/** A drain event of this hook as EventBridge delivers it (what the handler puts, in the envelope EventBridge adds). */
function drainEvent(detailType: string, detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'version': '0', 'id': 'e1', 'detail-type': detailType, 'source': DRAIN_EVENT_SOURCE, 'account': '123456789012',
    'time': '2026-11-23T10:00:00Z', 'region': 'eu-west-1', 'resources': [],
    'detail': { version: '1', autoScalingGroupName: 'my-asg', lifecycleHookName: 'drain-hook', instanceId: 'i-0123456789abcdef0', ...detail },
  };
}

describe('publishDrainEvents (default true)', () => {
  test('the handler is told to publish, and may put events on the default bus of its account and region, nowhere else', () => {
    const { template } = importedStack();
    expect(envOf(template)).toMatchObject({ DRAIN_EVENTS: 'true' });
    expect(statementsOf(template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('events:'))))
      .toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: DEFAULT_BUS }]);
  });

  test('false: told not to publish, and no EventBridge permission', () => {
    const { template } = importedStack({ publishDrainEvents: false });
    expect(envOf(template)).toMatchObject({ DRAIN_EVENTS: 'false' });
    expect(statementsOf(template).flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('events:'))).toEqual([]);
  });
});

describe('onDrainTimedOut, onDrainCompleted, onDrainEvent', () => {
  test('onDrainTimedOut: a rule for this hook\'s timed-out drains, with the given target (routing timeouts to SNS)', () => {
    const { stack, hook } = unsynthesized({ lifecycleHookName: 'drain-hook' });
    const topic = new sns.Topic(stack, 'Topic');
    const rule = hook.onDrainTimedOut('TimedOut', { target: new targets.SnsTopic(topic), description: 'timeouts to on-call' });
    expect(rule).toBeInstanceOf(events.Rule);
    expect(rule.node.scope).toBe(hook);
    const props = ruleOf(Template.fromStack(stack), 'DrainHookTimedOut');
    expect(props).toEqual({
      Description: 'timeouts to on-call',
      State: 'ENABLED',
      EventPattern: {
        'source': ['ecs-draining-lifecycle-hook'],
        'detail-type': ['Drain Timed Out'],
        'detail': { autoScalingGroupName: ['my-asg'], lifecycleHookName: [HOOK_REF] },
      },
      Targets: [{ Arn: { Ref: expect.stringMatching(/^Topic/) }, Id: 'Target0' }],
    });
  });

  test('the hook name is the hook\'s own, also when CloudFormation generates it', () => {
    const { stack, hook } = unsynthesized();
    hook.onDrainCompleted('Completed');
    const props = ruleOf(Template.fromStack(stack), 'DrainHookCompleted');
    expect(props.EventPattern.detail.lifecycleHookName).toEqual([stack.resolve(hook.lifecycleHookName)]);
    expect(props.EventPattern['detail-type']).toEqual(['Drain Completed']);
  });

  test('each rule matches exactly its own events: its detail-type, this group and hook, this source', () => {
    const { stack, hook } = unsynthesized({ lifecycleHookName: 'drain-hook' });
    hook.onDrainTimedOut('TimedOut');
    hook.onDrainCompleted('Completed');
    hook.onDrainEvent('Any');
    hook.onDrainEvent('StartsAndTimeouts', { eventTypes: [DrainEventType.STARTED, DrainEventType.TIMED_OUT] });
    const template = Template.fromStack(stack);
    // The hook name is a Ref of the hook: resolved as CloudFormation would, to the name given
    const pattern = (prefix: string) => resolve({ template: template.toJSON(), region: 'eu-west-1', account: '123456789012' },
      ruleOf(template, prefix).EventPattern);
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['DrainHookTimedOut', drainEvent('Drain Timed Out'), true],
      ['DrainHookTimedOut', drainEvent('Drain Completed'), false],
      ['DrainHookCompleted', drainEvent('Drain Completed'), true],
      ['DrainHookCompleted', drainEvent('Drain Timed Out'), false],
      ['DrainHookTimedOut', drainEvent('Drain Timed Out', { autoScalingGroupName: 'other-asg' }), false],
      ['DrainHookTimedOut', drainEvent('Drain Timed Out', { lifecycleHookName: 'other-hook' }), false],
      ['DrainHookTimedOut', { ...drainEvent('Drain Timed Out'), source: 'my.app' }, false],
      ['DrainHookAny', drainEvent('Drain Started'), true],
      ['DrainHookAny', drainEvent('Drain Completed'), true],
      ['DrainHookAny', drainEvent('Drain Timed Out'), true],
      ['DrainHookAny', drainEvent('Drain Paused'), false],
      ['DrainHookStartsAndTimeouts', drainEvent('Drain Started'), true],
      ['DrainHookStartsAndTimeouts', drainEvent('Drain Completed'), false],
    ];
    for (const [rule, event, matches] of cases) {
      expect([rule, event['detail-type'], (event.detail as any).autoScalingGroupName, matchesPattern(pattern(rule), event)])
        .toEqual([rule, event['detail-type'], (event.detail as any).autoScalingGroupName, matches]);
    }
  });

  test('onDrainEvent: every drain event type by default; options.eventPattern is merged in, as onEvent does', () => {
    const { stack, hook } = unsynthesized({ lifecycleHookName: 'drain-hook' });
    hook.onDrainEvent('Any', { eventPattern: { detail: { trigger: ['SPOT_INTERRUPTION'] } }, ruleName: 'drain-events' });
    const props = ruleOf(Template.fromStack(stack), 'DrainHookAny');
    expect(props.Name).toBe('drain-events');
    expect(props.EventPattern).toEqual({
      'source': ['ecs-draining-lifecycle-hook'],
      'detail-type': Object.values(DrainEventType),
      'detail': { trigger: ['SPOT_INTERRUPTION'], autoScalingGroupName: ['my-asg'], lifecycleHookName: [HOOK_REF] },
    });
    expect(Object.values(DrainEventType)).toEqual(['Drain Started', 'Drain Completed', 'Drain Timed Out', 'Drain Retained', 'Drain Queued']);
  });

  test('with publishDrainEvents false: an error naming the method and the setting, since no event would ever match', () => {
    const { hook } = unsynthesized({ publishDrainEvents: false });
    expect(() => hook.onDrainTimedOut('TimedOut')).toThrow(/^onDrainEvent\('TimedOut'\) needs publishDrainEvents: it is false/);
    expect(() => hook.onDrainEvent('Any')).toThrow(/needs publishDrainEvents/);
  });

  test('metricDrainEventsNotPublished', () => {
    const { stack, hook } = unsynthesized();
    const metric = hook.metricDrainEventsNotPublished();
    expect([metric.namespace, metric.metricName, metric.statistic, metric.period.toSeconds()])
      .toEqual(['EcsDrainingLifecycleHook', 'DrainEventsNotPublished', 'Sum', 300]);
    expect(stack.resolve(metric.dimensions)).toEqual({ AutoScalingGroupName: 'my-asg' });
  });
});

describe('saved Logs Insights queries', () => {
  const { stack, hook, template } = importedStack();
  const queries = Object.entries(template.findResources('AWS::Logs::QueryDefinition'));
  const byId = (prefix: string) => queries.find(([id]) => id.startsWith(prefix))![1].Properties;

  test('four, each on the handler\'s log group only, in the folder of this group', () => {
    expect(queries.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'DrainHookDrainsQuery', 'DrainHookTimedOutDrainsQuery', 'DrainHookBlockingTasksQuery', 'DrainHookErrorsQuery',
    ]);
    for (const [, { Properties: q }] of queries) {
      expect(q.LogGroupNames).toEqual([stack.resolve(hook.logGroup.logGroupName)]);
      expect(q.Name).toMatch(/^ecs-draining-lifecycle-hook\/my-asg\/./);
    }
    expect(queries.map(([, q]) => q.Properties.Name)).toEqual([
      'ecs-draining-lifecycle-hook/my-asg/Drains and their last word', 'ecs-draining-lifecycle-hook/my-asg/Drains that timed out',
      'ecs-draining-lifecycle-hook/my-asg/Tasks blocking drains', 'ecs-draining-lifecycle-hook/my-asg/Errors and warnings',
    ]);
  });

  test('they filter on the messages the handler writes (lib/handler-contract.ts), and on fields its drain lines carry', () => {
    expect(byId('DrainHookDrainsQuery').QueryString).toBe([
      'filter ispresent(drainStartedAt)',
      '| stats latest(message) as lastMessage, max(@timestamp) as lastSeen by instanceId, containerInstanceArn, drainStartedAt, drainTrigger',
      '| sort lastSeen desc',
    ].join('\n'));
    expect(byId('DrainHookTimedOutDrainsQuery').QueryString).toContain(`filter message = "${DrainLogMessage.DRAIN_TIMED_OUT}"`);
    expect(byId('DrainHookBlockingTasksQuery').QueryString).toContain(`message = "${DrainLogMessage.BLOCKING_TASK}"`);
    expect(byId('DrainHookBlockingTasksQuery').QueryString).toMatch(/^fields @timestamp, instanceId, at, taskArn, service, family, lastStatus, desiredStatus, startedBy, since\n/);
    expect(byId('DrainHookErrorsQuery').QueryString).toContain('filter level = "ERROR" or level = "WARN" or (type = "platform.report" and record.status != "success")');
  });

  test('their construct IDs are part of the contract', () => {
    const ids = hook.node.children.map((c) => c.node.id);
    expect(ids.slice(-4)).toEqual(['DrainsQuery', 'TimedOutDrainsQuery', 'BlockingTasksQuery', 'ErrorsQuery']);
  });

  test('two hooks in one stack: each its own queries, in its own group\'s folder', () => {
    const two = new Stack(new App(), 'Two', { env: ENV });
    for (const group of ['blue-asg', 'green-asg']) {
      new DrainingLifecycleHook(two, `Drain-${group}`, {
        autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(two, `Asg-${group}`, group),
        cluster: ecs.Cluster.fromClusterArn(two, `Cluster-${group}`, CLUSTER_ARN),
      });
    }
    const names = Object.values(Template.fromStack(two).findResources('AWS::Logs::QueryDefinition')).map((q) => q.Properties.Name);
    expect(names).toHaveLength(8);
    expect(new Set(names).size).toBe(8);
    expect(names.filter((n) => n.startsWith('ecs-draining-lifecycle-hook/blue-asg/'))).toHaveLength(4);
  });
});
