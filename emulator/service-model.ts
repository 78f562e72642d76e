/**
 * AWS's own service models for ECS, Auto Scaling and EventBridge (botocore's JSON models, which the AWS CLI and boto3 ship), and a
 * check of one emulator exchange (a request and the answer to it, as they were on the wire) against them: the
 * operation exists, the request fits its input shape, a success fits its output shape (members, types, enums,
 * required members, length and range limits, patterns), and an error code is one the operation declares or one of
 * the protocol's documented common errors. Used by service-model.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import type { WireExchange } from './aws-server';

export interface MemberRef {
  readonly shape: string;
  readonly locationName?: string;
  readonly flattened?: boolean;
  readonly timestampFormat?: string;
}

export interface Shape {
  readonly type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'double' | 'float' | 'blob';
  readonly members?: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly flattened?: boolean;
  readonly timestampFormat?: string;
  readonly exception?: boolean;
  readonly fault?: boolean;
  readonly error?: { readonly code?: string; readonly httpStatusCode?: number; readonly senderFault?: boolean };
}

export interface Operation {
  readonly name: string;
  readonly input?: { readonly shape: string };
  readonly output?: { readonly shape: string; readonly resultWrapper?: string };
  readonly errors?: ReadonlyArray<{ readonly shape: string }>;
}

export interface ServiceModel {
  readonly metadata: { readonly apiVersion: string; readonly protocol: string; readonly targetPrefix?: string; readonly xmlNamespace?: string };
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

export type Service = 'ecs' | 'autoscaling' | 'events';

/** The model files, relative to botocore's data directory. */
export const MODEL_FILES: Readonly<Record<Service, string>> = {
  ecs: 'ecs/2014-11-13/service-2.json',
  autoscaling: 'autoscaling/2011-01-01/service-2.json',
  events: 'events/2015-10-07/service-2.json',
};

/**
 * Where botocore is: asked from python3 first, then the usual site-packages directories. `searched` lists every place
 * looked at, for the message when nothing is found.
 */
export function locateModels(): { models?: Record<Service, ServiceModel>; searched: string[]; missing: string[] } {
  const candidates: string[] = [];
  const py = spawnSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8', timeout: 15_000 });
  if (py.status === 0 && py.stdout.trim()) candidates.push(py.stdout.trim());
  const expand = (base: string, ...globs: RegExp[]): string[] => globs.reduce<string[]>((dirs, glob) => dirs.flatMap((d) => {
    try {
      return fs.readdirSync(d).filter((n) => glob.test(n)).map((n) => path.join(d, n));
    } catch {
      return [];
    }
  }), [base]);
  for (const root of [path.join(os.homedir(), '.pyenv', 'versions'), '/root/.pyenv/versions']) {
    candidates.push(...expand(root, /.*/, /^lib$/, /^python3/, /^site-packages$/).map((d) => path.join(d, 'botocore')));
  }
  for (const root of ['/usr/lib', '/usr/local/lib', path.join(os.homedir(), '.local', 'lib')]) {
    candidates.push(...expand(root, /^python3/, /^(site|dist)-packages$/).map((d) => path.join(d, 'botocore')));
  }
  candidates.push('/usr/lib/python3/dist-packages/botocore');
  const searched = [...new Set(candidates)];
  let missing: string[] = Object.values(MODEL_FILES).map((f) => `${f}(.gz)`);
  for (const dir of searched) {
    const read = (rel: string): ServiceModel | undefined => {
      const file = path.join(dir, 'data', rel);
      if (fs.existsSync(`${file}.gz`)) return JSON.parse(zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString('utf8'));
      if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
      return undefined;
    };
    const found = Object.fromEntries((Object.keys(MODEL_FILES) as Service[]).map((service) => [service, read(MODEL_FILES[service])]));
    const absent = (Object.keys(MODEL_FILES) as Service[]).filter((service) => !found[service]);
    if (absent.length === 0) return { models: found as Record<Service, ServiceModel>, searched, missing: [] };
    if (absent.length < Object.keys(MODEL_FILES).length) missing = absent.map((service) => `${path.join(dir, 'data', MODEL_FILES[service])}(.gz)`);
  }
  return { searched, missing };
}

// ------------------------------------------------------------------------------------------------ common errors

/** An error every operation of a service may answer, with the HTTP status its documentation gives. */
export interface CommonError {
  readonly code: string;
  readonly status: number;
  readonly source: string;
}

/**
 * Auto Scaling (awsQuery). "Common Errors", Amazon EC2 Auto Scaling API Reference,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html lists, with their status codes:
 * AccessDeniedException 400, IncompleteSignature 400, InternalFailure 500, InvalidAction 400, InvalidClientTokenId 403,
 * NotAuthorized 400, OptInRequired 403, RequestExpired 400, ServiceUnavailable 503, ThrottlingException 400,
 * ValidationError 400.
 */
const AUTOSCALING_COMMON_ERRORS_PAGE = 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html';
/**
 * ECS (awsJson1_1). "Common Errors", Amazon ECS API Reference,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (the same list of errors common to all
 * AWS services as the Auto Scaling page), and for throttling specifically "Request throttling for the Amazon ECS API",
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html: "If you exceed an API throttling
 * quota, you get the ThrottlingException error code", shown with status code 400.
 */
const ECS_COMMON_ERRORS_PAGE = 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html';
const ECS_THROTTLING_PAGE = 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html';

/** EventBridge (awsJson1_1): "Common Errors", Amazon EventBridge API Reference. */
const EVENTS_COMMON_ERRORS_PAGE = 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html';

const GENERIC_COMMON_ERRORS: ReadonlyArray<readonly [string, number]> = [
  ['AccessDeniedException', 400], ['IncompleteSignature', 400], ['InternalFailure', 500], ['InvalidAction', 400],
  ['InvalidClientTokenId', 403], ['NotAuthorized', 400], ['OptInRequired', 403], ['RequestExpired', 400],
  ['ServiceUnavailable', 503], ['ThrottlingException', 400], ['ValidationError', 400],
];

export const COMMON_ERRORS: Readonly<Record<Service, readonly CommonError[]>> = {
  autoscaling: [
    ...GENERIC_COMMON_ERRORS.map(([code, status]) => ({ code, status, source: AUTOSCALING_COMMON_ERRORS_PAGE })),
    /*
     * Not on the Common Errors page, which says ThrottlingException: Auto Scaling's query API answers throttling with
     * the code `Throttling` ("Rate exceeded", status 400), as AWS SDK users report it, e.g. "Rate exceeded (Service:
     * AmazonAutoScaling; Status Code: 400; Error Code: Throttling ...)" in https://github.com/adobe/shredder/issues/21,
     * and "Throttling: Rate exceeded status code: 400 ... autoscaling/DescribeAutoScalingGroups" in
     * https://github.com/keikoproj/upgrade-manager/issues/142. The SDKs retry both codes as throttling.
     */
    { code: 'Throttling', status: 400, source: 'observed: github.com/adobe/shredder/issues/21, github.com/keikoproj/upgrade-manager/issues/142' },
  ],
  ecs: GENERIC_COMMON_ERRORS.map(([code, status]) => ({
    code, status, source: code === 'ThrottlingException' ? ECS_THROTTLING_PAGE : ECS_COMMON_ERRORS_PAGE,
  })),
  events: [
    // "Common Errors", Amazon EventBridge API Reference (the same list as the other services' pages).
    ...GENERIC_COMMON_ERRORS.map(([code, status]) => ({ code, status, source: EVENTS_COMMON_ERRORS_PAGE })),
    /*
     * Not on the Common Errors page: awsJson services answer a request that breaks the model's constraints with
     * ValidationException, as SDK users report it for PutEvents ("An error occurred (ValidationException) when calling
     * the PutEvents operation: Total size of the entries in the request is over the limit.",
     * https://github.com/awslabs/aws-service-catalog-puppet/issues/563).
     */
    { code: 'ValidationException', status: 400, source: 'observed: github.com/awslabs/aws-service-catalog-puppet/issues/563' },
  ],
};

// ------------------------------------------------------------------------------------------------ shape checks

type TimestampFormat = 'epoch-seconds' | 'iso8601';

/** Checks a decoded value against a shape: members, types, enums, required members, limits, patterns. */
export function checkShape(
  model: ServiceModel, shapeName: string, value: unknown, at: string, timestamps: TimestampFormat, problems: string[],
): void {
  const shape = model.shapes[shapeName];
  if (!shape) {
    problems.push(`${at}: shape ${shapeName} is not in the model`);
    return;
  }
  const fail = (message: string): void => {
    problems.push(`${at}: ${message} (shape ${shapeName})`);
  };
  const limits = (n: number, what: string) => {
    if (shape.min !== undefined && n < shape.min) fail(`${what} ${n} is below the minimum ${shape.min}`);
    if (shape.max !== undefined && n > shape.max) fail(`${what} ${n} is above the maximum ${shape.max}`);
  };
  if (value === null) return fail('null, where the protocol leaves a missing value out');
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return fail(`expected a structure, got ${describe(value)}`);
      const members = shape.members ?? {};
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        if (!(name in members)) fail(`unknown member ${JSON.stringify(name)}; the shape has ${Object.keys(members).join(', ') || 'no members'}`);
        else if (v !== undefined) checkShape(model, members[name].shape, v, `${at}.${name}`, timestamps, problems);
      }
      for (const name of shape.required ?? []) {
        if ((value as Record<string, unknown>)[name] === undefined) fail(`required member ${name} is missing`);
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) return fail(`expected a list, got ${describe(value)}`);
      limits(value.length, 'list length');
      value.forEach((item, i) => checkShape(model, shape.member!.shape, item, `${at}[${i}]`, timestamps, problems));
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) return fail(`expected a map, got ${describe(value)}`);
      limits(Object.keys(value as object).length, 'map size');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        checkShape(model, shape.key!.shape, k, `${at}{key ${JSON.stringify(k)}}`, timestamps, problems);
        checkShape(model, shape.value!.shape, v, `${at}[${JSON.stringify(k)}]`, timestamps, problems);
      }
      return;
    case 'string':
      if (typeof value !== 'string') return fail(`expected a string, got ${describe(value)}`);
      if (shape.enum && !shape.enum.includes(value)) fail(`${JSON.stringify(value)} is not one of the enum ${shape.enum.join(' | ')}`);
      limits(value.length, 'string length');
      if (shape.pattern !== undefined) {
        const pattern = compilePattern(shape.pattern);
        if (!pattern) fail(`the model's pattern ${shape.pattern} does not compile as a JavaScript regular expression: this check needs to learn it`);
        // Smithy's pattern trait is not implicitly anchored: the value must contain a match.
        else if (!pattern.test(value)) fail(`${JSON.stringify(value)} does not match the pattern ${shape.pattern}`);
      }
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`expected an ${shape.type}, got ${describe(value)}`);
      if (shape.type === 'integer' && (value < -(2 ** 31) || value >= 2 ** 31)) fail(`${value} does not fit a 32-bit integer`);
      limits(value, 'value');
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected a ${shape.type}, got ${describe(value)}`);
      limits(value, 'value');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected a boolean, got ${describe(value)}`);
      return;
    case 'timestamp':
      if (timestamps === 'epoch-seconds') {
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(`expected a timestamp in epoch seconds (a number), got ${describe(value)}`);
      } else if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
        fail(`expected an ISO 8601 timestamp, got ${describe(value)}`);
      }
      return;
    case 'blob':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail(`expected base64 data, got ${describe(value)}`);
      return;
    default:
      fail(`shape type ${(shape as Shape).type} is not supported by this check`);
  }
}

const patterns = new Map<string, RegExp | undefined>();

/**
 * A model pattern as a JavaScript regular expression: in Unicode mode first (the models write characters beyond the
 * BMP as surrogate pairs, \uD800\uDC00-\uDBFF\uDFFF, a range only in that mode), else as written.
 */
function compilePattern(source: string): RegExp | undefined {
  if (!patterns.has(source)) {
    let compiled: RegExp | undefined;
    for (const flags of ['u', '']) {
      try {
        compiled = new RegExp(source, flags);
        break;
      } catch {
        // try the next mode
      }
    }
    patterns.set(source, compiled);
  }
  return patterns.get(source);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return `${Array.isArray(value) ? 'list' : typeof value} ${text.length > 60 ? `${text.slice(0, 59)}…` : text}`;
}

// ------------------------------------------------------------------------------------------------ awsQuery decoding

/** Parses awsQuery form parameters into a value of the input shape; names the shape does not have are problems. */
export function decodeQuery(
  model: ServiceModel, shapeName: string, entries: ReadonlyArray<readonly [string[], string]>, at: string, problems: string[],
): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) {
    problems.push(`${at}: shape ${shapeName} is not in the model`);
    return undefined;
  }
  const groups = (items: ReadonlyArray<readonly [string[], string]>) => {
    const g = new Map<string, Array<[string[], string]>>();
    for (const [segments, v] of items) {
      const [head, ...rest] = segments;
      if (!g.has(head)) g.set(head, []);
      g.get(head)!.push([rest, v]);
    }
    return g;
  };
  const indexed = (items: ReadonlyArray<readonly [string[], string]>, what: string): Array<Array<[string[], string]>> => {
    const byIndex = groups(items);
    const indexes = [...byIndex.keys()].map(Number);
    if (indexes.some((n) => !Number.isInteger(n)) || [...indexes].sort((a, b) => a - b).some((n, i) => n !== i + 1)) {
      problems.push(`${at}: ${what} indexes must be 1, 2, ... without gaps, got ${[...byIndex.keys()].join(', ')}`);
    }
    return [...byIndex.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  };
  switch (shape.type) {
    case 'structure': {
      const result: Record<string, unknown> = {};
      for (const [name, items] of groups(entries)) {
        const member = Object.entries(shape.members ?? {}).find(([n, m]) => (m.locationName ?? n) === name);
        if (!member) {
          problems.push(`${at}: unknown parameter ${JSON.stringify(name)} (shape ${shapeName})`);
          continue;
        }
        result[member[0]] = decodeQuery(model, member[1].shape, items, `${at}.${member[0]}`, problems);
      }
      return result;
    }
    case 'list': {
      // An empty list is sent as the bare name with an empty value.
      if (entries.length === 1 && entries[0][0].length === 0 && entries[0][1] === '') return [];
      const flattened = shape.flattened;
      const memberName = shape.member?.locationName ?? 'member';
      const items = flattened ? entries : entries.filter(([s]) => {
        if (s[0] === memberName) return true;
        problems.push(`${at}: expected ${memberName}.N under a list, got ${JSON.stringify(s.join('.'))} (shape ${shapeName})`);
        return false;
      }).map(([s, v]) => [s.slice(1), v] as [string[], string]);
      return indexed(items, 'list').map((item, i) => decodeQuery(model, shape.member!.shape, item, `${at}[${i}]`, problems));
    }
    case 'map': {
      const result: Record<string, unknown> = {};
      const items = entries.filter(([s]) => s[0] === 'entry').map(([s, v]) => [s.slice(1), v] as [string[], string]);
      if (items.length !== entries.length) problems.push(`${at}: expected entry.N.key / entry.N.value under a map (shape ${shapeName})`);
      for (const item of indexed(items, 'map entry')) {
        const parts = groups(item);
        const key = parts.get('key')?.[0]?.[1];
        if (key === undefined || !parts.has('value') || parts.size !== 2) {
          problems.push(`${at}: a map entry needs exactly key and value (shape ${shapeName})`);
          continue;
        }
        result[key] = decodeQuery(model, shape.value!.shape, parts.get('value')!, `${at}[${JSON.stringify(key)}]`, problems);
      }
      return result;
    }
    default: {
      if (entries.length !== 1 || entries[0][0].length !== 0) {
        problems.push(`${at}: expected one scalar value, got ${entries.map(([s]) => s.join('.') || '(value)').join(', ')} (shape ${shapeName})`);
        return undefined;
      }
      return scalarFromText(shape, shapeName, entries[0][1], at, problems);
    }
  }
}

/** A scalar from its text form (awsQuery parameters and XML): numbers and booleans parsed, timestamps kept as text. */
function scalarFromText(shape: Shape, shapeName: string, text: string, at: string, problems: string[]): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(text)) {
        problems.push(`${at}: ${JSON.stringify(text)} is not an ${shape.type} (shape ${shapeName})`);
        return undefined;
      }
      return Number(text);
    case 'double':
    case 'float':
      if (text.trim() === '' || !Number.isFinite(Number(text))) {
        problems.push(`${at}: ${JSON.stringify(text)} is not a ${shape.type} (shape ${shapeName})`);
        return undefined;
      }
      return Number(text);
    case 'boolean':
      if (text !== 'true' && text !== 'false') {
        problems.push(`${at}: ${JSON.stringify(text)} is not a boolean (true or false) (shape ${shapeName})`);
        return undefined;
      }
      return text === 'true';
    default:
      return text;
  }
}

// ------------------------------------------------------------------------------------------------ XML

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);|&/g, (whole, entity: string | undefined) => {
    if (entity === undefined) throw new Error('a bare & in XML text');
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    if (!(entity in ENTITIES)) throw new Error(`unknown XML entity ${whole}`);
    return ENTITIES[entity];
  });
}

/** A minimal XML parser for the emulator's answers: elements, attributes, text, entities; anything else is an error. */
export function parseXml(xml: string): XmlElement {
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/y;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const m = token.exec(xml);
    if (!m) throw new Error(`malformed XML at offset ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    const [, close, open, attrs, selfClosing, text] = m;
    if (text !== undefined) {
      if (stack.length === 0) {
        if (text.trim()) throw new Error(`text outside the root element at offset ${at}`);
      } else {
        stack[stack.length - 1].text += unescapeXml(text);
      }
    } else if (open !== undefined) {
      if (stack.length === 0 && root) throw new Error(`a second root element <${open}> at offset ${at}`);
      const attributes: Record<string, string> = {};
      for (const a of attrs.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) attributes[a[1]] = unescapeXml(a[2]);
      const element: XmlElement = { name: open, attributes, children: [], text: '' };
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
    } else if (close !== undefined) {
      const top = stack.pop();
      if (top?.name !== close) throw new Error(`</${close}> at offset ${at} closes <${top?.name ?? '(nothing)'}>`);
    }
  }
  if (stack.length > 0 || !root) throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? '(no root)'}>`);
  return root;
}

/** Decodes an awsQuery XML element into a value of a shape; element names the shape does not have are problems. */
export function decodeXml(model: ServiceModel, shapeName: string, element: XmlElement, at: string, problems: string[]): unknown {
  const shape = model.shapes[shapeName];
  if (!shape) {
    problems.push(`${at}: shape ${shapeName} is not in the model`);
    return undefined;
  }
  const hasText = element.text.trim() !== '';
  switch (shape.type) {
    case 'structure': {
      if (hasText) problems.push(`${at}: text ${JSON.stringify(element.text.trim())} in a structure (shape ${shapeName})`);
      const result: Record<string, unknown> = {};
      for (const child of element.children) {
        const member = Object.entries(shape.members ?? {}).find(([n, m]) => (m.locationName ?? n) === child.name);
        if (!member) {
          problems.push(`${at}: unknown element <${child.name}>; the shape has ${Object.keys(shape.members ?? {}).join(', ') || 'no members'} (shape ${shapeName})`);
          continue;
        }
        const [name, ref] = member;
        const memberShape = model.shapes[ref.shape];
        if (memberShape?.type === 'list' && (ref.flattened || memberShape.flattened)) {
          const list = (result[name] as unknown[] | undefined) ?? [];
          list.push(decodeXml(model, memberShape.member!.shape, child, `${at}.${name}[${list.length}]`, problems));
          result[name] = list;
        } else if (name in result) {
          problems.push(`${at}: element <${child.name}> appears more than once (shape ${shapeName})`);
        } else {
          result[name] = decodeXml(model, ref.shape, child, `${at}.${name}`, problems);
        }
      }
      return result;
    }
    case 'list': {
      if (hasText) problems.push(`${at}: text ${JSON.stringify(element.text.trim())} in a list (shape ${shapeName})`);
      const memberName = shape.member?.locationName ?? 'member';
      return element.children.flatMap((child, i) => {
        if (child.name !== memberName) {
          problems.push(`${at}: list item <${child.name}>, expected <${memberName}> (shape ${shapeName})`);
          return [];
        }
        return [decodeXml(model, shape.member!.shape, child, `${at}[${i}]`, problems)];
      });
    }
    case 'map': {
      const result: Record<string, unknown> = {};
      for (const entry of element.children) {
        const key = entry.children.find((c) => c.name === (shape.key?.locationName ?? 'key'));
        const value = entry.children.find((c) => c.name === (shape.value?.locationName ?? 'value'));
        if (entry.name !== 'entry' || !key || !value || entry.children.length !== 2) {
          problems.push(`${at}: a map entry must be <entry> with <key> and <value> (shape ${shapeName})`);
          continue;
        }
        result[key.text] = decodeXml(model, shape.value!.shape, value, `${at}[${JSON.stringify(key.text)}]`, problems);
      }
      return result;
    }
    default:
      if (element.children.length > 0) {
        problems.push(`${at}: element <${element.children[0].name}> inside a ${shape.type} (shape ${shapeName})`);
        return undefined;
      }
      return scalarFromText(shape, shapeName, element.text, at, problems);
  }
}

// ------------------------------------------------------------------------------------------------ one exchange

export interface CheckedExchange {
  readonly service: Service;
  readonly operation: string;
  readonly status: number;
  /** The error code answered, if any. */
  readonly error?: string;
  /** The decoded successful answer (for the coverage checks). */
  readonly output?: unknown;
  /** Every way the exchange departs from the model; each names the operation and the path. */
  readonly problems: string[];
}

export interface CheckOptions {
  /** Check the request against the input shape (off for requests that are wrong on purpose). */
  readonly checkRequest: boolean;
}

/** Which service an exchange is for, by its protocol. */
export function serviceOf(models: Record<Service, ServiceModel>, ex: WireExchange): Service | undefined {
  if (String(ex.headers['x-amz-target'] ?? '').startsWith(`${models.ecs.metadata.targetPrefix}.`)) return 'ecs';
  if (String(ex.headers['x-amz-target'] ?? '').startsWith(`${models.events.metadata.targetPrefix}.`)) return 'events';
  if (new URLSearchParams(ex.requestBody).get('Action')) return 'autoscaling';
  return undefined;
}

export function checkExchange(models: Record<Service, ServiceModel>, ex: WireExchange, options: CheckOptions): CheckedExchange {
  const service = serviceOf(models, ex);
  if (service === 'ecs' || service === 'events') return checkJson(models[service], service, ex, options);
  if (service === 'autoscaling') return checkQuery(models.autoscaling, ex, options);
  return { service: 'ecs', operation: '(unknown protocol)', status: ex.status, problems: [`a request of neither protocol: ${ex.requestBody.slice(0, 80)}`] };
}

/** The error shapes an operation declares, by the code they have on the wire (error.code, else the shape name). */
function declaredErrors(model: ServiceModel, op: Operation): Map<string, Shape & { readonly shapeName: string }> {
  return new Map((op.errors ?? []).map(({ shape }) => [model.shapes[shape]?.error?.code ?? shape, { ...model.shapes[shape], shapeName: shape }]));
}

/** Checks an error code and status against the operation's declared errors and the common ones. */
function checkErrorCode(
  model: ServiceModel, service: Service, op: Operation, code: string, status: number, problems: string[], label: string,
): Shape | undefined {
  const declared = declaredErrors(model, op).get(code);
  if (declared) {
    const expected = declared.error?.httpStatusCode ?? (declared.fault ? 500 : 400);
    if (status !== expected) problems.push(`${label}: error ${code} answered with HTTP ${status}; the model says ${expected}`);
    return declared;
  }
  const common = COMMON_ERRORS[service].find((c) => c.code === code);
  if (common) {
    if (status !== common.status) problems.push(`${label}: common error ${code} answered with HTTP ${status}; ${common.source} says ${common.status}`);
    return undefined;
  }
  problems.push(`${label}: error code ${code} is neither declared for ${op.name} (${[...declaredErrors(model, op).keys()].join(', ')}) nor a common ${service} error`);
  return undefined;
}

/** An awsJson1_1 exchange (ECS, EventBridge). */
function checkJson(model: ServiceModel, service: 'ecs' | 'events', ex: WireExchange, options: CheckOptions): CheckedExchange {
  const operation = String(ex.headers['x-amz-target']).slice(`${model.metadata.targetPrefix}.`.length);
  const label = `${service} ${operation}`;
  const problems: string[] = [];
  const base = { service, operation, status: ex.status, problems };
  const op = model.operations[operation];
  if (!op) return { ...base, problems: [`${label}: the ${service} model has no operation ${operation}`] };
  const json = (text: string, what: string): unknown => {
    try {
      return text === '' ? {} : JSON.parse(text);
    } catch {
      problems.push(`${label} ${what}: not JSON: ${text.slice(0, 80)}`);
      return undefined;
    }
  };
  if (options.checkRequest && op.input) {
    const input = json(ex.requestBody, 'request');
    if (input !== undefined) checkShape(model, op.input.shape, input, `${label} request: $`, 'epoch-seconds', problems);
  }
  const body = json(ex.responseBody, 'response');
  if (body === undefined) return base;
  if (ex.status === 200) {
    if (op.output) checkShape(model, op.output.shape, body, `${label} response: $`, 'epoch-seconds', problems);
    else if (Object.keys(body as object).length > 0) problems.push(`${label} response: $: the operation has no output, got ${describe(body)}`);
    return { ...base, output: body };
  }
  const { __type: type, ...rest } = body as Record<string, unknown>;
  if (typeof type !== 'string') {
    problems.push(`${label} error response: $.__type: missing; an awsJson error names its code there`);
    return base;
  }
  // awsJson error types may carry a namespace (com.amazonaws.ecs#ClusterNotFoundException).
  const code = type.slice(type.lastIndexOf('#') + 1);
  const shape = checkErrorCode(model, service, op, code, ex.status, problems, label);
  const shapeName = (op.errors ?? []).find((e) => e.shape === code)?.shape;
  if (shape && shapeName) checkShape(model, shapeName, rest, `${label} error ${code}: $`, 'epoch-seconds', problems);
  else for (const k of Object.keys(rest)) if (k !== 'message') problems.push(`${label} error ${code}: $.${k}: a common error carries only a message`);
  return { ...base, error: code };
}

function checkQuery(model: ServiceModel, ex: WireExchange, options: CheckOptions): CheckedExchange {
  const params = new URLSearchParams(ex.requestBody);
  const operation = params.get('Action')!;
  const label = `autoscaling ${operation}`;
  const problems: string[] = [];
  const base = { service: 'autoscaling' as const, operation, status: ex.status, problems };
  const op = model.operations[operation];
  if (!op) return { ...base, problems: [`${label}: the Auto Scaling model has no operation ${operation}`] };
  if (options.checkRequest) {
    if (params.get('Version') !== model.metadata.apiVersion) problems.push(`${label} request: Version ${params.get('Version')}, the model's is ${model.metadata.apiVersion}`);
    const entries = [...params].filter(([k]) => k !== 'Action' && k !== 'Version').map(([k, v]) => [k.split('.'), v] as const);
    if (op.input) {
      const input = decodeQuery(model, op.input.shape, entries, `${label} request: $`, problems);
      if (input !== undefined) checkShape(model, op.input.shape, input, `${label} request: $`, 'iso8601', problems);
    } else if (entries.length > 0) {
      problems.push(`${label} request: the operation takes no input, got ${entries.map(([k]) => k.join('.')).join(', ')}`);
    }
  }
  let root: XmlElement;
  try {
    root = parseXml(ex.responseBody);
  } catch (e) {
    problems.push(`${label} response: ${(e as Error).message}`);
    return base;
  }
  const namespace = model.metadata.xmlNamespace;
  if (root.attributes.xmlns !== namespace) problems.push(`${label} response: <${root.name}> xmlns ${root.attributes.xmlns}, expected ${namespace}`);
  const child = (parent: XmlElement, name: string) => parent.children.filter((c) => c.name === name);
  const requestId = (parent: XmlElement, where: string) => {
    if (child(parent, 'RequestId').length !== 1 || !child(parent, 'RequestId')[0].text) problems.push(`${label} response: ${where}: expected one non-empty <RequestId>`);
  };
  if (ex.status === 200) {
    if (root.name !== `${operation}Response`) problems.push(`${label} response: root <${root.name}>, expected <${operation}Response>`);
    const wrapper = op.output?.resultWrapper;
    const allowed = new Set(['ResponseMetadata', ...(wrapper ? [wrapper] : [])]);
    for (const c of root.children) if (!allowed.has(c.name)) problems.push(`${label} response: $: unexpected element <${c.name}> in <${root.name}>`);
    const metadata = child(root, 'ResponseMetadata');
    if (metadata.length !== 1) problems.push(`${label} response: expected one <ResponseMetadata>`);
    else requestId(metadata[0], '<ResponseMetadata>');
    let output: unknown;
    if (op.output && wrapper) {
      const results = child(root, wrapper);
      // botocore's query parser looks the result wrapper up by name, and fails (KeyError) when it is absent, even for
      // an output shape without members.
      if (results.length !== 1) {problems.push(`${label} response: $: expected one <${wrapper}> (the output's resultWrapper), got ${results.length}`);} else {
        output = decodeXml(model, op.output.shape, results[0], `${label} response: $`, problems);
        if (output !== undefined) checkShape(model, op.output.shape, output, `${label} response: $`, 'iso8601', problems);
      }
    }
    return { ...base, output };
  }
  if (root.name !== 'ErrorResponse') {
    problems.push(`${label} error response: root <${root.name}>, expected <ErrorResponse>`);
    return base;
  }
  requestId(root, '<ErrorResponse>');
  const [error] = child(root, 'Error');
  const code = error ? child(error, 'Code')[0]?.text : undefined;
  if (!error || !code) {
    problems.push(`${label} error response: expected <Error> with a <Code>`);
    return base;
  }
  for (const c of error.children) if (!['Type', 'Code', 'Message'].includes(c.name)) problems.push(`${label} error ${code}: unexpected element <${c.name}> in <Error>`);
  const type = child(error, 'Type')[0]?.text;
  const shape = checkErrorCode(model, 'autoscaling', op, code, ex.status, problems, label);
  const senderFault = shape?.error?.senderFault ?? ex.status < 500;
  if (type !== (senderFault ? 'Sender' : 'Receiver')) problems.push(`${label} error ${code}: <Type>${type}</Type>, expected ${senderFault ? 'Sender' : 'Receiver'} for HTTP ${ex.status}`);
  return { ...base, error: code };
}
