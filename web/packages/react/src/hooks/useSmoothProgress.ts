import { useEffect, useRef, useState } from 'react';
import { browserFrames, ProgressAnimator, type FrameScheduler } from '../lib/smoothing';

export interface UseSmoothProgressOptions {
  /** Change it to let the bar start over from `actual` (e.g. the job's attempt number). */
  resetKey?: string | number;
  /** Force reduced motion on (true) or off (false); default: the person's prefers-reduced-motion, followed live. */
  reducedMotion?: boolean;
  /** Injected frames for tests; default requestAnimationFrame. */
  frames?: FrameScheduler;
}

const REDUCED_MOTION_QUERY = '(prefers-reduced-motion: reduce)';

export function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia(REDUCED_MOTION_QUERY).matches
    : false;
}

/** Calls `listener` whenever prefers-reduced-motion changes; returns the unsubscribe. */
function onMotionPreferenceChange(listener: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return () => undefined;
  const query = window.matchMedia(REDUCED_MOTION_QUERY);
  if (typeof query.addEventListener !== 'function') return () => undefined;
  query.addEventListener('change', listener);
  return () => query.removeEventListener('change', listener);
}

/**
 * The value to draw for a progress of `actual` percent: a damped spring
 * (velocity += (target − current) × 0.02, velocity ×= 0.85) that never goes
 * backwards and never passes `actual`, settling within 0.05; the last stretch to
 * 100 is a 600 ms ease-out-cubic. With prefers-reduced-motion it follows
 * `actual` without animation, and a preference that changes to "reduce" while
 * the bar moves puts it on its target at once.
 */
export function useSmoothProgress(actual: number, options: UseSmoothProgressOptions = {}): number {
  const [value, setValue] = useState(() => (Number.isFinite(actual) ? Math.min(100, Math.max(0, actual)) : 0));
  const animatorRef = useRef<ProgressAnimator | null>(null);
  const frames = options.frames ?? browserFrames;
  const framesRef = useRef(frames);
  framesRef.current = frames;
  const forcedRef = useRef(options.reducedMotion);
  forcedRef.current = options.reducedMotion;

  useEffect(() => {
    const animator = new ProgressAnimator({
      initial: value,
      frames: {
        request: (cb) => framesRef.current.request(cb),
        cancel: (handle) => framesRef.current.cancel(handle),
      },
      reducedMotion: () => forcedRef.current ?? prefersReducedMotion(),
      onUpdate: setValue,
    });
    animatorRef.current = animator;
    // Turning reduced motion on in the middle of an animation ends it at once.
    const unsubscribe = onMotionPreferenceChange(() => animator.motionPreferenceChanged());
    return () => {
      unsubscribe();
      animator.stop();
      animatorRef.current = null;
    };
    // The animator lives as long as the component; `value` only seeds it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const firstReset = useRef(true);
  useEffect(() => {
    if (firstReset.current) {
      firstReset.current = false;
      return;
    }
    animatorRef.current?.reset(actual);
    // A reset jumps to the value of its moment; a new `actual` alone is a target (below).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [options.resetKey]);

  useEffect(() => {
    animatorRef.current?.setTarget(actual);
  }, [actual]);

  useEffect(() => {
    animatorRef.current?.motionPreferenceChanged();
  }, [options.reducedMotion]);

  return value;
}
