export * from './draining-lifecycle-hook';
export * from './standalone-task-policy';
export * from './warnings';
