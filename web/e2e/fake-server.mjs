#!/usr/bin/env node
// A TEMPORARY stand-in for `headway serve` + `headway worker` + Redis, for the
// e2e suite until the real server exists. It serves web/dist and the few API
// endpoints the UI uses (DESIGN.md §3) and plays each `timetable` job from a
// script: every record is a pure function of the job's stored facts and the
// clock, so killing this process and starting it again on the same state file
// continues the same jobs, the way the real server recovers from Redis.
//
//   node e2e/fake-server.mjs --port 8123 --dist dist --state /tmp/state.json
//
// Users: admin / admin-password (override with FAKE_USERS="name:password,...").
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.

import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { extname, join, normalize, resolve, sep } from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const PORT = Number(args.port ?? process.env.PORT ?? 8123);
const HOST = args.host ?? '127.0.0.1';
const DIST = resolve(args.dist ?? new URL('../dist', import.meta.url).pathname);
const STATE_FILE = resolve(args.state ?? join(process.env.TMPDIR ?? '/tmp', `headway-fake-${PORT}.json`));
const USERS = Object.fromEntries(
  (process.env.FAKE_USERS ?? 'admin:admin-password').split(',').map((pair) => pair.split(':')),
);

// ---------------------------------------------------------------------------
// State: jobs and sessions, persisted on every change (atomic rename).

const state = existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, 'utf8')) : { jobs: [], sessions: {} };
function save() {
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state));
  renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

// ---------------------------------------------------------------------------
// The scripted timetable job.

const STAGES = [
  { name: 'loading', start: 0, end: 5, items: 8 },
  { name: 'clustering', start: 5, end: 15, items: 12 },
  { name: 'cpsat_solving', start: 15, end: 75, items: 216 },
  { name: 'ga_optimization', start: 75, end: 90, items: 30 },
  { name: 'rl_refinement', start: 90, end: 100, items: 20 },
];
const QUEUED_S = 0.6;
const INIT_S = 0.4;
const TICK_S = 0.1; // the tracker writes at most ~10 records a second
const CANCEL_DELAY_S = 0.5;
const round2 = (x) => Math.round(x * 100) / 100;
const now = () => Date.now() / 1000;

/** seq of the write made at time t: 1 is the server's `queued` record. */
function seqAt(job, t) {
  const el = t - job.created_at;
  if (el < QUEUED_S) return 1;
  return 2 + Math.floor((el - QUEUED_S) / TICK_S);
}

function plan(job) {
  return STAGES.map(({ name, start, end }) => ({ name, start, end }));
}

function base(job, t) {
  return {
    job_id: job.id,
    stages: plan(job),
    attempt: 1,
    started_at: job.created_at + QUEUED_S,
    last_updated: round2(t),
    seq: seqAt(job, t),
  };
}

function runningRecord(job, t) {
  const el = t - job.created_at;
  if (el < QUEUED_S) {
    return { ...base(job, t), started_at: 0, status: 'queued', stage: '', stage_progress: 0, overall_progress: 0, eta_seconds: null, metadata: {} };
  }
  if (el < QUEUED_S + INIT_S) {
    return { ...base(job, t), status: 'initializing', stage: '', stage_progress: 0, overall_progress: 0, eta_seconds: null, metadata: {} };
  }
  const duration = job.params.duration_s;
  const run = Math.min(el - QUEUED_S - INIT_S, duration - 1e-6);
  let elapsed = 0;
  for (const stage of STAGES) {
    const span = (duration * (stage.end - stage.start)) / 100;
    if (run < elapsed + span) {
      const items = stage.name === 'cpsat_solving' ? job.params.clusters : stage.items;
      const done = Math.floor(((run - elapsed) / span) * items);
      const stageProgress = (100 * done) / items;
      const overall = stage.start + ((stage.end - stage.start) * done) / items;
      // An estimate that wobbles the way real ones do, so smoothing has work to do.
      const wobble = 1 + 0.12 * Math.sin(run * 1.7);
      const eta = overall < 1 ? null : round2(Math.max(0, (duration - run) * wobble));
      return {
        ...base(job, t),
        status: 'running',
        stage: stage.name,
        stage_progress: round2(stageProgress),
        overall_progress: round2(overall),
        eta_seconds: eta,
        metadata: { completed_items: done, total_items: items },
      };
    }
    elapsed += span;
  }
  throw new Error('unreachable: run is within the plan');
}

/** When a job with params.fail_at fails: 30 % into that stage. */
function failTimeOf(job) {
  if (!job.params.fail_at) return Infinity;
  let elapsed = 0;
  for (const stage of STAGES) {
    const span = (job.params.duration_s * (stage.end - stage.start)) / 100;
    if (stage.name === job.params.fail_at) return job.created_at + QUEUED_S + INIT_S + elapsed + span * 0.3;
    elapsed += span;
  }
  return Infinity;
}

/** The record at time t, or the terminal record once the job ended. */
function recordAt(job, t) {
  const cancelAt = job.cancel_requested_at != null ? job.cancel_requested_at + CANCEL_DELAY_S : Infinity;
  const failAt = failTimeOf(job);
  const endAt = job.created_at + QUEUED_S + INIT_S + job.params.duration_s;
  const first = Math.min(cancelAt, failAt, endAt);
  if (t < first) return runningRecord(job, t);
  if (first === cancelAt) {
    const queuedCancel = job.cancel_requested_at - job.created_at < QUEUED_S;
    const at = queuedCancel ? job.cancel_requested_at : cancelAt;
    const last = runningRecord(job, at - 1e-6);
    return { ...last, status: 'cancelled', seq: seqAt(job, at) + 1, last_updated: round2(at), eta_seconds: null };
  }
  if (first === failAt) {
    const last = runningRecord(job, failAt - 1e-6);
    return { ...last, status: 'failed', seq: seqAt(job, failAt) + 1, last_updated: round2(failAt), eta_seconds: null,
      metadata: { ...last.metadata, error: `The solver found no feasible schedule while ${stageVerb(last.stage)} (simulated failure).` } };
  }
  return { ...base(job, endAt), status: 'completed', stage: 'rl_refinement', stage_progress: 100, overall_progress: 100,
    eta_seconds: 0, seq: seqAt(job, endAt) + 1, last_updated: round2(endAt),
    metadata: { completed_items: 20, total_items: 20 } };
}

function stageVerb(stage) {
  return { loading: 'loading data', clustering: 'organizing', cpsat_solving: 'building the schedule',
    ga_optimization: 'optimizing', rl_refinement: 'finalizing' }[stage] ?? 'running';
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** The job-table row: like the real recorder it follows stage boundaries, not every record. */
function jobRow(job, t = now()) {
  const r = recordAt(job, t);
  const terminal = TERMINAL.has(r.status);
  const stage = STAGES.find((s) => s.name === r.stage);
  return {
    id: job.id, owner: job.owner, type: job.type, params: job.params,
    status: r.status, stage: r.stage,
    stage_progress: terminal ? r.stage_progress : 0,
    overall_progress: terminal ? r.overall_progress : stage ? stage.start : 0,
    eta_seconds: r.eta_seconds, error: r.metadata?.error ?? '',
    attempts: r.status === 'queued' ? 0 : 1,
    created_at: job.created_at, started_at: r.status === 'queued' ? null : job.created_at + QUEUED_S,
    finished_at: terminal ? r.last_updated : null, updated_at: r.last_updated,
  };
}

// ---------------------------------------------------------------------------
// HTTP.

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json' };

function send(res, status, body, headers = {}) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(data);
}
const fail = (res, status, error, detail) => send(res, status, { error, detail });

function serveStatic(req, res, pathname) {
  let decoded;
  try { decoded = decodeURIComponent(pathname); } catch { return fail(res, 400, 'Bad request', 'malformed path'); }
  const file = normalize(join(DIST, decoded));
  const inside = file.startsWith(DIST + sep);
  const isFile = inside && existsSync(file) && statSync(file).isFile();
  const target = isFile ? file : join(DIST, 'index.html');
  if (!isFile && extname(decoded) && decoded.startsWith('/assets/')) return fail(res, 404, 'Not found', pathname);
  if (!existsSync(target)) return fail(res, 500, 'No build', `run npm run build first (${DIST})`);
  const hashed = isFile && decoded.startsWith('/assets/');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(target)] ?? 'application/octet-stream',
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(target).pipe(res);
}

function readBody(req) {
  return new Promise((ok, bad) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => { size += c.length; if (size > 65536) { bad(new Error('too large')); req.destroy(); } else chunks.push(c); });
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', bad);
  });
}

function userOf(req) {
  const cookie = /(?:^|;\s*)headway_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
  return cookie ? state.sessions[cookie[1]] ?? null : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function findJob(res, user, id) {
  if (!UUID.test(id)) { fail(res, 400, 'Bad request', 'the job id is not a UUID'); return null; }
  const job = state.jobs.find((j) => j.id === id && j.owner === user);
  if (!job) { fail(res, 404, 'Not found', 'no such job'); return null; }
  return job;
}

function stream(req, res, job) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no',
    'Content-Encoding': 'identity', Connection: 'keep-alive' });
  res.write(`retry: 1000\nevent: connected\ndata: ${JSON.stringify({ job_id: job.id })}\n\n`);
  let last = Number(req.headers['last-event-id'] ?? 0) || 0;
  const tick = () => {
    const r = recordAt(job, now());
    if (r.seq > last) {
      last = r.seq;
      res.write(`event: progress\nid: ${r.seq}\ndata: ${JSON.stringify(r)}\n\n`);
    }
    if (TERMINAL.has(r.status)) {
      res.write(`event: done\ndata: ${JSON.stringify({ status: r.status })}\n\n`);
      cleanup();
      res.end();
    }
  };
  const timer = setInterval(tick, TICK_S * 1000);
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  const cleanup = () => { clearInterval(timer); clearInterval(ping); };
  req.on('close', cleanup);
  tick();
}

async function api(req, res, path) {
  if (path === '/api/generation/health/') return send(res, 200, { status: 'healthy', server: 'fake' });
  if (path === '/api/auth/login/' && req.method === 'POST') {
    let body;
    try { body = JSON.parse(await readBody(req)); } catch { return fail(res, 400, 'Bad request', 'the body is not JSON'); }
    if (!body || USERS[body.username] === undefined || USERS[body.username] !== body.password) {
      return fail(res, 401, 'Unauthorized', 'wrong username or password');
    }
    const token = randomBytes(18).toString('base64url');
    state.sessions[token] = body.username;
    save();
    return send(res, 200, { username: body.username }, { 'Set-Cookie': `headway_session=${token}; Path=/; HttpOnly; SameSite=Lax` });
  }
  const user = userOf(req);
  if (!user) return fail(res, 401, 'Unauthorized', 'sign in first');
  if (path === '/api/auth/me/') return send(res, 200, { username: user });

  let m;
  if (path === '/api/generation-jobs/' && req.method === 'GET') {
    const mine = state.jobs.filter((j) => j.owner === user).sort((a, b) => b.created_at - a.created_at);
    return send(res, 200, { results: mine.slice(0, 50).map((j) => jobRow(j)), count: mine.length });
  }
  if (path === '/api/generation-jobs/generate/' && req.method === 'POST') {
    let body;
    try { body = JSON.parse(await readBody(req)); } catch { return fail(res, 400, 'Bad request', 'the body is not JSON'); }
    if (body?.type !== 'timetable') return fail(res, 400, 'Bad request', 'type: only "timetable" is known here');
    const p = body.params ?? {};
    const clusters = p.clusters ?? 216;
    const duration = p.duration_s ?? 60;
    if (!Number.isInteger(clusters) || clusters < 1 || clusters > 100000) return fail(res, 400, 'Bad request', 'params.clusters: a whole number from 1 to 100000');
    if (typeof duration !== 'number' || !(duration > 0) || duration > 86400) return fail(res, 400, 'Bad request', 'params.duration_s: seconds, more than 0');
    if (p.fail_at !== undefined && !STAGES.some((s) => s.name === p.fail_at)) return fail(res, 400, 'Bad request', 'params.fail_at: a stage name');
    const job = { id: randomUUID(), owner: user, type: 'timetable', created_at: now(), cancel_requested_at: null,
      params: { clusters, duration_s: duration, ...(p.fail_at ? { fail_at: p.fail_at } : {}) } };
    state.jobs.push(job);
    save();
    return send(res, 201, jobRow(job));
  }
  if ((m = /^\/api\/generation-jobs\/([^/]+)\/$/.exec(path)) && req.method === 'GET') {
    const job = findJob(res, user, m[1]);
    return job && send(res, 200, jobRow(job));
  }
  if ((m = /^\/api\/generation-jobs\/([^/]+)\/cancel\/$/.exec(path)) && req.method === 'DELETE') {
    const job = findJob(res, user, m[1]);
    if (!job) return undefined;
    const status = recordAt(job, now()).status;
    if (TERMINAL.has(status) && status !== 'cancelled') return fail(res, 409, 'Conflict', `the job already ${status}`);
    if (job.cancel_requested_at == null) { job.cancel_requested_at = now(); save(); }
    return send(res, 202, jobRow(job));
  }
  if ((m = /^\/api\/generation\/progress\/([^/]+)\/$/.exec(path)) && req.method === 'GET') {
    const job = findJob(res, user, m[1]);
    return job && send(res, 200, recordAt(job, now()));
  }
  if ((m = /^\/api\/generation\/stream\/([^/]+)\/$/.exec(path)) && req.method === 'GET') {
    const job = findJob(res, user, m[1]);
    return job && stream(req, res, job);
  }
  return fail(res, 404, 'Not found', path);
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://x');
  const route = pathname.startsWith('/api/') ? api(req, res, pathname) : serveStatic(req, res, pathname);
  Promise.resolve(route).catch((error) => {
    if (!res.headersSent) fail(res, 500, 'Internal error', String(error?.message ?? error));
    else res.destroy();
  });
});
server.listen(PORT, HOST, () => {
  process.stdout.write(`listening on http://${HOST}:${PORT}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
