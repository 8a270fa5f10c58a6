// @headway/react as another project gets it: `npm pack` of packages/react, the
// tarball installed from its file into a fresh Vite React app and a fresh Next.js
// App Router app (made from e2e/apps/, their other dependencies from the
// registry), each built and served on its own port, forwarding /api to the real
// server; Chromium shows the app's live progress bar for a real job until it ends.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, snap, type Browser } from './browser';
import { credentials, freePort, killChild, launchServer, spawnManaged, waitUntilUp, WEB_DIR, type ServerHandle } from './harness';

const PACKAGE_DIR = join(WEB_DIR, 'packages', 'react');
const APPS_DIR = join(WEB_DIR, 'e2e', 'apps');
const INSTALL_TIMEOUT_MS = 300_000;
const BUILD_TIMEOUT_MS = 300_000;

interface FreshApp {
  name: 'vite' | 'next';
  /** The command that serves the built app on `port`, from the app's directory. */
  serve(port: number): [string, string[]];
  /** The app's page for one job. */
  page(jobId: string): string;
}

const APPS: FreshApp[] = [
  {
    name: 'vite',
    serve: (port) => ['node_modules/.bin/vite', ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort']],
    page: (jobId) => `/?job=${encodeURIComponent(jobId)}`,
  },
  {
    name: 'next',
    serve: (port) => ['node_modules/.bin/next', ['start', '--hostname', '127.0.0.1', '--port', String(port)]],
    page: (jobId) => `/status/${encodeURIComponent(jobId)}`,
  },
];

const execFileAsync = promisify(execFile);

/** Run a command to completion; on failure the error carries its output. */
async function run(command: string, args: string[], cwd: string, timeout: number, env = process.env): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} in ${cwd} failed: ${String(error)}\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

let server: ServerHandle;
let browser: Browser;
let work: string;
let tarball: string;

beforeAll(async () => {
  if (!existsSync(join(PACKAGE_DIR, 'dist', 'index.js'))) {
    throw new Error('packages/react/dist is not built (npm run build in web/ builds it)');
  }
  work = await mkdtemp(join(tmpdir(), 'headway-package-e2e-'));
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', work], PACKAGE_DIR, 60_000)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, packed[0]!.filename);
  const files = packed[0]!.files.map((file) => file.path);
  expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/client.js', 'dist/client.d.ts']));
  expect(files.filter((path) => path.startsWith('src/') || path.includes('.test.'))).toEqual([]);
  server = await launchServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Copy the app's template, depend on the tarball, npm install. */
async function createApp(app: FreshApp): Promise<string> {
  const dir = join(work, app.name);
  await cp(join(APPS_DIR, app.name), dir, { recursive: true });
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { dependencies: Record<string, string> };
  manifest.dependencies['@headway/react'] = `file:${tarball}`;
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, INSTALL_TIMEOUT_MS);
  return dir;
}

/** Sign in on the server (the session cookie is then sent to every port of 127.0.0.1) and start a job. */
async function startJob(context: Awaited<ReturnType<Browser['newContext']>>, durationSeconds: number): Promise<string> {
  const login = await context.request.post(`${server.baseUrl}/api/auth/login/`, { data: credentials });
  expect(login.status()).toBe(200);
  const { csrf_token: csrfToken } = (await login.json()) as { csrf_token: string };
  const created = await context.request.post(`${server.baseUrl}/api/generation-jobs/generate/`, {
    data: { type: 'timetable', params: { duration_s: durationSeconds } },
    headers: { 'X-CSRF-Token': csrfToken },
  });
  expect(created.status()).toBe(201);
  return ((await created.json()) as { id: string }).id;
}

describe('the @headway/react tarball in fresh apps', () => {
  it.each(APPS)(
    '$name: installed from the tarball, built, served; its bar follows a real job to 100 %',
    async (app) => {
      const dir = await createApp(app);
      const installed = join(dir, 'node_modules', '@headway', 'react');
      expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
      expect(existsSync(join(installed, 'src'))).toBe(false); // the built package, not this repository's sources

      const env = { ...process.env, HEADWAY_URL: server.baseUrl, NEXT_TELEMETRY_DISABLED: '1' };
      await run('npm', ['run', 'build'], dir, BUILD_TIMEOUT_MS, env);

      const port = await freePort();
      const [command, args] = app.serve(port);
      const child = spawnManaged(command, args, app.name, { cwd: dir, env, group: true });
      try {
        const origin = `http://127.0.0.1:${port}`;
        await waitUntilUp(`${origin}/`, 30_000);
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          page.on('pageerror', (error) => process.stderr.write(`${app.name} page error: ${error.message}\n`));
          const jobId = await startJob(context, 8);
          await page.goto(`${origin}${app.page(jobId)}`);

          // Live: the bar moves while the job runs.
          await page.waitForFunction(
            () => {
              const value = Number(document.querySelector('[aria-label="Job progress"]')?.getAttribute('aria-valuenow'));
              return value > 0 && value < 100 && document.querySelector('[data-testid="done"]') === null;
            },
            undefined,
            { timeout: 30_000, polling: 100 },
          );
          // Both apps forward /api without holding the stream back, so it is SSE.
          expect(await page.getByTestId('transport').textContent()).toBe('sse');

          const done = page.getByTestId('done');
          await done.waitFor({ timeout: 60_000 });
          expect(await done.textContent()).toBe('Finished: completed');
          await page.waitForFunction(
            () => document.querySelector('[aria-label="Job progress"]')?.getAttribute('aria-valuenow') === '100',
            undefined,
            { timeout: 10_000, polling: 100 },
          );
          await snap(page, `package-${app.name}`);
        } finally {
          await context.close();
        }
      } finally {
        await killChild(child);
      }
    },
    INSTALL_TIMEOUT_MS + BUILD_TIMEOUT_MS + 120_000,
  );
});
