/**
 * The drain state, stored as one ECS attribute on the container instance, so that every invocation reads it back
 * from AWS instead of from memory.
 *
 * Value: `<owner>/<drainStartedAt>/<lastHeartbeatAt>` (epoch seconds). ECS attribute values allow letters, digits,
 * `/` and a few other characters, up to 128 of them.
 */
import { createHash } from 'crypto';

export const DRAIN_MARKER_ATTRIBUTE = 'ecs-draining-lifecycle-hook';

export interface DrainMarker {
  /** Which hook drains the instance (see {@link ownerId}). */
  readonly owner: string;
  /** When the drain started, epoch seconds. */
  readonly drainStartedAt: number;
  /** When the lifecycle action was last kept alive (or the drain started), epoch seconds. */
  readonly lastHeartbeatAt: number;
}

/**
 * A short stable id of one Auto Scaling group and hook. Two hooks on two groups in one cluster never act on each
 * other's instances.
 */
export function ownerId(autoScalingGroupName: string, lifecycleHookName: string): string {
  return createHash('sha256').update(`${autoScalingGroupName}/${lifecycleHookName}`).digest('hex').slice(0, 16);
}

export function encodeMarker(marker: DrainMarker): string {
  return `${marker.owner}/${Math.floor(marker.drainStartedAt)}/${Math.floor(marker.lastHeartbeatAt)}`;
}

/** Parses a marker value; returns undefined for anything that is not a well-formed marker. */
export function decodeMarker(value: string | undefined): DrainMarker | undefined {
  if (value === undefined) return undefined;
  const match = /^([0-9a-f]{16})\/(\d{1,12})\/(\d{1,12})$/.exec(value);
  if (!match) return undefined;
  return { owner: match[1], drainStartedAt: Number(match[2]), lastHeartbeatAt: Number(match[3]) };
}
