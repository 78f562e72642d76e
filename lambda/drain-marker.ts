/**
 * The drain state, stored as one ECS attribute on the container instance, so that every invocation reads it back
 * from AWS instead of from memory.
 *
 * Value, version 2: `<owner>/<drainStartedAt>/<lastHeartbeatAt>/<lastCheckedAt>/<trigger>` (epoch seconds, and one
 * letter for why the drain started). Version 1, written by earlier releases, is `<owner>/<drainStartedAt>/<lastHeartbeatAt>`:
 * it is still read, so a drain in flight when a new version deploys keeps going. ECS attribute values allow
 * letters, digits, `/` and a few other characters, up to 128 of them (ECS API Reference, `Attribute`).
 *
 * ECS allows 10 custom attributes per resource: the marker cannot always be written. The drain then goes on without
 * it (see "Instances with 10 custom attributes" in the README, and the `DrainsWithoutMarker` metric).
 */
import { createHash } from 'crypto';

export const DRAIN_MARKER_ATTRIBUTE = 'ecs-draining-lifecycle-hook';

/** Why a drain started. */
export enum DrainTrigger {
  /** A termination lifecycle action of this hook (including a drain someone else had started, adopted by the hook). */
  LIFECYCLE_ACTION = 'L',
  /** An EC2 Spot Instance interruption warning, before any lifecycle action. */
  SPOT_INTERRUPTION = 'S',
  /** Written by a release before the trigger was recorded: unknown. */
  UNKNOWN = 'U',
}

export interface DrainMarker {
  /** Which hook drains the instance (see {@link ownerId}). */
  readonly owner: string;
  /** When the drain started, epoch seconds. */
  readonly drainStartedAt: number;
  /** When the lifecycle action was last kept alive (or the drain started), epoch seconds. */
  readonly lastHeartbeatAt: number;
  /**
   * When a sweep last listed the instance's tasks (or the drain started), epoch seconds: the back-off checks and the
   * end of the standalone grace period are judged against it, not against the schedule's ticks.
   */
  readonly lastCheckedAt: number;
  readonly trigger: DrainTrigger;
}

/**
 * A short stable id of one Auto Scaling group and hook. Two hooks on two groups in one cluster never act on each
 * other's instances.
 */
export function ownerId(autoScalingGroupName: string, lifecycleHookName: string): string {
  return createHash('sha256').update(`${autoScalingGroupName}/${lifecycleHookName}`).digest('hex').slice(0, 16);
}

/** A marker for a drain that starts now. */
export function newMarker(owner: string, nowSeconds: number, trigger: DrainTrigger): DrainMarker {
  return { owner, drainStartedAt: nowSeconds, lastHeartbeatAt: nowSeconds, lastCheckedAt: nowSeconds, trigger };
}

export function encodeMarker(marker: DrainMarker): string {
  const times = [marker.drainStartedAt, marker.lastHeartbeatAt, marker.lastCheckedAt].map((t) => Math.floor(t));
  return [marker.owner, ...times, marker.trigger].join('/');
}

const V2 = /^([0-9a-f]{16})\/(\d{1,12})\/(\d{1,12})\/(\d{1,12})\/([LSU])$/;
const V1 = /^([0-9a-f]{16})\/(\d{1,12})\/(\d{1,12})$/;

/** Parses a marker value of either version; returns undefined for anything that is not a well-formed marker. */
export function decodeMarker(value: string | undefined): DrainMarker | undefined {
  if (value === undefined) return undefined;
  const v2 = V2.exec(value);
  if (v2) {
    return {
      owner: v2[1], drainStartedAt: Number(v2[2]), lastHeartbeatAt: Number(v2[3]), lastCheckedAt: Number(v2[4]),
      trigger: v2[5] as DrainTrigger,
    };
  }
  const v1 = V1.exec(value);
  if (!v1) return undefined;
  // Version 1 never recorded a task check: the drain start is the earliest it can have been, so every back-off
  // point passed since then counts as due (one check more, never one fewer).
  const drainStartedAt = Number(v1[2]);
  return { owner: v1[1], drainStartedAt, lastHeartbeatAt: Number(v1[3]), lastCheckedAt: drainStartedAt, trigger: DrainTrigger.UNKNOWN };
}
