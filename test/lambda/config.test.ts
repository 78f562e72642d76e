import { ConfigurationError, loadConfig } from '../../lambda/config';

const env = {
  CLUSTER_NAME: 'prod',
  CLUSTER_ARN: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
  AUTO_SCALING_GROUP_NAME: 'asg',
  LIFECYCLE_HOOK_NAME: 'hook',
  DRAIN_TIMEOUT_SECONDS: '3600',
  HEARTBEAT_TIMEOUT_SECONDS: '600',
  SWEEP_INTERVAL_SECONDS: '60',
  DRAIN_TIMEOUT_RESULT: 'CONTINUE',
  STANDALONE_TASK_POLICY: 'WAIT',
  STANDALONE_TASK_GRACE_PERIOD_SECONDS: '300',
  TASK_PROTECTION_POLICY: 'IGNORE',
  SPOT_INTERRUPTION_DRAINING: 'false',
  WARM_POOL_REACTIVATION: 'true',
  METRICS_NAMESPACE: 'EcsDrainingLifecycleHook',
  DRAIN_EVENTS: 'true',
};

describe('loadConfig', () => {
  test('reads every variable', () => {
    expect(loadConfig(env)).toEqual({
      clusterName: 'prod',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      autoScalingGroupName: 'asg',
      lifecycleHookName: 'hook',
      drainTimeoutSeconds: 3600,
      heartbeatTimeoutSeconds: 600,
      sweepIntervalSeconds: 60,
      drainTimeoutResult: 'CONTINUE',
      standaloneTaskPolicy: 'WAIT',
      standaloneTaskGracePeriodSeconds: 300,
      taskProtectionPolicy: 'IGNORE',
      spotInterruptionDraining: false,
      warmPoolReactivation: true,
      metricsNamespace: 'EcsDrainingLifecycleHook',
      drainEvents: true,
    });
  });

  test('RETAIN: the result sent at drainTimeout is ABANDON, and the retention settings are read', () => {
    expect(loadConfig({ ...env, DRAIN_TIMEOUT_RESULT: 'RETAIN', RETAINED_DRAIN_OVERDUE_SECONDS: '604800' })).toMatchObject({
      drainTimeoutResult: 'ABANDON', retention: { overdueAfterSeconds: 604800 },
    });
    expect(loadConfig({ ...env, DRAIN_TIMEOUT_RESULT: 'ABANDON' })).not.toHaveProperty('retention');
    expect(() => loadConfig({ ...env, DRAIN_TIMEOUT_RESULT: 'RETAIN' })).toThrow(/RETAINED_DRAIN_OVERDUE_SECONDS is required/);
    expect(() => loadConfig({ ...env, DRAIN_TIMEOUT_RESULT: 'RETAIN', RETAINED_DRAIN_OVERDUE_SECONDS: '10' }))
      .toThrow(/RETAINED_DRAIN_OVERDUE_SECONDS must be a whole number of seconds from 60 to 31622400, got '10'/);
  });

  test.each([
    ['CLUSTER_NAME', undefined, /CLUSTER_NAME is required/],
    ['HEARTBEAT_TIMEOUT_SECONDS', '10', /HEARTBEAT_TIMEOUT_SECONDS must be a whole number of seconds from 30 to 7200, got '10'/],
    ['DRAIN_TIMEOUT_SECONDS', '1.5', /DRAIN_TIMEOUT_SECONDS must be a whole number/],
    ['DRAIN_TIMEOUT_RESULT', 'RETRY', /must be one of CONTINUE, ABANDON, RETAIN, got 'RETRY'/],
    ['STANDALONE_TASK_POLICY', 'KILL', /must be one of WAIT, STOP, IGNORE/],
    ['TASK_PROTECTION_POLICY', 'HONOUR', /TASK_PROTECTION_POLICY must be one of IGNORE, WAIT, got 'HONOUR'/],
    ['TASK_PROTECTION_POLICY', undefined, /TASK_PROTECTION_POLICY is required/],
    ['SPOT_INTERRUPTION_DRAINING', 'yes', /must be one of true, false/],
    ['DRAIN_EVENTS', undefined, /DRAIN_EVENTS is required/],
    ['DRAIN_EVENTS', 'on', /DRAIN_EVENTS must be one of true, false, got 'on'/],
  ])('%s=%p is rejected', (name, value, message) => {
    expect(() => loadConfig({ ...env, [name]: value })).toThrow(ConfigurationError);
    expect(() => loadConfig({ ...env, [name]: value })).toThrow(message);
  });
});

describe('MAX_CONCURRENT_DRAINS (the disruption budget)', () => {
  test('unset or empty: no budget', () => {
    expect(loadConfig(env).drainBudget).toBeUndefined();
    expect(loadConfig({ ...env, MAX_CONCURRENT_DRAINS: '' }).drainBudget).toBeUndefined();
  });

  test.each([
    ['2', { kind: 'COUNT', value: 2 }],
    ['1', { kind: 'COUNT', value: 1 }],
    ['20%', { kind: 'PERCENT', value: 20 }],
    ['100%', { kind: 'PERCENT', value: 100 }],
  ])('%p is read as %p', (value, budget) => {
    expect(loadConfig({ ...env, MAX_CONCURRENT_DRAINS: value }).drainBudget).toEqual(budget);
  });

  test.each(['0', '0%', '101%', '-1', '1.5', '20 %', 'two'])('%p is rejected', (value) => {
    expect(() => loadConfig({ ...env, MAX_CONCURRENT_DRAINS: value })).toThrow(ConfigurationError);
    expect(() => loadConfig({ ...env, MAX_CONCURRENT_DRAINS: value })).toThrow(`MAX_CONCURRENT_DRAINS must be a whole number of instances, at least 1, or a percentage from 1% to 100%, got '${value}'`);
  });
});
