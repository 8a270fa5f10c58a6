import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeEventSource, record } from '../test/fakeEventSource';
import { fakeFetch, FakeWebSocket } from '../test/fakeWebSocket';
import { JobMultiplexer } from './jobMultiplexer';

const options = {
  createEventSource: (url: string) => new FakeEventSource(url),
  createWebSocket: (url: string) => new FakeWebSocket(url),
  probe: () => Promise.resolve(true),
  backoff: { random: () => 1 },
};
const flushMicrotasks = () => Promise.resolve().then(() => undefined);
const manyUrl = (...jobs: string[]) => `/api/generation/streams/?jobs=${jobs.join(',')}`;

beforeEach(() => {
  FakeEventSource.reset();
  FakeWebSocket.reset();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('JobMultiplexer', () => {
  it('carries every job acquired together on one connection and hands each its own records', async () => {
    const jobs = new JobMultiplexer(options);
    const a = jobs.acquire('a');
    const b = jobs.acquire('b');
    const again = jobs.acquire('a');
    expect(again.stream).toBe(a.stream);
    await flushMicrotasks();
    expect(FakeEventSource.instances.map((es) => es.url)).toEqual([manyUrl('a', 'b')]);
    const es = FakeEventSource.latest();
    es.emit('connected', { job_id: 'a' });
    es.emit('connected', { job_id: 'b' });
    es.emit('progress', record({ job_id: 'a', seq: 3 }), '3,0');
    es.emit('progress', record({ job_id: 'b', seq: 7 }), '3,7');
    es.emit('progress', record({ job_id: 'a', seq: 2 }), '3,7'); // older: dropped
    expect(a.stream.state).toMatchObject({ isConnected: true, transport: 'sse' });
    expect(a.stream.state.progress?.seq).toBe(3);
    expect(b.stream.state.progress?.seq).toBe(7);
    expect(jobs.refCount('a')).toBe(2);
  });

  it('reopens with every job resume position when a job joins, closing the old connection', async () => {
    const jobs = new JobMultiplexer(options);
    const a = jobs.acquire('a');
    await flushMicrotasks();
    const first = FakeEventSource.latest();
    first.emit('connected', { job_id: 'a' });
    first.emit('progress', record({ job_id: 'a', seq: 4 }), '4');
    const b = jobs.acquire('b');
    await flushMicrotasks();
    expect(first.closed).toBe(true);
    const second = FakeEventSource.latest();
    expect(second.url).toBe(`${manyUrl('a', 'b')}&last_event_id=${encodeURIComponent('4,0')}`);
    second.emit('connected', { job_id: 'a' });
    second.emit('progress', record({ job_id: 'a', seq: 4 }), '4,0'); // a repeat is not shown again
    second.emit('progress', record({ job_id: 'b', seq: 1 }), '4,1');
    expect(a.stream.state.progress?.seq).toBe(4);
    expect(b.stream.state.progress?.seq).toBe(1);
    // Leaving: the remaining job keeps its position.
    b.release();
    await flushMicrotasks();
    expect(second.closed).toBe(true);
    expect(FakeEventSource.latest().url).toBe(`${manyUrl('a')}&last_event_id=4`);
    a.release();
    await flushMicrotasks();
    expect(FakeEventSource.open()).toHaveLength(0);
    expect(jobs.connectedJobs()).toEqual([]);
  });

  it('opens nothing new for a release followed at once by an acquire', async () => {
    const jobs = new JobMultiplexer(options);
    jobs.acquire('a');
    await flushMicrotasks();
    jobs.acquire('b').release();
    jobs.acquire('b');
    await flushMicrotasks();
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.open().map((es) => es.url)).toEqual([manyUrl('a', 'b')]);
  });

  it('ends each job on its own done and drops finished jobs from the next connection', async () => {
    const jobs = new JobMultiplexer(options);
    const a = jobs.acquire('a');
    const b = jobs.acquire('b');
    await flushMicrotasks();
    const es = FakeEventSource.latest();
    const doneA = vi.fn();
    a.stream.on('done', doneA);
    es.emit('connected', { job_id: 'a' });
    es.emit('progress', record({ job_id: 'a', seq: 9, status: 'completed' }), '9,0');
    es.emit('done', { job_id: 'a', status: 'completed' });
    expect(doneA).toHaveBeenCalledWith({ status: 'completed' }, expect.objectContaining({ seq: 9 }));
    expect(a.stream.state.done).toEqual({ status: 'completed' });
    expect(b.stream.state.done).toBeNull();
    expect(b.stream.state.isConnected).toBe(true);
    jobs.acquire('c');
    await flushMicrotasks();
    expect(FakeEventSource.latest().url).toBe(manyUrl('b', 'c'));
  });

  it('marks a job the server does not show as not found and keeps the others', async () => {
    const jobs = new JobMultiplexer(options);
    const a = jobs.acquire('a');
    const b = jobs.acquire('b');
    await flushMicrotasks();
    const es = FakeEventSource.latest();
    es.emit('not_found', { job_id: 'a', error: 'job_not_found' });
    es.emit('connected', { job_id: 'b' });
    expect(a.stream.state).toMatchObject({ isConnected: false, error: 'Job not found' });
    expect(b.stream.state.isConnected).toBe(true);
  });

  it('reconnects with backoff and resumes every job after a lost connection, stepping down to the WebSocket', async () => {
    const jobs = new JobMultiplexer({ ...options, stepDownAfter: 1 });
    const a = jobs.acquire('a');
    const b = jobs.acquire('b');
    await flushMicrotasks();
    const es = FakeEventSource.latest();
    es.emit('connected', { job_id: 'a' });
    es.emit('progress', record({ job_id: 'a', seq: 5 }), '5,0');
    es.emit('progress', record({ job_id: 'b', seq: 2 }), '5,2');
    es.fail();
    expect(a.stream.state.isConnected).toBe(false);
    await vi.advanceTimersByTimeAsync(0);
    const ws = FakeWebSocket.latest();
    expect(ws.url).toBe(
      `/api/generation/streams/ws/?jobs=a,b&last_event_id=${encodeURIComponent('5,2')}`,
    );
    ws.send('connected', { job_id: 'a' });
    ws.send('progress', record({ job_id: 'a', seq: 6 }), '6,2');
    expect(a.stream.state).toMatchObject({ isConnected: true, transport: 'websocket' });
    expect(a.stream.state.progress?.seq).toBe(6);
    expect(b.stream.state.transport).toBe('websocket');
  });

  it('polls each job on its own as the last step, and a job the server does not show ends alone', async () => {
    const fetch = vi.fn(
      fakeFetch({
        '/api/generation/progress/a/': () => new Response(JSON.stringify(record({ job_id: 'a', seq: 8 }))),
        '/api/generation/progress/b/': () => new Response(JSON.stringify({ error: 'job_not_found' }), { status: 404 }),
      }),
    );
    const jobs = new JobMultiplexer({ ...options, stepDownAfter: 1, fetch });
    const a = jobs.acquire('a');
    const b = jobs.acquire('b');
    await flushMicrotasks();
    FakeEventSource.latest().fail();
    await vi.advanceTimersByTimeAsync(0);
    FakeWebSocket.latest().drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch.mock.calls.map(([url]) => url).sort()).toEqual([
      '/api/generation/progress/a/',
      '/api/generation/progress/b/',
    ]);
    expect(a.stream.state).toMatchObject({ isConnected: true, transport: 'poll' });
    expect(a.stream.state.progress?.seq).toBe(8);
    expect(b.stream.state).toMatchObject({ isConnected: false, error: 'Job not found' });
  });
});
