// Which server the e2e suite talks to, and how to kill and restart it.
//
//   (default)                     e2e/fake-server.mjs, a TEMPORARY stand-in, on a free port
//   HEADWAY_E2E_SERVER_CMD="..."  a command that starts the real server; "{port}" in it is
//                                 replaced by a free port, e.g.
//                                 "../build/dev/headway serve --listen 127.0.0.1:{port} --redis redis://127.0.0.1:6390"
//                                 (Redis and `headway worker` are started by the caller)
//   HEADWAY_E2E_BASE_URL=http://… a server that is already running; the scenario that kills
//                                 and restarts the server is then skipped, and says so
//
// Sign-in: HEADWAY_E2E_USER / HEADWAY_E2E_PASSWORD (default admin / admin-password,
// the stand-in's user).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = resolve(here, '..');

export const credentials = {
  username: process.env.HEADWAY_E2E_USER ?? 'admin',
  password: process.env.HEADWAY_E2E_PASSWORD ?? 'admin-password',
};

export interface ServerHandle {
  baseUrl: string;
  /** What is being tested, for the log. */
  description: string;
  /** False for HEADWAY_E2E_BASE_URL: this suite did not start it, so cannot restart it. */
  canRestart: boolean;
  /** SIGKILL the server (its open streams die with it). */
  kill(): Promise<void>;
  /** Start it again on the same port and wait until it answers. */
  start(): Promise<void>;
  /** Stop for good and remove temporary files. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port'))));
    });
  });
}

/** Poll `url` until it answers at all (any HTTP status), for at most `timeoutMs`. */
export async function waitUntilUp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server at ${url} did not come up within ${timeoutMs} ms: ${String(lastError)}`);
}

function spawnManaged(command: string, args: string[], logPrefix: string): ChildProcess {
  const child = spawn(command, args, { cwd: WEB_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = (chunk: Buffer) => {
    if (process.env.HEADWAY_E2E_VERBOSE) process.stderr.write(`[${logPrefix}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', log);
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${logPrefix}] ${chunk.toString()}`));
  return child;
}

async function killChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGKILL');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

export async function launchServer(): Promise<ServerHandle> {
  const external = process.env.HEADWAY_E2E_BASE_URL;
  if (external) {
    const baseUrl = external.replace(/\/+$/, '');
    await waitUntilUp(`${baseUrl}/api/generation/health/`);
    const unsupported = async () => {
      throw new Error('HEADWAY_E2E_BASE_URL: this suite did not start the server and cannot restart it');
    };
    return { baseUrl, description: `running server at ${baseUrl}`, canRestart: false, kill: unsupported, start: unsupported, dispose: async () => {} };
  }

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const realCommand = process.env.HEADWAY_E2E_SERVER_CMD;
  const stateDir = mkdtempSync(join(tmpdir(), 'headway-e2e-'));
  const [command, args, description] = realCommand
    ? ['/bin/sh', ['-c', `exec ${realCommand.replaceAll('{port}', String(port))}`], `HEADWAY_E2E_SERVER_CMD on port ${port}`]
    : [
        process.execPath,
        [join(here, 'fake-server.mjs'), '--port', String(port), '--dist', join(WEB_DIR, 'dist'), '--state', join(stateDir, 'state.json')],
        `e2e/fake-server.mjs (temporary stand-in) on port ${port}`,
      ];
  let child: ChildProcess | null = null;
  const handle: ServerHandle = {
    baseUrl,
    description,
    canRestart: true,
    kill: async () => {
      await killChild(child);
      child = null;
    },
    start: async () => {
      child = spawnManaged(command, args, realCommand ? 'headway' : 'fake-server');
      await waitUntilUp(`${baseUrl}/api/generation/health/`);
    },
    dispose: async () => {
      await killChild(child);
      child = null;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
