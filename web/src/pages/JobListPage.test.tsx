import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JOB_LIST_POLL_MS } from '@headway/react/hooks/useJobList';
import { sharedJobs, sharedStreams } from '@headway/react/lib/streamRegistry';
import { FakeEventSource, record } from '../../packages/react/src/test/fakeEventSource';
import { act, render } from '../../packages/react/src/test/render';
import { JobListPage } from './JobListPage';

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const job = (n: number, overrides: Record<string, unknown> = {}) => ({
  id: id(n), owner: 'ana', type: 'timetable', params: {}, status: 'running', stage: 'clustering',
  stage_progress: 50, overall_progress: 10, eta_seconds: null, error: '', attempts: 1,
  created_at: 1, started_at: 2, finished_at: null, updated_at: 3, ...overrides,
});

let jobs: Record<string, unknown>[];
/** The server's list: ?status=, ?limit=, ?offset= as `headway serve` reads them. */
const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => {
  const parsed = new URL(url, 'http://localhost');
  if (parsed.pathname === '/api/generation-jobs/') {
    const status = parsed.searchParams.get('status');
    const limit = Number(parsed.searchParams.get('limit') ?? 50);
    const offset = Number(parsed.searchParams.get('offset') ?? 0);
    const matching = status ? jobs.filter((j) => j.status === status) : jobs;
    return new Response(JSON.stringify({ results: matching.slice(offset, offset + limit), count: matching.length }), { status: 200 });
  }
  return new Response(JSON.stringify({ error: 'Not found' }), { status: 404 });
});
const listFetches = () => fetchMock.mock.calls.filter(([url]) => url.startsWith('/api/generation-jobs/?')).length;
const lastListUrl = () => fetchMock.mock.calls.filter(([url]) => url.startsWith('/api/generation-jobs/?')).at(-1)?.[0];

beforeEach(() => {
  sharedStreams.reset();
  sharedJobs.reset();
  FakeEventSource.reset();
  fetchMock.mockClear();
  jobs = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal('fetch', fetchMock);
  vi.useFakeTimers();
  window.history.replaceState(null, '', '/admin/timetables/');
});
afterEach(() => {
  sharedStreams.reset();
  sharedJobs.reset();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function rowOf(container: HTMLElement, n: number) {
  const row = container.querySelector<HTMLElement>(`[data-job-id="${id(n)}"]`);
  if (!row) throw new Error(`no row for job ${n}`);
  return {
    status: row.getAttribute('data-status'),
    badge: row.querySelector('.badge')?.textContent,
    stage: row.querySelector('.job-row__stage')?.textContent,
    percent: row.querySelector('.job-row__percent')?.textContent,
    bar: row.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'),
    link: row.querySelector('a')?.getAttribute('href'),
    eta: row.querySelector('.job-row__eta')?.textContent ?? null,
  };
}

function text(container: HTMLElement) {
  return container.textContent ?? '';
}

describe('JobListPage', () => {
  it('lists the jobs with their status, human stage name, progress and a link to the status page', async () => {
    jobs = [
      job(1, { stage: 'cpsat_solving', overall_progress: 42.7 }),
      job(2, { status: 'failed', stage: 'clustering', error: 'No room for Chemistry 2' }),
      job(3, { status: 'completed', stage: 'rl_refinement', overall_progress: 99.5 }),
    ];
    const page = render(<JobListPage />);
    expect(page.container.textContent).toContain('Loading jobs…');
    await advance(0);
    expect(rowOf(page.container, 1)).toEqual({
      status: 'running', badge: 'Running', stage: 'Building schedule', percent: '42%', bar: '43',
      link: `/admin/timetables/status/${id(1)}`, eta: null,
    });
    expect(rowOf(page.container, 2)).toMatchObject({ status: 'failed', badge: 'Failed', stage: 'No room for Chemistry 2' });
    expect(rowOf(page.container, 3)).toMatchObject({ status: 'completed', badge: 'Completed', stage: '', percent: '100%' });
    expect(page.container.textContent).not.toMatch(/cpsat|clustering/i);
    page.unmount();
  });

  it('streams every running row live on one connection, and none for finished jobs', async () => {
    jobs = [job(1), job(2), job(3, { status: 'completed' }), job(4), job(5)];
    const page = render(<JobListPage />);
    await advance(0);
    // One connection for every running row.
    expect(FakeEventSource.open().map((es) => es.url)).toEqual([
      `/api/generation/streams/?jobs=${id(1)},${id(2)},${id(4)},${id(5)}`,
    ]);
    const first = FakeEventSource.open()[0]!;
    act(() => first.emit('connected', { job_id: id(1) }));
    act(() => first.emit('progress', record({ job_id: id(1), seq: 5, stage: 'ga_optimization', overall_progress: 81.2 })));
    expect(rowOf(page.container, 1)).toMatchObject({ status: 'running', stage: 'Optimizing', percent: '81%' });
    // A row its stream has told nothing yet keeps what the table says.
    expect(rowOf(page.container, 5)).toMatchObject({ stage: 'Organizing', percent: '10%' });
    page.unmount();
    await advance(0); // the shared stream closes a microtask after its last user leaves
    expect(FakeEventSource.open()).toEqual([]);
  });

  it('gives a live row its time left, with the range while it is wide', async () => {
    jobs = [job(1), job(2)];
    const page = render(<JobListPage />);
    await advance(0);
    // Both rows on the one many-job connection.
    const [stream] = FakeEventSource.open();
    act(() => stream!.emit('connected', { job_id: id(1) }));
    act(() => stream!.emit('connected', { job_id: id(2) }));
    act(() =>
      stream!.emit('progress', record({ job_id: id(1), seq: 5, eta_seconds: 320, eta_low_seconds: 200, eta_high_seconds: 470 })),
    );
    act(() => stream!.emit('progress', record({ job_id: id(2), seq: 5, eta_seconds: 95 })));
    expect(rowOf(page.container, 1).eta).toBe('5m 20s left (3–8 min)');
    expect(rowOf(page.container, 2).eta).toBe('1m 35s left');
    act(() => stream!.emit('progress', record({ job_id: id(2), seq: 6, eta_seconds: null })));
    expect(rowOf(page.container, 2).eta).toBeNull();
    page.unmount();
    await advance(0);
  });

  it('polls the list every 3 s: a finished job stops streaming and shows its final state', async () => {
    jobs = [job(1)];
    const page = render(<JobListPage />);
    await advance(0);
    expect(listFetches()).toBe(1);
    expect(FakeEventSource.open()).toHaveLength(1);
    jobs = [job(1, { status: 'completed', stage: 'rl_refinement', overall_progress: 100 })];
    await advance(JOB_LIST_POLL_MS - 1);
    expect(listFetches()).toBe(1);
    expect(rowOf(page.container, 1).status).toBe('running');
    await advance(1);
    expect(listFetches()).toBe(2);
    expect(rowOf(page.container, 1)).toMatchObject({ status: 'completed', badge: 'Completed', percent: '100%' });
    expect(FakeEventSource.open()).toEqual([]);
    page.unmount();
  });

  it('says so when there are no jobs yet, or the list cannot be loaded', async () => {
    const page = render(<JobListPage />);
    await advance(0);
    expect(page.container.textContent).toContain('No jobs yet');
    page.unmount();

    fetchMock.mockImplementationOnce(async () =>
      new Response(JSON.stringify({ error: 'Unavailable', detail: 'The job table is down.' }), { status: 503 }),
    );
    const failing = render(<JobListPage />);
    await advance(0);
    expect(failing.container.querySelector('.empty h2')?.textContent).toBe('The job list could not be loaded');
    expect(failing.container.textContent).toContain('The job table is down.');
    failing.unmount();
  });

  it('filters by status and pages through the jobs, 20 at a time, each finished one with its duration', async () => {
    jobs = Array.from({ length: 45 }, (_, i) =>
      job(i % 10, {
        id: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`,
        status: i % 3 === 0 ? 'completed' : 'failed',
        started_at: 100,
        finished_at: 100 + 80 + i,
      }),
    );
    const page = render(<JobListPage />);
    await advance(0);
    expect(lastListUrl()).toBe('/api/generation-jobs/?limit=20');
    const range = () => page.container.querySelector('[data-testid="page-range"]')?.textContent;
    expect(range()).toBe('1–20 of 45');
    const button = (name: string) => [...page.container.querySelectorAll('button')].find((b) => b.textContent === name)!;
    expect(button('← Newer').disabled).toBe(true);
    act(() => button('Older →').click());
    await advance(0);
    expect(lastListUrl()).toBe('/api/generation-jobs/?limit=20&offset=20');
    expect(range()).toBe('21–40 of 45');
    act(() => button('Older →').click());
    await advance(0);
    expect(range()).toBe('41–45 of 45');
    expect(button('Older →').disabled).toBe(true);
    const durations = [...page.container.querySelectorAll('.job-row__duration')].map((d) => d.textContent);
    expect(durations[0]).toBe(' · took 2m 0s'); // job 40: 80 + 40 s
    // A filter starts again from the first page, and says which one is on.
    act(() => button('Completed').click());
    await advance(0);
    expect(lastListUrl()).toBe('/api/generation-jobs/?status=completed&limit=20');
    expect(button('Completed').getAttribute('aria-pressed')).toBe('true');
    expect(button('All').getAttribute('aria-pressed')).toBe('false');
    expect(page.container.querySelectorAll('.job-row')).toHaveLength(15);
    expect(range()).toBeUndefined(); // one page: no pager
    act(() => button('Cancelled').click());
    await advance(0);
    expect(text(page.container)).toContain('No cancelled jobs here');
    act(() => button('Show all jobs').click());
    await advance(0);
    expect(range()).toBe('1–20 of 45');
    page.unmount();
  });
});
