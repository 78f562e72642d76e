/**
 * Emulated time: real time multiplied by `scale`, starting at `epochMs`. Lambda child processes see the same clock
 * through time-shim.js, so a drain of hours runs in seconds and every party agrees on "now".
 * ManualClock is the same interface with time that moves only when a test says so.
 */

/** A pending callback at an emulated time. */
export class Timer {
  /** The real timer currently armed for it (re-armed if Node fires early). */
  timeout?: NodeJS.Timeout;
  constructor(readonly due: number, readonly fn: () => void) {}
}

export class VirtualClock {
  readonly realStart = Date.now();
  protected readonly timers = new Set<Timer>();

  constructor(readonly scale: number, readonly epochMs = Date.UTC(2026, 10, 23, 10, 0, 0)) {}

  now(): number {
    return this.epochMs + (Date.now() - this.realStart) * this.scale;
  }

  /** Runs `fn` after `emulatedMs` of emulated time, never before (Node may fire a real timer up to 1 ms early). */
  after(emulatedMs: number, fn: () => void): Timer {
    const timer = new Timer(this.now() + Math.max(0, emulatedMs), fn);
    this.timers.add(timer);
    this.arm(timer);
    return timer;
  }

  private arm(timer: Timer): void {
    timer.timeout = setTimeout(() => {
      if (!this.timers.has(timer)) return;
      if (this.now() < timer.due) return this.arm(timer);
      this.timers.delete(timer);
      timer.fn();
    }, Math.max(0, Math.ceil((timer.due - this.now()) / this.scale)));
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    clearTimeout(timer.timeout);
    this.timers.delete(timer);
  }

  /** Emulated milliseconds as real milliseconds. */
  real(emulatedMs: number): number {
    return emulatedMs / this.scale;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t.timeout);
    this.timers.clear();
  }

  /** Environment for a child process that must share this clock (read by time-shim.js). */
  childEnv(): Record<string, string> {
    return { EMULATOR_EPOCH_MS: String(this.epochMs), EMULATOR_REAL_START_MS: String(this.realStart), EMULATOR_TIME_SCALE: String(this.scale) };
  }
}

/**
 * A clock for deterministic unit tests of the world model: time stands still until advance(), which fires every due
 * timer in due order (timers a callback adds are fired too if they fall due). Not for Lambda children.
 */
export class ManualClock extends VirtualClock {
  private current: number;

  constructor(epochMs?: number) {
    super(1, epochMs);
    this.current = this.epochMs;
  }

  override now(): number {
    return this.current;
  }

  override after(emulatedMs: number, fn: () => void): Timer {
    const timer = new Timer(this.current + Math.max(0, emulatedMs), fn);
    this.timers.add(timer);
    return timer;
  }

  override cancel(timer: Timer | undefined): void {
    if (timer) this.timers.delete(timer);
  }

  override stop(): void {
    this.timers.clear();
  }

  /** Moves time forward by `emulatedMs`, firing due timers in order (ties in creation order). */
  advance(emulatedMs: number): void {
    const target = this.current + emulatedMs;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) if (t.due <= target && (!next || t.due < next.due)) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  override childEnv(): Record<string, string> {
    throw new Error('a ManualClock cannot drive Lambda child processes');
  }
}
