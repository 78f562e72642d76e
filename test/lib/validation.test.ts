import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { DrainingLifecycleHook, type DrainingLifecycleHookProps, DrainingLifecycleHookWarnings, StandaloneTaskPolicy } from '../../lib';
import { DrainingLifecycleHookValidationError } from '../../lib/validation';
import { CLUSTER_ARN, ENV, envOf, importedStack, importedStackWith } from './fixtures';

describe('validation', () => {
  test.each<[string, Partial<DrainingLifecycleHookProps>, RegExp]>([
    ['heartbeat below 30 s', { heartbeatTimeout: Duration.seconds(10) }, /heartbeatTimeout must be a whole number of seconds between 30 seconds and 2 hours, got 10 seconds/],
    ['heartbeat above 2 h', { heartbeatTimeout: Duration.hours(3) }, /heartbeatTimeout must be .* got 3 hours/],
    ['heartbeat not whole seconds', { heartbeatTimeout: Duration.millis(200_500) }, /heartbeatTimeout must be a whole number of seconds/],
    ['sweep of 90 s', { sweepInterval: Duration.seconds(90) }, /sweepInterval must be a whole number of minutes, at least 1 minute, got 1 minute 30 seconds/],
    ['sweep of 30 s', { sweepInterval: Duration.seconds(30) }, /sweepInterval must be .* got 30 seconds/],
    ['heartbeat too close to the sweep', { heartbeatTimeout: Duration.minutes(2) }, /heartbeatTimeout must be at least sweepInterval \+ 2 minutes \(180 seconds\).*got 2 minutes/],
    ['drain over 48 h', { drainTimeout: Duration.hours(49), heartbeatTimeout: Duration.hours(2) },
      /drainTimeout \(2 days 1 hour\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 48 hours \(172800 seconds\).*the highest allowed drainTimeout is 172560 seconds: lower drainTimeout or sweepInterval/],
    ['drain of 48 h: no room for a late drain start and a late check', { drainTimeout: Duration.hours(48), heartbeatTimeout: Duration.hours(2) },
      /drainTimeout \(2 days\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 48 hours .*highest allowed drainTimeout is 172560 seconds/],
    ['drain one second over the maximum', { drainTimeout: Duration.seconds(172561), heartbeatTimeout: Duration.hours(2) }, /highest allowed drainTimeout is 172560 seconds/],
    ['drain near 48 h with a 5 minute sweep', { drainTimeout: Duration.seconds(172081), heartbeatTimeout: Duration.hours(2), sweepInterval: Duration.minutes(5) },
      /2 × sweepInterval \(5 minutes\) .*highest allowed drainTimeout is 172080 seconds/],
    ['drain of 0', { drainTimeout: Duration.seconds(0) }, /drainTimeout must be a whole number of seconds, more than 0, got 0 seconds/],
    ['drain over 100 explicit heartbeats', { drainTimeout: Duration.hours(20), heartbeatTimeout: Duration.minutes(10) },
      /drainTimeout \(20 hours\) \+ 2 × sweepInterval \(1 minute\) \+ 2 minutes must be at most 100 × heartbeatTimeout \(100 × 10 minutes = 60000 seconds\).*highest allowed drainTimeout is 59760 seconds: lower drainTimeout, or raise heartbeatTimeout to at least 723 seconds/],
    ['drain of exactly 100 explicit heartbeats', { drainTimeout: Duration.minutes(1000), heartbeatTimeout: Duration.minutes(10) }, /highest allowed drainTimeout is 59760 seconds: lower drainTimeout, or raise heartbeatTimeout to at least 603 seconds/],
    ['grace without STOP', { standaloneTaskGracePeriod: Duration.minutes(1) }, /standaloneTaskGracePeriod is only used with StandaloneTaskPolicy.STOP, but standaloneTaskPolicy is WAIT/],
    ['grace not shorter than the drain', { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.hours(1) },
      /^standaloneTaskGracePeriod \(1 hour\) must be shorter than drainTimeout \(1 hour\), or standalone tasks are never stopped$/],
    ['default grace not shorter than the drain', { standaloneTaskPolicy: StandaloneTaskPolicy.STOP, drainTimeout: Duration.minutes(4) },
      /^standaloneTaskGracePeriod \(the default, 5 minutes\) must be shorter than drainTimeout \(4 minutes\), or standalone tasks are never stopped: set a shorter standaloneTaskGracePeriod, or a longer drainTimeout$/],
    ['bad hook name', { lifecycleHookName: 'drain hook!' }, /lifecycleHookName must be 1 to 255 letters, digits, '-', '_' or '\/', got 'drain hook!'/],
    ['bad namespace', { metricsNamespace: 'a$b' }, /metricsNamespace must be/],
    ['namespace reserved for AWS', { metricsNamespace: 'AWS/Drain' }, /^metricsNamespace must not start with 'AWS\/', which CloudWatch reserves for AWS services, got 'AWS\/Drain'$/],
  ])('%s', (_, props, message) => {
    expect(() => importedStack(props)).toThrow(message);
  });

  test('the limits themselves are accepted: drainTimeout + 2 × sweepInterval + 2 minutes = min(48 hours, 100 × heartbeatTimeout)', () => {
    expect(() => importedStack({ heartbeatTimeout: Duration.hours(2), drainTimeout: Duration.minutes(47 * 60 + 56) })).not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.hours(2), drainTimeout: Duration.seconds(172080), sweepInterval: Duration.minutes(5) }))
      .not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.minutes(3), drainTimeout: Duration.minutes(296) })).not.toThrow();
    expect(() => importedStack({ drainTimeout: Duration.seconds(59760) })).not.toThrow();
  });

  test('the documented lowest heartbeatTimeout (3 minutes, with the default sweepInterval) is the enforced one', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'draining-lifecycle-hook.ts'), 'utf8');
    const propDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly heartbeatTimeout/.exec(source)![1].replace(/\s*\* ?/g, ' ');
    expect(propDoc).toMatch(/at least 3 minutes with the default `sweepInterval`/);
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme.split('\n').find((line) => line.startsWith('| `heartbeatTimeout` |'))).toMatch(/3 minutes to 2 hours with the default `sweepInterval`/);
    expect(() => importedStack({ heartbeatTimeout: Duration.minutes(3) })).not.toThrow();
    expect(() => importedStack({ heartbeatTimeout: Duration.seconds(179) })).toThrow(/heartbeatTimeout must be at least sweepInterval \+ 2 minutes \(180 seconds\)/);
    // Auto Scaling's own range keeps its check and message.
    expect(() => importedStack({ heartbeatTimeout: Duration.seconds(29) })).toThrow(/heartbeatTimeout must be a whole number of seconds between 30 seconds and 2 hours, got 29 seconds/);
  });

  test('durations that are tokens in seconds: not validated, and passed through to the hook and the handler', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const parameter = (id: string) => Duration.seconds(new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber);
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      drainTimeout: parameter('DrainTimeout'),
      heartbeatTimeout: parameter('HeartbeatTimeout'),
      standaloneTaskPolicy: StandaloneTaskPolicy.STOP,
      standaloneTaskGracePeriod: parameter('GracePeriod'),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: { Ref: 'HeartbeatTimeout' } });
    expect(envOf(template)).toMatchObject({
      DRAIN_TIMEOUT_SECONDS: { Ref: 'DrainTimeout' },
      HEARTBEAT_TIMEOUT_SECONDS: { Ref: 'HeartbeatTimeout' },
      STANDALONE_TASK_GRACE_PERIOD_SECONDS: { Ref: 'GracePeriod' },
      SWEEP_INTERVAL_SECONDS: '60',
    });
  });

  test.each([
    ['drainTimeout', (n: number) => ({ drainTimeout: Duration.minutes(n) })],
    ['heartbeatTimeout', (n: number) => ({ heartbeatTimeout: Duration.hours(n) })],
    ['standaloneTaskGracePeriod', (n: number) => ({ standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(n) })],
  ])('%s as a token in another unit than seconds: a clear error', (name, props) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const token = new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
    expect(() => importedStackWith(stack, props(token)))
      .toThrow(new RegExp(`^${name} must be given in seconds when it is a token, as Duration.seconds\\(token\\): CloudFormation cannot convert a token to seconds; got <token> (minutes|hours)$`));
  });

  test('sweepInterval as a token: a clear error, in any unit', () => {
    for (const unit of ['seconds', 'minutes'] as const) {
      const stack = new Stack(new App(), 'Test', { env: ENV });
      const token = new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
      expect(() => importedStackWith(stack, { sweepInterval: Duration[unit](token) }))
        .toThrow(new RegExp(`^sweepInterval must not be a token: .*SWEEP_INTERVAL_SECONDS.*got <token> ${unit}$`));
    }
  });

  test('unresolved tokens are not validated at synth', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const name = new CfnParameter(stack, 'HookName').valueAsString;
    new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN),
      lifecycleHookName: name,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::LifecycleHook', { LifecycleHookName: { Ref: 'HookName' } });
  });
});

describe('heartbeatTimeout not set: derived from drainTimeout and sweepInterval', () => {
  /** The hook's HeartbeatTimeout, in seconds, and whether it satisfies the rule validation.ts enforces. */
  function derivedHeartbeat(props: Partial<DrainingLifecycleHookProps>): number {
    const { template } = importedStack(props);
    const hooks = Object.values(template.findResources('AWS::AutoScaling::LifecycleHook'));
    expect(hooks).toHaveLength(1);
    const heartbeat = hooks[0].Properties.HeartbeatTimeout;
    expect(envOf(template).HEARTBEAT_TIMEOUT_SECONDS).toBe(String(heartbeat));
    return heartbeat;
  }
  const satisfiesRule = (heartbeat: number, drain: Duration, sweep = Duration.minutes(1)) =>
    heartbeat >= 30 && heartbeat <= 7200 && heartbeat >= sweep.toSeconds() + 120
    && drain.toSeconds() + 2 * sweep.toSeconds() + 120 <= Math.min(48 * 3600, 100 * heartbeat);

  test('a drainTimeout of 24 hours synthesizes, with the smallest whole minute that fits (15 minutes)', () => {
    const heartbeat = derivedHeartbeat({ drainTimeout: Duration.hours(24) });
    expect(satisfiesRule(heartbeat, Duration.hours(24))).toBe(true);
    expect(heartbeat).toBe(900);
  });

  test('a drainTimeout of 47 hours synthesizes (29 minutes)', () => {
    const heartbeat = derivedHeartbeat({ drainTimeout: Duration.hours(47) });
    expect(satisfiesRule(heartbeat, Duration.hours(47))).toBe(true);
    expect(heartbeat).toBe(1740);
  });

  test('the highest allowed drainTimeout, with a 5 minute sweep, synthesizes', () => {
    const drainTimeout = Duration.seconds(172080);
    const sweepInterval = Duration.minutes(5);
    expect(satisfiesRule(derivedHeartbeat({ drainTimeout, sweepInterval }), drainTimeout, sweepInterval)).toBe(true);
  });

  test('10 minutes whenever it suffices: the default drainTimeout, and the longest drainTimeout 10 minutes allow', () => {
    expect(derivedHeartbeat({})).toBe(600);
    expect(derivedHeartbeat({ drainTimeout: Duration.seconds(59760) })).toBe(600);
    expect(derivedHeartbeat({ drainTimeout: Duration.seconds(59761) })).toBe(660);
  });

  test('a long sweepInterval raises it to sweepInterval + 2 minutes', () => {
    expect(derivedHeartbeat({ sweepInterval: Duration.minutes(10) })).toBe(720);
  });

  test('an explicit heartbeatTimeout is not raised: too small for drainTimeout, it fails as before', () => {
    expect(() => importedStack({ drainTimeout: Duration.hours(24), heartbeatTimeout: Duration.minutes(10) }))
      .toThrow(/must be at most 100 × heartbeatTimeout \(100 × 10 minutes = 60000 seconds\).*raise heartbeatTimeout to at least 867 seconds/);
  });

  test('a drainTimeout that does not fit in 48 hours still fails, with the 48 hour message', () => {
    expect(() => importedStack({ drainTimeout: Duration.hours(48) })).toThrow(/must be at most 48 hours \(172800 seconds\).*lower drainTimeout or sweepInterval/);
  });

  test('a drainTimeout that is a token cannot be derived from: 10 minutes', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const drainTimeout = Duration.seconds(new CfnParameter(stack, 'DrainTimeout', { type: 'Number' }).valueAsNumber);
    importedStackWith(stack, { drainTimeout });
    Template.fromStack(stack).hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 600 });
  });
});

describe('drainTimeout shorter than sweepInterval', () => {
  const drainWarnings = (stack: Stack) => Annotations.fromStack(stack)
    .findWarning('/Test/DrainHook', Match.stringLikeRegexp('drainTimeoutBelowSweepInterval')).map((w) => String(w.entry.data));

  test('warned: the timeout is only checked once per sweep', () => {
    const { stack } = importedStack({
      drainTimeout: Duration.minutes(2), sweepInterval: Duration.minutes(5), heartbeatTimeout: Duration.minutes(10),
    });
    expect(drainWarnings(stack)).toEqual([
      'drainTimeout (2 minutes) is shorter than sweepInterval (5 minutes): the handler checks the timeout only at a sweep or a task '
      + 'event, so a drain whose tasks do not stop can run up to one sweepInterval past drainTimeout. Lower sweepInterval, or raise '
      + `drainTimeout. [ack: ${DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL}]`,
    ]);
  });

  test('equal to sweepInterval or longer, or a token: not warned', () => {
    expect(drainWarnings(importedStack({ drainTimeout: Duration.minutes(1) }).stack)).toEqual([]);
    expect(drainWarnings(importedStack().stack)).toEqual([]);
    const stack = new Stack(new App(), 'Test', { env: ENV });
    importedStackWith(stack, { drainTimeout: Duration.seconds(new CfnParameter(stack, 'Drain', { type: 'Number' }).valueAsNumber) });
    expect(drainWarnings(stack)).toEqual([]);
  });
});

describe('environment', () => {
  const group = (stack: Stack) => autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg');

  test.each([
    ['region', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', /cluster must be in the stack's region \(eu-west-1\), got region us-east-1: .*EventBridge rules only see events of their own region and account/],
    ['account', 'arn:aws:ecs:eu-west-1:210987654321:cluster/prod', /cluster must be in the stack's account \(123456789012\), got account 210987654321/],
  ])('a cluster in another %s: rejected', (_, clusterArn, message) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: group(stack), cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', clusterArn),
    })).toThrow(message);
  });

  test('a group from a stack in another region or account: rejected', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: ENV });
    const cluster = ecs.Cluster.fromClusterArn(stack, 'Cluster', CLUSTER_ARN);
    const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '123456789012', region: 'us-east-1' } });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', { autoScalingGroup: group(elsewhere), cluster }))
      .toThrow(/autoScalingGroup must be in the stack's region \(eu-west-1\), got region us-east-1/);
    const otherAccount = new Stack(app, 'OtherAccount', { env: { account: '210987654321', region: 'eu-west-1' } });
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook2', { autoScalingGroup: group(otherAccount), cluster }))
      .toThrow(/autoScalingGroup must be in the stack's account \(123456789012\), got account 210987654321/);
  });

  test('an environment-agnostic stack, or a cluster ARN that is a token: accepted', () => {
    const agnostic = new Stack(new App(), 'Test');
    expect(() => new DrainingLifecycleHook(agnostic, 'DrainHook', {
      autoScalingGroup: group(agnostic), cluster: ecs.Cluster.fromClusterArn(agnostic, 'Cluster', CLUSTER_ARN),
    })).not.toThrow();
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const arnParameter = new CfnParameter(stack, 'ClusterArn').valueAsString;
    expect(() => new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: group(stack), cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', arnParameter),
    })).not.toThrow();
  });
});

describe('errors', () => {
  test.each<[string, string, Partial<DrainingLifecycleHookProps>, RegExp]>([
    ['a prop', CLUSTER_ARN, { heartbeatTimeout: Duration.seconds(10) }, /^heartbeatTimeout must be a whole number of seconds/],
    ['the environment', 'arn:aws:ecs:us-east-1:123456789012:cluster/prod', {}, /^cluster must be in the stack's region/],
  ])('%s: the error carries the path of the construct that failed, outside the message', (_, clusterArn, props, message) => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const group = new Construct(stack, 'Group');
    let error: unknown;
    try {
      new DrainingLifecycleHook(group, 'DrainHook', {
        autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
        cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', clusterArn),
        ...props,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DrainingLifecycleHookValidationError);
    const { constructPath, stack: trace } = error as DrainingLifecycleHookValidationError;
    expect(constructPath).toBe('Stack/Group/DrainHook');
    // The stack trace is what Node prints for an uncaught error, and so what `cdk synth` shows.
    expect(trace).toMatch(/\nRelates to construct: Stack\/Group\/DrainHook$/);
    expect((error as Error).message).toMatch(message);
  });
});
