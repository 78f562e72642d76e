/**
 * Structured JSON logs and CloudWatch metrics in the Embedded Metric Format (EMF), written straight to stdout so
 * that Lambda passes each line to CloudWatch Logs unchanged.
 */
import { METRIC_DIMENSION, type MetricName, metricUnit } from '../lib/handler-contract';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds these keys to every line. */
  child(fields: LogFields): Logger;
}

/** Keys that are never written, however deep they sit in a logged value. */
const SECRET_KEYS = new Set(['lifecycleactiontoken', 'token']);

function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

export type LineWriter = (line: string) => void;

export const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(line + '\n');
};

export class JsonLogger implements Logger {
  constructor(
    private readonly write: LineWriter,
    private readonly now: () => number,
    private readonly fields: LogFields = {},
  ) {}

  info(message: string, fields?: LogFields): void { this.log('INFO', message, fields); }
  warn(message: string, fields?: LogFields): void { this.log('WARN', message, fields); }
  error(message: string, fields?: LogFields): void { this.log('ERROR', message, fields); }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.write, this.now, { ...this.fields, ...fields });
  }

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    const line = redact({ timestamp: new Date(this.now()).toISOString(), level, message, ...this.fields, ...fields });
    this.write(JSON.stringify(line));
  }
}

export { MetricName } from '../lib/handler-contract';

export interface Metrics {
  count(name: MetricName, value?: number): void;
  seconds(name: MetricName, value: number): void;
}

/** Writes one EMF document per data point, with the Auto Scaling group as the only dimension. */
export class EmfMetrics implements Metrics {
  constructor(
    private readonly write: LineWriter,
    private readonly now: () => number,
    private readonly namespace: string,
    private readonly autoScalingGroupName: string,
  ) {}

  count(name: MetricName, value = 1): void { this.emit(name, value); }
  seconds(name: MetricName, value: number): void { this.emit(name, value); }

  private emit(name: MetricName, value: number): void {
    this.write(JSON.stringify({
      _aws: {
        Timestamp: this.now(),
        CloudWatchMetrics: [{
          Namespace: this.namespace,
          Dimensions: [[METRIC_DIMENSION]],
          Metrics: [{ Name: name, Unit: metricUnit(name) }],
        }],
      },
      [METRIC_DIMENSION]: this.autoScalingGroupName,
      [name]: value,
    }));
  }
}
