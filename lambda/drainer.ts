/**
 * The drain workflow's entry: maps each trigger to the event handlers or the sweep, which share the drain core.
 * Nothing is remembered between invocations: every trigger reads state back from AWS, and the drain state lives in
 * an ECS attribute on the container instance.
 */
import { DrainBudgetGate } from './budget';
import { DrainCore, type DrainerDeps, type InstanceReport } from './drain-core';
import { EventHandlers } from './event-handlers';
import type { Trigger } from './events';
import { Sweep } from './sweep';

export { DrainError, type DrainerDeps, type InstanceOutcome, type InstanceReport } from './drain-core';

export class Drainer {
  private readonly events: EventHandlers;
  private readonly sweep: Sweep;

  constructor(private readonly deps: DrainerDeps) {
    const core = new DrainCore(deps);
    // The disruption budget, when maxConcurrentDrains is set: drains then start through it.
    const budget = deps.config.drainBudget ? new DrainBudgetGate(core, deps, deps.config.drainBudget) : undefined;
    this.events = new EventHandlers(core, deps, budget);
    this.sweep = new Sweep(core, deps, budget);
  }

  /** Handles one trigger. `remainingMs` tells how long the invocation may still run. */
  async handle(trigger: Trigger, remainingMs: () => number = () => Infinity): Promise<InstanceReport[]> {
    switch (trigger.kind) {
      case 'lifecycle-action':
        return [await this.events.onLifecycleAction(trigger.instanceId, trigger.origin)];
      case 'task-stopped':
        return this.events.onTaskStopped(trigger.containerInstanceArn, trigger.taskArn);
      case 'sweep':
        return this.sweep.run(remainingMs);
      case 'warm-pool-return':
        return [await this.events.onWarmPoolReturn(trigger.instanceId, trigger.occurredAt)];
      case 'spot-interruption':
        return [await this.events.onSpotInterruption(trigger.instanceId)];
      case 'ignored':
        this.deps.log.info('event ignored', { reason: trigger.reason, ...(trigger.instanceId ? { instanceId: trigger.instanceId } : {}) });
        return [];
    }
  }
}
