import { createHash } from 'crypto';
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DrainHandlerFunction } from './drain-handler-function';
import { vpcAccessStatement } from './drain-handler-policy';
import {
  GROUP_ENVIRONMENT_KEYS, HandlerEnvironment as E, MAX_GROUPS_PER_TASK_EVENT_PATH, MAX_RECEIVE_COUNT, TASK_EVENT_BATCH_SIZE,
  TASK_EVENT_BATCHING_WINDOW_SECONDS, TASK_EVENT_CONSUMER_TIMEOUT_SECONDS, TASK_EVENT_MAX_CONCURRENCY, TaskEventEnvironment,
} from './handler-contract';
import { type WildcardResource, acknowledgeConsumerNagFindings, acknowledgeQueueEventSource } from './nag-acknowledgements';
import { DrainingLifecycleHookValidationError } from './validation';

/** What a DrainingLifecycleHook tells the task-event path of its cluster about itself. */
export interface TaskEventGroupRegistration {
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The environment of the hook's own function: the consumer checks its drains with the same settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** The hook's drain permissions (drainHandlerStatements): the consumer may do for this hook what its function may. */
  readonly permissions: { readonly statements: readonly iam.PolicyStatement[]; readonly wildcards: readonly WildcardResource[] };
}

/** Settings of the path taken from the first hook of the cluster in the stack. */
export interface TaskEventPathSettings {
  readonly logRetention: logs.RetentionDays;
  readonly logLevel?: lambda.ApplicationLogLevel;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * Internal, for the benchmark and the tests that compare with earlier releases only (not a supported setting, not
 * exported from lib/index.ts): with this context key set to true, a hook is wired as release 0.1.0 wired it, with its
 * own task-event rule invoking its function and lifecycle events invoking it directly, instead of the cluster's shared
 * task-event path and the lifecycle queue.
 */
export const PER_GROUP_TASK_RULE_CONTEXT = '@ecs-draining-lifecycle-hook/internal:perGroupTaskRule';

/** The construct ID prefix of a cluster's task-event path, at the root of the stack. */
export const TASK_EVENT_PATH_ID_PREFIX = 'DrainingLifecycleHookTaskEvents';

/**
 * The ECS task events of one cluster, for every DrainingLifecycleHook on groups of that cluster in one stack: one
 * EventBridge rule (task state changes of the cluster's EC2 tasks that reached STOPPED), one SQS queue (with a
 * dead-letter queue), and one consumer function that reads the events in batches, looks up the container instances
 * they name once per batch, and checks only the drains of its registered groups. Two clusters get two paths; hooks in
 * different stacks each get their own path for the same cluster (they stay correct, each consumer acting only on its
 * own groups' drains, but each pays for every task stop).
 *
 * Found or created by {@link ClusterTaskEvents.forCluster}. Internal: not exported from lib/index.ts.
 */
export class ClusterTaskEvents extends Construct {
  /** The path of `cluster` in the stack of `scope`, created with `settings` by the first hook that asks. */
  static forCluster(scope: Construct, cluster: ecs.ICluster, settings: TaskEventPathSettings): ClusterTaskEvents {
    const stack = Stack.of(scope);
    const id = `${TASK_EVENT_PATH_ID_PREFIX}${clusterKey(cluster)}`;
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof ClusterTaskEvents) return existing;
    return new ClusterTaskEvents(stack, id, cluster, settings);
  }

  /** The consumer function. */
  readonly handler: lambda.Function;
  /** The task events waiting to be checked. */
  readonly queue: sqs.Queue;
  /** Task events the queue could not get processed, and events EventBridge could not deliver. */
  readonly deadLetterQueue: sqs.Queue;
  /** The consumer's log group. */
  readonly logGroup: logs.LogGroup;
  readonly rule: events.Rule;

  private readonly groups: TaskEventGroupRegistration[] = [];
  private readonly role: iam.Role;
  private readonly wildcards: WildcardResource[] = [];

  private constructor(scope: Construct, id: string, private readonly cluster: ecs.ICluster, settings: TaskEventPathSettings) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14), enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.queue = this.createQueue();
    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: settings.logRetention });
    this.role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Checks the drains of ECS task events of one cluster for every DrainingLifecycleHook on it',
    });
    this.logGroup.grantWrite(this.role);
    if (settings.vpc) {
      const vpcAccess = vpcAccessStatement();
      this.role.addToPrincipalPolicy(vpcAccess.statement);
      this.wildcards.push(...vpcAccess.wildcards);
    }
    this.handler = this.createFunction(settings);
    this.createEventSource();
    this.rule = this.createRule();
    acknowledgeConsumerNagFindings({
      policy: this.role.node.findChild('DefaultPolicy'), wildcards: this.wildcards, fn: this.handler, deadLetterQueue: this.deadLetterQueue,
    });
  }

  /**
   * Adds a hook's group: its drains are checked on its task events, with its own settings, metrics dimension and
   * lifecycle hook. The consumer gets that hook's drain permissions (scoped to this cluster and that group), so it may
   * act on that group's drains as the hook's own function would, and on no other group's.
   */
  register(hook: Construct, group: TaskEventGroupRegistration): void {
    if (this.groups.length >= MAX_GROUPS_PER_TASK_EVENT_PATH) {
      throw new DrainingLifecycleHookValidationError(hook, `at most ${MAX_GROUPS_PER_TASK_EVENT_PATH} DrainingLifecycleHooks may share the `
        + `task-event path of one cluster in one stack (their settings must fit the consumer's 4 KB environment), got ${this.groups.length + 1}: `
        + 'put the others in another stack');
    }
    this.groups.push(group);
    for (const statement of group.permissions.statements) this.role.addToPrincipalPolicy(statement);
    this.wildcards.push(...group.permissions.wildcards);
  }

  private createQueue(): sqs.Queue {
    return new sqs.Queue(this, 'Queue', {
      // Lambda's developer guide: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * TASK_EVENT_CONSUMER_TIMEOUT_SECONDS),
      // A task event older than this is of no use: by then the sweep's back-off check has looked at its instance.
      retentionPeriod: Duration.hours(1),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }

  private createFunction(settings: TaskEventPathSettings): lambda.Function {
    return new DrainHandlerFunction(this, 'Handler', {
      description: 'Checks drains on ECS task events of one cluster, for every DrainingLifecycleHook on it (ecs-draining-lifecycle-hook)',
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: settings.logLevel,
      vpc: settings.vpc,
      vpcSubnets: settings.vpcSubnets,
      securityGroups: settings.securityGroups,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(TASK_EVENT_CONSUMER_TIMEOUT_SECONDS),
      environment: {
        [E.CLUSTER_NAME]: this.cluster.clusterName,
        [E.CLUSTER_ARN]: this.cluster.clusterArn,
        [TaskEventEnvironment.DRAIN_GROUPS]: Lazy.string({
          produce: () => Stack.of(this).toJsonString(this.groups.map((g) => GROUP_ENVIRONMENT_KEYS.map((k) => g.environment[k] ?? null))),
        }),
        AWS_RETRY_MODE: 'standard',
        AWS_MAX_ATTEMPTS: '8',
      },
    }, DrainHandlerFunction.TASK_EVENT_ENTRY);
  }

  private createEventSource(): void {
    this.queue.grantConsumeMessages(this.role);
    const mapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.handler,
      eventSourceArn: this.queue.queueArn,
      batchSize: TASK_EVENT_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(TASK_EVENT_BATCHING_WINDOW_SECONDS),
      maxConcurrency: TASK_EVENT_MAX_CONCURRENCY,
      reportBatchItemFailures: true,
    });
    acknowledgeQueueEventSource(mapping);
  }

  private createRule(): events.Rule {
    return new events.Rule(this, 'Rule', {
      description: 'Tasks on EC2 container instances of this cluster that reached STOPPED: a drain may have ended',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [this.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          // Fargate tasks have no container instance (AWS's sample task event).
          containerInstanceArn: [{ exists: true }],
        },
      },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 20, maxEventAge: Duration.hours(1) })],
    });
  }

}

/**
 * A stable key of the cluster: its name when known at synth time (two imports of one cluster share a path), else its
 * construct path. It becomes part of the path's construct ID, and so of its logical IDs.
 */
function clusterKey(cluster: ecs.ICluster): string {
  const identity = Token.isUnresolved(cluster.clusterName) ? `path:${cluster.node.path}` : `name:${cluster.clusterName}`;
  return createHash('sha256').update(identity).digest('hex').slice(0, 8).toUpperCase();
}
