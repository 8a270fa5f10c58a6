// Debian's nginx in front of the server under test, configured the ways real
// proxies get in the way of a live stream. Unprivileged: as the caller, or as
// `nobody` when the suite runs as root; everything it writes (pid, logs, temp
// files) lives in its own temporary prefix, and it listens on a free loopback port.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntilUp } from './harness';

export const NGINX = process.env.HEADWAY_E2E_NGINX ?? '/usr/sbin/nginx';

/**
 * - `plain`: a careful pass-through (HTTP/1.1 upstream, buffering off for the stream, WebSocket upgrades forwarded).
 * - `buffering`: buffering forced on for everything (`proxy_buffering on`, the server's
 *   `X-Accel-Buffering: no` ignored, large buffers) and gzip on, event streams included:
 *   the SSE response opens but its events are held back.
 * - `no-websocket`: as `buffering`, and WebSocket upgrades refused (403). With SSE
 *   held back too, only REST is left; a proxy that refuses upgrades but passes SSE
 *   through is never noticed, since SSE comes first.
 */
export type ProxyMode = 'plain' | 'buffering' | 'no-websocket';

function siteConfig(mode: ProxyMode, upstream: string): string {
  // A location that sets any proxy_set_header inherits none from the server
  // block, so each location names them all.
  const common = `
    proxy_http_version 1.1;
    proxy_read_timeout 1h;`;
  const headers = `
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;`;
  const upgrade = `${headers}
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;`;
  const keepAlive = `${headers}
      proxy_set_header Connection '';`;
  if (mode === 'plain') {
    return `
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:{port};
    ${common}
    location /api/generation/stream/ { proxy_pass ${upstream}; proxy_buffering off; ${keepAlive} }
    location /api/generation/streams/ { proxy_pass ${upstream}; proxy_buffering off; ${keepAlive} }
    location /api/generation/ws/ { proxy_pass ${upstream}; ${upgrade} }
    location /api/generation/streams/ws/ { proxy_pass ${upstream}; ${upgrade} }
    location / { proxy_pass ${upstream}; ${keepAlive} }
  }`;
  }
  const hostile = `
    proxy_buffering on;
    proxy_ignore_headers X-Accel-Buffering;
    proxy_buffer_size 64k;
    proxy_buffers 16 64k;
    proxy_busy_buffers_size 128k;
    proxy_max_temp_file_size 0;
    gzip on;
    gzip_proxied any;
    gzip_min_length 0;
    gzip_buffers 16 64k;
    gzip_types text/event-stream application/json;
    # The server marks the stream "Content-Encoding: identity" so that nothing
    # compresses it; a proxy that drops the header compresses it anyway.
    proxy_hide_header Content-Encoding;`;
  const websocket =
    mode === 'no-websocket'
      ? 'location /api/generation/ws/ { return 403; }\n    location /api/generation/streams/ws/ { return 403; }'
      : `location /api/generation/ws/ { proxy_pass ${upstream}; ${upgrade} }
    location /api/generation/streams/ws/ { proxy_pass ${upstream}; ${upgrade} }`;
  return `
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:{port};
    ${common}
    ${hostile}
    ${websocket}
    location / { proxy_pass ${upstream}; ${keepAlive} }
  }`;
}

export interface NginxHandle {
  baseUrl: string;
  mode: ProxyMode;
  /** nginx's error log, for a failing scenario's message. */
  errors(): string;
  stop(): Promise<void>;
}

/** Start nginx in `mode` in front of `upstreamBaseUrl` and wait until it answers. */
export async function startNginx(mode: ProxyMode, upstreamBaseUrl: string): Promise<NginxHandle> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx (scripts/install-deps.sh)`);
  const prefix = mkdtempSync(join(tmpdir(), 'headway-e2e-nginx-'));
  const temp = join(prefix, 'temp');
  mkdirSync(temp);
  const port = await freePort();
  const site = siteConfig(mode, upstreamBaseUrl).replaceAll('{port}', String(port));
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
${site}
}
`,
  );
  let command = NGINX;
  let args = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')];
  if (process.getuid?.() === 0) {
    // Never as root: the prefix is handed to nobody, and nginx runs as nobody.
    spawnSync('chown', ['-R', 'nobody:nogroup', prefix], { stdio: 'ignore' });
    args = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', command, ...args];
    command = 'setpriv';
  }
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const errors = () => {
    const log = join(prefix, 'error.log');
    return output + (existsSync(log) ? readFileSync(log, 'utf8') : '');
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${baseUrl}/api/generation/health/`, 15_000);
  } catch (error) {
    const log = errors();
    await stop();
    throw new Error(`nginx (${mode}) did not start: ${String(error)}\n${log}`, { cause: error });
  }
  return { baseUrl, mode, errors, stop };
}
