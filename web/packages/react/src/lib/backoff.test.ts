import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff';

describe('backoff', () => {
  it('doubles from one second up to the 30 s cap, and stays there for ever', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffCeiling(10_000)).toBe(30_000);
    expect(backoffCeiling(3, { baseMs: 100, maxMs: 250 })).toBe(250);
  });

  it('takes up to half of the ceiling off at random', () => {
    expect(backoffDelay(3, { random: () => 0 })).toBe(4000);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(3000);
    expect(backoffDelay(3, { random: () => 0.999999 })).toBe(2000);
    expect(backoffDelay(3, { random: () => 0.5, jitter: 0 })).toBe(4000);
    for (let i = 0; i < 200; i += 1) {
      const delay = backoffDelay(8);
      expect(delay).toBeGreaterThanOrEqual(15_000);
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });

  it('treats a nonsensical attempt number as the first', () => {
    expect(backoffCeiling(0)).toBe(1000);
    expect(backoffDelay(Number.NaN, { random: () => 0 })).toBe(1000);
  });
});
