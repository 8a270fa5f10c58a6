import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, renderHook } from '../test/render';
import { JOB_LIST_POLL_MS, useJobList } from './useJobList';

const job = (id: string, status: string) => ({
  id, owner: 'ana', type: 'timetable', params: {}, status, stage: 'loading', stage_progress: 0,
  overall_progress: 0, eta_seconds: null, error: '', attempts: 1, created_at: 1, started_at: null,
  finished_at: null, updated_at: 1,
});

let answer: () => Response;
const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => answer());
const listFetches = () => fetchMock.mock.calls.filter(([url]) => url === '/api/generation-jobs/').length;
let visibility: DocumentVisibilityState = 'visible';

beforeEach(() => {
  fetchMock.mockClear();
  answer = () => new Response(JSON.stringify({ results: [job('a', 'running')], count: 1 }), { status: 200 });
  visibility = 'visible';
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
  vi.stubGlobal('fetch', fetchMock);
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  Reflect.deleteProperty(document, 'visibilityState');
});

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe('useJobList', () => {
  it('loads the list at once, then again 3 s after each answer', async () => {
    const hook = renderHook(() => useJobList(), undefined);
    expect(hook.current).toEqual({ list: null, error: null, loading: true });
    await advance(0);
    expect(listFetches()).toBe(1);
    expect(hook.current.loading).toBe(false);
    expect(hook.current.list?.results.map((j) => [j.id, j.status])).toEqual([['a', 'running']]);

    answer = () => new Response(JSON.stringify({ results: [job('a', 'completed')], count: 1 }), { status: 200 });
    await advance(JOB_LIST_POLL_MS - 1);
    expect(listFetches()).toBe(1);
    expect(hook.current.list?.results[0]?.status).toBe('running');
    await advance(1);
    expect(listFetches()).toBe(2);
    expect(hook.current.list?.results[0]?.status).toBe('completed');
    await advance(JOB_LIST_POLL_MS * 3);
    expect(listFetches()).toBe(5);
    hook.unmount();
  });

  it('keeps the last list when a refresh fails, says why, and recovers on the next poll', async () => {
    const hook = renderHook(() => useJobList(), undefined);
    await advance(0);
    answer = () => new Response(JSON.stringify({ error: 'Unavailable', detail: 'the job table is down' }), { status: 503 });
    await advance(JOB_LIST_POLL_MS);
    expect(hook.current.list?.results).toHaveLength(1);
    expect(String(hook.current.error)).toContain('the job table is down');
    answer = () => new Response(JSON.stringify({ results: [], count: 0 }), { status: 200 });
    await advance(JOB_LIST_POLL_MS);
    expect(hook.current).toEqual({ list: { results: [], count: 0 }, error: null, loading: false });
    hook.unmount();
  });

  it('does not ask the server while the tab is hidden, and resumes when it is visible', async () => {
    visibility = 'hidden';
    const hook = renderHook(() => useJobList(), undefined);
    await advance(JOB_LIST_POLL_MS * 4);
    expect(listFetches()).toBe(0);
    visibility = 'visible';
    await advance(JOB_LIST_POLL_MS);
    expect(listFetches()).toBe(1);
    expect(hook.current.list?.results).toHaveLength(1);
    hook.unmount();
  });

  it('stops polling when unmounted', async () => {
    const hook = renderHook(() => useJobList(), undefined);
    await advance(0);
    hook.unmount();
    await advance(JOB_LIST_POLL_MS * 5);
    expect(listFetches()).toBe(1);
  });
});
