import { Duration } from 'aws-cdk-lib';
import {
  COMPLETION_MARGIN_SECONDS, MAX_HEARTBEATS, MAX_HEARTBEAT_TIMEOUT_SECONDS, MIN_HEARTBEAT_ABOVE_SWEEP_SECONDS,
} from './handler-contract';

/** The default heartbeat timeout whenever it is long enough. */
const BASE_HEARTBEAT_TIMEOUT = Duration.minutes(10);

/**
 * The heartbeat timeout used when none is given: 10 minutes whenever that suffices, otherwise the shortest whole
 * number of minutes that satisfies the rules validation.ts enforces: at least sweepInterval + 2 minutes, and
 * drainTimeout + 2 × sweepInterval + 2 minutes at most 100 × heartbeatTimeout. Never more than Auto Scaling's 2 hours:
 * a drainTimeout that does not fit in 48 hours still fails validation, with its own message.
 *
 * A drainTimeout or sweepInterval that is a token (or not a whole number of seconds, which validation rejects) cannot
 * be derived from: 10 minutes.
 *
 * Internal: not exported from lib/index.ts.
 */
export function defaultHeartbeatTimeout(drainTimeout: Duration, sweepInterval: Duration): Duration {
  if (drainTimeout.isUnresolved() || sweepInterval.isUnresolved()) return BASE_HEARTBEAT_TIMEOUT;
  const drain = drainTimeout.toSeconds({ integral: false });
  const sweep = sweepInterval.toSeconds({ integral: false });
  const aboveSweep = sweep + MIN_HEARTBEAT_ABOVE_SWEEP_SECONDS;
  const byHeartbeats = (drain + 2 * sweep + COMPLETION_MARGIN_SECONDS) / MAX_HEARTBEATS;
  const needed = Math.max(aboveSweep, byHeartbeats);
  if (!Number.isFinite(needed) || needed <= BASE_HEARTBEAT_TIMEOUT.toSeconds()) return BASE_HEARTBEAT_TIMEOUT;
  return Duration.minutes(Math.min(Math.ceil(needed / 60), MAX_HEARTBEAT_TIMEOUT_SECONDS / 60));
}
