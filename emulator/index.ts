/**
 * The wire-level AWS emulator for end-to-end tests, the simulation and the benchmark: ECS (awsJson1_1) and Auto
 * Scaling (awsQuery) on one local HTTP server, a world model on a virtual clock, EventBridge rules from the synthesized
 * template, and a Lambda host that runs the bundled handler in child processes.
 *
 * Import from here (`import { Emulator } from '../emulator'`), not from the module files. Not part of the npm package.
 */

// The harness: synthesize the construct, run the bundled handler against the emulated AWS on one clock.
export { type DrainScenario, type DrainScenarioResult, Emulator, type EmulatorOptions, runDrainScenario, type HookProps, type StackLayout, type SynthesizedDrainStack, type TimelineEntry, functionAssetDir, hookNameOf, synthDrainStack } from './emulator';

// The emulated AWS: world model, APIs on the wire, EventBridge, Lambda, time and faults.
export { ACCOUNT, REGION, type AddInstanceOptions, type RetentionRecord, type TerminationOutcome, World } from './world';
export { AwsServer, type ApiCall, type WireExchange, summarize } from './aws-server';
export { ApiError, AutoScalingApi, EcsApi, EventsApi, PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, putEventsEntrySize } from './protocols';
export { ASYNC_RETRY_DELAYS_MS, type AsyncInvokeConfig, type DeadLetter, type Delivery, EventBus, type Rule, type RuleMatch, parseRate } from './event-bus';
export { InvalidEventPatternError, matchesPattern } from './event-pattern';
export { type Invocation, LambdaHost, type LambdaHostOptions } from './lambda-host';
export { ManualClock, VirtualClock } from './clock';
export { ECS_THROTTLING_CATEGORIES, type FaultOptions, Rng, TokenBucket } from './faults';
export { type BatchRecord, EmuQueue, type EventSourceMappingConfig, type QueueConfig, SqsEventSource } from './sqs';
export { resolve, resourcesOfType } from './template';

// Fidelity checks: the emulator against AWS's documented sample events and AWS's own service models.
export { type SampleEventName, type ShapeDifference, describeDifference, jsonType, sampleEvent, shapeDifferences } from './sample-events';
export { type CheckedExchange, type Service, type ServiceModel, checkExchange, locateModels } from './service-model';
export { type TaskChurn, type TaskChurnOptions, type TaskEventCost, peakConcurrency, startTaskChurn, taskEventCost } from './workload';
