import { describe, expect, it } from 'vitest';
import { getProgressColor } from './colors';

function hue(color: string): number {
  const match = /^hsl\(([\d.]+), 90%, 50%\)$/.exec(color);
  if (!match?.[1]) throw new Error(`not an hsl colour: ${color}`);
  return Number(match[1]);
}

describe('getProgressColor', () => {
  it('is red at 0 %, yellow at 50 % and green at 100 %', () => {
    expect(getProgressColor(0)).toBe('hsl(0, 90%, 50%)');
    expect(getProgressColor(50)).toBe('hsl(60, 90%, 50%)');
    expect(getProgressColor(100)).toBe('hsl(120, 90%, 50%)');
  });

  it('is continuous: a small step in progress is a small step in hue', () => {
    for (let p = 0; p < 100; p += 0.5) {
      expect(Math.abs(hue(getProgressColor(p + 0.5)) - hue(getProgressColor(p)))).toBeLessThanOrEqual(0.65);
    }
    expect(hue(getProgressColor(33.3))).toBeCloseTo(40, 1);
  });

  it('clamps values outside 0–100 and survives NaN', () => {
    expect(getProgressColor(-5)).toBe('hsl(0, 90%, 50%)');
    expect(getProgressColor(140)).toBe('hsl(120, 90%, 50%)');
    expect(getProgressColor(Number.NaN)).toBe('hsl(0, 90%, 50%)');
  });
});
