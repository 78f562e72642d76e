export * from './drain-budget';
export * from './draining-lifecycle-hook';
export * from './drain-timeout-behavior';
export * from './standalone-task-policy';
export * from './task-protection-policy';
export * from './warnings';
export { DrainEventType } from './handler-contract';
