import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeFrames } from '../test/fakeFrames';
import { act, renderHook } from '../test/render';
import { useSmoothProgress } from './useSmoothProgress';

function mockReducedMotion(matches: boolean) {
  vi.stubGlobal('matchMedia', (query: string) => ({ matches: matches && query.includes('reduce'), media: query }));
}

afterEach(() => vi.unstubAllGlobals());

describe('useSmoothProgress', () => {
  it('renders a sequence that only rises and never passes the reported value', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames }), 0);
    const seen: number[] = [];
    let highest = 0;
    for (const target of [5, 15, 15.5, 40, 38 /* a stale lower value */, 75]) {
      highest = Math.max(highest, target);
      hook.rerender(target);
      for (let i = 0; i < 15; i += 1) {
        act(() => frames.step());
        seen.push(hook.current);
        expect(hook.current).toBeLessThanOrEqual(highest);
      }
    }
    act(() => void frames.runAll());
    expect(hook.current).toBe(75);
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    hook.unmount();
  });

  it('closes the last gap to 100 with a 600 ms ease-out', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames }), 80);
    expect(hook.current).toBe(80);
    hook.rerender(100);
    act(() => frames.step(16));
    act(() => frames.step(300));
    expect(hook.current).toBeCloseTo(80 + 20 * 0.875, 5);
    act(() => frames.step(300));
    expect(hook.current).toBe(100);
    expect(frames.scheduled).toBe(0);
    hook.unmount();
  });

  it('follows the value without animation when the user prefers reduced motion', () => {
    mockReducedMotion(true);
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames }), 0);
    hook.rerender(42);
    expect(hook.current).toBe(42);
    expect(frames.scheduled).toBe(0);
    hook.rerender(100);
    expect(hook.current).toBe(100);
    hook.unmount();
  });

  it('starts over when resetKey changes (a new attempt)', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const hook = renderHook(
      ({ actual, attempt }: { actual: number; attempt: number }) => useSmoothProgress(actual, { frames, resetKey: attempt }),
      { actual: 60, attempt: 1 },
    );
    hook.rerender({ actual: 3, attempt: 2 });
    expect(hook.current).toBe(3);
    hook.unmount();
  });

  it('uses the global requestAnimationFrame and cancelAnimationFrame when no frames are injected', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const request = vi.fn(frames.request);
    const cancel = vi.fn(frames.cancel);
    vi.stubGlobal('requestAnimationFrame', request);
    vi.stubGlobal('cancelAnimationFrame', cancel);
    const hook = renderHook((actual: number) => useSmoothProgress(actual), 0);
    hook.rerender(50);
    expect(request).toHaveBeenCalledTimes(1);
    act(() => frames.step());
    // One frame of the spring from rest: velocity = (50 − 0) × 0.02 × 0.85 = 0.85
    expect(hook.current).toBeCloseTo(0.85, 10);
    act(() => void frames.runAll());
    expect(hook.current).toBe(50);
    hook.rerender(60);
    act(() => frames.step());
    expect(frames.scheduled).toBe(1);
    const pending = request.mock.results.at(-1)!.value as number;
    hook.unmount();
    expect(cancel).toHaveBeenCalledWith(pending);
    expect(frames.scheduled).toBe(0);
  });

  it('cancels its frame on unmount', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames }), 0);
    hook.rerender(50);
    expect(frames.scheduled).toBe(1);
    hook.unmount();
    expect(frames.scheduled).toBe(0);
  });

  it('follows a prefers-reduced-motion that changes while the bar moves: it lands on the target at once', () => {
    let reduce = false;
    const listeners = new Set<() => void>();
    vi.stubGlobal('matchMedia', (query: string) => ({
      get matches() {
        return reduce && query.includes('reduce');
      },
      media: query,
      addEventListener: (_type: string, listener: () => void) => listeners.add(listener),
      removeEventListener: (_type: string, listener: () => void) => listeners.delete(listener),
    }));
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames }), 10);
    hook.rerender(60);
    act(() => frames.step());
    expect(hook.current).toBeGreaterThan(10);
    expect(hook.current).toBeLessThan(60);
    reduce = true;
    act(() => {
      for (const listener of listeners) listener();
    });
    expect(hook.current).toBe(60);
    expect(frames.scheduled).toBe(0);
    hook.rerender(70);
    expect(hook.current).toBe(70); // no animation from now on
    hook.unmount();
    expect(listeners.size).toBe(0);
  });

  it('reducedMotion: true forces values without animation, whatever the media query says', () => {
    mockReducedMotion(false);
    const frames = new FakeFrames();
    const hook = renderHook((actual: number) => useSmoothProgress(actual, { frames, reducedMotion: true }), 0);
    hook.rerender(45);
    expect(hook.current).toBe(45);
    expect(frames.scheduled).toBe(0);
    hook.unmount();
  });
});
