/**
 * The wire-level AWS emulator for end-to-end tests and benchmarks: ECS (awsJson1_1) and Auto Scaling (awsQuery) on
 * one local HTTP server, a world model on a virtual clock, EventBridge rules from the synthesized template, and a
 * Lambda host that runs the bundled handler in child processes.
 */
export { AwsServer, type ApiCall, summarize } from './aws-server';
export { VirtualClock } from './clock';
export { type DrainScenario, type DrainScenarioResult, Emulator, type EmulatorOptions, runDrainScenario, type HookProps, type SynthesizedDrainStack, type TimelineEntry, functionAssetDir, synthDrainStack } from './emulator';
export { ASYNC_RETRY_DELAYS_MS, type AsyncInvokeConfig, type DeadLetter, type Delivery, EventBus, type Rule, parseRate } from './event-bus';
export { InvalidEventPatternError, matchesPattern } from './event-pattern';
export { type FaultOptions, Rng, TokenBucket } from './faults';
export { type Invocation, LambdaHost, type LambdaHostOptions } from './lambda-host';
export { ApiError, AutoScalingApi, EcsApi } from './protocols';
export { resolve, resourcesOfType } from './template';
export { ACCOUNT, REGION, type AddInstanceOptions, type InstanceOutcome, World } from './world';
