// Which server the e2e suite talks to, and how to kill and restart it.
//
//   HEADWAY_E2E_SERVER_CMD="..."  a command that starts the real `headway serve`; "{port}" in it
//                                 is replaced by a free port. The caller runs redis-server and
//                                 `headway worker`: scripts/e2e.sh does all of it (that is how
//                                 scripts/test.sh runs this suite)
//   HEADWAY_E2E_BASE_URL=http://… a server that is already running; the scenario that kills
//                                 and restarts the server is then skipped, and says so
//
// Sign-in: HEADWAY_E2E_USER / HEADWAY_E2E_PASSWORD (scripts/e2e.sh adds that user).

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = resolve(here, '..');

export const credentials = {
  username: process.env.HEADWAY_E2E_USER ?? 'admin',
  password: process.env.HEADWAY_E2E_PASSWORD ?? '',
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

const isGroupLeader = new WeakSet<ChildProcess>();

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** In a process group of its own, all of which killChild ends (for commands that start children). */
  group?: boolean;
}

/** Start a command whose stderr (and stdout with HEADWAY_E2E_VERBOSE) goes to this process's stderr. */
export function spawnManaged(command: string, args: string[], logPrefix: string, options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? WEB_DIR,
    env: options.env ?? process.env,
    detached: options.group ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (options.group) isGroupLeader.add(child);
  const log = (chunk: Buffer) => {
    if (process.env.HEADWAY_E2E_VERBOSE) process.stderr.write(`[${logPrefix}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', log);
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${logPrefix}] ${chunk.toString()}`));
  return child;
}

/** SIGKILL a child started by spawnManaged (its whole group when started with `group`) and wait for it. */
export async function killChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  if (child.pid !== undefined && isGroupLeader.has(child)) process.kill(-child.pid, 'SIGKILL');
  else child.kill('SIGKILL');
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

  const realCommand = process.env.HEADWAY_E2E_SERVER_CMD;
  if (!realCommand) {
    throw new Error(
      'set HEADWAY_E2E_SERVER_CMD (or HEADWAY_E2E_BASE_URL); scripts/e2e.sh starts redis-server, ' +
        '`headway serve` and `headway worker` and runs this suite against them',
    );
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const command = '/bin/sh';
  const args = ['-c', `exec ${realCommand.replaceAll('{port}', String(port))}`];
  const description = `HEADWAY_E2E_SERVER_CMD on port ${port}`;
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
      child = spawnManaged(command, args, 'headway');
      await waitUntilUp(`${baseUrl}/api/generation/health/`);
    },
    dispose: async () => {
      await killChild(child);
      child = null;
    },
  };
  await handle.start();
  return handle;
}
