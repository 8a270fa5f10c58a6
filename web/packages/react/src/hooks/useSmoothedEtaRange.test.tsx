import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, renderHook } from '../test/render';
import { useSmoothedEtaRange } from './useSmoothedEtaRange';

type Props = [number | null, number | null, number | null];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('useSmoothedEtaRange', () => {
  it('gives the first range as reported and moves its ends once a tick', () => {
    const hook = renderHook(([eta, low, high]: Props) => useSmoothedEtaRange(eta, low, high), [600, 400, 900]);
    expect(hook.current).toBe('6–15 min');
    hook.rerender([600, 500, 700]);
    expect(hook.current).toBe('6–15 min'); // a report alone moves nothing
    act(() => vi.advanceTimersByTime(1000));
    // low 400 + (499 − 400) × 0.15 = 414.85, high 900 + (699 − 900) × 0.15 = 869.85
    expect(hook.current).toBe('6–15 min');
    act(() => vi.advanceTimersByTime(30_000));
    expect(hook.current).toBe('8–12 min');
    hook.unmount();
  });

  it('is null while the range is unknown or narrow', () => {
    const hook = renderHook(([eta, low, high]: Props) => useSmoothedEtaRange(eta, low, high), [600, null, null]);
    expect(hook.current).toBeNull();
    hook.rerender([600, 580, 640]);
    expect(hook.current).toBeNull();
    hook.unmount();
  });
});
