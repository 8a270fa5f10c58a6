import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, renderHook } from '../test/render';
import { useSmoothedETA } from './useSmoothedETA';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('useSmoothedETA', () => {
  it('formats the first estimate as given', () => {
    const hook = renderHook((eta: number | null) => useSmoothedETA(eta), 320);
    expect(hook.current).toBe('5m 20s');
    hook.unmount();
  });

  it('glides to a new estimate instead of jumping', () => {
    const hook = renderHook((eta: number | null) => useSmoothedETA(eta), 300);
    hook.rerender(120);
    expect(hook.current).toBe('5m 0s');
    act(() => vi.advanceTimersByTime(1000));
    // Both count down a second; then 15 % of the 180 s gap is closed: 299 − 27 = 272.
    expect(hook.current).toBe('4m 32s');
    act(() => vi.advanceTimersByTime(9000));
    expect(hook.current).not.toBe('1m 50s');
    act(() => vi.advanceTimersByTime(60_000));
    expect(hook.current).toBe('1m 50s'); // reached, and held once the 10 s extrapolation window ends
    hook.unmount();
  });

  it('says Calculating… while unknown and 0s when done', () => {
    const hook = renderHook((eta: number | null) => useSmoothedETA(eta), null);
    expect(hook.current).toBe('Calculating…');
    hook.rerender(0);
    expect(hook.current).toBe('0s');
    hook.unmount();
  });
});
