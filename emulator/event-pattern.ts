/**
 * EventBridge event pattern matching, after https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * and eb-create-pattern-operators.html:
 * - every field named in the pattern must match (AND); the values listed for one field are alternatives (OR);
 * - nested objects match nested event objects; leaf rules are always arrays;
 * - an event field that is an array matches when any element matches (for `anything-but`: when no element is excluded);
 * - content filters: prefix, suffix (both optionally `{equals-ignore-case}`), equals-ignore-case, wildcard,
 *   anything-but (a value, a list, or a nested prefix/suffix/equals-ignore-case/wildcard), exists, numeric, cidr;
 * - `$or`: a list of sub-patterns, any of which may match.
 */
type Json = unknown;
type JsonObject = Record<string, Json>;

export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventPatternError';
  }
}

export function matchesPattern(pattern: JsonObject, event: JsonObject): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2) throw new InvalidEventPatternError('$or takes a list of at least two patterns');
      return rule.some((alternative) => matchesPattern(alternative as JsonObject, event));
    }
    return matchField(rule, event[key], key in event && event[key] !== undefined);
  });
}

function isObject(v: Json): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function matchField(rule: Json, value: Json, present: boolean): boolean {
  if (Array.isArray(rule)) {
    // An object in the event cannot match a leaf rule (fields must have the same nesting structure).
    if (isObject(value)) return false;
    const values = Array.isArray(value) ? value : [value];
    return rule.some((r) => matchValue(r, values, present));
  }
  if (isObject(rule)) {
    // A nested rule against a missing or non-object field: only rules that accept absence ({exists: false}) match.
    return matchesPattern(rule, isObject(value) ? value : {});
  }
  throw new InvalidEventPatternError(`leaf values must be arrays, got ${JSON.stringify(rule)}`);
}

function strings(values: Json[]): string[] {
  return values.filter((v): v is string => typeof v === 'string');
}

/** prefix/suffix take a string, or `{ "equals-ignore-case": string }`. */
function affix(arg: Json, values: Json[], test: (v: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return strings(values).some((v) => test(v, arg));
  if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string') {
    const a = (arg['equals-ignore-case'] as string).toLowerCase();
    return strings(values).some((v) => test(v.toLowerCase(), a));
  }
  throw new InvalidEventPatternError(`invalid prefix/suffix argument ${JSON.stringify(arg)}`);
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

function matchValue(rule: Json, values: Json[], present: boolean): boolean {
  if (!isObject(rule)) return present && values.some((v) => v === rule);
  const entries = Object.entries(rule);
  if (entries.length !== 1) throw new InvalidEventPatternError(`a content filter has exactly one operator, got ${JSON.stringify(rule)}`);
  const [op, arg] = entries[0];
  switch (op) {
    case 'exists':
      if (typeof arg !== 'boolean') throw new InvalidEventPatternError('exists takes true or false');
      return arg === present;
    case 'prefix':
      return present && affix(arg, values, (v, a) => v.startsWith(a));
    case 'suffix':
      return present && affix(arg, values, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return present && strings(values).some((v) => v.toLowerCase() === String(arg).toLowerCase());
    case 'wildcard':
      return present && strings(values).some((v) => wildcard(String(arg)).test(v));
    case 'anything-but':
      // Negation: the field must exist, and no element of it may be excluded.
      return present && values.every((v) => !excludedBy(arg, v));
    case 'numeric':
      return present && values.some((v) => typeof v === 'number' && numeric(arg, v));
    case 'cidr':
      return present && strings(values).some((v) => inCidr(String(arg), v));
    default:
      throw new InvalidEventPatternError(`unsupported content filter ${op}`);
  }
}

/** Whether `v` is what an `anything-but` argument names. */
function excludedBy(arg: Json, v: Json): boolean {
  if (Array.isArray(arg)) return arg.includes(v);
  if (!isObject(arg)) return v === arg;
  const [op, inner] = Object.entries(arg)[0] ?? [];
  if (typeof v !== 'string') return false;
  const list = (Array.isArray(inner) ? inner : [inner]).map(String);
  switch (op) {
    case 'prefix': return list.some((p) => v.startsWith(p));
    case 'suffix': return list.some((s) => v.endsWith(s));
    case 'equals-ignore-case': return list.some((s) => s.toLowerCase() === v.toLowerCase());
    case 'wildcard': return list.some((w) => wildcard(w).test(v));
    default: throw new InvalidEventPatternError(`unsupported anything-but operator ${op}`);
  }
}

/** `[">", 0, "<=", 5]`: one or two comparisons, all of which must hold. */
function numeric(arg: Json, v: number): boolean {
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw new InvalidEventPatternError(`numeric takes one or two comparisons, got ${JSON.stringify(arg)}`);
  for (let i = 0; i < arg.length; i += 2) {
    const bound = arg[i + 1];
    if (typeof bound !== 'number') throw new InvalidEventPatternError(`numeric bounds must be numbers, got ${JSON.stringify(bound)}`);
    const ok = ({ '<': v < bound, '<=': v <= bound, '=': v === bound, '>': v > bound, '>=': v >= bound } as Record<string, boolean>)[String(arg[i])];
    if (ok === undefined) throw new InvalidEventPatternError(`unknown numeric operator ${String(arg[i])}`);
    if (!ok) return false;
  }
  return true;
}

function ipv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

function inCidr(cidr: string, address: string): boolean {
  const [base, bits] = cidr.split('/');
  const b = ipv4(base);
  const a = ipv4(address);
  const n = Number(bits);
  if (b === undefined || !Number.isInteger(n) || n < 0 || n > 32) throw new InvalidEventPatternError(`invalid cidr ${cidr}`);
  if (a === undefined) return false;
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}
