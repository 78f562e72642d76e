/**
 * The disruption budget in the handler (lambda/budget.ts), against mocked SDK clients: which instances start
 * draining, which wait QUEUED (kept alive, ACTIVE), and when the next one starts.
 */
import { DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { admitBy } from '../../lambda/budget-decisions';
import type { DrainConfig } from '../../lambda/config';
import { type DrainEvent, DrainEventType } from '../../lambda/drain-events';
import { DRAIN_MARKER_ATTRIBUTE, DrainPhase, decodeMarker } from '../../lambda/drain-marker';
import { type Drainer } from '../../lambda/drainer';
import { classifyEvent } from '../../lambda/events';
import { CapturedLines, config as baseConfig, lifecycleEvent, scheduledEvent, taskStoppedEvent, sdkDrainer } from './fixtures';
import { FakeAws, type FakeInstance } from './mock-aws';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
/** Instance ids i-…01 to i-…10. */
const ID = (n: number) => `i-${String(n).padStart(17, '0')}`;

class Harness {
  readonly aws = new FakeAws();
  readonly out = new CapturedLines();
  /** Drain events the handler published. */
  readonly published: DrainEvent[] = [];
  nowMs = T0;
  readonly config: DrainConfig;
  readonly drainer: Drainer;

  constructor(overrides: Partial<DrainConfig> = {}) {
    this.config = baseConfig({ drainBudget: { kind: 'COUNT', value: 2 }, ...overrides });
    this.drainer = sdkDrainer(this.config, () => this.nowMs, this.out, this.published);
  }

  advance(seconds: number): void { this.nowMs += seconds * 1000; }
  send(event: unknown) { return this.drainer.handle(classifyEvent(event, this.config)); }
  lifecycle(instanceId: string) { return this.send(lifecycleEvent({ EC2InstanceId: instanceId })); }
  sweep() { return this.send(scheduledEvent(new Date(this.nowMs).toISOString())); }
  /** `n` instances with one service task each, in service. */
  instances(n: number): FakeInstance[] {
    return Array.from({ length: n }, (_, k) => {
      const ci = this.aws.addInstance(ID(k + 1));
      this.aws.addTasks(ci, 1);
      this.aws.groupStates.set(ID(k + 1), 'InService');
      return ci;
    });
  }
  /** Auto Scaling terminates these instances (by number), one second apart, in this order. */
  terminate(...numbers: number[]): void {
    for (const n of numbers) {
      this.aws.terminate(ID(n), new Date(this.nowMs));
      this.advance(1);
    }
  }
  markerOf(ci: FakeInstance) { return decodeMarker(ci.attributes.get(DRAIN_MARKER_ATTRIBUTE)); }
  statuses(cis: FakeInstance[]): string[] { return cis.map((ci) => ci.status); }
}

let h: Harness;
afterEach(() => h.aws.restore());

describe('lifecycle events with a budget of 2', () => {
  test('the two oldest terminations start draining; the third waits QUEUED: ACTIVE, kept alive, marked', async () => {
    h = new Harness();
    const cis = h.instances(3);
    h.terminate(1, 2, 3);
    expect(await h.lifecycle(ID(1))).toEqual([{ instanceId: ID(1), outcome: 'waiting' }]);
    expect(await h.lifecycle(ID(2))).toEqual([{ instanceId: ID(2), outcome: 'waiting' }]);
    h.aws.autoScaling.resetHistory();
    expect(await h.lifecycle(ID(3))).toEqual([{ instanceId: ID(3), outcome: 'queued' }]);
    expect(h.statuses(cis)).toEqual(['DRAINING', 'DRAINING', 'ACTIVE']);
    expect(h.markerOf(cis[2])).toMatchObject({ phase: DrainPhase.QUEUED, drainStartedAt: h.nowMs / 1000 });
    expect(h.aws.heartbeats).toContain(ID(3));
    expect(h.out.logs().find((l) => l.instanceId === ID(3) && l.message.startsWith('waiting for the disruption budget'))).toMatchObject({ ahead: 2 });
    // a Drain Queued event for the one that waits, Drain Started for the two that drain
    expect(h.published.map((e) => [e.type, e.detail.instanceId])).toEqual([
      [DrainEventType.STARTED, ID(1)], [DrainEventType.STARTED, ID(2)], [DrainEventType.QUEUED, ID(3)],
    ]);
    expect(h.published[2].detail).toMatchObject({ drainSeconds: 0, blockingTaskCount: 1, trigger: 'LIFECYCLE_ACTION', version: '1' });
  });

  test('events out of order: a younger instance waits for the older ones even when it is handled first', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(3);
    h.terminate(1, 2, 3);
    expect(await h.lifecycle(ID(3))).toEqual([{ instanceId: ID(3), outcome: 'queued' }]);
    expect(await h.lifecycle(ID(2))).toEqual([{ instanceId: ID(2), outcome: 'queued' }]);
    expect(await h.lifecycle(ID(1))).toEqual([{ instanceId: ID(1), outcome: 'waiting' }]);
    expect(h.statuses(cis)).toEqual(['DRAINING', 'ACTIVE', 'ACTIVE']);
  });

  test('a duplicate event for a queued instance keeps its place and its first queue time', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    await h.lifecycle(ID(2));
    const queuedAt = h.markerOf(cis[1])!.drainStartedAt;
    h.advance(30);
    expect(await h.lifecycle(ID(2))).toEqual([{ instanceId: ID(2), outcome: 'queued' }]);
    expect(h.markerOf(cis[1])!.drainStartedAt).toBe(queuedAt);
    expect(cis[1].status).toBe('ACTIVE');
    expect(h.published.filter((e) => e.type === DrainEventType.QUEUED)).toHaveLength(1); // published once
  });

  test('a percentage of the InService instances: 20 % of 8 in service is 2 (rounded up)', async () => {
    h = new Harness({ drainBudget: { kind: 'PERCENT', value: 20 } });
    const cis = h.instances(11);
    h.terminate(1, 2, 3); // 8 stay InService: 1.6, rounded up to 2
    for (const n of [1, 2, 3]) await h.lifecycle(ID(n));
    expect(h.statuses(cis.slice(0, 3))).toEqual(['DRAINING', 'DRAINING', 'ACTIVE']);
  });
});

describe('a drain that ends frees its place at once', () => {
  test('the task event that completes a drain starts the oldest queued instance in the same invocation', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(3);
    h.terminate(1, 2, 3);
    for (const n of [3, 1, 2]) await h.lifecycle(ID(n));
    expect(h.statuses(cis)).toEqual(['DRAINING', 'ACTIVE', 'ACTIVE']);
    h.aws.stopAll(cis[0]);
    const task = h.aws.tasks.find((t) => t.containerInstanceArn === cis[0].arn)!;
    const reports = await h.send(taskStoppedEvent({ containerInstanceArn: cis[0].arn, taskArn: task.arn }));
    expect(reports).toEqual([{ instanceId: ID(1), outcome: 'completed' }, { instanceId: ID(2), outcome: 'waiting' }]);
    expect(h.statuses(cis)).toEqual(['DRAINING', 'DRAINING', 'ACTIVE']);
    expect(h.markerOf(cis[1])).toMatchObject({ phase: DrainPhase.DRAINING, drainStartedAt: h.nowMs / 1000 });
  });
});

describe('the sweep with a budget', () => {
  test('keeps queued instances alive (a heartbeat only when due), admits none over the budget, and reports the queue', async () => {
    h = new Harness();
    const cis = h.instances(4);
    h.terminate(1, 2, 3, 4);
    for (const n of [1, 2, 3, 4]) await h.lifecycle(ID(n));
    h.aws.autoScaling.resetHistory();
    h.advance(60);
    await h.sweep();
    expect(h.aws.heartbeats.filter((id) => id === ID(3) || id === ID(4))).toHaveLength(2); // the ones from queueing
    expect(h.out.metricValues('InstancesQueued')).toEqual([2]);
    h.advance(300); // a heartbeat is due (600 s timeout, due 240 s before)
    await h.sweep();
    expect(h.aws.heartbeats.filter((id) => id === ID(3) || id === ID(4))).toHaveLength(4);
    expect(h.statuses(cis)).toEqual(['DRAINING', 'DRAINING', 'ACTIVE', 'ACTIVE']);
    expect(h.out.metricValues('InstancesQueued')).toEqual([2, 2]);
    expect(h.out.metricValues('DrainsOverBudget')).toEqual([]);
  });

  test('a lost lifecycle event: the sweep queues the instance like any other (heartbeat, QUEUED marker)', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    // ID(2)'s event is lost
    expect(await h.sweep()).toContainEqual({ instanceId: ID(2), outcome: 'queued' });
    expect(h.markerOf(cis[1])).toMatchObject({ phase: DrainPhase.QUEUED });
  });

  test('a lost task event: the sweep completes the drain and admits the next in the same run', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    await h.lifecycle(ID(2));
    h.aws.stopAll(cis[0]); // its STOPPED event is lost
    h.advance(65);
    const reports = await h.sweep();
    expect(reports).toContainEqual({ instanceId: ID(1), outcome: 'completed' });
    expect(reports).toContainEqual({ instanceId: ID(2), outcome: 'waiting' });
    expect(cis[1].status).toBe('DRAINING');
    expect(h.out.metricValues('InstancesQueued')).toEqual([1]); // counted before the drain ended
  });

  test('at its deadline an instance starts draining over the budget, with a WARN and the DrainsOverBudget metric', async () => {
    // drainTimeout 40 000 s of a 60 000 s lifecycle action limit (100 × 600 s): ID(1) still drains at ID(2)'s deadline
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 }, drainTimeoutSeconds: 40_000 });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    await h.lifecycle(ID(2));
    const startedAt = (T0 / 1000) + 1; // ID(2)'s termination began 1 s after T0
    // keep ID(1) draining (and both actions alive) until ID(2)'s deadline
    h.nowMs = (admitBy(startedAt, h.config) - 1) * 1000;
    await h.sweep();
    expect(cis[1].status).toBe('ACTIVE');
    h.advance(1);
    await h.sweep();
    expect(h.statuses(cis)).toEqual(['DRAINING', 'DRAINING']);
    expect(h.out.metricValues('DrainsOverBudget')).toEqual([1]);
    expect(h.out.logs().find((l) => l.level === 'WARN' && l.instanceId === ID(2))?.message).toMatch(/over the disruption budget/);
    // the drain gets its full drainTimeout from its own start
    expect(h.markerOf(cis[1])).toMatchObject({ phase: DrainPhase.DRAINING, drainStartedAt: h.nowMs / 1000 });
  });

  test('a queued instance someone else set DRAINING is adopted, not left waiting', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    await h.lifecycle(ID(2));
    cis[1].status = 'DRAINING'; // by hand
    await h.sweep();
    expect(h.markerOf(cis[1])).toMatchObject({ phase: DrainPhase.DRAINING });
  });

  test('when the group cannot be read for the budget, waiting instances only get a heartbeat: none starts draining', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(2);
    h.terminate(1, 2);
    await h.lifecycle(ID(1));
    // ID(2)'s event is lost, and DescribeScalingActivities fails past every retry
    h.aws.autoScaling.on(DescribeScalingActivitiesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' }));
    h.aws.autoScaling.resetHistory();
    const reports = await h.sweep();
    expect(reports).toContainEqual({ instanceId: ID(2), outcome: 'queued' });
    expect(cis[1].status).toBe('ACTIVE');
    expect(h.aws.heartbeats).toContain(ID(2));
    expect(h.out.metricValues('HandlerErrors').length).toBeGreaterThan(0);
  });

  test('a retained drain (DrainTimeoutBehavior.retain()) still DRAINING keeps its place; a retained instance nobody drains does not', async () => {
    h = new Harness({ drainBudget: { kind: 'COUNT', value: 1 } });
    const cis = h.instances(3);
    h.aws.groupStates.set(ID(1), 'Terminating:Retained');
    cis[0].status = 'DRAINING'; // its drain goes on in the retained state
    h.terminate(2);
    expect(await h.lifecycle(ID(2))).toEqual([{ instanceId: ID(2), outcome: 'queued' }]);
    cis[0].status = 'ACTIVE'; // (a retained instance this hook does not drain)
    h.terminate(3);
    expect(await h.lifecycle(ID(3))).toEqual([{ instanceId: ID(3), outcome: 'queued' }]); // ID(2) comes first
    expect(await h.sweep()).toContainEqual({ instanceId: ID(2), outcome: 'waiting' });
    expect(h.statuses(cis)).toEqual(['ACTIVE', 'DRAINING', 'ACTIVE']);
  });

  test('without a budget, every instance starts draining at once (today\'s behaviour)', async () => {
    h = new Harness({ drainBudget: undefined });
    const cis = h.instances(4);
    h.terminate(1, 2, 3, 4);
    for (const n of [1, 2, 3, 4]) await h.lifecycle(ID(n));
    expect(h.statuses(cis)).toEqual(['DRAINING', 'DRAINING', 'DRAINING', 'DRAINING']);
    await h.sweep();
    expect(h.out.metricValues('InstancesQueued')).toEqual([]);
  });
});
