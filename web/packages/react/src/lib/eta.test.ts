import { describe, expect, it } from 'vitest';
import { EtaRangeSmoother, EtaSmoother, formatEta, formatEtaRange, rangeWorthShowing, smoothEtaStep } from './eta';

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

describe('formatEtaRange', () => {
  it('picks the unit from the upper end and rounds outwards', () => {
    expect(formatEtaRange(22, 44)).toBe('20–45 s');
    expect(formatEtaRange(130, 290)).toBe('2–5 min');
    expect(formatEtaRange(3 * 60, 7 * 60)).toBe('3–7 min');
    expect(formatEtaRange(95 * 60, 3 * 3600 - 60)).toBe('1.5–3 h');
    expect(formatEtaRange(2 * 3600, 5 * 3600 + 10)).toBe('2–5.5 h');
  });

  it('says "up to" when the lower end rounds to nothing', () => {
    expect(formatEtaRange(40, 110)).toBe('up to 2 min');
    expect(formatEtaRange(3, 60)).toBe('up to 60 s');
  });

  it('has no range for unknown ends or ends that round to one value', () => {
    expect(formatEtaRange(null, 100)).toBeNull();
    expect(formatEtaRange(100, null)).toBeNull();
    expect(formatEtaRange(Number.NaN, 100)).toBeNull();
    expect(formatEtaRange(180, 180)).toBeNull();
    expect(formatEtaRange(45, 45)).toBeNull();
  });
});

describe('rangeWorthShowing', () => {
  it('shows a range at least 30 % of the estimate wide and hides it only below 20 %', () => {
    expect(rangeWorthShowing(200, 150, 220, false)).toBe(true); // 35 % wide: shown
    expect(rangeWorthShowing(200, 140, 200, false)).toBe(true); // 30 %
    expect(rangeWorthShowing(200, 170, 220, false)).toBe(false); // 25 %: not yet
    expect(rangeWorthShowing(200, 170, 220, true)).toBe(true); // 25 %: stays
    expect(rangeWorthShowing(200, 185, 220, true)).toBe(false); // 17.5 %: goes
  });

  it('hides it while unknown and in the last half minute', () => {
    expect(rangeWorthShowing(null, 10, 100, false)).toBe(false);
    expect(rangeWorthShowing(100, null, 200, true)).toBe(false);
    expect(rangeWorthShowing(29, 5, 90, true)).toBe(false);
    expect(rangeWorthShowing(30, 5, 90, false)).toBe(true);
  });
});

describe('EtaRangeSmoother', () => {
  it('shows the first range as reported, then moves both ends one smoothing step per tick', () => {
    const s = new EtaRangeSmoother();
    expect(s.report(300, 180, 480, 0)).toBe('3–8 min');
    // A new, narrower range: the ends glide towards it (actual counts down with the clock).
    s.report(300, 240, 330, 0);
    // low 180 + (239 − 180) × 0.15 = 188.85, high 480 + (329 − 480) × 0.15 = 457.35
    expect(s.tick(1000)).toBe('3–8 min');
    for (let k = 2; k <= 60; ++k) s.tick(k * 1000);
    // Ten seconds of countdown, then the ends settle on 230 and 320: 27 % of an ETA of 290.
    expect(s.text()).toBe('3–6 min');
  });

  it('does not flicker at the threshold: a range that narrows a little stays, one that narrows a lot goes', () => {
    const s = new EtaRangeSmoother();
    expect(s.report(200, 140, 210, 0)).toBe('2–4 min'); // 35 %
    expect(s.report(200, 140, 210, 0)).not.toBeNull();
    const narrower = new EtaRangeSmoother();
    expect(narrower.report(200, 170, 220, 0)).toBeNull(); // 25 %: never shown
  });

  it('drops the range when the estimate or an end becomes unknown, and at the end', () => {
    const s = new EtaRangeSmoother();
    expect(s.report(300, 180, 480, 0)).not.toBeNull();
    expect(s.report(300, null, null, 1000)).toBeNull();
    expect(s.report(300, 180, 480, 2000)).not.toBeNull();
    expect(s.report(null, 180, 480, 3000)).toBeNull();
    expect(s.report(0, 0, 0, 4000)).toBeNull();
  });
});
