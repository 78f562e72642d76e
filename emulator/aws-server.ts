/**
 * One HTTP server on 127.0.0.1 (random port) that answers ECS, Auto Scaling and EventBridge's PutEvents exactly as the
 * SDK v3 clients expect, with fault injection and a record of every call.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { ECS_THROTTLING_CATEGORIES, Rng, TokenBucket, type FaultOptions, rateFor } from './faults';
import { ApiError, AutoScalingApi, EcsApi, EventsApi, queryError, queryResponse } from './protocols';
import type { World } from './world';

const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113.';
/** EventBridge's awsJson target prefix (its service model's `targetPrefix`). */
const EVENTS_TARGET = 'AWSEvents.';

export interface ApiCall {
  readonly at: number;
  readonly service: 'ecs' | 'autoscaling' | 'events';
  readonly operation: string;
  readonly instanceIds: string[];
  /** A short summary of the request parameters (long lists shown by their length). */
  readonly params: string;
  /** The error code answered, if any (ThrottlingException, Throttling, ServerException, ValidationError, ...). */
  readonly error?: string;
  /** Injected (a fault or a rate limit) rather than the operation's own answer. */
  readonly injected: boolean;
  /** The Lambda invocation that made the call, when the caller is a function on the emulator's Lambda host. */
  readonly invocationId?: string;
}

/** A request and the answer sent to it, as they were on the wire (to check both against AWS's service models). */
export interface WireExchange {
  readonly headers: http.IncomingHttpHeaders;
  readonly requestBody: string;
  readonly status: number;
  readonly responseBody: string;
}

export class AwsServer {
  readonly calls: ApiCall[] = [];
  private server?: http.Server;
  private readonly ecs: EcsApi;
  private readonly autoScaling: AutoScalingApi;
  private readonly events: EventsApi;
  private readonly rng: Rng;
  private readonly buckets = new Map<string, TokenBucket>();
  private requestSeq = 0;
  private readonly listeners: Array<(call: ApiCall) => void> = [];
  private readonly exchangeListeners: Array<(exchange: WireExchange) => void> = [];
  private request?: { headers: http.IncomingHttpHeaders; body: string };

  constructor(private readonly world: World, private faults: FaultOptions = {}, seed = 1) {
    this.ecs = new EcsApi(world);
    this.autoScaling = new AutoScalingApi(world);
    this.events = new EventsApi(world);
    this.rng = new Rng(seed);
  }

  setFaults(faults: FaultOptions): void { this.faults = faults; }

  /** Runs `listener` for every call, once it is handled and before the answer is sent (to act at an exact moment). */
  onCall(listener: (call: ApiCall) => void): void { this.listeners.push(listener); }

  /** Runs `listener` with every request and the raw answer sent to it. */
  onExchange(listener: (exchange: WireExchange) => void): void { this.exchangeListeners.push(listener); }

  /** Tells the exchange listeners about an answer; returns it. */
  private answered(status: number, responseBody: string): string {
    const r = this.request;
    if (r) for (const l of this.exchangeListeners) l({ headers: r.headers, requestBody: r.body, status, responseBody });
    return responseBody;
  }

  /** Maps a caller's User-Agent app id to the invocation it is running (set by the emulator). */
  invocationOf?: (appId: string) => string | undefined;
  /** The invocation behind the request being answered (requests are answered synchronously, one at a time). */
  private caller?: string;

  private record(call: ApiCall): void {
    if (this.caller) call = { ...call, invocationId: this.caller };
    this.calls.push(call);
    for (const l of this.listeners) l(call);
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.respond(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Throttling first (rate limits, then random), then random 5xx; returns the code to answer, if any. */
  private injectedFault(operation: string): { code: string; status: number } | undefined {
    const ecsCategory = ECS_THROTTLING_CATEGORIES[operation];
    if (ecsCategory && this.faults.ecsTokenBuckets !== undefined) {
      const key = `ecs:${ecsCategory.category}`;
      const factor = this.faults.ecsTokenBuckets;
      let bucket = this.buckets.get(key);
      if (!bucket) this.buckets.set(key, bucket = new TokenBucket(ecsCategory.rate * factor, ecsCategory.burst * factor, this.world.clock.now()));
      if (!bucket.take(this.world.clock.now())) return { code: 'throttle', status: 400 };
    }
    const limits = this.faults.rateLimits;
    const limit = limits?.[operation] ?? limits?.['*'];
    if (limit) {
      let bucket = this.buckets.get(operation);
      if (!bucket) this.buckets.set(operation, bucket = new TokenBucket(limit.rate, limit.burst, this.world.clock.now()));
      if (!bucket.take(this.world.clock.now())) return { code: 'throttle', status: 400 };
    }
    if (this.rng.chance(rateFor(this.faults.throttleRate, operation))) return { code: 'throttle', status: 400 };
    if (this.rng.chance(rateFor(this.faults.serverErrorRate, operation))) return { code: 'server', status: 500 };
    return undefined;
  }

  private respond(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const requestId = `req-${++this.requestSeq}`;
    this.request = { headers: req.headers, body };
    const agent = `${req.headers['x-amz-user-agent'] ?? ''} ${req.headers['user-agent'] ?? ''}`;
    const appId = /(?:^|\s)app\/([\w.-]+)/.exec(agent)?.[1];
    this.caller = appId ? this.invocationOf?.(appId) : undefined;
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith(ECS_TARGET)) return this.respondJson('ecs', this.ecs, target.slice(ECS_TARGET.length), body, requestId, res);
    if (target.startsWith(EVENTS_TARGET)) return this.respondJson('events', this.events, target.slice(EVENTS_TARGET.length), body, requestId, res);
    const params = new URLSearchParams(body);
    if (params.get('Action')) return this.respondQuery(params.get('Action')!, params, requestId, res);
    res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown protocol');
  }

  /** An awsJson1_1 request, to ECS or to EventBridge. */
  private respondJson(
    service: 'ecs' | 'events', api: EcsApi | EventsApi, operation: string, body: string, requestId: string, res: http.ServerResponse,
  ): void {
    let input: Record<string, any>;
    try {
      input = body ? JSON.parse(body) : {};
    } catch {
      return this.sendJson(res, 400, requestId, { __type: 'SerializationException', message: 'Malformed JSON' });
    }
    const subject = api.subject(operation, input);
    const params = summarize(input);
    const at = this.world.clock.now(); // when the request arrived: before the state change it causes
    const record = (error?: string, injected = false) => this.record({
      at, service, operation, instanceIds: subject.instanceIds, params, ...(error ? { error } : {}), injected,
    });
    // The service's own 5xx code: ECS's ServerException; EventBridge's InternalException (PutEvents' declared error).
    const serverError = service === 'ecs' ? 'ServerException' : 'InternalException';
    const fault = this.injectedFault(operation);
    if (fault) {
      const code = fault.code === 'throttle' ? 'ThrottlingException' : serverError;
      record(code, true);
      // EventBridge's InternalException has no members in its model, not even a message.
      const message = code === 'InternalException' ? {} : { message: fault.code === 'throttle' ? 'Rate exceeded' : 'Service unavailable' };
      return this.sendJson(res, fault.status, requestId, { __type: code, ...message });
    }
    try {
      const out = api.handle(operation, input);
      record();
      this.sendJson(res, 200, requestId, out);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(serverError, String(e), 500);
      record(err.code);
      this.sendJson(res, err.status, requestId, { __type: err.code, message: err.message });
    }
  }

  private respondQuery(operation: string, params: URLSearchParams, requestId: string, res: http.ServerResponse): void {
    const subject = this.autoScaling.subject(operation, params);
    const summary = summarize(Object.fromEntries([...params].filter(([k]) => k !== 'Action' && k !== 'Version')));
    const at = this.world.clock.now(); // when the request arrived: before the state change it causes
    const record = (error?: string, injected = false) => this.record({ at, service: 'autoscaling', operation, instanceIds: subject.instanceIds, params: summary, ...(error ? { error } : {}), injected });
    const fault = this.injectedFault(operation);
    if (fault) {
      const throttle = fault.code === 'throttle';
      record(throttle ? 'Throttling' : 'InternalFailure', true);
      return this.sendXml(res, fault.status, requestId, queryError(throttle ? 'Throttling' : 'InternalFailure', throttle ? 'Rate exceeded' : 'Internal failure', requestId, throttle ? 'Sender' : 'Receiver'));
    }
    try {
      const out = this.autoScaling.handle(operation, params);
      record();
      this.sendXml(res, 200, requestId, queryResponse(operation, out, requestId));
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalFailure', String(e), 500);
      record(err.code);
      this.sendXml(res, err.status, requestId, queryError(err.code, err.message, requestId));
    }
  }

  /**
   * The headers of every answer. `Date` is the emulated time: AWS's clock agrees with a correct client's, and the SDK
   * compares the two. Node's own Date header would be this machine's real time, days away from the emulated epoch and
   * drifting by the time scale, and the SDK, seeing a skewed clock (5 minutes or more), corrects it and retries the
   * request at once: an error answer (a ValidationError that means "done", a throttling error) would be sent again up
   * to AWS_MAX_ATTEMPTS times.
   */
  private headers(contentType: string, requestId: string): http.OutgoingHttpHeaders {
    return { 'content-type': contentType, 'x-amzn-requestid': requestId, 'date': new Date(this.world.clock.now()).toUTCString() };
  }

  private sendJson(res: http.ServerResponse, status: number, requestId: string, body: unknown): void {
    res.writeHead(status, this.headers('application/x-amz-json-1.1', requestId)).end(this.answered(status, JSON.stringify(body)));
  }

  private sendXml(res: http.ServerResponse, status: number, requestId: string, body: string): void {
    res.writeHead(status, this.headers('text/xml', requestId)).end(this.answered(status, body));
  }
}

/** JSON of the parameters, lists of more than three items replaced by their length, cut at 200 characters. */
export function summarize(input: unknown): string {
  const text = JSON.stringify(input, (_, v) => (Array.isArray(v) && v.length > 3 ? `[${v.length} items]` : v)) ?? '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
