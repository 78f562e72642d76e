/**
 * AWS's documented sample events (emulator/fixtures/events/, sources in SOURCES.md there), and a comparison of
 * an event's shape with a sample's: the keys and JSON types, recursively, not the values.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

export const SAMPLE_EVENTS = {
  'autoscaling-terminate-lifecycle-action': 'autoscaling-terminate-lifecycle-action.json',
  'autoscaling-terminate-lifecycle-action-warm-pool': 'autoscaling-terminate-lifecycle-action-warm-pool.json',
  'autoscaling-launch-successful': 'autoscaling-launch-successful.json',
  'ecs-task-state-change': 'ecs-task-state-change.json',
  'ecs-container-instance-state-change': 'ecs-container-instance-state-change.json',
  'ec2-spot-interruption-warning': 'ec2-spot-interruption-warning.json',
  'scheduled-event': 'scheduled-event.json',
} as const;

export type SampleEventName = keyof typeof SAMPLE_EVENTS;

/** The EventBridge envelope every sample has; `detail` differs per event type. */
export interface SampleEvent {
  readonly 'version': string;
  readonly 'id': string;
  readonly 'detail-type': string;
  readonly 'source': string;
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': Record<string, any>;
}

const DIR = path.join(__dirname, 'fixtures', 'events');

/** A fresh copy of a documented sample event (callers may change it). */
export function sampleEvent(name: SampleEventName): SampleEvent {
  return JSON.parse(readFileSync(path.join(DIR, SAMPLE_EVENTS[name]), 'utf8')) as SampleEvent;
}

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object';

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'object') return t;
  throw new Error(`not a JSON value: ${t}`);
}

/**
 * One way an event differs from a sample. `path` names the key: `detail.containers[].exitCode` for a key of any
 * element of `detail.containers`.
 */
export interface ShapeDifference {
  readonly path: string;
  /** missing: the sample has the key, the event does not. extra: the other way round. type: both, different types. */
  readonly kind: 'missing' | 'extra' | 'type';
  readonly detail?: string;
}

export const describeDifference = (d: ShapeDifference) => `${d.kind} ${d.path}${d.detail ? ` (${d.detail})` : ''}`;

/**
 * The differences in keys and JSON types between `actual` and `expected`, recursively. Array elements are compared
 * with the sample element of the same `name` (ECS resources and attributes), else with the sample element sharing
 * the most keys; an empty array on either side has no elements to compare.
 */
export function shapeDifferences(expected: unknown, actual: unknown, at = ''): ShapeDifference[] {
  const te = jsonType(expected);
  const ta = jsonType(actual);
  if (te !== ta) return [{ path: at, kind: 'type', detail: `sample ${te}, event ${ta}` }];
  if (te === 'array') {
    const exp = expected as unknown[];
    const act = actual as unknown[];
    if (exp.length === 0 || act.length === 0) return [];
    return dedupe(act.flatMap((a) => shapeDifferences(closest(exp, a), a, `${at}[]`)));
  }
  if (te !== 'object') return [];
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const join = (k: string) => (at ? `${at}.${k}` : k);
  const out: ShapeDifference[] = [];
  for (const k of Object.keys(e)) if (!(k in a)) out.push({ path: join(k), kind: 'missing' });
  for (const k of Object.keys(a)) {
    if (!(k in e)) out.push({ path: join(k), kind: 'extra' });
    else out.push(...shapeDifferences(e[k], a[k], join(k)));
  }
  return out;
}

function closest(candidates: unknown[], value: unknown): unknown {
  if (jsonType(value) !== 'object') return candidates[0];
  const v = value as Record<string, unknown>;
  const objects = candidates.filter((c) => jsonType(c) === 'object') as Array<Record<string, unknown>>;
  if (objects.length === 0) return candidates[0];
  const byName = objects.find((c) => c.name !== undefined && c.name === v.name);
  if (byName) return byName;
  const overlap = (c: Record<string, unknown>) => Object.keys(c).filter((k) => k in v).length - Object.keys(c).filter((k) => !(k in v)).length;
  return objects.reduce((best, c) => (overlap(c) > overlap(best) ? c : best));
}

function dedupe(diffs: ShapeDifference[]): ShapeDifference[] {
  const seen = new Map<string, ShapeDifference>();
  for (const d of diffs) seen.set(describeDifference(d), d);
  return [...seen.values()];
}
