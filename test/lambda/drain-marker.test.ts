import { DrainPhase, DrainTrigger, decodeMarker, encodeMarker, newMarker, ownerId } from '../../lambda/drain-marker';

describe('drain marker', () => {
  test('round-trips and fits an ECS attribute value (<= 128 chars of [A-Za-z0-9/])', () => {
    const marker = { owner: ownerId('asg', 'hook'), drainStartedAt: 1_732_000_000, lastHeartbeatAt: 1_732_000_300, lastCheckedAt: 1_732_000_120, trigger: DrainTrigger.SPOT_INTERRUPTION,
      phase: DrainPhase.DRAINING };
    const value = encodeMarker(marker);
    expect(value).toMatch(/^[0-9a-f]{16}\/1732000000\/1732000300\/1732000120\/S$/);
    expect(value.length).toBeLessThanOrEqual(128);
    expect(decodeMarker(value)).toEqual(marker);
  });

  test('a new marker starts every clock at the drain start', () => {
    expect(newMarker('0123456789abcdef', 1000, DrainTrigger.LIFECYCLE_ACTION))
      .toEqual({ owner: '0123456789abcdef', drainStartedAt: 1000, lastHeartbeatAt: 1000, lastCheckedAt: 1000, trigger: 'L', phase: 'D' });
  });

  test('reads the version 1 marker of earlier releases: a drain in flight during an upgrade keeps its times', () => {
    expect(decodeMarker('0123456789abcdef/1732000000/1732000300')).toEqual({
      owner: '0123456789abcdef', drainStartedAt: 1_732_000_000, lastHeartbeatAt: 1_732_000_300,
      // never recorded: every back-off point since the drain start counts as not yet checked
      lastCheckedAt: 1_732_000_000, trigger: DrainTrigger.UNKNOWN, phase: DrainPhase.DRAINING,
    });
  });

  test('a version 1 marker rewritten (at a heartbeat) keeps its unknown trigger', () => {
    const rewritten = { ...decodeMarker('0123456789abcdef/1732000000/1732000300')!, lastHeartbeatAt: 1_732_000_900 };
    expect(decodeMarker(encodeMarker(rewritten))).toEqual(rewritten);
  });

  test.each([DrainPhase.QUEUED, DrainPhase.RETAINED])('phase %s is written as version 3 and read back', (phase) => {
    const marker = newMarker('0123456789abcdef', 1000, DrainTrigger.LIFECYCLE_ACTION, phase);
    expect(encodeMarker(marker)).toBe(`0123456789abcdef/1000/1000/1000/L/${phase}`);
    expect(decodeMarker(encodeMarker(marker))).toEqual(marker);
  });

  test('a draining instance is still written as version 2, which earlier releases read', () => {
    expect(encodeMarker(newMarker('0123456789abcdef', 1000, DrainTrigger.LIFECYCLE_ACTION))).toBe('0123456789abcdef/1000/1000/1000/L');
  });

  test('the owner differs per group and per hook', () => {
    expect(ownerId('a', 'hook')).not.toEqual(ownerId('b', 'hook'));
    expect(ownerId('asg', 'h1')).not.toEqual(ownerId('asg', 'h2'));
    expect(ownerId('asg', 'hook')).toEqual(ownerId('asg', 'hook'));
  });

  test.each([undefined, '', 'abc', 'ABCDEF0123456789/1/2', '0123456789abcdef/1', '0123456789abcdef/x/2', '0123456789abcdef/1/2/3',
    '0123456789abcdef/1/2/3/X', '0123456789abcdef/1/2/3/L/4', '0123456789abcdef/1/2/3/L/D', '0123456789abcdef/1/2/3/L/Q/R'])(
    'rejects %p', (value) => {
      expect(decodeMarker(value)).toBeUndefined();
    });
});
