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
  it('shows the first estimate as reported, then moves by exactly one smoothing step per tick', () => {
    const s = new EtaSmoother();
    expect(s.report(100, 0)).toBe(100);
    expect(s.report(40, 0)).toBe(100); // a report alone does not move the display
    // actual one second after the report is 40 − 1 = 39; 100 + (39 − 100) × 0.15 = 90.85
    expect(s.tick(1000)).toBeCloseTo(90.85, 10);
    // actual 38; 90.85 + (38 − 90.85) × 0.15 = 82.9225
    expect(s.tick(2000)).toBeCloseTo(82.9225, 10);
  });

  it('counts actual down with the clock since the report, for at most 10 s, never below 0', () => {
    const s = new EtaSmoother();
    s.report(30, 5000);
    expect(s.actualAt(5000)).toBe(30);
    expect(s.actualAt(9500)).toBeCloseTo(25.5, 10);
    expect(s.actualAt(15_000)).toBe(20);
    expect(s.actualAt(60_000)).toBe(20); // a silent job is not counted down to 0
    s.report(4, 60_000);
    expect(s.actualAt(70_000)).toBe(0);
  });

  it('settles on the last estimate minus 10 s when reports stop, and never below it', () => {
    const s = new EtaSmoother();
    s.report(100, 0);
    const seen = Array.from({ length: 60 }, (_, i) => s.tick((i + 1) * 1000)!);
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!).toBeLessThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)!).toBeGreaterThanOrEqual(90);
    expect(seen.at(-1)!).toBeCloseTo(90, 2);
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
