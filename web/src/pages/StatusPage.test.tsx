import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sharedJobs, sharedStreams } from '@headway/react/lib/streamRegistry';
import { FakeEventSource, record } from '../../packages/react/src/test/fakeEventSource';
import { FakeWebSocket } from '../../packages/react/src/test/fakeWebSocket';
import { useProgress } from '@headway/react/hooks/useProgress';
import { act, render } from '../../packages/react/src/test/render';
import { COMPLETED_REDIRECT_MS, StatusPage } from './StatusPage';

const JOB_ID = '6f1c1c0e-8d1f-4c43-9f0a-3b8e2f1d9a77';
const row = (overrides: Record<string, unknown> = {}) => ({
  id: JOB_ID, owner: 'ana', type: 'timetable', params: {}, status: 'running', stage: 'clustering',
  stage_progress: 0, overall_progress: 5, eta_seconds: null, error: '', attempts: 1,
  created_at: 1, started_at: 2, finished_at: null, updated_at: 3, ...overrides,
});

let jobAnswer: Record<string, unknown>;
let stagesAnswer: Record<string, unknown> | null = null;
let comparisonAnswer: Record<string, unknown> | null = null;
const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => {
  // No answer to the stream's health probe: a failing stream is an outage (no stepping down).
  if (url === '/api/generation/health/') throw new TypeError('offline');
  if (url === `/api/generation-jobs/${JOB_ID}/`) return new Response(JSON.stringify(jobAnswer), { status: 200 });
  if (url === `/api/generation-jobs/${JOB_ID}/stages/` && stagesAnswer) return new Response(JSON.stringify(stagesAnswer), { status: 200 });
  if (url === `/api/generation-jobs/${JOB_ID}/comparison/` && comparisonAnswer) return new Response(JSON.stringify(comparisonAnswer), { status: 200 });
  if (url === `/api/generation-jobs/${JOB_ID}/cancel/`) return new Response(JSON.stringify(jobAnswer), { status: 202 });
  return new Response(JSON.stringify({ error: 'Not found' }), { status: 404 });
});
const OTHER_JOB = '0b7d9c2e-1f4a-4c1e-8a55-2f6d3e9c1b40';
/** A job watched elsewhere in the tab, as a running row of the job list watches it. */
function OtherRow() {
  const { progress } = useProgress(OTHER_JOB, { multiplexed: true });
  return <p data-testid="other">{progress ? `${progress.overall_progress}` : 'none'}</p>;
}
const jobFetches = () => fetchMock.mock.calls.filter(([url]) => url === `/api/generation-jobs/${JOB_ID}/`).length;

beforeEach(() => {
  sharedStreams.reset();
  sharedJobs.reset();
  FakeEventSource.reset();
  fetchMock.mockClear();
  jobAnswer = row();
  stagesAnswer = null;
  comparisonAnswer = null;
  vi.stubGlobal('EventSource', FakeEventSource);
  vi.stubGlobal('fetch', fetchMock);
  vi.stubGlobal('matchMedia', () => ({ matches: true })); // reduced motion: bars show values at once
  vi.useFakeTimers();
  window.history.replaceState(null, '', `/admin/timetables/status/${JOB_ID}`);
});
afterEach(() => {
  sharedStreams.reset();
  sharedJobs.reset();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

async function settle() {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

function text(container: HTMLElement) {
  return container.textContent ?? '';
}

describe('StatusPage', () => {
  it('shows the live record: human stage name, progressbar value and the Live Updates indicator', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 9, stage: 'cpsat_solving', overall_progress: 35.56 })));
    expect(text(page.container)).toContain('Live Updates');
    expect(text(page.container)).toContain('Building schedule');
    expect(text(page.container)).not.toMatch(/cpsat/i);
    const bar = page.container.querySelector('[role="progressbar"][aria-label="Overall progress"]');
    expect(bar?.getAttribute('aria-valuenow')).toBe('36');
    const steps = [...page.container.querySelectorAll('.pipeline__step')].map((li) => li.getAttribute('data-state'));
    expect(steps).toEqual(['done', 'done', 'current', 'pending', 'pending']);
    act(() => es.fail());
    expect(text(page.container)).toContain('Disconnected');
    page.unmount();
  });

  it('shows the range beside the ETA while it is wide, and not once the record carries none', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    const range = () => page.container.querySelector('[data-testid="eta-range"]')?.textContent ?? null;
    act(() =>
      es.emit('progress', record({ job_id: JOB_ID, seq: 9, eta_seconds: 320, eta_low_seconds: 200, eta_high_seconds: 470 })),
    );
    expect(page.container.querySelector('[data-testid="eta"]')?.textContent).toBe('5m 20s');
    expect(range()).toBe('(3–8 min)');
    // A narrow range says nothing the estimate does not.
    act(() =>
      es.emit('progress', record({ job_id: JOB_ID, seq: 10, eta_seconds: 320, eta_low_seconds: 310, eta_high_seconds: 330 })),
    );
    await advance(60_000);
    expect(range()).toBeNull();
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 11, eta_seconds: 320, eta_low_seconds: 200, eta_high_seconds: 470 })));
    await advance(60_000);
    expect(range()).not.toBeNull();
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 12, eta_seconds: 320 })));
    expect(range()).toBeNull();
    page.unmount();
  });

  it('after three failed reconnects says it is offline and retrying, and "Retry now" connects at once', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    act(() => FakeEventSource.latest().emit('connected', { job_id: JOB_ID }));
    act(() => FakeEventSource.latest().emit('progress', record({ job_id: JOB_ID, seq: 12 })));
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      act(() => FakeEventSource.latest().fail());
      await settle();
      expect(text(page.container)).toContain(`Reconnecting (attempt ${attempt})`);
      expect(page.container.querySelector('[data-testid="offline-notice"]')).toBeNull();
      await advance(1000 * 2 ** (attempt - 1)); // the attempt's ceiling, below the 5 s connect timeout
    }
    act(() => FakeEventSource.latest().fail());
    await settle();
    expect(text(page.container)).toContain('Offline · retrying (attempt 3)');
    const notice = page.container.querySelector('[data-testid="offline-notice"]');
    expect(notice?.textContent).toMatch(/offline.*keeps trying to reconnect/);
    const before = FakeEventSource.instances.length;
    const button = [...notice!.querySelectorAll('button')].find((b) => b.textContent === 'Retry now')!;
    act(() => button.click());
    expect(FakeEventSource.instances).toHaveLength(before + 1);
    expect(FakeEventSource.latest().url).toBe(`/api/generation/streams/?jobs=${JOB_ID}&last_event_id=12`);
    act(() => FakeEventSource.latest().emit('connected', { job_id: JOB_ID }));
    expect(text(page.container)).toContain('Live Updates');
    expect(page.container.querySelector('[data-testid="offline-notice"]')).toBeNull();
    page.unmount();
  });

  it('names the live transport: SSE, and a WebSocket when SSE stays silent while the server answers', async () => {
    vi.stubGlobal('WebSocket', FakeWebSocket);
    const healthy = vi.fn(async (url: string, init?: RequestInit) =>
      url === '/api/generation/health/' ? new Response('{}', { status: 200 }) : fetchMock(url, init),
    );
    vi.stubGlobal('fetch', healthy);
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const indicator = () => page.container.querySelector('[data-testid="connection"]');
    expect(indicator()?.textContent).toBe('Connecting…');
    await advance(5_000); // no `connected`: buffered on the way
    const ws = FakeWebSocket.latest();
    act(() => ws.send('connected', { job_id: JOB_ID }));
    act(() => ws.send('progress', record({ job_id: JOB_ID, seq: 5, overall_progress: 44 }), 5));
    expect(indicator()?.textContent).toBe('Live Updatesvia WebSocket');
    expect(indicator()?.getAttribute('data-transport')).toBe('websocket');
    expect(page.container.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow')).toBe('44');
    page.unmount();
  });

  it('announces each change once in a polite live region: step and transport, a lost connection, the end', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const announcer = () => page.container.querySelector('[data-testid="announcer"]');
    expect(announcer()?.getAttribute('aria-live')).toBe('polite');
    expect(page.container.querySelectorAll('[aria-live]')).toHaveLength(1);
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 9, stage: 'cpsat_solving', overall_progress: 35 })));
    expect(announcer()?.textContent).toBe('Building schedule. Live updates, server-sent events.');
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 10, stage: 'cpsat_solving', overall_progress: 36 })));
    expect(announcer()?.textContent).toBe('Building schedule. Live updates, server-sent events.'); // no percentages
    act(() => es.fail());
    await settle();
    expect(announcer()?.textContent).toBe('Connection lost. Reconnecting.');
    await advance(1000);
    act(() => FakeEventSource.latest().emit('connected', { job_id: JOB_ID }));
    act(() => FakeEventSource.latest().emit('done', { job_id: JOB_ID, status: 'cancelled' }));
    await settle();
    expect(announcer()?.textContent).toBe('The run was cancelled.');
    page.unmount();
  });

  it('the cancel question is keyboard-driven: focus moves into it, Escape closes it and focus returns', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    act(() => FakeEventSource.latest().emit('connected', { job_id: JOB_ID }));
    const cancelButton = [...page.container.querySelectorAll('button')].find((b) => b.textContent === 'Cancel job')!;
    act(() => cancelButton.click());
    expect(document.activeElement?.textContent).toBe('Keep running');
    const dialog = page.container.querySelector('[role="alertdialog"]')!;
    act(() => {
      dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    expect(page.container.querySelector('[role="alertdialog"]')).toBeNull();
    expect(document.activeElement?.textContent).toBe('Cancel job');
    page.unmount();
  });

  it('falls back to REST after 30 s without a progress event, polling every 5 s with a badge', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    expect(jobFetches()).toBe(1); // the page's first look at the job
    act(() => FakeEventSource.latest().emit('connected', { job_id: JOB_ID }));
    act(() => FakeEventSource.latest().emit('progress', record({ job_id: JOB_ID, seq: 3 })));
    await advance(29_000);
    expect(page.container.querySelector('[data-testid="rest-badge"]')).toBeNull();
    expect(jobFetches()).toBe(1);
    await advance(1_000);
    expect(jobFetches()).toBe(2);
    // The stream is still connected, only quiet: the badge must not claim it is down.
    expect(page.container.querySelector('[data-testid="connection"]')?.textContent).toBe('Live Updatesvia Server-Sent Events');
    expect(page.container.querySelector('[data-testid="rest-badge"]')?.textContent).toBe(
      'Job status (REST): Running · 5% — no update for 30 s; checking by REST every 5 s',
    );
    await advance(5_000);
    expect(jobFetches()).toBe(3);
    await advance(10_000);
    expect(jobFetches()).toBe(5);
    // A live record brings the page back to the stream.
    act(() => FakeEventSource.latest().emit('progress', record({ job_id: JOB_ID, seq: 4 })));
    expect(page.container.querySelector('[data-testid="rest-badge"]')).toBeNull();
    await advance(20_000);
    expect(jobFetches()).toBe(5);
    page.unmount();
  });

  it('reaches completion through REST alone when the stream never works', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    for (let i = 0; i < 6; i += 1) {
      act(() => FakeEventSource.latest().fail());
      await advance(16_000);
    }
    expect(page.container.querySelector('[data-testid="connection"]')?.textContent).toMatch(/^Disconnected/);
    expect(page.container.querySelector('[data-testid="rest-badge"]')?.textContent).toBe(
      'Job status (REST): Running · 5% — live updates are unavailable, checking every 5 s',
    );
    jobAnswer = row({ status: 'completed', overall_progress: 100, stage: 'rl_refinement', finished_at: 9 });
    await advance(5_000);
    expect(text(page.container)).toContain('Schedule Ready!');
    page.unmount();
  });

  it('says Schedule Ready! on done and goes to the job list 2 s later', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 50, status: 'completed', overall_progress: 100, eta_seconds: 0 })));
    act(() => es.emit('done', { job_id: JOB_ID, status: 'completed' }));
    await settle();
    expect(text(page.container)).toContain('Schedule Ready!');
    expect(page.container.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow')).toBe('100');
    await advance(COMPLETED_REDIRECT_MS - 10);
    expect(window.location.pathname).toBe(`/admin/timetables/status/${JOB_ID}`);
    await advance(10);
    expect(window.location.pathname).toBe('/admin/timetables/');
    page.unmount();
  });

  it('the page of a job that had already finished stays, says when it ended, and charts where the time went', async () => {
    const now = Date.now() / 1000;
    jobAnswer = row({ status: 'completed', overall_progress: 100, stage: 'rl_refinement', started_at: now - 200, finished_at: now - 120 });
    stagesAnswer = {
      job_id: JOB_ID,
      status: 'completed',
      attempt: 1,
      stages: [
        { attempt: 1, stage: 'loading', started_at: now - 200, finished_at: now - 196, duration_seconds: 4 },
        { attempt: 1, stage: 'clustering', started_at: now - 196, finished_at: now - 180, duration_seconds: 16 },
        { attempt: 1, stage: 'cpsat_solving', started_at: now - 180, finished_at: now - 120, duration_seconds: 60 },
      ],
    };
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 50, status: 'completed', overall_progress: 100 })));
    act(() => es.emit('done', { job_id: JOB_ID, status: 'completed' }));
    await settle();
    await settle();
    expect(text(page.container)).toContain('Schedule Ready!');
    expect(page.container.querySelector('[data-testid="finished-at"]')?.textContent).toBe(
      'Finished 2 min ago · took 1m 20s · Back to jobs',
    );
    const rows = [...page.container.querySelectorAll('[data-testid="timeline"] li')].map((li) => li.textContent);
    expect(rows).toEqual(['Loading data4.0s · 5%', 'Organizing16s · 20%', 'Building schedule1m 0s · 75%']);
    expect(text(page.container)).toContain('Where the time went · 1m 20s in all');
    await advance(COMPLETED_REDIRECT_MS * 10);
    expect(window.location.pathname).toBe(`/admin/timetables/status/${JOB_ID}`);
    page.unmount();
  });

  it('a finished run is compared with the earlier runs of its type: the total and each stage against its median', async () => {
    const now = Date.now() / 1000;
    jobAnswer = row({ status: 'completed', overall_progress: 100, stage: 'clustering', started_at: now - 100, finished_at: now - 80 });
    stagesAnswer = {
      job_id: JOB_ID, status: 'completed', attempt: 1,
      stages: [
        { attempt: 1, stage: 'loading', started_at: now - 100, finished_at: now - 96, duration_seconds: 4 },
        { attempt: 1, stage: 'clustering', started_at: now - 96, finished_at: now - 80, duration_seconds: 16 },
      ],
    };
    const spread = (median: number, min: number, max: number) => ({ count: 12, median, min, max });
    comparisonAnswer = {
      job_id: JOB_ID, type: 'timetable', status: 'completed',
      this_run: { total_seconds: 320, stages: [{ stage: 'loading', duration_seconds: 4 }, { stage: 'clustering', duration_seconds: 16 }] },
      recent_runs: {
        runs: 12,
        total_seconds: spread(290, 190, 422),
        stages: [{ stage: 'loading', duration_seconds: spread(5, 3, 9) }, { stage: 'clustering', duration_seconds: spread(12, 8, 30) }],
      },
    };
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    act(() => FakeEventSource.latest().emit('done', { job_id: JOB_ID, status: 'completed' }));
    await settle();
    await settle();
    await settle();
    expect(page.container.querySelector('[data-testid="comparison"]')?.textContent).toBe(
      'This run: 5m 20s; earlier runs: median 4m 50s (3m 10s–7m 2s, 12 runs)',
    );
    const deltas = [...page.container.querySelectorAll('[data-testid="stage-delta"]')].map((d) => d.textContent?.trim());
    expect(deltas).toEqual(['−1.0s vs median', '+4.0s vs median']);
    page.unmount();
  });

  it('shows why a job failed and a way back', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() =>
      es.emit('progress', record({ job_id: JOB_ID, seq: 7, status: 'failed', metadata: { error: 'No room for Chemistry 2' } })),
    );
    act(() => es.emit('done', { job_id: JOB_ID, status: 'failed' }));
    await settle();
    expect(text(page.container)).toContain('Generation failed');
    expect(text(page.container)).toContain('No room for Chemistry 2');
    expect(page.container.querySelector('a[href="/admin/timetables/"]')).not.toBeNull();
    expect(text(page.container)).not.toContain('Cancel job');
    page.unmount();
  });

  it('shows that a job was cancelled, where it stopped, and a way back', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 20, stage: 'cpsat_solving', overall_progress: 40 })));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 21, stage: 'cpsat_solving', status: 'cancelled', overall_progress: 40 })));
    act(() => es.emit('done', { job_id: JOB_ID, status: 'cancelled' }));
    jobAnswer = row({ status: 'cancelled', stage: 'cpsat_solving', overall_progress: 40, finished_at: 9 });
    await settle();
    const outcome = page.container.querySelector('.outcome--cancelled');
    expect(outcome?.querySelector('h2')?.textContent).toBe('Generation cancelled');
    expect(outcome?.querySelector('p')?.textContent).toBe('The run was stopped during “Building schedule”.');
    expect(text(page.container)).not.toContain('Cancel job');
    expect(page.container.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow')).toBe('40');
    // No automatic redirect (that is only for a completed job), but a way back to the list.
    await advance(COMPLETED_REDIRECT_MS * 5);
    expect(window.location.pathname).toBe(`/admin/timetables/status/${JOB_ID}`);
    const links = [...outcome!.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]);
    expect(links).toEqual([
      ['Back to jobs', '/admin/timetables/'],
      ['Start a new run', '/admin/timetables/generate/'],
    ]);
    act(() => outcome!.querySelector<HTMLAnchorElement>('a[href="/admin/timetables/"]')!.click());
    expect(window.location.pathname).toBe('/admin/timetables/');
    page.unmount();
  });

  it('cancels only after confirmation, with DELETE', async () => {
    const page = render(<StatusPage jobId={JOB_ID} />);
    await settle();
    const button = () => [...page.container.querySelectorAll('button')].find((b) => b.textContent === 'Cancel job');
    act(() => button()!.click());
    expect(fetchMock.mock.calls.some(([, init]) => (init as RequestInit | undefined)?.method === 'DELETE')).toBe(false);
    const yes = [...page.container.querySelectorAll('button')].find((b) => b.textContent === 'Yes, cancel job');
    act(() => yes!.click());
    await settle();
    expect(fetchMock).toHaveBeenCalledWith(`/api/generation-jobs/${JOB_ID}/cancel/`, expect.objectContaining({ method: 'DELETE' }));
    page.unmount();
  });

  it('shares the tab’s one stream connection with the other jobs watched in it, and leaves it when closed', async () => {
    const page = render(
      <>
        <OtherRow />
        <StatusPage jobId={JOB_ID} />
      </>,
    );
    await settle();
    expect(FakeEventSource.open().map((es) => es.url)).toEqual([`/api/generation/streams/?jobs=${OTHER_JOB},${JOB_ID}`]);
    const es = FakeEventSource.latest();
    act(() => es.emit('connected', { job_id: OTHER_JOB }));
    act(() => es.emit('connected', { job_id: JOB_ID }));
    act(() => es.emit('progress', record({ job_id: OTHER_JOB, seq: 4, overall_progress: 80 }), '4,0'));
    act(() => es.emit('progress', record({ job_id: JOB_ID, seq: 9, overall_progress: 21 }), '4,9'));
    expect(page.container.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow')).toBe('21');
    expect(page.container.querySelector('[data-testid="other"]')?.textContent).toBe('80');
    expect(page.container.querySelector('[data-testid="connection"]')?.getAttribute('data-transport')).toBe('sse');
    // The status page's job ends: the other job goes on over the same connection.
    act(() => es.emit('done', { job_id: JOB_ID, status: 'completed' }));
    await settle();
    expect(text(page.container)).toContain('Schedule Ready!');
    act(() => es.emit('progress', record({ job_id: OTHER_JOB, seq: 5, overall_progress: 90 }), '5,9'));
    expect(page.container.querySelector('[data-testid="other"]')?.textContent).toBe('90');
    expect(FakeEventSource.open()).toEqual([es]);
    page.unmount();
    await settle();
    expect(FakeEventSource.open()).toHaveLength(0);
  });
});
