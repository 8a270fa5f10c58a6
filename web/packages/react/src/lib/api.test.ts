import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, describeError, parseJob, setUnauthorizedHandler } from './api';

function respond(status: number, body: string | object | null, statusText = '') {
  const text = body === null ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return vi.fn(async () => new Response(status === 204 ? null : text, { status, statusText }));
}

const ROW = {
  id: '6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77', owner: 'ana', type: 'timetable', params: { clusters: 216 },
  status: 'running', stage: 'clustering', stage_progress: 50, overall_progress: 10, eta_seconds: 30,
  error: '', attempts: 1, created_at: 1764355325.25, started_at: 1764355326, finished_at: null, updated_at: 1764355330,
};

afterEach(() => setUnauthorizedHandler(null));

describe('ApiClient', () => {
  it('lists jobs from {"results": [...], "count": N} and from a bare array', async () => {
    const paged = new ApiClient({ fetch: respond(200, { results: [ROW, { nonsense: true }], count: 7 }) });
    const list = await paged.listJobs();
    expect(list.count).toBe(7);
    expect(list.results).toHaveLength(1);
    expect(list.results[0]).toMatchObject({ id: ROW.id, status: 'running', error: null, finished_at: null });
    const bare = new ApiClient({ fetch: respond(200, [ROW]) });
    expect((await bare.listJobs()).count).toBe(1);
  });

  it('calls the documented paths with JSON bodies', async () => {
    const fetch = respond(201, { ...ROW, status: 'queued' });
    const client = new ApiClient({ fetch });
    const created = await client.createJob({ type: 'timetable', params: { clusters: 20 } });
    expect(created.id).toBe(ROW.id);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/generation-jobs/generate/');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ type: 'timetable', params: { clusters: 20 } });
    expect(init.credentials).toBe('same-origin');

    const cancel = respond(204, null);
    await new ApiClient({ fetch: cancel }).cancelJob(ROW.id);
    expect(cancel.mock.calls[0]).toEqual([`/api/generation-jobs/${ROW.id}/cancel/`, expect.objectContaining({ method: 'DELETE' })]);
  });

  it('turns {"error","detail"} into an ApiError with both', async () => {
    const client = new ApiClient({ fetch: respond(400, { error: 'Bad request', detail: 'params.clusters: must be positive' }) });
    const error = await client.createJob({ type: 'timetable', params: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, error: 'Bad request', detail: 'params.clusters: must be positive' });
    expect(describeError(error)).toBe('params.clusters: must be positive');
  });

  it('copes with error bodies that are not JSON, and with no network', async () => {
    const html = new ApiClient({ fetch: respond(502, '<html>Bad Gateway</html>', 'Bad Gateway') });
    await expect(html.getJob('x')).rejects.toMatchObject({ status: 502, error: 'Bad Gateway', detail: null });
    const down = new ApiClient({ fetch: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) });
    const error = await down.listJobs().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0 });
    expect(describeError(error)).toMatch(/could not be reached/);
  });

  it('rejects a 200 whose body is not what was promised', async () => {
    await expect(new ApiClient({ fetch: respond(200, 'oops') }).getJob('x')).rejects.toMatchObject({ error: 'Unexpected answer' });
    await expect(new ApiClient({ fetch: respond(200, { hello: 1 }) }).listJobs()).rejects.toBeInstanceOf(ApiError);
    await expect(new ApiClient({ fetch: respond(201, { ok: true }) }).createJob({ type: 'timetable', params: {} })).rejects.toMatchObject({
      detail: 'the created job has no id',
    });
  });

  it('sends the CSRF token from login on state-changing calls only, and forgets it at logout', async () => {
    const fetch = vi.fn(async (url: string) =>
      url === '/api/auth/login/'
        ? new Response(JSON.stringify({ user: 'ana', role: 'user', csrf_token: 'csrf-1' }), { status: 200 })
        : new Response(url.endsWith('/cancel/') || url === '/api/auth/logout/' ? '{}' : JSON.stringify({ results: [] }), { status: 200 }),
    );
    const client = new ApiClient({ fetch });
    expect(await client.login('ana', 'secret-password')).toEqual({ user: 'ana', role: 'user', csrf_token: 'csrf-1' });
    const headersOf = (call: number) => (fetch.mock.calls[call] as unknown as [string, RequestInit])[1].headers as Record<string, string>;
    expect(headersOf(0)['X-CSRF-Token']).toBeUndefined();
    await client.listJobs();
    expect(headersOf(1)['X-CSRF-Token']).toBeUndefined();
    await client.cancelJob(ROW.id);
    expect(headersOf(2)['X-CSRF-Token']).toBe('csrf-1');
    await client.logout();
    expect(fetch.mock.calls[3]?.[0]).toBe('/api/auth/logout/');
    expect(headersOf(3)['X-CSRF-Token']).toBe('csrf-1');
    await client.cancelJob(ROW.id);
    expect(headersOf(4)['X-CSRF-Token']).toBeUndefined();
  });

  it('recovers the CSRF token from /api/auth/me/ after a reload', async () => {
    const fetch = vi.fn(async (url: string) =>
      url === '/api/auth/me/'
        ? new Response(JSON.stringify({ user: 'root', role: 'admin', csrf_token: 'csrf-2' }), { status: 200 })
        : new Response('{}', { status: 200 }),
    );
    const client = new ApiClient({ fetch });
    expect((await client.me()).role).toBe('admin');
    await client.cancelJob(ROW.id);
    const init = (fetch.mock.calls[1] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>)['X-CSRF-Token']).toBe('csrf-2');
  });

  it('reports every 401 to the unauthorized handler', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    const client = new ApiClient({ fetch: respond(401, { error: 'Unauthorized', detail: 'sign in first' }) });
    await expect(client.listJobs()).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});

describe('parseJob', () => {
  it('accepts ISO times as well as Unix seconds', () => {
    const job = parseJob({ ...ROW, created_at: '2025-11-28T18:42:05.250Z' });
    expect(job?.created_at).toBeCloseTo(Date.parse('2025-11-28T18:42:05.250Z') / 1000, 3);
  });

  it('refuses rows without an id or with an unknown status', () => {
    expect(parseJob({ ...ROW, id: undefined })).toBeNull();
    expect(parseJob({ ...ROW, status: 'exploded' })).toBeNull();
  });
});
