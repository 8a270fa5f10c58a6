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

  it('moves exactly one step per tick: display += (actual − display) × 0.15', () => {
    const hook = renderHook((eta: number | null) => useSmoothedETA(eta), 320);
    hook.rerender(120);
    act(() => vi.advanceTimersByTime(999));
    expect(hook.current).toBe('5m 20s');
    act(() => vi.advanceTimersByTime(1));
    // actual = 120 − 1 s since the report = 119; 320 + (119 − 320) × 0.15 = 289.85
    expect(hook.current).toBe('4m 50s');
    hook.unmount();
  });

  it('glides to a new estimate instead of jumping', () => {
    const hook = renderHook((eta: number | null) => useSmoothedETA(eta), 300);
    hook.rerender(120);
    expect(hook.current).toBe('5m 0s');
    act(() => vi.advanceTimersByTime(1000));
    expect(hook.current).toBe('4m 33s'); // 300 + (119 − 300) × 0.15 = 272.85
    act(() => vi.advanceTimersByTime(9000));
    // Ten steps towards actual = 120 − k at second k: 149.99
    expect(hook.current).toBe('2m 30s');
    act(() => vi.advanceTimersByTime(60_000));
    expect(hook.current).toBe('1m 50s'); // actual stops at 120 − 10 once the report is 10 s old
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
