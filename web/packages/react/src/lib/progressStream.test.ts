import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource, record } from '../test/fakeEventSource';
import { fakeFetch, FakeWebSocket } from '../test/fakeWebSocket';
import { ProgressStream, type ProgressStreamOptions } from './progressStream';
import { jobEndpoints } from './transports';

/** The SSE transport alone; a connection is never timed out unless a test says so. */
function open(options: ProgressStreamOptions = {}) {
  const stream = new ProgressStream('/api/generation/stream/job-1/', {
    createEventSource: (url) => new FakeEventSource(url),
    connectTimeoutMs: 3_600_000,
    ...options,
  });
  const states: ReturnType<() => typeof stream.state>[] = [];
  stream.on('state', (s) => states.push(s));
  stream.start();
  return { stream, states };
}

beforeEach(() => {
  FakeEventSource.reset();
  FakeWebSocket.reset();
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

  it('reconnects for ever, 1, 2, 4, 8, 16 s then every 30 s, and says offline from the 3rd attempt', () => {
    const { stream } = open({ backoff: { random: () => 0 } });
    const offline = vi.fn();
    stream.on('offline', offline);
    const delays = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000];
    for (const [i, delay] of delays.entries()) {
      FakeEventSource.latest().fail();
      expect(FakeEventSource.latest().closed).toBe(true); // no silent browser retry
      expect(stream.state.reconnectAttempt).toBe(i + 1);
      expect(stream.state.offline).toBe(i + 1 >= 3);
      expect(stream.state.nextRetryAt).toBe(Date.now() + delay);
      vi.advanceTimersByTime(delay - 1);
      expect(FakeEventSource.instances).toHaveLength(i + 1);
      vi.advanceTimersByTime(1);
      expect(FakeEventSource.instances).toHaveLength(i + 2);
      expect(stream.state.nextRetryAt).toBeNull();
    }
    expect(offline).toHaveBeenCalledTimes(1);
    expect(offline.mock.calls[0]![0]).toMatchObject({ kind: 'offline', attempts: 3 });
    expect(FakeEventSource.open()).toHaveLength(1);
  });

  it('spreads the delays with jitter, within half of each ceiling', () => {
    const randoms = [0.9, 0.1, 0.5];
    const { stream } = open({ backoff: { random: () => randoms.shift() ?? 0 } });
    const expected = [550, 1900, 3000];
    for (const delay of expected) {
      FakeEventSource.latest().fail();
      expect(stream.state.nextRetryAt).toBe(Date.now() + delay);
      vi.advanceTimersByTime(delay);
    }
    expect(FakeEventSource.instances).toHaveLength(4);
  });

  it('a successful connect resets the count and the offline state', () => {
    const { stream } = open();
    for (let i = 0; i < 4; i += 1) {
      FakeEventSource.latest().fail();
      vi.runOnlyPendingTimers();
    }
    expect(stream.state).toMatchObject({ reconnectAttempt: 4, offline: true });
    FakeEventSource.latest().emit('connected', { job_id: 'job-1' });
    expect(stream.state).toMatchObject({ isConnected: true, reconnectAttempt: 0, offline: false, error: null });
    FakeEventSource.latest().fail();
    expect(stream.state.reconnectAttempt).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.open()).toHaveLength(1);
  });

  it('retry() connects at once instead of waiting, and a failure goes on with the next delay', () => {
    const { stream } = open({ backoff: { random: () => 0 } });
    for (let i = 0; i < 3; i += 1) {
      FakeEventSource.latest().fail();
      vi.runOnlyPendingTimers();
    }
    FakeEventSource.latest().fail();
    expect(stream.state).toMatchObject({ offline: true, reconnectAttempt: 4 });
    stream.retry();
    expect(FakeEventSource.instances).toHaveLength(5);
    expect(stream.state.nextRetryAt).toBeNull();
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(5); // the scheduled attempt was replaced
    FakeEventSource.latest().fail();
    expect(stream.state.nextRetryAt).toBe(Date.now() + 16_000);
  });

  it('resumes after the newest seq it has, across every new EventSource', () => {
    open();
    const first = FakeEventSource.latest();
    expect(first.url).toBe('/api/generation/stream/job-1/');
    first.emit('connected', { job_id: 'job-1' });
    first.emit('progress', record({ seq: 41 }), '41');
    first.emit('progress', record({ seq: 42 }), '42');
    first.fail();
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.latest().url).toBe('/api/generation/stream/job-1/?last_event_id=42');
    FakeEventSource.latest().fail(); // fails before sending anything: the seq is kept
    vi.runOnlyPendingTimers();
    const third = FakeEventSource.latest();
    expect(third.url).toBe('/api/generation/stream/job-1/?last_event_id=42');
    third.emit('connected', { job_id: 'job-1' });
    third.emit('progress', record({ seq: 50 }), '50');
    third.fail();
    vi.runOnlyPendingTimers();
    expect(FakeEventSource.latest().url).toBe('/api/generation/stream/job-1/?last_event_id=50');
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

/** Let chained promises (a probe, then a fetch and its body) settle. */
async function flush() {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

const healthy = () => new Response('{"status":"healthy"}', { status: 200 });
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });

/** The whole chain for job-1; `routes` answers fetch (health probe, REST record). */
function chain(routes: Record<string, () => Response | Promise<Response>>, options: ProgressStreamOptions = {}) {
  const stream = new ProgressStream(jobEndpoints('job-1'), {
    createEventSource: (url) => new FakeEventSource(url),
    createWebSocket: (url) => new FakeWebSocket(url),
    fetch: fakeFetch(routes),
    backoff: { random: () => 0 },
    ...options,
  });
  const transports: (string | null)[] = [];
  stream.on('state', (s) => {
    if (transports.at(-1) !== s.transport) transports.push(s.transport);
  });
  stream.start();
  return { stream, transports };
}

describe('ProgressStream transport chain', () => {
  const HEALTH = '/api/generation/health/';
  const RECORD = '/api/generation/progress/job-1/';

  it('SSE that opens but says nothing for 5 s is buffered: a WebSocket takes over at once, resuming', async () => {
    const { stream } = chain({ [HEALTH]: healthy });
    const es = FakeEventSource.latest();
    await vi.advanceTimersByTimeAsync(4999);
    expect(FakeWebSocket.instances).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(es.closed).toBe(true);
    const ws = FakeWebSocket.latest();
    expect(ws.url).toBe('/api/generation/ws/job-1/');
    ws.send('connected', { job_id: 'job-1' });
    ws.send('progress', record({ seq: 7, overall_progress: 30 }), 7);
    expect(stream.state).toMatchObject({ isConnected: true, transport: 'websocket', reconnectAttempt: 0 });
    expect(stream.state.progress?.overall_progress).toBe(30);
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000); // one failure is not enough to step down again
    expect(FakeWebSocket.latest().url).toBe('/api/generation/ws/job-1/?last_event_id=7');
  });

  it('SSE failing twice while the server answers is blocked: WebSocket; refused twice too: REST polling', async () => {
    const { stream, transports } = chain({ [HEALTH]: healthy, [RECORD]: () => json(record({ seq: 20, overall_progress: 50 })) });
    FakeEventSource.latest().fail();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.latest().fail();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(1);
    FakeWebSocket.latest().drop(1006);
    await vi.advanceTimersByTimeAsync(2000); // the second attempt since the last connect
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.latest().drop(1006);
    await flush();
    expect(stream.state).toMatchObject({ isConnected: true, transport: 'poll', progress: { seq: 20 } });
    expect(transports).toEqual([null, 'poll']);
  });

  it('a failure while the server does not answer is an outage: the same transport again, with backoff', async () => {
    const { stream } = chain({});
    for (let i = 0; i < 5; i += 1) {
      FakeEventSource.latest().fail();
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(stream.state.nextRetryAt! - Date.now());
    }
    expect(FakeEventSource.instances).toHaveLength(6);
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(stream.state.offline).toBe(true);
  });

  it('a proxy answering 502 for the health probe does not count as the server answering', async () => {
    chain({ [HEALTH]: () => new Response('bad gateway', { status: 502 }) });
    for (let i = 0; i < 3; i += 1) {
      FakeEventSource.latest().fail();
      await vi.advanceTimersByTimeAsync(0);
      await vi.runOnlyPendingTimersAsync();
    }
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('polls the record every 2 s, drops repeats, and ends with `done` on a terminal record', async () => {
    let answer = record({ seq: 3, overall_progress: 10 });
    // Straight to polling: a stream whose only endpoint is the record.
    const polled = new ProgressStream({ poll: RECORD }, { fetch: fakeFetch({ [RECORD]: () => json(answer) }) });
    const seen: number[] = [];
    const done = vi.fn();
    polled.on('state', (s) => {
      if (s.progress && seen.at(-1) !== s.progress.seq) seen.push(s.progress.seq);
    });
    polled.on('done', done);
    polled.start();
    await flush();
    expect(polled.state).toMatchObject({ isConnected: true, transport: 'poll' });
    await vi.advanceTimersByTimeAsync(2000);
    answer = record({ seq: 9, overall_progress: 60 });
    await vi.advanceTimersByTimeAsync(2000);
    answer = record({ seq: 12, status: 'completed', overall_progress: 100 });
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([3, 9, 12]);
    expect(done).toHaveBeenCalledWith({ status: 'completed' }, expect.objectContaining({ seq: 12 }));
    expect(polled.state.isConnected).toBe(false);
  });

  it('steps back up: every 60 s on a lower transport it tries SSE beside it, and SSE takes over once connected', async () => {
    const { stream, transports } = chain({ [HEALTH]: healthy });
    await vi.advanceTimersByTimeAsync(5000); // SSE buffered
    const ws = FakeWebSocket.latest();
    ws.send('connected', { job_id: 'job-1' });
    ws.send('progress', record({ seq: 30 }), 30);
    await vi.advanceTimersByTimeAsync(60_000);
    const trial = FakeEventSource.latest();
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(trial.url).toBe('/api/generation/stream/job-1/?last_event_id=30');
    // Still buffered: the trial is dropped after 5 s, and the WebSocket stays live.
    await vi.advanceTimersByTimeAsync(5000);
    expect(trial.closed).toBe(true);
    expect(ws.closed).toBe(false);
    expect(stream.state.transport).toBe('websocket');
    ws.send('progress', record({ seq: 31 }), 31);
    // The next trial waits twice as long, and this time SSE answers.
    await vi.advanceTimersByTimeAsync(119_999);
    expect(FakeEventSource.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    const second = FakeEventSource.latest();
    expect(second.url).toBe('/api/generation/stream/job-1/?last_event_id=31');
    second.emit('connected', { job_id: 'job-1' });
    expect(ws.closed).toBe(true);
    second.emit('progress', record({ seq: 32 }), '32');
    expect(stream.state).toMatchObject({ isConnected: true, transport: 'sse', progress: { seq: 32 } });
    expect(transports).toEqual([null, 'websocket', 'sse']);
    // Back on top: no more trials.
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(FakeEventSource.instances).toHaveLength(3);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('`done` on any transport ends everything, trials included', async () => {
    const { stream } = chain({ [HEALTH]: healthy });
    await vi.advanceTimersByTimeAsync(5000);
    FakeWebSocket.latest().send('connected', { job_id: 'job-1' });
    await vi.advanceTimersByTimeAsync(60_000);
    FakeWebSocket.latest().send('done', { status: 'failed' });
    expect(FakeEventSource.latest().closed).toBe(true);
    expect(stream.state).toMatchObject({ done: { status: 'failed' }, isConnected: false, transport: null });
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
