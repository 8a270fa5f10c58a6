import { useEffect, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sharedStreams } from '../lib/streamRegistry';
import { FakeEventSource, record } from '../test/fakeEventSource';
import { FakeWebSocket } from '../test/fakeWebSocket';
import { act, render, renderHook } from '../test/render';
import { useProgress, type UseProgressOptions } from './useProgress';

beforeEach(() => {
  sharedStreams.reset();
  FakeEventSource.reset();
  FakeWebSocket.reset();
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal('WebSocket', FakeWebSocket);
  // The health probe finds no server: a failing stream is an outage, not a blocked SSE.
  vi.stubGlobal('fetch', () => Promise.reject(new TypeError('offline')));
  vi.useFakeTimers();
});

/** Let the stream's health probe answer, then move the clock. */
async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}
afterEach(() => {
  sharedStreams.reset();
  vi.useRealTimers();
});

/**
 * The reference design's bug: reconnect state in the effect's dependencies. The
 * successful connect resets that state, the effect re-runs, and its cleanup
 * closes the connection that had just come up.
 */
function useProgressWithTheOldBug(jobId: string) {
  const [reconnectAttempt, setReconnectAttempt] = useState(0);
  const [isConnected, setIsConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource(`/api/generation/stream/${jobId}/`);
    es.addEventListener('connected', () => {
      setIsConnected(true);
      setReconnectAttempt(0);
    });
    es.onerror = () => {
      es.close();
      setIsConnected(false);
      setTimeout(() => setReconnectAttempt((n) => n + 1), 1000 * 2 ** reconnectAttempt);
    };
    return () => es.close();
  }, [jobId, reconnectAttempt]);
  return { isConnected };
}

/** Connect, lose the connection, reconnect, and report what became of the live connection. */
async function dropAndReconnect(useHook: (jobId: string) => { isConnected: boolean }) {
  const hook = renderHook(useHook, 'job-1');
  act(() => FakeEventSource.latest().emit('connected', { job_id: 'job-1' }));
  act(() => FakeEventSource.latest().fail());
  await advance(1000);
  const live = FakeEventSource.latest();
  act(() => live.emit('connected', { job_id: 'job-1' }));
  await advance(5 * 60_000);
  const result = { liveClosed: live.closed, created: FakeEventSource.instances.length, isConnected: hook.current.isConnected };
  hook.unmount();
  return result;
}

describe('useProgress', () => {
  it('regression: a successful reconnect never tears down the live connection (effect depends on [jobId] only)', async () => {
    const acquire = vi.spyOn(sharedStreams, 'acquire');
    expect(await dropAndReconnect((id) => useProgress(id))).toEqual({ liveClosed: false, created: 2, isConnected: true });
    // The effect ran once: reconnect state changing (1 → 0 on connect) did not re-run it.
    expect(acquire).toHaveBeenCalledTimes(1);
  });

  it('the regression test does catch the old [jobId, reconnectAttempt] dependency', async () => {
    FakeEventSource.reset();
    const buggy = await dropAndReconnect(useProgressWithTheOldBug);
    expect(buggy.liveClosed).toBe(true);
    expect(buggy.created).toBeGreaterThan(2);
  });

  it('re-renders and new callback functions do not reconnect', () => {
    const hook = renderHook((opts: UseProgressOptions) => useProgress('job-1', opts), { onComplete: () => {} });
    act(() => FakeEventSource.latest().emit('connected', { job_id: 'job-1' }));
    for (let i = 0; i < 20; i += 1) hook.rerender({ onComplete: () => {}, onOffline: () => {} });
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.latest().closed).toBe(false);
    hook.unmount();
  });

  it('renders connection, progress and done in order, and calls onComplete once', () => {
    const onComplete = vi.fn();
    const hook = renderHook(() => useProgress('job-1', { onComplete }), undefined);
    expect(hook.current.isConnected).toBe(false);
    const es = FakeEventSource.latest();
    expect(es.url).toBe('/api/generation/stream/job-1/');
    act(() => es.emit('connected', { job_id: 'job-1' }));
    expect(hook.current.isConnected).toBe(true);
    act(() => es.emit('progress', record({ seq: 5, overall_progress: 12.5, stage: 'clustering' })));
    expect(hook.current.progress).toMatchObject({ seq: 5, overall_progress: 12.5, stage: 'clustering' });
    act(() => es.emit('done', { status: 'completed' }));
    expect(onComplete).toHaveBeenCalledTimes(1);
    expect(onComplete).toHaveBeenCalledWith({ status: 'completed' }, expect.objectContaining({ seq: 5 }));
    expect(hook.current).toMatchObject({ isConnected: false, done: { status: 'completed' } });
    expect(es.closed).toBe(true);
    hook.unmount();
  });

  it('baseUrl puts the stream on that server', () => {
    const hook = renderHook(() => useProgress('job-2', { baseUrl: 'https://jobs.example.org/' }), undefined);
    expect(FakeEventSource.latest().url).toBe('https://jobs.example.org/api/generation/stream/job-2/');
    hook.unmount();
  });

  it('reconnects for ever, says offline from the 3rd failed attempt (onOffline once), and retry() tries at once', async () => {
    const onOffline = vi.fn();
    const hook = renderHook(() => useProgress('job-1', { onOffline }), undefined);
    for (let i = 0; i < 8; i += 1) {
      act(() => FakeEventSource.latest().fail());
      await advance(0);
      expect(hook.current.offline).toBe(i + 1 >= 3);
      const before = FakeEventSource.instances.length;
      const wait = hook.current.nextRetryAt! - Date.now();
      expect(wait).toBeLessThanOrEqual(30_000);
      await advance(wait);
      expect(FakeEventSource.instances.length).toBe(before + 1);
      act(() => FakeEventSource.latest().emit('progress', record({ seq: 10 + i }))); // answers, then fails again
    }
    expect(hook.current.reconnectAttempt).toBe(8);
    expect(onOffline).toHaveBeenCalledTimes(1);
    expect(FakeWebSocket.instances).toHaveLength(0); // an outage: no stepping down
    act(() => FakeEventSource.latest().fail());
    await advance(0);
    act(() => hook.current.retry());
    expect(FakeEventSource.open()).toHaveLength(1);
    expect(FakeEventSource.latest().url).toBe('/api/generation/stream/job-1/?last_event_id=17');
    act(() => FakeEventSource.latest().emit('connected', { job_id: 'job-1' }));
    expect(hook.current).toMatchObject({ isConnected: true, transport: 'sse', offline: false, reconnectAttempt: 0 });
    hook.unmount();
  });

  it('steps down to a WebSocket when SSE fails while the server answers, and says so', async () => {
    vi.stubGlobal('fetch', async () => new Response('{"status":"healthy"}', { status: 200 }));
    const hook = renderHook(() => useProgress('job-1'), undefined);
    act(() => FakeEventSource.latest().fail());
    await advance(1000);
    act(() => FakeEventSource.latest().fail());
    await advance(0);
    expect(FakeWebSocket.latest().url).toBe('ws://localhost:3000/api/generation/ws/job-1/');
    act(() => FakeWebSocket.latest().send('connected', { job_id: 'job-1' }));
    act(() => FakeWebSocket.latest().send('progress', record({ seq: 4, overall_progress: 9 }), 4));
    expect(hook.current).toMatchObject({ isConnected: true, transport: 'websocket', progress: { seq: 4 } });
    hook.unmount();
  });

  it('shares one EventSource between components watching the same job, closing it after the last leaves', async () => {
    function Watcher({ id }: { id: string }) {
      const { progress } = useProgress(id);
      return <span>{progress?.overall_progress ?? '-'}</span>;
    }
    const a = render(<Watcher id="job-1" />);
    const b = render(<Watcher id="job-1" />);
    expect(FakeEventSource.instances).toHaveLength(1);
    act(() => FakeEventSource.latest().emit('progress', record({ seq: 8, overall_progress: 42 })));
    expect(a.container.textContent).toBe('42');
    expect(b.container.textContent).toBe('42');
    a.unmount();
    await act(async () => {});
    expect(FakeEventSource.latest().closed).toBe(false);
    b.unmount();
    await act(async () => {});
    expect(FakeEventSource.latest().closed).toBe(true);
  });

  it('tells a component that joins after the end, and opens nothing without a job id', () => {
    const first = renderHook(() => useProgress('job-1'), undefined);
    act(() => FakeEventSource.latest().emit('done', { status: 'cancelled' }));
    const late = vi.fn();
    const second = renderHook(() => useProgress('job-1', { onComplete: late }), undefined);
    expect(late).toHaveBeenCalledWith({ status: 'cancelled' }, null);
    expect(second.current.done).toEqual({ status: 'cancelled' });
    first.unmount();
    second.unmount();
    FakeEventSource.reset();
    const none = renderHook(() => useProgress(null), undefined);
    expect(FakeEventSource.instances).toHaveLength(0);
    none.unmount();
  });
});
