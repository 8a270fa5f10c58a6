import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_RECONNECT_ATTEMPTS } from './backoff';

describe('backoffDelay', () => {
  it('doubles from one second for the five attempts', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(MAX_RECONNECT_ATTEMPTS).toBe(5);
  });

  it('never waits longer than the cap', () => {
    expect(backoffDelay(6)).toBe(30_000);
    expect(backoffDelay(50)).toBe(30_000);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 250 })).toBe(250);
  });

  it('treats a nonsensical attempt number as the first', () => {
    expect(backoffDelay(0)).toBe(1000);
    expect(backoffDelay(Number.NaN)).toBe(1000);
  });
});
