/**
 * The Lambda host (child processes, Context, environment, emulated time, timeouts, crashes, warm reuse) and the
 * event bus (rule routing, async retries, dead letters, schedules, delivery faults), with a probe handler.
 */
import * as path from 'path';
import { type AsyncInvokeConfig, EventBus, type FaultOptions, LambdaHost, type LambdaHostOptions, Rng, type Rule, VirtualClock } from '../../emulator';

jest.setTimeout(30_000);

const PROBE = path.join(__dirname, 'fixtures', 'probe-handler.js');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const open: Array<{ stop(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.stop();
});

function host(clock: VirtualClock, options: Partial<LambdaHostOptions> = {}): LambdaHost {
  const h = new LambdaHost({
    handlerFile: PROBE, environment: { PROBE_SETTING: 'from-template' }, endpoint: 'http://127.0.0.1:9',
    timeoutMs: 5 * MINUTE, maxConcurrency: 2, clock, rng: new Rng(1), functionName: 'probe', memoryMb: 256, ...options,
  });
  open.push(h);
  return h;
}

function newClock(scale: number): VirtualClock {
  const clock = new VirtualClock(scale);
  open.push(clock);
  return clock;
}

/** Polls (real time) until `cond` holds. */
async function waitFor(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (id: string, detail: Record<string, unknown> = {}, detailType = 'Probe') => ({ 'id': id, 'source': 'test.probe', 'detail-type': detailType, detail });

describe('Lambda host', () => {
  test('the handler sees emulated time, a Lambda Context, the function environment and the emulator endpoint; environments stay warm', async () => {
    const clock = newClock(60);
    const lambda = host(clock);
    const before = clock.now();
    const first = await lambda.invoke(event('a'));
    const after = clock.now();
    expect(first).toMatchObject({ ok: true, requestId: 'inv-1', detailType: 'Probe' });
    const seen = first.result as Record<string, any>;
    expect(seen.now).toBeGreaterThanOrEqual(before);
    expect(seen.now).toBeLessThanOrEqual(after);
    expect(Math.abs(seen.dateNow - seen.now)).toBeLessThan(60 * 50);
    expect(seen.remaining).toBeGreaterThan(4 * MINUTE);
    expect(seen.remaining).toBeLessThanOrEqual(5 * MINUTE);
    expect(seen).toMatchObject({
      functionName: 'probe', functionVersion: '$LATEST', memoryLimitInMB: '256', awsRequestId: 'inv-1',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:probe', endpoint: 'http://127.0.0.1:9',
      region: 'eu-west-1', custom: 'from-template', warm: false,
    });
    expect(first.billedMs).toBe(Math.max(1, Math.ceil(first.realMs!)));
    const second = await lambda.invoke(event('b'));
    expect(second.result).toMatchObject({ warm: true, pid: seen.pid });
    // an invocation settles only once every line it logged has been read
    expect(lambda.logLines.filter((l) => l.includes('"probe"'))).toHaveLength(2);
  });

  test('timers in the handler run on emulated time', async () => {
    const clock = newClock(600);
    const lambda = host(clock);
    const inv = await lambda.invoke(event('sleep', { sleepMs: 2 * MINUTE }));
    expect(inv.ok).toBe(true);
    expect(inv.emulatedMs!).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(inv.realMs!).toBeLessThan(2 * MINUTE / 60); // far less than real minutes
  });

  test('a timeout ends the invocation and the environment; the next one cold-starts', async () => {
    const clock = newClock(60);
    const lambda = host(clock, { timeoutMs: 3 * SECOND });
    const warmPid = ((await lambda.invoke(event('warm'))).result as any).pid;
    const hung = await lambda.invoke(event('hang', { hang: true }));
    expect(hung).toMatchObject({ ok: false, error: 'Task timed out' });
    expect(hung.emulatedMs ?? 0).toBe(0);
    const next = await lambda.invoke(event('next'));
    expect(next.ok).toBe(true);
    expect(next.result).toMatchObject({ warm: false });
    expect((next.result as any).pid).not.toBe(warmPid);
  });

  test('killBusy() crashes a running invocation; the host keeps serving', async () => {
    const clock = newClock(60);
    const lambda = host(clock);
    const running = lambda.invoke(event('long', { sleepMs: 10 * MINUTE }));
    while (!lambda.invocations.length) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    expect(lambda.killBusy()).toBe(1);
    expect(await running).toMatchObject({ ok: false, killed: true });
    expect((await lambda.invoke(event('after'))).ok).toBe(true);
  });

  test('killBusy() while an environment is still starting (a crash in its init): the invocation fails, it never hangs', async () => {
    const clock = newClock(60);
    const lambda = host(clock);
    // No prewarm: this invocation waits for a fresh environment, which is busy before it has said it is ready.
    const starting = lambda.invoke(event('cold'));
    expect(lambda.killBusy()).toBe(1);
    const outcome = await Promise.race([starting, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5_000))]);
    expect(outcome).toMatchObject({ ok: false, killed: true });
    expect(lambda.invocations).toContainEqual(expect.objectContaining({ ok: false, killed: true }));
    expect((await lambda.invoke(event('after'))).ok).toBe(true);
  });

  test('at most maxConcurrency environments; extra invocations queue', async () => {
    const clock = newClock(600);
    const lambda = host(clock, { maxConcurrency: 2 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => lambda.invoke(event(`c${i}`, { sleepMs: 30 * SECOND }))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => (r.result as any).pid)).size).toBe(2);
  });
});

describe('event bus', () => {
  function bus(scale: number, rules: Rule[], faults: FaultOptions = {}, config?: AsyncInvokeConfig, seed = 7) {
    const clock = newClock(scale);
    const lambda = host(clock, { maxConcurrency: 1 });
    const b = new EventBus(rules, lambda, clock, new Rng(seed), faults, config);
    open.push(b);
    return { clock, lambda, bus: b };
  }
  const probeRule: Rule = { id: 'ProbeRule', eventPattern: { 'source': ['test.probe'], 'detail-type': ['Probe'] } };
  const settled = (lambda: LambdaHost) => lambda.invocations.filter((i) => i.ok !== undefined);

  test('routes only matching events of enabled rules; a target Input replaces the event', async () => {
    const { lambda, bus: b } = bus(60, [
      probeRule,
      { id: 'Disabled', eventPattern: { source: ['test.probe'] }, disabled: true },
      { id: 'WithInput', eventPattern: { 'detail-type': ['Other'] }, input: { 'id': 'constant', 'detail-type': 'Constant' } },
    ]);
    b.publish(event('match'));
    b.publish(event('other-source', {}, 'Nope'));
    b.publish({ ...event('other-type'), source: 'aws.ecs' });
    b.publish(event('input', {}, 'Other'));
    await waitFor(() => settled(lambda).length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled(lambda).map((i) => (i.result as any).id).sort()).toEqual(['constant', 'match']);
    expect(b.deliveries.map((d) => [d.ruleId, d.fate])).toEqual([['ProbeRule', 'delivered'], ['WithInput', 'delivered']]);
  });

  test('a failing function is retried twice, about 1 and 2 minutes apart, then dead-lettered', async () => {
    // scale 60: the 30 s of slack below are half a real second, room for a slow invocation on a loaded machine
    const { lambda, bus: b } = bus(60, [probeRule]);
    b.publish(event('boom', { fail: true }));
    await waitFor(() => b.deadLetters.length === 1);
    const attempts = settled(lambda);
    expect(attempts.map((i) => i.ok)).toEqual([false, false, false]);
    const gaps = [attempts[1].startedAt - attempts[0].startedAt, attempts[2].startedAt - attempts[1].startedAt];
    expect(gaps[0]).toBeGreaterThanOrEqual(1 * MINUTE);
    expect(gaps[0]).toBeLessThan(1 * MINUTE + 30 * SECOND);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(gaps[1]).toBeLessThan(2 * MINUTE + 30 * SECOND);
    expect(b.deadLetters[0]).toMatchObject({ attempts: 3, reason: 'RetriesExhausted', error: 'Error: asked to fail: boom' });
  });

  test('the function\'s EventInvokeConfig: fewer retries, and a maximum event age', async () => {
    const noRetries = bus(600, [probeRule], {}, { maximumRetryAttempts: 0, maximumEventAgeMs: 6 * 60 * MINUTE });
    noRetries.bus.publish(event('once', { fail: true }));
    await waitFor(() => noRetries.bus.deadLetters.length === 1);
    expect(noRetries.bus.deadLetters[0]).toMatchObject({ attempts: 1, reason: 'RetriesExhausted' });

    // Retries come 1 and then 2 minutes after a failure: with a 2.5-minute maximum age the first retry runs (age
    // about 1 minute) and the second would be past it (age over 3 minutes). Scale 60 leaves about 1.5 real seconds
    // for the invocations themselves before the first retry would be too old as well.
    const young = bus(60, [probeRule], {}, { maximumRetryAttempts: 2, maximumEventAgeMs: 2.5 * MINUTE });
    young.bus.publish(event('aging', { fail: true }));
    await waitFor(() => young.bus.deadLetters.length === 1);
    expect(young.bus.deadLetters[0]).toMatchObject({ attempts: 2, reason: 'EventAgeExceeded' });
  });

  test('a rate(1 minute) schedule fires once every emulated minute, within the minute (not on its 0th second), time = when it fired', async () => {
    // scale 60: the 30 s of allowed timer lag are half a real second
    const { clock, lambda, bus: b } = bus(60, [{ id: 'Sweep', periodMs: MINUTE }]);
    const start = clock.now();
    b.startSchedules();
    await waitFor(() => settled(lambda).length >= 4);
    const fired = b.deliveries.map((d) => d.at - start);
    fired.forEach((at, n) => {
      expect(at).toBeGreaterThanOrEqual((n + 1) * MINUTE);
      expect(at).toBeLessThan((n + 2) * MINUTE + 30 * SECOND); // within its minute, plus timer lag, never accumulated
    });
    // not all on the 0th second
    expect(new Set(fired.map((at) => Math.floor((at % MINUTE) / SECOND))).size).toBeGreaterThan(1);
    const first = settled(lambda)[0];
    expect(first.detailType).toBe('Scheduled Event');
    expect(lambda.logLines[0]).toMatch(/^\{"message":"probe","id":"[0-9a-f-]{36}"/);
  });

  test('an adversarial schedule: each tick at the offset the pattern gives', async () => {
    const { clock, lambda, bus: b } = bus(60, [{ id: 'Sweep', periodMs: MINUTE }], { scheduleOffsetsMs: [59 * SECOND, 0] });
    const start = clock.now();
    b.startSchedules();
    await waitFor(() => settled(lambda).length >= 4);
    const fired = b.deliveries.slice(0, 4).map((d) => Math.round((d.at - start) / SECOND));
    // 119 s, 120 s, 239 s, 240 s: one gap of almost two minutes, then one of a second
    fired.forEach((at, n) => expect(at - [119, 120, 239, 240][n]).toBeLessThan(31));
  });

  test('injected delivery faults: drops, duplicates and delays, replayed exactly by the seed', async () => {
    const run = async (seed: number) => {
      const { lambda, bus: b } = bus(600, [probeRule], { dropEventRate: 0.3, duplicateEventRate: 0.3, maxExtraDelayMs: 5 * MINUTE }, undefined, seed);
      for (let i = 0; i < 12; i++) b.publish(event(`e${i}`));
      const expected = b.deliveries.filter((d) => d.fate !== 'dropped').length;
      await waitFor(() => settled(lambda).length === expected);
      return { fates: b.deliveries.map((d) => d.fate), order: settled(lambda).map((i) => (i.result as any).id) };
    };
    const a = await run(3);
    expect(a.fates).toContain('dropped');
    expect(a.fates).toContain('duplicated');
    // delays reorder deliveries
    expect(a.order).not.toEqual([...a.order].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    const b = await run(3);
    expect(b.fates).toEqual(a.fates);
  });
});
