// Smooth, honest motion for a progress bar: a damped spring that chases the
// reported value without ever overshooting it or going backwards, and a short
// ease-out to close the last gap when the job reaches 100 %.

export const STIFFNESS = 0.02;
export const DAMPING = 0.85;
export const SETTLE_EPSILON = 0.05;
export const FINISH_MS = 600;

/** requestAnimationFrame and cancelAnimationFrame, injectable for tests. */
export interface FrameScheduler {
  request(callback: (timestamp: number) => void): number;
  cancel(handle: number): void;
}

export const browserFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(callback),
  cancel: (handle) => cancelAnimationFrame(handle),
};

export function easeOutCubic(t: number): number {
  const c = Math.min(1, Math.max(0, t));
  return 1 - (1 - c) ** 3;
}

export interface PhysicsState {
  value: number;
  velocity: number;
}

/**
 * One animation frame of the spring: velocity += (target − value) × 0.02;
 * velocity ×= 0.85; value += velocity, kept within [previous value, target]; within
 * 0.05 of the target it settles there with zero velocity.
 */
export function stepPhysics(state: PhysicsState, target: number): PhysicsState & { settled: boolean } {
  let velocity = (state.velocity + (target - state.value) * STIFFNESS) * DAMPING;
  let value = state.value + velocity;
  if (value > target) {
    value = target;
    velocity = 0;
  }
  if (value < state.value) {
    value = state.value;
    velocity = 0;
  }
  if (target - value < SETTLE_EPSILON) return { value: target, velocity: 0, settled: true };
  return { value, velocity, settled: false };
}

export function clampPercent(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
}

export interface ProgressAnimatorOptions {
  initial?: number;
  frames?: FrameScheduler;
  /** Asked on every new target: when true, the value jumps without animation. */
  reducedMotion?: () => boolean;
  onUpdate: (value: number) => void;
}

/**
 * Drives the displayed value towards the newest target, one frame at a time.
 * The displayed value never decreases (a lower target is ignored) except through
 * `reset()`, and never exceeds the target. Reaching a target of 100 switches to a
 * 600 ms ease-out-cubic from wherever the bar is.
 */
export class ProgressAnimator {
  private state: PhysicsState;
  private target: number;
  private handle: number | null = null;
  private finish: { from: number; startedAt: number | null } | null = null;
  private readonly frames: FrameScheduler;
  private readonly reducedMotion: () => boolean;
  private readonly onUpdate: (value: number) => void;

  constructor(options: ProgressAnimatorOptions) {
    const initial = clampPercent(options.initial ?? 0);
    this.state = { value: initial, velocity: 0 };
    this.target = initial;
    this.frames = options.frames ?? browserFrames;
    this.reducedMotion = options.reducedMotion ?? (() => false);
    this.onUpdate = options.onUpdate;
  }

  get value(): number {
    return this.state.value;
  }

  setTarget(next: number): void {
    const target = clampPercent(next);
    if (target <= this.state.value) {
      this.target = Math.max(this.target, this.state.value);
      return;
    }
    this.target = target;
    if (this.reducedMotion()) {
      this.stop();
      this.state = { value: target, velocity: 0 };
      this.onUpdate(target);
      return;
    }
    if (target >= 100 && !this.finish) this.finish = { from: this.state.value, startedAt: null };
    this.schedule();
  }

  /**
   * The person's motion preference changed (prefers-reduced-motion): when motion
   * is now reduced, a running animation ends at once on its target.
   */
  motionPreferenceChanged(): void {
    if (!this.reducedMotion() || this.handle === null) return;
    this.stop();
    this.state = { value: this.target, velocity: 0 };
    this.onUpdate(this.target);
  }

  /** Jump to `value` (a new attempt of the job starts again from its own progress). */
  reset(value: number): void {
    this.stop();
    const v = clampPercent(value);
    this.state = { value: v, velocity: 0 };
    this.target = v;
    this.onUpdate(v);
  }

  stop(): void {
    if (this.handle !== null) this.frames.cancel(this.handle);
    this.handle = null;
    this.finish = null;
  }

  private schedule(): void {
    if (this.handle === null) this.handle = this.frames.request((t) => this.frame(t));
  }

  private frame(timestamp: number): void {
    this.handle = null;
    let done: boolean;
    if (this.finish) {
      if (this.finish.startedAt === null) this.finish.startedAt = timestamp;
      const t = (timestamp - this.finish.startedAt) / FINISH_MS;
      const { from } = this.finish;
      const value = t >= 1 ? 100 : Math.max(this.state.value, from + (100 - from) * easeOutCubic(t));
      this.state = { value, velocity: 0 };
      done = t >= 1;
      if (done) this.finish = null;
    } else {
      const next = stepPhysics(this.state, this.target);
      this.state = { value: next.value, velocity: next.velocity };
      done = next.settled;
    }
    this.onUpdate(this.state.value);
    if (!done) this.schedule();
  }
}
