import { describe, expect, it } from 'vitest';
import { FakeFrames } from '../test/fakeFrames';
import { DAMPING, easeOutCubic, FINISH_MS, ProgressAnimator, SETTLE_EPSILON, STIFFNESS, stepPhysics } from './smoothing';

function animator(frames: FakeFrames, reduced = false, initial = 0) {
  const values: number[] = [];
  const a = new ProgressAnimator({ initial, frames, reducedMotion: () => reduced, onUpdate: (v) => values.push(v) });
  return { a, values };
}

describe('stepPhysics', () => {
  it('applies velocity += (target − current) × 0.02, then velocity ×= 0.85', () => {
    const next = stepPhysics({ value: 10, velocity: 1 }, 50);
    const velocity = (1 + (50 - 10) * STIFFNESS) * DAMPING;
    expect(next.velocity).toBeCloseTo(velocity, 10);
    expect(next.value).toBeCloseTo(10 + velocity, 10);
    expect(next.settled).toBe(false);
  });

  it('never passes the target and never goes backwards', () => {
    expect(stepPhysics({ value: 49, velocity: 5 }, 50)).toEqual({ value: 50, velocity: 0, settled: true });
    expect(stepPhysics({ value: 30, velocity: -4 }, 50).value).toBeGreaterThanOrEqual(30);
  });

  it('settles onto the target within 0.05', () => {
    expect(stepPhysics({ value: 49.96, velocity: 0 }, 50)).toEqual({ value: 50, velocity: 0, settled: true });
    expect(SETTLE_EPSILON).toBe(0.05);
  });
});

describe('ProgressAnimator', () => {
  it('moves monotonically towards each new target without exceeding it, and stops when settled', () => {
    const frames = new FakeFrames();
    const { a, values } = animator(frames);
    const targets = [3, 3.5, 12, 12, 40, 41, 41.2, 63, 74.9];
    for (const target of targets) {
      a.setTarget(target);
      for (let i = 0; i < 20; i += 1) frames.step();
      expect(a.value).toBeLessThanOrEqual(target);
    }
    frames.runAll();
    expect(a.value).toBe(74.9);
    expect(frames.scheduled).toBe(0);
    for (let i = 1; i < values.length; i += 1) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
  });

  it('ignores a lower target: the bar never goes backwards', () => {
    const frames = new FakeFrames();
    const { a } = animator(frames);
    a.setTarget(60);
    frames.runAll();
    a.setTarget(20);
    frames.runAll();
    expect(a.value).toBe(60);
  });

  it('reaches a target within about two seconds of frames', () => {
    const frames = new FakeFrames();
    const { a } = animator(frames);
    a.setTarget(50);
    const n = frames.runAll();
    expect(a.value).toBe(50);
    expect(n).toBeLessThan(130);
  });

  it('finishes at 100 with a 600 ms ease-out-cubic from wherever the bar is', () => {
    const frames = new FakeFrames();
    const { a, values } = animator(frames, false, 40);
    a.setTarget(100);
    frames.step(10); // the first frame fixes the start time
    expect(a.value).toBe(40);
    frames.step(FINISH_MS / 2);
    expect(a.value).toBeCloseTo(40 + 60 * easeOutCubic(0.5), 6);
    expect(easeOutCubic(0.5)).toBeCloseTo(0.875, 10);
    frames.step(FINISH_MS / 2 - 1);
    expect(a.value).toBeLessThan(100);
    frames.step(1);
    expect(a.value).toBe(100);
    expect(frames.scheduled).toBe(0);
    expect(values.at(-1)).toBe(100);
  });

  it('switches to the ease-out when 100 arrives mid-flight, without a step back', () => {
    const frames = new FakeFrames();
    const { a, values } = animator(frames);
    a.setTarget(70);
    for (let i = 0; i < 5; i += 1) frames.step();
    a.setTarget(100);
    frames.runAll();
    expect(a.value).toBe(100);
    for (let i = 1; i < values.length; i += 1) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
  });

  it('with reduced motion jumps straight to the target and requests no frames', () => {
    const frames = new FakeFrames();
    const { a, values } = animator(frames, true);
    a.setTarget(37);
    expect(a.value).toBe(37);
    a.setTarget(100);
    expect(a.value).toBe(100);
    expect(frames.scheduled).toBe(0);
    expect(values).toEqual([37, 100]);
  });

  it('reset() starts over (a re-run of the job), stop() cancels pending frames', () => {
    const frames = new FakeFrames();
    const { a } = animator(frames);
    a.setTarget(80);
    frames.step();
    a.reset(5);
    expect(a.value).toBe(5);
    expect(frames.scheduled).toBe(0);
    a.setTarget(9);
    a.stop();
    expect(frames.scheduled).toBe(0);
  });
});
