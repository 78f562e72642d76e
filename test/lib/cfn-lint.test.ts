/**
 * cfn-lint (AWS's CloudFormation linter) finds no error in the templates the construct synthesizes: the example stack,
 * and one stack per representative configuration, together covering every prop. A warning fails the test unless it is
 * listed in ALLOWED_WARNINGS with the reason it is acceptable. One cfn-lint process lints every template (it is slow to
 * start), and a deliberately broken canary template in the same run proves that the run reports errors at all.
 *
 * cfn-lint is a Python CLI (`pip install cfn-lint`); without it the test is skipped and says so.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ExampleStack } from '../../examples/example-stack';
import { DrainBudget, DrainEventType, DrainingLifecycleHook, type DrainingLifecycleHookProps, StandaloneTaskPolicy } from '../../lib';
import { EVERY_OPTION } from './fixtures';

const ENV = { account: '123456789012', region: 'eu-west-1' };
/** Regions to lint against (resource and property availability differs): the tests' region and cfn-lint's default. */
const REGIONS = ['eu-west-1', 'us-east-1'];

const cfnLintVersion = (() => {
  const r = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();
if (!cfnLintVersion) {
  console.warn('test/lib/cfn-lint.test.ts skipped: cfn-lint is not installed (or not on PATH). Install it with `pip install cfn-lint` to lint the synthesized templates.');
}
const maybe = cfnLintVersion ? describe : describe.skip;

type Props = Partial<DrainingLifecycleHookProps>;

/** Every prop, so that a new one fails to compile here until a configuration below sets it. */
const EVERY_PROP: Record<keyof DrainingLifecycleHookProps, true> = {
  autoScalingGroup: true, cluster: true, drainTimeout: true, heartbeatTimeout: true, drainTimeoutResult: true, drainTimeoutBehavior: true,
  lifecycleHookName: true, sweepInterval: true, standaloneTaskPolicy: true, standaloneTaskGracePeriod: true,
  drainOnSpotInterruption: true, reactivateWarmPoolInstances: true, logRetention: true, deadLetterQueueEncryptionKey: true,
  metricsNamespace: true, vpc: true, vpcSubnets: true, securityGroups: true, logLevel: true, taskProtectionPolicy: true,
  publishDrainEvents: true,
  maxConcurrentDrains: true,
};
/** The props the configurations set. */
const propsSet = new Set<string>();

function hook(stack: Stack, id: string, props: DrainingLifecycleHookProps): void {
  for (const [k, v] of Object.entries(props)) if (v !== undefined) propsSet.add(k);
  new DrainingLifecycleHook(stack, id, props);
}

/** The construct on an imported group and cluster (names and ARNs as plain strings). */
function imported(props: Props = {}): (stack: Stack) => void {
  return (stack) => {
    hook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
        clusterName: 'prod', vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
      }),
      ...props,
    });
  };
}

/**
 * Representative configurations: together they set every prop, and each standalone policy and feature switch. Each is
 * synthesized in a stack of the tests' account and region, except those marked `agnostic` (a VPC defined in an
 * environment-specific stack would hard-code the Availability Zones, which cfn-lint warns about: a fixture artefact).
 */
const CONFIGURATIONS: ReadonlyArray<readonly [string, (stack: Stack) => void, 'agnostic'?]> = [
  ['defaults', imported()],
  ['standalone-stop', imported({ standaloneTaskPolicy: StandaloneTaskPolicy.STOP, standaloneTaskGracePeriod: Duration.minutes(20) })],
  ['standalone-ignore-no-drain-events', imported({ standaloneTaskPolicy: StandaloneTaskPolicy.IGNORE, publishDrainEvents: false })],
  ['disruption-budget', imported({ maxConcurrentDrains: DrainBudget.percent(20) })],
  ['disruption-budget-token', (stack) => imported({
    maxConcurrentDrains: DrainBudget.count(new CfnParameter(stack, 'MaxDrains', { type: 'Number' }).valueAsNumber),
  })(stack)],
  ['spot-on-warm-pool-off', imported({ drainOnSpotInterruption: true, reactivateWarmPoolInstances: false })],
  ['deprecated-drain-timeout-result', imported({ drainTimeoutResult: autoscaling.DefaultResult.ABANDON })],
  ['every-option', (stack) => imported({
    ...EVERY_OPTION,
    deadLetterQueueEncryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
  })(stack)],
  ['imported-kms-key', (stack) => imported({
    deadLetterQueueEncryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  })(stack)],
  ['in-a-vpc-with-a-log-level', (stack) => {
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'FunctionVpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-18f7e6d5c4b3a2910'],
    });
    imported({
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0a1b2c3d4e5f60718')],
      logLevel: lambda.ApplicationLogLevel.DEBUG,
    })(stack);
  }],
  ['drain-event-rules', (stack) => {
    const drainHook = new DrainingLifecycleHook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'),
    });
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    drainHook.onDrainTimedOut('DrainTimedOut', { target: new targets.SnsTopic(topic) });
    drainHook.onDrainCompleted('DrainCompleted', { description: 'completed drains' });
    drainHook.onDrainEvent('AnyDrainEvent', { eventTypes: [DrainEventType.STARTED, DrainEventType.TIMED_OUT] });
  }],
  ['cluster-from-arn', (stack) => {
    hook(stack, 'DrainHook', {
      autoScalingGroup: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Asg', 'my-asg'),
      cluster: ecs.Cluster.fromClusterArn(stack, 'Cluster', 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'),
    });
  }],
  ['token-durations-and-name', (stack) => {
    const seconds = (id: string) => Duration.seconds(new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber);
    imported({
      drainTimeout: seconds('DrainTimeout'),
      heartbeatTimeout: seconds('HeartbeatTimeout'),
      standaloneTaskPolicy: StandaloneTaskPolicy.STOP,
      standaloneTaskGracePeriod: seconds('GracePeriod'),
      lifecycleHookName: new CfnParameter(stack, 'HookName').valueAsString,
    })(stack);
  }],
  ['resources-in-stack-two-hooks', (stack) => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    for (const id of ['A', 'B']) {
      const group = new autoscaling.AutoScalingGroup(stack, id, {
        vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      });
      hook(stack, `Drain${id}`, { autoScalingGroup: group, cluster });
    }
  }, 'agnostic'],
];

/** The canary: a template cfn-lint must reject (E3002, a property the resource type does not have). */
const CANARY = 'canary-broken';
const CANARY_TEMPLATE = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { NotAQueueProperty: true } } },
};

interface LintMatch {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Location: { readonly Path: ReadonlyArray<string | number> | null };
  readonly Rule: { readonly Id: string };
}

interface AllowedWarning {
  readonly rule: string;
  /** Why the warning is acceptable, in one line. */
  readonly why: string;
  readonly matches: (m: LintMatch, template: Record<string, any>) => boolean;
}

/** The resource a match is about (Resources/<id>/...), with its template. */
function resourceOf(m: LintMatch, template: Record<string, any>): Record<string, any> | undefined {
  const p = m.Location.Path ?? [];
  return p[0] === 'Resources' ? template.Resources?.[String(p[1])] : undefined;
}

/** Every warning allowed to stay, with why. Nothing else may warn; an entry that no longer matches anything is stale. */
const ALLOWED_WARNINGS: readonly AllowedWarning[] = [
  {
    rule: 'W3005',
    why: 'aws-cdk-lib\'s lambda.Function makes the function DependsOn its role (and the role\'s default policy, which a '
      + 'GetAtt does not imply); the role entry is redundant with the Role GetAtt, and a redundant DependsOn is harmless',
    matches: (m, template) => {
      const p = m.Location.Path ?? [];
      const dependency = typeof p[3] === 'number' ? resourceOf(m, template)?.DependsOn?.[p[3]] : undefined;
      return resourceOf(m, template)?.Type === 'AWS::Lambda::Function' && p[2] === 'DependsOn'
        && template.Resources?.[dependency]?.Type === 'AWS::IAM::Role';
    },
  },
];

function synthesizeAll(dir: string): Map<string, Record<string, any>> {
  const templates = new Map<string, Record<string, any>>();
  // Every template as `cdk synth` builds it: with cdk.json's feature flags (launch templates, not configurations).
  const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
  templates.set('example-stack', Template.fromStack(new ExampleStack(new App({ context }), 'Example')).toJSON());
  for (const [name, build, agnostic] of CONFIGURATIONS) {
    const stack = new Stack(new App({ context }), 'Test', agnostic ? {} : { env: ENV });
    build(stack);
    templates.set(name, Template.fromStack(stack).toJSON());
  }
  templates.set(CANARY, CANARY_TEMPLATE);
  for (const [name, template] of templates) fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(template, undefined, 1));
  return templates;
}

maybe(`cfn-lint (${cfnLintVersion}) over the synthesized templates`, () => {
  let dir: string;
  let templates: Map<string, Record<string, any>>;
  let matches: LintMatch[];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edlh-cfn-lint-'));
    templates = synthesizeAll(dir);
    const files = [...templates.keys()].map((name) => path.join(dir, `${name}.template.json`));
    const run = spawnSync('cfn-lint', ['--format', 'json', '--regions', ...REGIONS, '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // Exit status is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
    if (run.error || run.status === null || (run.status & 1) !== 0) {
      throw new Error(`cfn-lint failed to run (status ${run.status}): ${run.error ?? ''}${run.stderr}`);
    }
    matches = JSON.parse(run.stdout || '[]');
  }, 120_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const nameOf = (m: LintMatch) => path.basename(m.Filename).replace(/\.template\.json$/, '');
  const describeMatch = (m: LintMatch) => `${nameOf(m)}: ${m.Level} ${m.Rule.Id} at ${(m.Location.Path ?? []).join('/')}: ${m.Message}`;

  test('the run can fail: the broken canary template is reported as an error', () => {
    expect(matches.filter((m) => nameOf(m) === CANARY && m.Level === 'Error').map((m) => m.Rule.Id)).toContain('E3002');
  });

  test('every template was synthesized and written, and together the configurations set every prop', () => {
    expect([...templates.keys()].sort()).toEqual(['example-stack', ...CONFIGURATIONS.map(([n]) => n), CANARY].sort());
    for (const name of templates.keys()) expect(fs.existsSync(path.join(dir, `${name}.template.json`))).toBe(true);
    expect([...propsSet].sort()).toEqual(Object.keys(EVERY_PROP).sort());
  });

  test('no errors', () => {
    expect(matches.filter((m) => nameOf(m) !== CANARY && m.Level === 'Error').map(describeMatch)).toEqual([]);
  });

  test('no warnings but the allowed ones, each with its reason', () => {
    const warnings = matches.filter((m) => nameOf(m) !== CANARY && m.Level === 'Warning');
    const unexplained = warnings.filter((m) => !ALLOWED_WARNINGS.some((a) => a.rule === m.Rule.Id && a.matches(m, templates.get(nameOf(m))!)));
    expect(unexplained.map(describeMatch)).toEqual([]);
    const stale = ALLOWED_WARNINGS.filter((a) => !warnings.some((m) => a.rule === m.Rule.Id && a.matches(m, templates.get(nameOf(m))!)));
    expect(stale.map((a) => `${a.rule} no longer occurs: remove it from ALLOWED_WARNINGS (${a.why})`)).toEqual([]);
  });
});
