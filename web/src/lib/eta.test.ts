import { describe, expect, it } from 'vitest';
import { EtaSmoother, formatEta, smoothEtaStep } from './eta';

describe('formatEta', () => {
  it('writes seconds, minutes and seconds, or hours and minutes', () => {
    expect(formatEta(320)).toBe('5m 20s');
    expect(formatEta(45)).toBe('45s');
    expect(formatEta(59.6)).toBe('1m 0s');
    expect(formatEta(3600 + 5 * 60 + 9)).toBe('1h 5m');
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(-3)).toBe('0s');
  });

  it('says it is still calculating when the estimate is unknown', () => {
    expect(formatEta(null)).toBe('Calculating…');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('Calculating…');
  });
});

describe('smoothEtaStep', () => {
  it('moves 15 % of the way: display += (actual − display) × 0.15', () => {
    expect(smoothEtaStep(100, 200)).toBeCloseTo(115, 10);
    expect(smoothEtaStep(100, 0)).toBeCloseTo(85, 10);
  });
});

describe('EtaSmoother', () => {
  it('shows the first estimate as reported, then approaches a jump gradually', () => {
    const s = new EtaSmoother();
    expect(s.report(100, 0)).toBe(100);
    s.report(40, 0);
    const seen = [1, 2, 3].map((i) => s.tick(i * 1000)!);
    // Both values count down 1 s a second; the display closes 15 % of the gap each tick.
    expect(seen[0]).toBeCloseTo(99 - 0.15 * (99 - 39), 6);
    expect(seen[1]).toBeGreaterThan(38);
    expect(seen[1]!).toBeLessThan(seen[0]!);
  });

  it('does not lag an estimate that shrinks with the clock', () => {
    const s = new EtaSmoother();
    s.report(60, 0);
    for (let t = 1; t <= 30; t += 1) {
      s.report(60 - t, t * 1000);
      s.tick(t * 1000 + 500);
    }
    expect(s.value).toBeCloseTo(60 - 30.5, 6);
  });

  it('stops counting down 10 s after the last report (no invented progress)', () => {
    const s = new EtaSmoother();
    s.report(100, 0);
    for (let t = 1; t <= 60; t += 1) s.tick(t * 1000);
    expect(s.value).toBeGreaterThan(89);
    expect(s.value).toBeLessThanOrEqual(90.01);
  });

  it('forgets on unknown and shows 0 at once', () => {
    const s = new EtaSmoother();
    s.report(100, 0);
    expect(s.report(null, 1000)).toBeNull();
    expect(s.tick(2000)).toBeNull();
    s.report(80, 3000);
    expect(s.report(0, 3100)).toBe(0);
  });
});
