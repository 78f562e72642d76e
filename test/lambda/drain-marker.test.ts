import { decodeMarker, encodeMarker, ownerId } from '../../lambda/drain-marker';

describe('drain marker', () => {
  test('round-trips and fits an ECS attribute value (<= 128 chars of [A-Za-z0-9/])', () => {
    const value = encodeMarker({ owner: ownerId('asg', 'hook'), drainStartedAt: 1_732_000_000, lastHeartbeatAt: 1_732_000_300 });
    expect(value).toMatch(/^[0-9a-f]{16}\/1732000000\/1732000300$/);
    expect(value.length).toBeLessThanOrEqual(128);
    expect(decodeMarker(value)).toEqual({ owner: ownerId('asg', 'hook'), drainStartedAt: 1_732_000_000, lastHeartbeatAt: 1_732_000_300 });
  });

  test('the owner differs per group and per hook', () => {
    expect(ownerId('a', 'hook')).not.toEqual(ownerId('b', 'hook'));
    expect(ownerId('asg', 'h1')).not.toEqual(ownerId('asg', 'h2'));
    expect(ownerId('asg', 'hook')).toEqual(ownerId('asg', 'hook'));
  });

  test.each([undefined, '', 'abc', 'ABCDEF0123456789/1/2', '0123456789abcdef/1', '0123456789abcdef/x/2', '0123456789abcdef/1/2/3'])(
    'rejects %p', (value) => {
      expect(decodeMarker(value)).toBeUndefined();
    });
});
