import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { attachToCapacityProvider } from './capacity-provider';
import { ClusterTaskEvents, PER_GROUP_TASK_RULE_CONTEXT } from './cluster-task-events';
import { addCoexistenceChecks } from './coexistence';
import { allowDeadLetterQueueWriters } from './dead-letter-queue';
import { defaultHeartbeatTimeout } from './default-heartbeat-timeout';
import type { DrainBudget } from './drain-budget';
import { DrainHandlerFunction } from './drain-handler-function';
import { drainHandlerStatements, vpcAccessStatement } from './drain-handler-policy';
import { DrainTimeoutBehavior } from './drain-timeout-behavior';
import {
  DRAIN_EVENT_SOURCE, DrainEventType, DrainLogMessage, HandlerEnvironment as E, LIFECYCLE_BATCH_SIZE, LIFECYCLE_BATCHING_WINDOW_SECONDS,
  LIFECYCLE_MAX_CONCURRENCY, MAX_RECEIVE_COUNT, METRIC_DIMENSION, MetricName,
} from './handler-contract';
import { acknowledgeNagFindings, acknowledgeQueueEventSource, type WildcardResource } from './nag-acknowledgements';
import { addRetentionTriggerCheck } from './retention-check';
import { StandaloneTaskPolicy } from './standalone-task-policy';
import { TaskProtectionPolicy } from './task-protection-policy';
import {
  DrainingLifecycleHookValidationError, type ResolvedTimes, validateEnvironment, validateProps, warnIfDrainBudgetCannotWait,
  warnIfDrainTimeoutBelowSweepInterval, warnIfDrainTimeoutResultSet,
  warnIfLogLevelDropsMetrics,
} from './validation';

/**
 * Options of {@link DrainingLifecycleHook.onDrainEvent}: those of aws-cdk-lib's `onEvent` methods, and which drain
 * events the rule matches.
 */
export interface OnDrainEventOptions extends events.OnEventOptions {
  /**
   * The drain events to match.
   *
   * @default - every drain event of this hook
   */
  readonly eventTypes?: DrainEventType[];
}

/**
 * The options of a {@link DrainingLifecycleHook}: everything but the group and the cluster, which
 * {@link DrainingLifecycleHookProps} and {@link CapacityProviderDrainingLifecycleHookProps} name each their own way.
 */
export interface DrainingLifecycleHookOptions {
  /**
   * The longest a drain may wait for the instance's tasks to stop. When it runs out, the lifecycle action is completed
   * as `drainTimeoutBehavior` says: by default the instance terminates with whatever still runs on it; with
   * `DrainTimeoutBehavior.retain()` it is retained, and its drain goes on past this timeout.
   *
   * `drainTimeout` + 2 × `sweepInterval` + 2 minutes must be at most 48 hours and at most 100 × `heartbeatTimeout`
   * (Auto Scaling ends a lifecycle action after either). The handler starts the drain clock when it first handles the
   * instance, up to one `sweepInterval` after the lifecycle action began if the lifecycle event was lost, and checks the
   * timeout only at the next sweep or task event. With the default `sweepInterval`, that allows at most 47 hours
   * 56 minutes. When `heartbeatTimeout` is not set, it is raised as far as `drainTimeout` needs, so any `drainTimeout`
   * within 48 hours works without it.
   *
   * A `drainTimeout` shorter than `sweepInterval` draws the warning
   * `DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_BELOW_SWEEP_INTERVAL`: the timeout is checked only at a sweep or a task
   * event, so a drain whose tasks do not stop can run up to one `sweepInterval` past it.
   *
   * A token must be given in seconds (`Duration.seconds(token)`), and is not validated.
   *
   * @default Duration.hours(1) - covers the default load balancer deregistration delay (300 s) many times over,
   *   plus ECS's longest container stop timeout (120 s)
   */
  readonly drainTimeout?: Duration;

  /**
   * The lifecycle hook's heartbeat timeout: how long Auto Scaling waits for a heartbeat or completion before it
   * applies the hook's default result. The handler sends heartbeats while a drain goes on, so this only matters when
   * the handler cannot run at all. At most 2 hours, and at least `sweepInterval` + 2 minutes, so that the sweep always
   * sends a heartbeat in time: at least 3 minutes with the default `sweepInterval` (1 minute, also the shortest), more
   * with a longer one. (Auto Scaling itself accepts 30 seconds to 2 hours.) A token must be given in seconds
   * (`Duration.seconds(token)`), and is not validated.
   *
   * When it is not set, it is derived from `drainTimeout` and `sweepInterval`, so that no `drainTimeout` within Auto
   * Scaling's 48 hours needs it; an explicit value is validated as given.
   *
   * @default - 10 minutes, or more when drainTimeout needs it: the smallest whole number of minutes that is at least
   *   `sweepInterval` + 2 minutes and at least (`drainTimeout` + 2 × `sweepInterval` + 2 minutes) / 100, at most
   *   2 hours (15 minutes for a `drainTimeout` of 24 hours, 29 minutes for 47 hours). 10 minutes when `drainTimeout`
   *   is a token.
   */
  readonly heartbeatTimeout?: Duration;

  /**
   * How a drain that runs out of time ends: the result sent when `drainTimeout` is reached, and the hook's default
   * result if the lifecycle action ever expires. For a terminating instance both let it terminate; `ABANDON` also
   * skips any other termination hooks of the group.
   *
   * Only one of `drainTimeoutResult` and `drainTimeoutBehavior` may be set.
   *
   * @default autoscaling.DefaultResult.CONTINUE
   * @deprecated Use `drainTimeoutBehavior` (`DrainTimeoutBehavior.CONTINUE` or `DrainTimeoutBehavior.ABANDON`), which
   *   also offers `DrainTimeoutBehavior.retain()`. Setting it draws the warning
   *   `DrainingLifecycleHookWarnings.DRAIN_TIMEOUT_RESULT_DEPRECATED`.
   */
  readonly drainTimeoutResult?: autoscaling.DefaultResult;

  /**
   * What happens when a drain reaches `drainTimeout` with tasks still running: the instance terminates (`CONTINUE`,
   * `ABANDON`, each the lifecycle action result sent, and the hook's default result), or it is retained by the group
   * with its tasks and terminated once they have all stopped (`DrainTimeoutBehavior.retain()`, which needs the group's
   * instance lifecycle policy to retain instances on `TerminateHookAbandon`).
   *
   * Only one of `drainTimeoutResult` and `drainTimeoutBehavior` may be set.
   *
   * @default DrainTimeoutBehavior.CONTINUE, or the behaviour of `drainTimeoutResult` when that is set
   */
  readonly drainTimeoutBehavior?: DrainTimeoutBehavior;

  /**
   * The name of the lifecycle hook.
   *
   * @default - CloudFormation generates a unique name
   */
  readonly lifecycleHookName?: string;

  /**
   * How often the safety sweep runs. It re-checks every instance of the group still in Terminating:Wait, so a lost
   * or failed event never leaves an instance stuck, and it keeps long drains alive with heartbeats.
   * A whole number of minutes, known at synth time (not a token).
   *
   * @default Duration.minutes(1)
   */
  readonly sweepInterval?: Duration;

  /**
   * What the drain does with standalone tasks (tasks of no service), which DRAINING does not stop.
   *
   * @default StandaloneTaskPolicy.WAIT
   */
  readonly standaloneTaskPolicy?: StandaloneTaskPolicy;

  /**
   * With `StandaloneTaskPolicy.STOP`: how long standalone tasks may run after the drain started before they are
   * stopped. Must be shorter than `drainTimeout`. Only valid with `StandaloneTaskPolicy.STOP`. A token must be given
   * in seconds (`Duration.seconds(token)`), and is not validated.
   *
   * @default Duration.minutes(5)
   */
  readonly standaloneTaskGracePeriod?: Duration;

  /**
   * What the drain does with service tasks protected from scale-in (`UpdateTaskProtection`, or the agent's
   * task-protection endpoint). With `TaskProtectionPolicy.WAIT` a terminating instance that runs a protected task is
   * left ACTIVE, its lifecycle action kept alive, until no task on it is protected (protection ended or expired) or
   * `drainTimeout` comes; only then is it set DRAINING. The wait counts against `drainTimeout`. The handler's role
   * gets `ecs:GetTaskProtection` on this cluster's tasks only with `WAIT`.
   *
   * @default TaskProtectionPolicy.IGNORE
   */
  readonly taskProtectionPolicy?: TaskProtectionPolicy;

  /**
   * Set an instance DRAINING as soon as EC2 sends its Spot Instance interruption warning, two minutes before the
   * instance is reclaimed, so ECS starts replacement tasks early. Warnings for instances of other groups are ignored.
   *
   * @default false
   */
  readonly drainOnSpotInterruption?: boolean;

  /**
   * Set a container instance back to ACTIVE when its EC2 instance returns to service from the warm pool, if this
   * construct drained it when it scaled in to the pool. Without this ECS never places tasks on it again.
   *
   * @default true
   */
  readonly reactivateWarmPoolInstances?: boolean;

  /**
   * How long the handler's logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * A KMS key to encrypt the dead-letter queue with.
   *
   * Both writers of the queue need the key: the handler's role (Lambda sends failed invocations with it) is granted
   * `kms:GenerateDataKey` and `kms:Decrypt` on the key, and a statement is added to the key policy that lets
   * `events.amazonaws.com` do the same for EventBridge rules of this account and region (the rules' target
   * dead-letter queue). The key policy of an imported key cannot be changed: the construct then adds the warning
   * `DrainingLifecycleHookWarnings.DEAD_LETTER_QUEUE_KEY_POLICY`, and the key's policy must allow `events.amazonaws.com`
   * `kms:GenerateDataKey` and `kms:Decrypt` itself, or EventBridge drops events it cannot deliver.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly deadLetterQueueEncryptionKey?: kms.IKey;

  /**
   * The CloudWatch namespace of the handler's metrics. 1 to 255 characters, not starting with `:` or with `AWS/`
   * (reserved for AWS services), and without `$`.
   *
   * @default 'EcsDrainingLifecycleHook'
   */
  readonly metricsNamespace?: string;

  /**
   * The VPC to run the handler in, for accounts that require every function in a VPC. The handler calls the ECS and
   * Auto Scaling APIs, so its subnets need a route to them: a NAT gateway, or interface VPC endpoints for `ecs` and
   * `autoscaling` (`ec2.InterfaceVpcEndpointAwsService.ECS` and `.AUTOSCALING`). Drain events (`publishDrainEvents`)
   * need a route to EventBridge too: the NAT gateway, or an `events` endpoint (`.EVENTBRIDGE`); without one each
   * invocation that has an outcome to publish spends a few seconds on one failed attempt, and the drains go on.
   * Events reach the function through Lambda itself, and its logs and metrics go through Lambda's logging, so
   * CloudWatch needs no route. The role is granted the network-interface actions Lambda needs to attach the
   * function (those of AWSLambdaVPCAccessExecutionRole, without its logs actions).
   *
   * @default - the function runs outside any VPC, with Lambda's own internet access
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` to place the handler. Only valid with `vpc`. Pick subnets with a NAT gateway or VPC endpoints for
   * `ecs` and `autoscaling` (see `vpc`).
   *
   * @default - the VPC's private subnets (aws-cdk-lib's default for functions)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the handler's network interfaces. They must allow outbound HTTPS (443) to the ECS and
   * Auto Scaling endpoints; the handler accepts no inbound traffic. Only valid with `vpc`.
   *
   * @default - with `vpc`, a security group is created that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The function's application log level (Lambda's log-level filtering; the function logs in JSON, which it needs).
   * The handler logs at INFO, WARN and ERROR: `WARN` keeps only problems. `WARN`, `ERROR` and `FATAL` also drop the
   * handler's metrics, which it writes as log lines without a level (EMF) that Lambda treats as INFO: the construct
   * then warns with `DrainingLifecycleHookWarnings.LOG_LEVEL_DROPS_METRICS`.
   *
   * @default - not set: Lambda's default, INFO, and no log level in the template
   */
  readonly logLevel?: lambda.ApplicationLogLevel;

  /**
   * Publish drain events (a drain started, completed, timed out) to the account's default EventBridge bus, with the
   * source `ecs-draining-lifecycle-hook`; `onDrainEvent`, `onDrainCompleted` and `onDrainTimedOut` make rules for
   * them. Their schemas are in docs/events.md. The handler's role is granted `events:PutEvents` on the default bus
   * only. Publishing is best effort: a failure is logged and counted (`metricDrainEventsNotPublished`) and never
   * changes a drain. `false` publishes nothing, grants nothing, and makes the `on…` methods throw.
   *
   * @default true
   */
  readonly publishDrainEvents?: boolean;

  /**
   * A disruption budget: how many of the group's instances may drain at once. When Auto Scaling terminates more
   * instances at once (a large scale-in, an instance refresh, a Spot rebalance), the instances over the budget wait in
   * their lifecycle wait state (Terminating:Wait, or Warmed:Pending:Wait for a scale-in into a warm pool), kept alive
   * with heartbeats, ACTIVE in ECS and not yet DRAINING, and start draining as drains of the group end, the oldest
   * termination first. Each drain still gets its full `drainTimeout`, counted from its own start: the wait does not
   * count against it. An instance that would otherwise wait so long that its drain could no longer end before Auto
   * Scaling's limit for the lifecycle action (48 hours, or 100 × `heartbeatTimeout` if less) starts draining over the
   * budget, with a WARN log and the `DrainsOverBudget` metric. See docs/design-budget.md.
   *
   * @default - no budget: every terminating instance starts draining at once
   */
  readonly maxConcurrentDrains?: DrainBudget;
}

/**
 * Properties of a {@link DrainingLifecycleHook}.
 */
export interface DrainingLifecycleHookProps extends DrainingLifecycleHookOptions {
  /**
   * The Auto Scaling group whose instances are drained before they terminate. Imported groups work; the group must be
   * in the stack's region and account.
   */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;

  /**
   * The ECS cluster the group's instances register with. Imported clusters work; the cluster must be in the stack's
   * region and account.
   */
  readonly cluster: ecs.ICluster;
}

/**
 * Properties of {@link DrainingLifecycleHook.forCapacityProvider}: a capacity provider, the cluster to add it to, and
 * the options of the hook that drains its Auto Scaling group.
 */
export interface CapacityProviderDrainingLifecycleHookProps extends DrainingLifecycleHookOptions {
  /**
   * The cluster to add the capacity provider to. A cluster made in this app: an imported cluster cannot be given
   * capacity.
   */
  readonly cluster: ecs.Cluster;

  /**
   * The capacity provider whose Auto Scaling group is drained. Its `enableManagedDraining` must be `false` or not
   * set: when it is not set, ECS would turn managed instance draining on, and this construct turns it off on the
   * capacity provider (`ManagedDraining: DISABLED`). `true` is an error: two drainers on one group race each other.
   * Managed termination protection may be on (aws-cdk-lib's default) or off.
   */
  readonly capacityProvider: ecs.AsgCapacityProvider;

  /**
   * Options for `cluster.addAsgCapacityProvider()`, passed on as given, except that aws-cdk-lib's own
   * `InstanceDrainHook` is always left out. As in that method, the machine image type is the capacity provider's
   * (`machineImageType` is not read), and `topicEncryptionKey` has no effect (it encrypts that hook's topic).
   *
   * @default - aws-cdk-lib's defaults (no Spot Instance draining by the ECS agent)
   */
  readonly capacityProviderOptions?: ecs.AddAutoScalingGroupCapacityOptions;
}

/** The function's timeout; the lifecycle queue's visibility timeout is six times it. */
const HANDLER_TIMEOUT = Duration.minutes(5);

/** Default of {@link DrainingLifecycleHookProps.metricsNamespace}. */
const DEFAULT_METRICS_NAMESPACE = 'EcsDrainingLifecycleHook';

/** The props with every default filled in. */
interface Settings extends ResolvedTimes {
  readonly taskProtectionPolicy: TaskProtectionPolicy;
  readonly drainTimeoutBehavior: DrainTimeoutBehavior;
  readonly drainOnSpotInterruption: boolean;
  readonly reactivateWarmPoolInstances: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  readonly publishDrainEvents: boolean;
}

/** Each prop, or its documented default. */
function withDefaults(props: DrainingLifecycleHookProps): Settings {
  const drainTimeout = props.drainTimeout ?? Duration.hours(1);
  const sweepInterval = props.sweepInterval ?? Duration.minutes(1);
  return {
    drainTimeout,
    heartbeatTimeout: props.heartbeatTimeout ?? defaultHeartbeatTimeout(drainTimeout, sweepInterval),
    sweepInterval,
    drainTimeoutBehavior: props.drainTimeoutBehavior ?? behaviorOfResult(props.drainTimeoutResult ?? autoscaling.DefaultResult.CONTINUE),
    standaloneTaskPolicy: props.standaloneTaskPolicy ?? StandaloneTaskPolicy.WAIT,
    standaloneTaskGracePeriod: props.standaloneTaskGracePeriod ?? Duration.minutes(5),
    taskProtectionPolicy: props.taskProtectionPolicy ?? TaskProtectionPolicy.IGNORE,
    drainOnSpotInterruption: props.drainOnSpotInterruption ?? false,
    reactivateWarmPoolInstances: props.reactivateWarmPoolInstances ?? true,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    metricsNamespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
    publishDrainEvents: props.publishDrainEvents ?? true,
  };
}

/** The behaviour of the deprecated `drainTimeoutResult`. */
function behaviorOfResult(result: autoscaling.DefaultResult): DrainTimeoutBehavior {
  return result === autoscaling.DefaultResult.ABANDON ? DrainTimeoutBehavior.ABANDON : DrainTimeoutBehavior.CONTINUE;
}

/**
 * An Auto Scaling termination lifecycle hook that drains the instance's ECS container instance before it
 * terminates: it sets the container instance to DRAINING, waits until every task on it is STOPPED, then lets the
 * instance go.
 *
 * Event-driven: lifecycle actions and ECS task state changes reach a Lambda function through EventBridge, and a
 * scheduled sweep catches anything an event missed. Drains may last almost 48 hours (47 hours 56 minutes with the
 * default sweep interval; the default `heartbeatTimeout` grows to fit); no Lambda invocation waits.
 */
export class DrainingLifecycleHook extends Construct {
  /**
   * Adds the capacity provider to the cluster, and drains its Auto Scaling group with a new DrainingLifecycleHook that
   * is the group's one drain hook.
   *
   * Call it instead of `cluster.addAsgCapacityProvider()`, in every jsii language. Whatever the capacity provider's
   * settings, the group ends up with one drain hook:
   *
   * - ECS managed instance draining: not set (ECS would turn it on) is turned off on the capacity provider
   *   (`ManagedDraining: DISABLED`); `true` is an error; `false` stays.
   * - aws-cdk-lib's `InstanceDrainHook`: the capacity provider is added with `cluster.addAsgCapacityProvider()`
   *   without it, whether managed termination protection is on or off. A group that has one already (added to a
   *   cluster before) is an error.
   *
   * @param scope the scope of the new construct
   * @param id the ID of the new construct
   * @param props the capacity provider, the cluster, and the hook's options
   */
  public static forCapacityProvider(scope: Construct, id: string, props: CapacityProviderDrainingLifecycleHookProps): DrainingLifecycleHook {
    const { capacityProvider, capacityProviderOptions, cluster, ...options } = props;
    const hook = new DrainingLifecycleHook(scope, id, { ...options, autoScalingGroup: capacityProvider.autoScalingGroup, cluster });
    attachToCapacityProvider(hook, cluster, capacityProvider, capacityProviderOptions);
    return hook;
  }

  /** The termination lifecycle hook. */
  public readonly lifecycleHook: autoscaling.ILifecycleHook;
  /** The name of the termination lifecycle hook. */
  public readonly lifecycleHookName: string;
  /** The function that drains instances. */
  public readonly handler: lambda.IFunction;
  /** Events that could not be delivered to, or processed by, the handler. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The handler's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The CloudWatch namespace of the handler's metrics. */
  public readonly metricsNamespace: string;

  private readonly autoScalingGroupName: string;
  private readonly publishesDrainEvents: boolean;

  constructor(scope: Construct, id: string, props: DrainingLifecycleHookProps) {
    super(scope, id);

    const settings = withDefaults(props);
    this.metricsNamespace = settings.metricsNamespace;
    this.autoScalingGroupName = props.autoScalingGroup.autoScalingGroupName;
    this.publishesDrainEvents = settings.publishDrainEvents;

    validateEnvironment(this, props);
    validateProps(this, props, settings, settings.metricsNamespace);
    warnIfDrainTimeoutBelowSweepInterval(this, settings.drainTimeout, settings.sweepInterval);
    warnIfLogLevelDropsMetrics(this, props.logLevel);
    warnIfDrainTimeoutResultSet(this, props.drainTimeoutResult);
    if (settings.drainTimeoutBehavior.retainsInstances) addRetentionTriggerCheck(this, props.autoScalingGroup);
    warnIfDrainBudgetCannotWait(this, props.maxConcurrentDrains, settings);

    const hook = this.createHook(props, settings);
    this.lifecycleHook = hook;
    this.lifecycleHookName = hook.lifecycleHookName;
    addCoexistenceChecks(this, props.autoScalingGroup, hook);

    const deadLetterQueue = this.createDeadLetterQueue(props.deadLetterQueueEncryptionKey);
    this.deadLetterQueue = deadLetterQueue;
    const logGroup = this.createLogGroup(settings.logRetention);
    this.logGroup = logGroup;

    const role = this.createRole();
    const wildcards = this.grantPermissions(role, logGroup, props, settings);
    const environment = this.renderEnvironment(props, settings);
    const fn = this.createFunction(role, logGroup, deadLetterQueue, props, environment);
    this.handler = fn;
    if (props.deadLetterQueueEncryptionKey) allowDeadLetterQueueWriters(this, props.deadLetterQueueEncryptionKey, role);
    acknowledgeNagFindings({ policy: role.node.findChild('DefaultPolicy'), wildcards, fn, deadLetterQueue });

    if (this.node.tryGetContext(PER_GROUP_TASK_RULE_CONTEXT) === true) {
      this.createRulesOfRelease010(fn, deadLetterQueue, props, settings);
    } else {
      this.createRules(fn, role, deadLetterQueue, props, settings);
      this.joinClusterTaskEvents(props, settings, environment);
    }
    this.createQueryDefinitions(logGroup);
  }

  /** The termination lifecycle hook, the construct's primary resource. */
  private createHook(props: DrainingLifecycleHookProps, settings: Settings): autoscaling.LifecycleHook {
    return new autoscaling.LifecycleHook(this, 'Resource', {
      autoScalingGroup: props.autoScalingGroup,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: settings.heartbeatTimeout,
      defaultResult: settings.drainTimeoutBehavior.result,
      lifecycleHookName: props.lifecycleHookName,
      // No notification target: Auto Scaling sends lifecycle events to EventBridge by itself.
    });
  }

  /** Where the function (failed invocations) and the rules (undeliverable events) put what they could not handle. */
  private createDeadLetterQueue(encryptionKey: kms.IKey | undefined): sqs.Queue {
    return new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      ...(encryptionKey
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    });
  }

  private createLogGroup(retention: logs.RetentionDays): logs.LogGroup {
    return new logs.LogGroup(this, 'LogGroup', { retention });
  }

  private createRole(): iam.Role {
    return new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Drains ECS container instances before Auto Scaling terminates them',
    });
  }

  /**
   * Grants the role what the handler calls, one statement per intent (drain-handler-policy.ts), and returns the
   * wildcard resources among them, for the cdk-nag acknowledgements.
   */
  private grantPermissions(role: iam.Role, logGroup: logs.LogGroup, props: DrainingLifecycleHookProps,
    settings: Settings): readonly WildcardResource[] {
    // Logs go to the construct's own log group only (no AWSLambdaBasicExecutionRole with logs:* on every group).
    logGroup.grantWrite(role);
    const permissions = this.drainStatements(props, settings);
    for (const statement of permissions.statements) role.addToPrincipalPolicy(statement);
    if (!props.vpc) return permissions.wildcards;
    // In a VPC, Lambda creates the function's network interfaces with this role; aws-cdk-lib adds that permission
    // only to roles it creates itself.
    const vpcAccess = vpcAccessStatement();
    role.addToPrincipalPolicy(vpcAccess.statement);
    return [...permissions.wildcards, ...vpcAccess.wildcards];
  }

  private createFunction(role: iam.IRole, logGroup: logs.ILogGroup, deadLetterQueue: sqs.IQueue,
    props: DrainingLifecycleHookProps, environment: Record<string, string>): DrainHandlerFunction {
    return new DrainHandlerFunction(this, 'Handler', {
      description: 'Drains ECS container instances before Auto Scaling terminates them (ecs-draining-lifecycle-hook)',
      role,
      logGroup,
      // Lambda's native JSON log format: platform lines are JSON too; the handler's own lines are JSON already
      // (written straight to stdout, so EMF metric lines reach CloudWatch unchanged).
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: props.logLevel,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A sweep of hundreds of instances under ECS throttling may take minutes; a single event takes seconds.
      timeout: HANDLER_TIMEOUT,
      deadLetterQueue,
      // Lambda retries a failed asynchronous invocation twice, then sends the event to the dead-letter queue.
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      environment,
    }, DrainHandlerFunction.GROUP_ENTRY);
  }

  /** The handler's environment: its side of the construct–handler contract (handler-contract.ts). */
  private renderEnvironment(props: DrainingLifecycleHookProps, settings: Settings): Record<string, string> {
    return {
      [E.CLUSTER_NAME]: props.cluster.clusterName,
      [E.CLUSTER_ARN]: props.cluster.clusterArn,
      [E.AUTO_SCALING_GROUP_NAME]: props.autoScalingGroup.autoScalingGroupName,
      [E.LIFECYCLE_HOOK_NAME]: this.lifecycleHookName,
      [E.DRAIN_TIMEOUT_SECONDS]: String(settings.drainTimeout.toSeconds()),
      [E.HEARTBEAT_TIMEOUT_SECONDS]: String(settings.heartbeatTimeout.toSeconds()),
      [E.SWEEP_INTERVAL_SECONDS]: String(settings.sweepInterval.toSeconds()),
      [E.DRAIN_TIMEOUT_RESULT]: settings.drainTimeoutBehavior.name,
      ...(settings.drainTimeoutBehavior.overdueAfter
        ? { [E.RETAINED_DRAIN_OVERDUE_SECONDS]: String(settings.drainTimeoutBehavior.overdueAfter.toSeconds()) }
        : {}),
      [E.STANDALONE_TASK_POLICY]: settings.standaloneTaskPolicy,
      [E.STANDALONE_TASK_GRACE_PERIOD_SECONDS]: String(settings.standaloneTaskGracePeriod.toSeconds()),
      [E.TASK_PROTECTION_POLICY]: settings.taskProtectionPolicy,
      [E.SPOT_INTERRUPTION_DRAINING]: String(settings.drainOnSpotInterruption),
      [E.WARM_POOL_REACTIVATION]: String(settings.reactivateWarmPoolInstances),
      [E.METRICS_NAMESPACE]: this.metricsNamespace,
      [E.DRAIN_EVENTS]: String(settings.publishDrainEvents),
      ...(props.maxConcurrentDrains ? { [E.MAX_CONCURRENT_DRAINS]: props.maxConcurrentDrains._render() } : {}),
      // The SDK's standard retry mode backs off on throttling and 5xx; more attempts ride out ECS throttling
      // when hundreds of instances drain at once. Past them the invocation fails and is retried.
      AWS_RETRY_MODE: 'standard',
      AWS_MAX_ATTEMPTS: '8',
    };
  }

  /**
   * The EventBridge rules of the handler. Lifecycle actions go through the lifecycle queue, so that a thousand
   * instances terminating at once are a few bounded, batched invocations; the sweep and the rare events invoke the
   * function directly, with its retries and dead-letter queue. Task events reach the cluster's shared path instead.
   */
  private createRules(fn: lambda.IFunction, role: iam.IRole, deadLetterQueue: sqs.IQueue, props: DrainingLifecycleHookProps,
    settings: Settings): void {
    const target = this.directTarget(fn, deadLetterQueue);
    const queue = this.createLifecycleQueue(fn, role, deadLetterQueue, props.deadLetterQueueEncryptionKey);
    this.createLifecycleActionRule(new targets.SqsQueue(queue, { deadLetterQueue, retryAttempts: 20, maxEventAge: Duration.hours(1) }),
      props.autoScalingGroup);
    this.createSweepRule(target, settings.sweepInterval);
    if (settings.reactivateWarmPoolInstances) this.createWarmPoolReturnRule(target, props.autoScalingGroup);
    if (settings.drainOnSpotInterruption) this.createSpotInterruptionRule(target);
  }

  private directTarget(fn: lambda.IFunction, deadLetterQueue: sqs.IQueue): events.IRuleTarget {
    return new targets.LambdaFunction(fn, {
      deadLetterQueue,
      retryAttempts: 20,
      maxEventAge: Duration.hours(1),
    });
  }

  /**
   * The queue in front of the function for lifecycle actions: batches of up to 10, at most 2 at once (maximum
   * concurrency, not reserved concurrency: that one fails deployment in accounts with a low concurrency quota, and
   * Lambda's SQS scaling ignores it). Messages that fail 5 times go to the hook's dead-letter queue; the sweep finds
   * their instances anyway.
   */
  private createLifecycleQueue(fn: lambda.IFunction, role: iam.IRole, deadLetterQueue: sqs.IQueue, encryptionKey: kms.IKey | undefined): sqs.Queue {
    const queue = new sqs.Queue(this, 'LifecycleQueue', {
      visibilityTimeout: Duration.seconds(6 * HANDLER_TIMEOUT.toSeconds()),
      retentionPeriod: Duration.hours(1),
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
      ...(encryptionKey
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    });
    queue.grantConsumeMessages(role);
    const mapping = new lambda.EventSourceMapping(this, 'LifecycleEventSource', {
      target: fn,
      eventSourceArn: queue.queueArn,
      batchSize: LIFECYCLE_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(LIFECYCLE_BATCHING_WINDOW_SECONDS),
      maxConcurrency: LIFECYCLE_MAX_CONCURRENCY,
      reportBatchItemFailures: true,
    });
    acknowledgeQueueEventSource(mapping);
    return queue;
  }

  /** The drain permissions of this hook: its function's, and what the cluster's task-event consumer may do for it. */
  private drainStatements(props: DrainingLifecycleHookProps, settings: Settings): ReturnType<typeof drainHandlerStatements> {
    return drainHandlerStatements({
      cluster: props.cluster,
      autoScalingGroup: props.autoScalingGroup,
      stopsStandaloneTasks: settings.standaloneTaskPolicy === StandaloneTaskPolicy.STOP,
      waitsForTaskProtection: settings.taskProtectionPolicy === TaskProtectionPolicy.WAIT,
      publishesDrainEvents: settings.publishDrainEvents,
      retainsInstances: settings.drainTimeoutBehavior.retainsInstances,
    });
  }

  /**
   * Registers this hook with the task-event path of its cluster in this stack (created by the first hook): the
   * consumer checks this hook's drains with this hook's own settings (the same environment its function gets) and
   * permissions.
   */
  private joinClusterTaskEvents(props: DrainingLifecycleHookProps, settings: Settings, environment: Record<string, string>): void {
    ClusterTaskEvents.forCluster(this, props.cluster, {
      logRetention: settings.logRetention, logLevel: props.logLevel, vpc: props.vpc, vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    }).register(this, { autoScalingGroup: props.autoScalingGroup, environment, permissions: this.drainStatements(props, settings) });
  }

  /** Release 0.1.0's rules (see {@link PER_GROUP_TASK_RULE_CONTEXT}): every rule invokes the function directly. */
  private createRulesOfRelease010(fn: lambda.IFunction, deadLetterQueue: sqs.IQueue, props: DrainingLifecycleHookProps, settings: Settings): void {
    const target = this.directTarget(fn, deadLetterQueue);
    this.createLifecycleActionRule(target, props.autoScalingGroup);
    this.createTaskStoppedRule(target, props.cluster);
    this.createSweepRule(target, settings.sweepInterval);
    if (settings.reactivateWarmPoolInstances) this.createWarmPoolReturnRule(target, props.autoScalingGroup);
    if (settings.drainOnSpotInterruption) this.createSpotInterruptionRule(target);
  }

  private createLifecycleActionRule(target: events.IRuleTarget, autoScalingGroup: autoscaling.IAutoScalingGroup): void {
    new events.Rule(this, 'LifecycleActionRule', {
      description: 'Termination lifecycle actions of this Auto Scaling group and hook',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: {
          AutoScalingGroupName: [autoScalingGroup.autoScalingGroupName],
          LifecycleHookName: [this.lifecycleHookName],
        },
      },
      targets: [target],
    });
  }

  private createTaskStoppedRule(target: events.IRuleTarget, cluster: ecs.ICluster): void {
    new events.Rule(this, 'TaskStoppedRule', {
      description: 'Tasks of this cluster that reached STOPPED: their instance may now be drained',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [cluster.clusterArn],
          lastStatus: ['STOPPED'],
        },
      },
      targets: [target],
    });
  }

  private createSweepRule(target: events.IRuleTarget, sweepInterval: Duration): void {
    new events.Rule(this, 'SweepRule', {
      description: 'Safety sweep: re-checks instances of this Auto Scaling group waiting to terminate',
      schedule: events.Schedule.rate(sweepInterval),
      targets: [target],
    });
  }

  private createWarmPoolReturnRule(target: events.IRuleTarget, autoScalingGroup: autoscaling.IAutoScalingGroup): void {
    new events.Rule(this, 'WarmPoolReturnRule', {
      description: 'Instances of this Auto Scaling group that return to service from the warm pool',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance Launch Successful'],
        // AWS's sample of this event carries no Origin or Destination, while its warm-pool page describes them
        // (docs/aws-behaviour.md): take the warm-pool returns, and the launches that name neither. The handler acts
        // only on an instance it drained; the sweep also catches a return whose event never comes.
        detail: {
          AutoScalingGroupName: [autoScalingGroup.autoScalingGroupName],
          Origin: ['WarmPool', { exists: false }],
          Destination: ['AutoScalingGroup', { exists: false }],
        },
      },
      targets: [target],
    });
  }

  private createSpotInterruptionRule(target: events.IRuleTarget): void {
    new events.Rule(this, 'SpotInterruptionRule', {
      description: 'Spot interruption warnings; the handler ignores instances of other groups',
      eventPattern: {
        source: ['aws.ec2'],
        detailType: ['EC2 Spot Instance Interruption Warning'],
      },
      targets: [target],
    });
  }

  /**
   * Saved CloudWatch Logs Insights queries on the handler's log group, in the console's folder
   * `ecs-draining-lifecycle-hook/<group>`: what is draining and why, drains that timed out, the tasks that block
   * drains, and errors (docs/operations.md). Their construct IDs are contract.
   */
  private createQueryDefinitions(logGroup: logs.ILogGroup): void {
    const folder = `ecs-draining-lifecycle-hook/${this.autoScalingGroupName}`;
    const query = (id: string, name: string, queryString: logs.QueryString) =>
      new logs.QueryDefinition(this, id, { queryDefinitionName: `${folder}/${name}`, queryString, logGroups: [logGroup] });
    query('DrainsQuery', 'Drains and their last word', new logs.QueryString({
      filterStatements: ['ispresent(drainStartedAt)'],
      statsStatements: ['latest(message) as lastMessage, max(@timestamp) as lastSeen by instanceId, containerInstanceArn, drainStartedAt, drainTrigger'],
      sort: 'lastSeen desc',
    }));
    query('TimedOutDrainsQuery', 'Drains that timed out', new logs.QueryString({
      fields: ['@timestamp', 'instanceId', 'containerInstanceArn', 'drainStartedAt', 'drainSeconds', 'tasksNotStopped', 'result'],
      filterStatements: [`message = ${quoted(DrainLogMessage.DRAIN_TIMED_OUT)}`],
      sort: '@timestamp desc',
    }));
    query('BlockingTasksQuery', 'Tasks blocking drains', new logs.QueryString({
      fields: ['@timestamp', 'instanceId', 'at', 'taskArn', 'service', 'family', 'lastStatus', 'desiredStatus', 'startedBy', 'since'],
      filterStatements: [`message = ${quoted(DrainLogMessage.BLOCKING_TASK)} or message = ${quoted(DrainLogMessage.MORE_BLOCKING_TASKS)}`],
      sort: '@timestamp desc',
    }));
    query('ErrorsQuery', 'Errors and warnings', new logs.QueryString({
      fields: ['@timestamp', 'level', 'message', 'instanceId', 'error.name', 'error.message', 'type', 'record.status'],
      // The handler's own ERROR and WARN lines, and Lambda's report of an invocation that did not succeed (a timeout,
      // a crash), which the handler cannot log itself.
      filterStatements: ['level = "ERROR" or level = "WARN" or (type = "platform.report" and record.status != "success")'],
      sort: '@timestamp desc',
    }));
  }

  /**
   * A rule for this hook's drain events (docs/events.md), as aws-cdk-lib's `onEvent` methods make them: its pattern
   * matches the events of source `ecs-draining-lifecycle-hook` whose detail names this Auto Scaling group and hook,
   * of the types in `options.eventTypes` (every type by default); `options.eventPattern` is merged in.
   *
   * @param id the construct ID of the rule, a child of this construct
   * @param options the rule's target, name, description, extra pattern, and which drain events to match
   */
  public onDrainEvent(id: string, options: OnDrainEventOptions = {}): events.Rule {
    if (!this.publishesDrainEvents) {
      throw new DrainingLifecycleHookValidationError(this, `onDrainEvent('${id}') needs publishDrainEvents: it is false, so the `
        + 'handler publishes no drain events and the rule would never match');
    }
    const { eventTypes, ...ruleOptions } = options;
    const rule = new events.Rule(this, id, ruleOptions);
    rule.addEventPattern({
      source: [DRAIN_EVENT_SOURCE],
      detailType: [...new Set(eventTypes && eventTypes.length > 0 ? eventTypes : Object.values(DrainEventType))],
      detail: {
        autoScalingGroupName: [this.autoScalingGroupName],
        lifecycleHookName: [this.lifecycleHookName],
      },
    });
    rule.addTarget(options.target);
    return rule;
  }

  /**
   * A rule for this hook's drains that timed out (`Drain Timed Out`): the instance terminated with tasks still
   * running on it. See {@link onDrainEvent}.
   */
  public onDrainTimedOut(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onDrainEvent(id, { ...options, eventTypes: [DrainEventType.TIMED_OUT] });
  }

  /** A rule for this hook's drains that completed (`Drain Completed`): every task stopped. See {@link onDrainEvent}. */
  public onDrainCompleted(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onDrainEvent(id, { ...options, eventTypes: [DrainEventType.COMPLETED] });
  }

  /**
   * A metric the handler emits, with the Auto Scaling group as its dimension.
   *
   * @param metricName one of DrainsStarted, DrainsCompleted, DrainTimeouts, DrainDuration, InstancesNotRegistered,
   *   PrematureCompletionGuards, StandaloneTasksStopped, WarmPoolReactivations, SpotInterruptionDrains, HandlerErrors,
   *   DrainsWithoutMarker, ClusterNotFound, InstancesDraining, OldestDrainAge, DrainsHeldByProtection, DrainEventsNotPublished,
   *   DrainsRetained, InstancesRetained, OldestRetainedDrainAge, RetainedDrainsOverdue,
   *   InstancesQueued, DrainsOverBudget
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      dimensionsMap: { [METRIC_DIMENSION]: this.autoScalingGroupName },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /** Drains started (an instance set DRAINING, or found DRAINING). @default - sum over 5 minutes */
  public metricDrainsStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_STARTED, props);
  }

  /** Drains completed because every task was STOPPED. @default - sum over 5 minutes */
  public metricDrainsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_COMPLETED, props);
  }

  /**
   * Drains that reached `drainTimeout` with tasks still running, and let the instance go with them (with
   * `DrainTimeoutBehavior.retain()`, those retained are `DrainsRetained` instead). @default - sum over 5 minutes
   */
  public metricDrainTimeouts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAIN_TIMEOUTS, props);
  }

  /** Seconds from the drain start to completion. @default - maximum over 5 minutes */
  public metricDrainDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAIN_DURATION, { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.SECONDS, ...props });
  }

  /** Terminating instances that were not registered in the cluster and completed at once. @default - sum over 5 minutes */
  public metricInstancesNotRegistered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.INSTANCES_NOT_REGISTERED, props);
  }

  /**
   * Checks that found runningTasksCount at 0 while tasks were still stopping: each one is a termination that a
   * count-based drainer would have let through too early. @default - sum over 5 minutes
   */
  public metricPrematureCompletionGuards(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.PREMATURE_COMPLETION_GUARDS, props);
  }

  /** Standalone tasks stopped under `StandaloneTaskPolicy.STOP` after the grace period. @default - sum over 5 minutes */
  public metricStandaloneTasksStopped(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.STANDALONE_TASKS_STOPPED, props);
  }

  /**
   * Container instances set ACTIVE again after their EC2 instance returned to service from the warm pool (by the
   * return event, or by the sweep when that event was lost). @default - sum over 5 minutes
   */
  public metricWarmPoolReactivations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.WARM_POOL_REACTIVATIONS, props);
  }

  /** Drains started early by a Spot Instance interruption warning. @default - sum over 5 minutes */
  public metricSpotInterruptionDrains(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.SPOT_INTERRUPTION_DRAINS, props);
  }

  /**
   * Instances of the group waiting to terminate whose container instance is DRAINING, as each sweep finds them (a
   * gauge, sent every `sweepInterval`). @default - maximum over 5 minutes
   */
  public metricInstancesDraining(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.INSTANCES_DRAINING, { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Seconds since the oldest drain of the group started, as each sweep finds it (0 when nothing drains): alarm on
   * it to hear of a drain stuck long before `drainTimeout`. @default - maximum over 5 minutes
   */
  public metricOldestDrainAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.OLDEST_DRAIN_AGE, { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.SECONDS, ...props });
  }

  /**
   * With `DrainTimeoutBehavior.retain()`: drains that reached `drainTimeout` and were completed with ABANDON into the
   * group's retained state, their tasks still running. (They are not counted as `DrainTimeouts`, unless the group
   * turned out to have no retention trigger, and the instance terminated.) @default - sum over 5 minutes
   */
  public metricDrainsRetained(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_RETAINED, props);
  }

  /**
   * With `DrainTimeoutBehavior.retain()`: retained instances of the group whose drain goes on, as each sweep finds
   * them (a gauge, sent every `sweepInterval`). They cost money while they wait. @default - maximum over 5 minutes
   */
  public metricInstancesRetained(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.INSTANCES_RETAINED, { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * With `DrainTimeoutBehavior.retain()`: seconds since the oldest retained drain of the group started, as each sweep
   * finds it (0 when none). @default - maximum over 5 minutes
   */
  public metricOldestRetainedDrainAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.OLDEST_RETAINED_DRAIN_AGE, { statistic: cloudwatch.Stats.MAXIMUM, unit: cloudwatch.Unit.SECONDS, ...props });
  }

  /**
   * With `DrainTimeoutBehavior.retain()`: retained instances of the group that need a person, as each sweep finds
   * them: drains older than `overdueAfter`, instances retained in the warm pool (Auto Scaling documents no call that
   * releases those), and retained instances this hook does not drain (another hook abandoned them, or their action
   * expired before a drain started), which it never terminates. Alarm on it: it is how a retained instance never stays
   * retained unnoticed. @default - maximum over 5 minutes
   */
  public metricRetainedDrainsOverdue(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.RETAINED_DRAINS_OVERDUE, { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * With `maxConcurrentDrains`: instances of the group waiting for the disruption budget (in their lifecycle wait
   * state, not DRAINING yet), as each sweep finds them (a gauge, sent every `sweepInterval`). @default - maximum over
   * 5 minutes
   */
  public metricInstancesQueued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.INSTANCES_QUEUED, { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * With `maxConcurrentDrains`: drains started over the disruption budget, because the instance had waited so long
   * that its drain could otherwise not end before Auto Scaling's limit for the lifecycle action. Alarm on it: the
   * budget is too small for the group's terminations. @default - sum over 5 minutes
   */
  public metricDrainsOverBudget(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_OVER_BUDGET, props);
  }

  /**
   * Checks of drains whose marker ECS refused because the container instance already carries 10 custom attributes
   * (ECS's limit per resource): such a drain goes on, checked by every sweep instead of by task events, and is timed
   * from the start of its Auto Scaling termination activity. Counted at each check, so it also shows how long such
   * drains last. @default - sum over 5 minutes
   */
  public metricDrainsWithoutMarker(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_WITHOUT_MARKER, props);
  }

  /**
   * With `TaskProtectionPolicy.WAIT`: checks that found a protected task on a terminating instance and left it ACTIVE
   * instead of setting it DRAINING, counted at the start of the wait and at each re-check (every sweep), so it also
   * shows how long such waits last. @default - sum over 5 minutes
   */
  public metricDrainsHeldByProtection(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAINS_HELD_BY_PROTECTION, props);
  }

  /**
   * Lifecycle actions completed without a drain because ECS answered that the cluster does not exist (deleted, or a
   * wrong name): alarm on it, nothing of this group is being drained. @default - sum over 5 minutes
   */
  public metricClusterNotFound(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.CLUSTER_NOT_FOUND, props);
  }

  /**
   * Drain events the handler could not publish to EventBridge (throttled, no route, access denied); the drains
   * themselves are not affected. @default - sum over 5 minutes
   */
  public metricDrainEventsNotPublished(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.DRAIN_EVENTS_NOT_PUBLISHED, props);
  }

  /**
   * Handler invocations that failed (they are retried, then dead-lettered), and instances a sweep could not handle
   * (the next sweep tries again). @default - sum over 5 minutes
   */
  public metricHandlerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.HANDLER_ERRORS, props);
  }
}

/** A Logs Insights string literal. */
function quoted(text: string): string {
  return JSON.stringify(text);
}
