// The status page end to end, in Debian's Chromium, against the server that
// e2e/harness.ts launches (the real server; see scripts/e2e.sh). Every wait is bounded.

import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, snap, type Browser } from './browser';
import { credentials, launchServer, type ServerHandle } from './harness';
import { startNginx, type NginxHandle, type ProxyMode } from './nginx';

let server: ServerHandle;
let browser: Browser;

const STAGE_ORDER = ['Loading data', 'Organizing', 'Building schedule', 'Optimizing', 'Finalizing'];

beforeAll(async () => {
  server = await launchServer();
  process.stderr.write(`e2e: testing against ${server.description}\n`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

const contexts: BrowserContext[] = [];
/** Content-Security-Policy violations the scenario's pages reported; each scenario must end with none. */
let cspViolations: string[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => {});
  const reported = cspViolations;
  cspViolations = [];
  expect(reported).toEqual([]);
});

/**
 * A page in a fresh context (no cookies, no page clock), closed after the scenario.
 * Every CSP violation it meets is recorded: the page's `securitypolicyviolation`
 * events (reported through a binding, which the policy cannot block) and the
 * console errors Chromium prints for them.
 */
async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  await context.exposeBinding('__headwayCspViolation', (_source, text: string) => {
    cspViolations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __headwayCspViolation: (text: string) => void }).__headwayCspViolation;
      void report(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.documentURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      cspViolations.push(`console: ${message.text()}`);
    }
  });
  return page;
}

async function signIn(page: Page, base = server.baseUrl): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#username', credentials.username);
  await page.fill('#password', credentials.password);
  await page.click('button[type="submit"]');
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 10_000 });
}

/** Fill in the Generate Timetable page and land on the new job's status page. */
async function generate(page: Page, durationSeconds: number, base = server.baseUrl): Promise<string> {
  await page.goto(`${base}/admin/timetables/generate/`);
  await page.fill('#duration', String(durationSeconds));
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/admin\/timetables\/status\/[^/]+$/, { timeout: 10_000 });
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
}

const overallBar = (page: Page) => page.locator('[role="progressbar"][aria-label="Overall progress"]');

async function overallValue(page: Page): Promise<number> {
  return Number(await overallBar(page).getAttribute('aria-valuenow', { timeout: 5_000 }));
}

async function waitForProgressAbove(page: Page, percent: number, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (p) => Number(document.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow')) > p,
    percent,
    { timeout: timeoutMs, polling: 100 },
  );
}

/** The overall bar's drawn width in percent, unrounded (aria-valuenow is rounded). */
async function overallDrawn(page: Page): Promise<number> {
  const width = await overallBar(page)
    .locator('.progress__fill')
    .evaluate((fill) => (fill as HTMLElement).style.width, undefined, { timeout: 5_000 });
  return Number.parseFloat(width);
}

const connection = (page: Page) => page.getByTestId('connection');

/**
 * Switch to phone width and check the page fits it: nothing scrolls sideways, and
 * each of `mustShow` is visible and inside the viewport's width.
 */
async function expectFitsPhone(page: Page, mustShow: Locator[]): Promise<void> {
  await page.setViewportSize(PHONE);
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(innerWidth).toBe(PHONE.width);
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  for (const locator of mustShow) {
    expect(await locator.isVisible()).toBe(true);
    const box = await locator.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(innerWidth);
  }
}

describe('status page', () => {
  it('the UI is served with a strict CSP, and a violation of it would be seen', async () => {
    const page = await newPage();
    const response = await page.goto(`${server.baseUrl}/login`);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-content-type-options']).toBe('nosniff');
    // An inline script is refused, and the refusal reaches the recorder that every
    // other scenario relies on to prove it met none.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
    });
    await expect
      .poll(() => cspViolations.some((text) => text.includes('script-src')), { timeout: 5_000 })
      .toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    cspViolations = [];
  });

  it('a person who is not signed in is sent to /login, and back after signing in', async () => {
    const page = await newPage();
    await page.goto(`${server.baseUrl}/admin/timetables/`);
    await page.waitForURL(/\/login\?next=/, { timeout: 10_000 });
    await snap(page, '00-login');
    await page.fill('#username', credentials.username);
    await page.fill('#password', credentials.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin\/timetables\/$/, { timeout: 10_000 });
    await page.getByRole('heading', { name: 'Timetable jobs' }).waitFor({ timeout: 10_000 });
  });

  it('generate a job: the bar advances, stages change in order, Schedule Ready!, then the job list', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${server.baseUrl}/admin/timetables/generate/`);
    await snap(page, '01-generate');
    const jobId = await generate(page, 14);
    await connection(page).getByText('Live Updates').waitFor({ timeout: 10_000 });

    const stagesSeen: string[] = [];
    const values: number[] = [];
    let shotRunning = false;
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      if (await page.getByText('Schedule Ready!').isVisible()) break;
      const step = (await page.getByTestId('current-step').textContent({ timeout: 5_000 }))?.trim() ?? '';
      if (STAGE_ORDER.includes(step) && stagesSeen.at(-1) !== step) stagesSeen.push(step);
      values.push(await overallValue(page));
      if (!shotRunning && step === 'Building schedule' && values.at(-1)! > 30) {
        shotRunning = true;
        await snap(page, '02-status-running');
        await expectFitsPhone(page, [overallBar(page), page.getByRole('button', { name: 'Cancel job' })]);
        await snap(page, '03-status-running-phone');
        await page.setViewportSize(DESKTOP);
      }
      await page.waitForTimeout(100);
    }
    await page.getByText('Schedule Ready!').waitFor({ timeout: 5_000 });
    await snap(page, '04-schedule-ready');
    expect(shotRunning).toBe(true);
    expect(stagesSeen).toEqual(STAGE_ORDER.slice(STAGE_ORDER.indexOf(stagesSeen[0]!)));
    expect(stagesSeen.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < values.length; i += 1) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(new Set(values).size).toBeGreaterThan(10);
    // The bar eases into 100 over 600 ms after the card appears: await that.
    await page.waitForFunction(
      () =>
        Number(
          document.querySelector('[aria-label="Overall progress"]')?.getAttribute('aria-valuenow'),
        ) === 100,
      undefined,
      { timeout: 5_000 },
    );
    expect(await overallValue(page)).toBe(100);

    await page.waitForURL(/\/admin\/timetables\/$/, { timeout: 5_000 });
    const row = page.locator(`[data-job-id="${jobId}"]`);
    await row.getByText('Completed').waitFor({ timeout: 10_000 });
    await snap(page, '05-job-list');
    await expectFitsPhone(page, [row.getByRole('progressbar'), page.getByRole('link', { name: 'Generate Timetable' }).first()]);
    await snap(page, '06-job-list-phone');
  });

  it('a finished job: its page stays, says when it ended and charts where the time went; the list filters it', async () => {
    const page = await newPage();
    await signIn(page);
    const jobId = await generate(page, 6);
    await page.getByText('Schedule Ready!').waitFor({ timeout: 30_000 });
    // Watched to the end: on to the list, where the filters find it with its duration.
    await page.waitForURL(/\/admin\/timetables\/$/, { timeout: 10_000 });
    await page.getByRole('button', { name: 'Completed', exact: true }).click();
    const row = page.locator(`[data-job-id="${jobId}"]`);
    await row.locator('.job-row__duration').getByText(/took \d+s/).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);

    // Opened afterwards: the page stays, whatever time passes.
    await page.clock.install();
    await page.goto(`${server.baseUrl}/admin/timetables/status/${jobId}`);
    await page.getByText('Schedule Ready!').waitFor({ timeout: 10_000 });
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor({ timeout: 10_000 });
    await expect
      .poll(() => timeline.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-stage'))), {
        timeout: 10_000,
      })
      .toEqual(['loading', 'clustering', 'cpsat_solving', 'ga_optimization', 'rl_refinement']);
    await expect(page.getByTestId('finished-at').textContent()).resolves.toMatch(/^Finished .* · took \d+s · Back to jobs$/);
    // Earlier scenarios completed runs of the same type: the page sets this one beside them.
    const comparison = page.getByTestId('comparison');
    await comparison.waitFor({ timeout: 10_000 });
    await expect(comparison.textContent()).resolves.toMatch(
      /^This run: [\d.]+s; (earlier runs: median [\d.ms ]+ \([\d.ms ]+–[\d.ms ]+, \d+ runs\)|the one earlier run: [\d.ms ]+)$/,
    );
    await expect(timeline.getByTestId('stage-delta').count()).resolves.toBe(5);
    await page.clock.runFor(30_000);
    expect(new URL(page.url()).pathname).toBe(`/admin/timetables/status/${jobId}`);
    await snap(page, '15-status-finished-timeline');
    await expectFitsPhone(page, [timeline]);
    await snap(page, '16-status-finished-timeline-phone');
  });

  it('cancel a running job after confirming', async () => {
    const page = await newPage();
    await signIn(page);
    await generate(page, 60);
    await waitForProgressAbove(page, 5, 20_000);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('alertdialog').waitFor({ timeout: 5_000 });
    await snap(page, '07-cancel-confirm');
    await page.getByRole('button', { name: 'Yes, cancel job' }).click();
    await page.getByText('Generation cancelled').waitFor({ timeout: 15_000 });
    await snap(page, '08-cancelled');
    await expect(page.getByRole('link', { name: 'Back to jobs' }).isVisible()).resolves.toBe(true);
    const valueAtCancel = await overallValue(page);
    expect(valueAtCancel).toBeLessThan(100);
  });

  it.skipIf(process.env.HEADWAY_E2E_BASE_URL !== undefined)(
    'the server dies mid-job: Disconnected; it comes back: Live Updates, and the job completes',
    async () => {
      const page = await newPage();
      await signIn(page);
      // Page time flows as usual, and the test can also move it forward at once.
      await page.clock.install();
      await generate(page, 24);
      await connection(page).getByText('Live Updates').waitFor({ timeout: 10_000 });
      await waitForProgressAbove(page, 10, 15_000);
      await server.kill();
      await connection(page).getByText('Disconnected').waitFor({ timeout: 10_000 });
      // No stream, nothing new to chase: the bar comes to rest on the last value it was
      // given (the spring settles within about 20 frames) and stays there. Measured in
      // page time, so a slow machine changes nothing.
      await page.clock.runFor(1_000);
      const frozenAt = await overallDrawn(page);
      await snap(page, '09-disconnected');
      await page.clock.runFor(5_000);
      expect(await overallDrawn(page)).toBe(frozenAt);
      await expect(connection(page).textContent()).resolves.toMatch(/^Disconnected/);
      // The page never gives up; from the third failed attempt it says it is offline.
      // Each fast-forward reaches the next attempt (at most 1, 2, 4, 8 s apart), whose
      // refusal then takes a moment of real time to arrive.
      const offline = page.getByTestId('offline-notice');
      for (let i = 0; i < 10 && !(await offline.isVisible()); i += 1) {
        await page.clock.runFor(8_000);
        await offline.waitFor({ timeout: 2_000 }).catch(() => undefined);
      }
      await expect(connection(page).textContent()).resolves.toMatch(/^Disconnected.*Offline · retrying \(attempt \d+\)/);
      await snap(page, '09-status-offline');
      // Page time stands still while the server comes back, so no scheduled attempt
      // reconnects (and takes the notice away) before "Retry now" does.
      const pageNow = await page.evaluate(() => Date.now());
      await page.clock.pauseAt(pageNow + 50);
      await server.start();
      await offline.getByRole('button', { name: 'Retry now' }).click();
      await connection(page).getByText('Live Updates').waitFor({ timeout: 20_000 });
      await page.clock.resume();
      await snap(page, '10-reconnected');
      await waitForProgressAbove(page, frozenAt + 1, 15_000);
      await page.getByText('Schedule Ready!').waitFor({ timeout: 40_000 });
    },
  );

  it('every stream endpoint is blocked: the REST badge appears after 30 s of page time and the page still completes', async () => {
    const page = await newPage();
    await signIn(page);
    // Every live transport is blocked: SSE, the WebSocket and the REST record.
    await page.route('**/api/generation/stream/**', (route) => route.abort('connectionrefused'));
    await page.route('**/api/generation/streams/**', (route) => route.abort('connectionrefused'));
    await page.route('**/api/generation/progress/**', (route) => route.abort('connectionrefused'));
    await page.routeWebSocket('**/api/generation/ws/**', (ws) => ws.close({ code: 1011 }));
    await page.routeWebSocket('**/api/generation/streams/ws/**', (ws) => ws.close({ code: 1011 }));
    // Stop the page's clock before the status page exists: from then on page time moves
    // only when the test moves it, so the page's 30 s idle timer starts at a known
    // instant. (The clock starts a minute behind so that pausing at the real time is
    // never in its past; the minute only has to cover these two calls.)
    await page.clock.install({ time: Date.now() - 60_000 });
    await page.clock.pauseAt(Date.now());
    const jobId = await generate(page, 30);
    await connection(page).getByText('Disconnected').waitFor({ timeout: 10_000 });
    const badge = page.getByTestId('rest-badge');
    await page.clock.runFor(29_000);
    expect(await badge.count()).toBe(0);
    await page.clock.runFor(1_000);
    // The badge with a percentage: the first REST answer is in and the next poll is set.
    await badge.filter({ hasText: /· \d+%/ }).waitFor({ timeout: 10_000 });
    expect(await badge.textContent()).toMatch(
      /^Job status \(REST\): (Waiting in queue|Starting|Running) · \d+% — live updates are unavailable, checking every 5 s$/,
    );
    await snap(page, '11-rest-fallback');

    // The job ends: the server's own stream says so (read outside the page, whose
    // stream stays blocked; it closes after `done`).
    const stream = await page.request.get(`${server.baseUrl}/api/generation/stream/${encodeURIComponent(jobId)}/`, {
      timeout: 90_000,
    });
    expect(await stream.text()).toMatch(/event: done\r?\ndata: \{"status":\s*"completed"\}/);
    // Page time flows again and the next poll is fast-forwarded; should the job table
    // trail the stream's `done` by a moment, the poll after it picks the end up.
    await page.clock.resume();
    await page.clock.runFor(5_000);
    await page.getByText('Schedule Ready!').waitFor({ timeout: 30_000 });
    await snap(page, '12-rest-completed');
  });

  it('the job list watches all its running jobs on one stream connection', async () => {
    const page = await newPage();
    await signIn(page);
    // Jobs left running by earlier scenarios would end during this one and
    // change the set of running rows, which rightly reopens the connection.
    // Cancel them and wait (a bounded number of list reads) until they have ended.
    const leftRunning = await page.evaluate(async () => {
      const me = (await (await fetch('/api/auth/me/')).json()) as { csrf_token: string };
      const unfinished = async () => {
        const list = (await (await fetch('/api/generation-jobs/?limit=1000')).json()) as {
          results: { id: string; status: string }[];
        };
        return list.results.filter((job) => ['queued', 'initializing', 'running'].includes(job.status));
      };
      for (const job of await unfinished()) {
        await fetch(`/api/generation-jobs/${job.id}/cancel/`, { method: 'DELETE', headers: { 'X-CSRF-Token': me.csrf_token } });
      }
      for (let read = 0; read < 150; read++) {
        if ((await unfinished()).length === 0) return 0;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return (await unfinished()).length;
    });
    expect(leftRunning).toBe(0);
    const ids = [await generate(page, 30), await generate(page, 30), await generate(page, 30)];
    // The last job's status page has opened its stream before the count starts.
    await connection(page).getByText('Live Updates').waitFor({ timeout: 10_000 });
    const isStream = (url: string) => /^\/api\/generation\/(stream|streams|ws)\//.test(new URL(url).pathname);
    const streams: string[] = [];
    // The stream connections the tab holds: opened and not yet finished or aborted.
    const open = new Set<string>();
    page.on('request', (request) => {
      if (!isStream(request.url())) return;
      streams.push(request.url());
      open.add(request.url());
    });
    page.on('requestfinished', (request) => open.delete(request.url()));
    page.on('requestfailed', (request) => open.delete(request.url()));
    await page.goto(`${server.baseUrl}/admin/timetables/`);
    for (const id of ids) await page.locator(`[data-job-id="${id}"]`).waitFor({ timeout: 10_000 });
    // Two more polls of the list re-render every row; the connection stays the one.
    for (let i = 0; i < 2; i++) {
      await page.waitForResponse((response) => new URL(response.url()).pathname === '/api/generation-jobs/', {
        timeout: 10_000,
      });
    }
    expect(streams).toHaveLength(1);
    const stream = new URL(streams[0]!);
    expect(stream.pathname).toBe('/api/generation/streams/');
    expect(stream.searchParams.get('jobs')?.split(',')).toEqual(expect.arrayContaining(ids));
    expect([...open]).toEqual(streams);
    // On to one job's status page in the same tab: it takes over the tab's one
    // connection (reopened for its job alone) instead of opening one of its own.
    await page.locator(`[data-job-id="${ids[0]}"] a.job-row__title`).click();
    await page.waitForURL(new RegExp(`/status/${ids[0]}$`), { timeout: 10_000 });
    await page.locator('[data-testid="connection"][data-transport="sse"]').waitFor({ timeout: 10_000 });
    await waitForProgressAbove(page, (await overallValue(page)) + 1, 20_000);
    expect(open.size).toBe(1);
    const statusStream = new URL([...open][0]!);
    expect(statusStream.pathname).toBe('/api/generation/streams/');
    expect(statusStream.searchParams.get('jobs')).toBe(ids[0]);
    await snap(page, '17-status-shared-connection');
    // Leave the worker free for the scenarios that follow.
    await page.evaluate(async (jobIds) => {
      const me = (await (await fetch('/api/auth/me/')).json()) as { csrf_token: string };
      for (const id of jobIds) {
        await fetch(`/api/generation-jobs/${id}/cancel/`, { method: 'DELETE', headers: { 'X-CSRF-Token': me.csrf_token } });
      }
    }, ids);
  });

  it('a failed job shows its reason and a way back', async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto(`${server.baseUrl}/admin/timetables/generate/`);
    await page.fill('#duration', '5');
    await page.locator('details.advanced summary').click();
    await page.selectOption('#fail_at', 'cpsat_solving');
    await page.click('button[type="submit"]');
    await page.getByText('Generation failed').waitFor({ timeout: 20_000 });
    await snap(page, '13-failed');
    await expectFitsPhone(page, [overallBar(page), page.getByRole('link', { name: 'Back to jobs' })]);
    await snap(page, '14-failed-phone');
    await page.getByRole('link', { name: 'Back to jobs' }).click();
    await page.waitForURL(/\/admin\/timetables\/$/, { timeout: 5_000 });
  });
});

describe('behind nginx', () => {
  let proxy: NginxHandle | null = null;
  afterEach(async () => {
    await proxy?.stop();
    proxy = null;
  });

  const cases: { mode: ProxyMode; transport: string; text: string }[] = [
    { mode: 'plain', transport: 'sse', text: 'via Server-Sent Events' },
    { mode: 'buffering', transport: 'websocket', text: 'via WebSocket' },
    { mode: 'no-websocket', transport: 'poll', text: 'via REST, every 2 s' },
  ];
  for (const { mode, transport, text } of cases) {
    it(`${mode}: the page shows live progress and says it gets it ${text}`, async () => {
      proxy = await startNginx(mode, server.baseUrl);
      const page = await newPage();
      // What the stream's responses looked like on the way (for the log): their
      // headers arrive even when nginx holds the events back.
      const streamAnswers: string[] = [];
      page.on('response', (response) => {
        if (/\/api\/generation\/streams?\/(?!ws\/)/.test(response.url())) {
          const encoding = response.headers()['content-encoding'] ?? 'none';
          streamAnswers.push(`${response.status()} content-encoding ${encoding}`);
        }
      });
      await signIn(page, proxy.baseUrl);
      await generate(page, 20, proxy.baseUrl);
      const opened = Date.now();
      const indicator = page.locator(`[data-testid="connection"][data-transport="${transport}"]`);
      await indicator.waitFor({ timeout: 30_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}\nnginx said:\n${proxy?.errors() ?? ''}`);
      });
      process.stderr.write(
        `e2e: nginx ${mode}: live ${text} ${((Date.now() - opened) / 1000).toFixed(1)} s after the status page opened; ` +
          `SSE answers seen: ${streamAnswers.join(', ') || 'none'}\n`,
      );
      await expect(indicator.textContent()).resolves.toBe(`Live Updates${text}`);
      // Live: the bar moves on while the indicator still names the same transport.
      const before = await overallValue(page);
      await waitForProgressAbove(page, before + 5, 20_000);
      expect(await indicator.count()).toBe(1);
      await snap(page, `20-nginx-${mode}`);
      await page.getByText('Schedule Ready!').waitFor({ timeout: 40_000 });
    });
  }
});
