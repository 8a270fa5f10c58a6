import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource, record } from '../test/fakeEventSource';
import { ProgressStream } from './progressStream';

function open(options = {}) {
  const stream = new ProgressStream('/api/generation/stream/job-1/', {
    createEventSource: (url) => new FakeEventSource(url),
    ...options,
  });
  const states: ReturnType<() => typeof stream.state>[] = [];
  stream.on('state', (s) => states.push(s));
  stream.start();
  return { stream, states };
}

beforeEach(() => {
  FakeEventSource.reset();
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressStream', () => {
  it('is connected after `connected` and keeps the newest record from `progress`', () => {
    const { stream } = open();
    const es = FakeEventSource.latest();
    expect(es.url).toBe('/api/generation/stream/job-1/');
    expect(stream.state.isConnected).toBe(false);
    es.emit('connected', { job_id: 'job-1' });
    expect(stream.state.isConnected).toBe(true);
    es.emit('progress', record({ seq: 3, overall_progress: 20 }), '3');
    expect(stream.state.progress?.overall_progress).toBe(20);
    expect(stream.state.progress?.stage).toBe('cpsat_solving');
  });

  it('drops records that are not newer than the last one (snapshot after a reconnect), and junk', () => {
    const { stream } = open();
    const es = FakeEventSource.latest();
    es.emit('connected', { job_id: 'job-1' });
    es.emit('progress', record({ seq: 10, overall_progress: 40 }));
    es.emit('progress', record({ seq: 10, overall_progress: 41 }));
    es.emit('progress', record({ seq: 9, overall_progress: 39 }));
    es.emit('progress', 'not json');
    es.emit('progress', { seq: 11 });
    expect(stream.state.progress?.overall_progress).toBe(40);
    es.emit('progress', record({ seq: 2, attempt: 2, overall_progress: 1 }));
    expect(stream.state.progress?.attempt).toBe(2);
  });

  it('on `done` reports once, closes the connection and never reconnects', () => {
    const { stream } = open();
    const done = vi.fn();
    stream.on('done', done);
    const es = FakeEventSource.latest();
    es.emit('connected', { job_id: 'job-1' });
    es.emit('progress', record({ seq: 99, status: 'completed', overall_progress: 100 }));
    es.emit('done', { status: 'completed' });
    expect(done).toHaveBeenCalledTimes(1);
    expect(done.mock.calls[0]![0]).toEqual({ status: 'completed' });
    expect(es.closed).toBe(true);
    expect(stream.state).toMatchObject({ isConnected: false, done: { status: 'completed' } });
    vi.advanceTimersByTime(120_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('reconnects after 1, 2, 4, 8 and 16 s, then gives up after the 5th attempt fails', () => {
    const { stream } = open();
    const giveUp = vi.fn();
    stream.on('giveUp', giveUp);
    const delays = [1000, 2000, 4000, 8000, 16000];
    for (const [i, delay] of delays.entries()) {
      FakeEventSource.latest().fail();
      expect(FakeEventSource.latest().closed).toBe(true); // no silent browser retry
      expect(stream.state.reconnectAttempt).toBe(i + 1);
      vi.advanceTimersByTime(delay - 1);
      expect(FakeEventSource.instances).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      expect(FakeEventSource.instances).toHaveLength(i + 2);
    }
    FakeEventSource.latest().fail();
    expect(giveUp).toHaveBeenCalledTimes(1);
    expect(giveUp.mock.calls[0]![0]).toMatchObject({ kind: 'gave-up', attempts: 5 });
    expect(stream.state.gaveUp).toBe(true);
    vi.advanceTimersByTime(10 * 60_000);
    expect(FakeEventSource.instances).toHaveLength(6);
    expect(FakeEventSource.open()).toHaveLength(0);
  });

  it('a successful connect resets the attempt budget', () => {
    const { stream } = open();
    for (let i = 0; i < 4; i += 1) {
      FakeEventSource.latest().fail();
      vi.runOnlyPendingTimers();
    }
    expect(stream.state.reconnectAttempt).toBe(4);
    FakeEventSource.latest().emit('connected', { job_id: 'job-1' });
    expect(stream.state).toMatchObject({ isConnected: true, reconnectAttempt: 0, error: null });
    FakeEventSource.latest().fail();
    expect(stream.state.reconnectAttempt).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.open()).toHaveLength(1);
  });

  it('retry() after giving up starts a fresh budget at once', () => {
    const { stream } = open({ maxReconnectAttempts: 1 });
    FakeEventSource.latest().fail();
    vi.runOnlyPendingTimers();
    FakeEventSource.latest().fail();
    expect(stream.state.gaveUp).toBe(true);
    stream.retry();
    expect(FakeEventSource.instances).toHaveLength(3);
    expect(stream.state).toMatchObject({ gaveUp: false, reconnectAttempt: 0 });
  });

  it('close() ends the connection and any pending reconnect', () => {
    const { stream } = open();
    FakeEventSource.latest().fail();
    stream.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it('ignores events from a connection it already replaced', () => {
    const { stream } = open();
    const first = FakeEventSource.latest();
    const onerror = first.onerror;
    first.fail();
    vi.advanceTimersByTime(1000);
    onerror?.(new Event('error'));
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(stream.state.reconnectAttempt).toBe(1);
  });
});
