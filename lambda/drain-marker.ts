/**
 * The drain state, stored as one ECS attribute on the container instance, so that every invocation reads it back
 * from AWS instead of from memory.
 *
 * Value, version 2: `<owner>/<drainStartedAt>/<lastHeartbeatAt>/<lastCheckedAt>/<trigger>` (epoch seconds, and one
 * letter for why the drain started). Version 3 appends `/<phase>` for an instance that is not simply draining (see
 * {@link DrainPhase}); a draining instance is still written as version 2, so a release that reads only version 2 can
 * be rolled back to while drains are in flight. Version 1, written by earlier releases, is
 * `<owner>/<drainStartedAt>/<lastHeartbeatAt>`: it is still read, so a drain in flight when a new version deploys
 * keeps going. ECS attribute values allow
 * letters, digits, `/` and a few other characters, up to 128 of them (ECS API Reference, `Attribute`).
 *
 * ECS allows 10 custom attributes per resource: the marker cannot always be written. The drain then goes on without
 * it (see "Instances with 10 custom attributes" in docs/design.md, and the `DrainsWithoutMarker` metric).
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

/**
 * Where the instance is in its drain. Only {@link DrainPhase.DRAINING} existed before version 3 of the marker; the
 * other phases belong to opt-in features and are written as version 3.
 */
export enum DrainPhase {
  /** Set DRAINING; its tasks are being waited for. */
  DRAINING = 'D',
  /** Waiting for the group's disruption budget: not DRAINING yet, its lifecycle action kept alive. */
  QUEUED = 'Q',
  /** Its lifecycle action was abandoned into a retained state: still draining, outside the group's capacity. */
  RETAINED = 'R',
  /**
   * With TaskProtectionPolicy.WAIT: a task on the instance is protected from scale-in, so it is not DRAINING yet (it
   * is ACTIVE), its lifecycle action kept alive until no task is protected or drainTimeout comes.
   */
  PROTECTED = 'P',
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
  /** Where the drain is; {@link DrainPhase.DRAINING} for every marker before version 3. */
  readonly phase: DrainPhase;
}

/**
 * A short stable id of one Auto Scaling group and hook. Two hooks on two groups in one cluster never act on each
 * other's instances.
 */
export function ownerId(autoScalingGroupName: string, lifecycleHookName: string): string {
  return createHash('sha256').update(`${autoScalingGroupName}/${lifecycleHookName}`).digest('hex').slice(0, 16);
}

/** A marker for a drain that starts now. */
export function newMarker(owner: string, nowSeconds: number, trigger: DrainTrigger, phase: DrainPhase = DrainPhase.DRAINING): DrainMarker {
  return { owner, drainStartedAt: nowSeconds, lastHeartbeatAt: nowSeconds, lastCheckedAt: nowSeconds, trigger, phase };
}

export function encodeMarker(marker: DrainMarker): string {
  const times = [marker.drainStartedAt, marker.lastHeartbeatAt, marker.lastCheckedAt].map((t) => Math.floor(t));
  const fields = [marker.owner, ...times, marker.trigger];
  return (marker.phase === DrainPhase.DRAINING ? fields : [...fields, marker.phase]).join('/');
}

const V3 = /^([0-9a-f]{16})\/(\d{1,12})\/(\d{1,12})\/(\d{1,12})\/([LSU])(?:\/([QRP]))?$/;
const V1 = /^([0-9a-f]{16})\/(\d{1,12})\/(\d{1,12})$/;

/** Parses a marker value of either version; returns undefined for anything that is not a well-formed marker. */
export function decodeMarker(value: string | undefined): DrainMarker | undefined {
  if (value === undefined) return undefined;
  const v3 = V3.exec(value);
  if (v3) {
    return {
      owner: v3[1], drainStartedAt: Number(v3[2]), lastHeartbeatAt: Number(v3[3]), lastCheckedAt: Number(v3[4]),
      trigger: v3[5] as DrainTrigger, phase: (v3[6] ?? DrainPhase.DRAINING) as DrainPhase,
    };
  }
  const v1 = V1.exec(value);
  if (!v1) return undefined;
  // Version 1 never recorded a task check: the drain start is the earliest it can have been, so every back-off
  // point passed since then counts as due (one check more, never one fewer).
  const drainStartedAt = Number(v1[2]);
  return { owner: v1[1], drainStartedAt, lastHeartbeatAt: Number(v1[3]), lastCheckedAt: drainStartedAt, trigger: DrainTrigger.UNKNOWN,
    phase: DrainPhase.DRAINING };
}
