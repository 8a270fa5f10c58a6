// The HTTP API the UI uses (docs/server.md), in one place: paths, the shapes it
// expects, and JSON error handling. A 401 from any call is reported to the
// handler set with `setUnauthorizedHandler` (the app sends people to /login).

import { isJobStatus, type JobStatus } from './types';

/** A row of the job table (docs/store.md). Times are Unix seconds. */
export interface Job {
  id: string;
  owner: string;
  type: string;
  params: Record<string, unknown>;
  status: JobStatus;
  stage: string;
  stage_progress: number;
  overall_progress: number;
  eta_seconds: number | null;
  /** Why the job failed (or was cancelled, if the server says); null otherwise. */
  error: string | null;
  attempts: number;
  created_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number | null;
}

/** One page of the job list: a status to keep (none: all), how many, from where. */
export interface JobListQuery {
  status?: JobStatus | null;
  limit?: number;
  offset?: number;
}

/** When one stage of one attempt ran (GET /api/generation-jobs/<id>/stages/). */
export interface StageTiming {
  attempt: number;
  stage: string;
  started_at: number;
  finished_at: number | null;
  duration_seconds: number | null;
}

export interface StageTimings {
  job_id: string;
  status: JobStatus;
  /** The newest attempt. */
  attempt: number;
  stages: StageTiming[];
}

/** Median and range of some durations, in seconds (all null when `count` is 0). */
export interface DurationSpread {
  count: number;
  median: number | null;
  min: number | null;
  max: number | null;
}

/**
 * A run beside the other recent completed runs of its type
 * (GET /api/generation-jobs/<id>/comparison/).
 */
export interface RunComparison {
  job_id: string;
  type: string;
  status: JobStatus;
  /** The job's newest attempt; total_seconds is null until every stage has ended. */
  this_run: { total_seconds: number | null; stages: { stage: string; duration_seconds: number | null }[] };
  recent_runs: { runs: number; total_seconds: DurationSpread; stages: { stage: string; duration_seconds: DurationSpread }[] };
}

/** GET /api/generation-jobs/ → `{"results": [Job, ...], "count": N}`, newest first. */
export interface JobList {
  results: Job[];
  count: number;
}

/** Body of POST /api/generation-jobs/generate/. */
export interface CreateJobRequest {
  type: 'timetable' | 'command' | 'external' | (string & {});
  params: Record<string, unknown>;
}

/** Parameters of a `timetable` job (docs/worker.md). All optional. */
export interface TimetableParams {
  clusters?: number;
  duration_s?: number;
  fail_at?: string;
}

/** Every non-2xx answer: `{"error": "...", "detail": "..."}` (both optional here). */
export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string | null;

  constructor(status: number, error: string, detail: string | null) {
    super(detail ? `${error}: ${detail}` : error);
    this.name = 'ApiError';
    this.status = status;
    this.error = error;
    this.detail = detail;
  }
}

export const paths = {
  jobs: () => '/api/generation-jobs/',
  job: (id: string) => `/api/generation-jobs/${encodeURIComponent(id)}/`,
  stages: (id: string) => `/api/generation-jobs/${encodeURIComponent(id)}/stages/`,
  comparison: (id: string) => `/api/generation-jobs/${encodeURIComponent(id)}/comparison/`,
  generate: () => '/api/generation-jobs/generate/',
  cancel: (id: string) => `/api/generation-jobs/${encodeURIComponent(id)}/cancel/`,
  stream: (id: string) => `/api/generation/stream/${encodeURIComponent(id)}/`,
  login: () => '/api/auth/login/',
  logout: () => '/api/auth/logout/',
  me: () => '/api/auth/me/',
} as const;

/** The signed-in account, from login or /api/auth/me/. */
export interface Account {
  user: string;
  role: 'user' | 'admin' | (string & {});
  /** Sent back as X-CSRF-Token on state-changing calls (null for token-less setups). */
  csrf_token: string | null;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let unauthorizedHandler: (() => void) | null = null;

/** Called (once per 401 answer) before the ApiError is thrown. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numOrNull(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  return null;
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A job from the server, or null when it lacks an id or a known status. */
export function parseJob(value: unknown): Job | null {
  if (!isObject(value) || typeof value.id !== 'string' || !isJobStatus(value.status)) return null;
  const eta = value.eta_seconds;
  const error = value.error;
  return {
    id: value.id,
    owner: typeof value.owner === 'string' ? value.owner : '',
    type: typeof value.type === 'string' ? value.type : '',
    params: isObject(value.params) ? value.params : {},
    status: value.status,
    stage: typeof value.stage === 'string' ? value.stage : '',
    stage_progress: num(value.stage_progress),
    overall_progress: num(value.overall_progress),
    eta_seconds: typeof eta === 'number' && Number.isFinite(eta) ? eta : null,
    error: typeof error === 'string' && error !== '' ? error : null,
    attempts: num(value.attempts),
    created_at: numOrNull(value.created_at),
    started_at: numOrNull(value.started_at),
    finished_at: numOrNull(value.finished_at),
    updated_at: numOrNull(value.updated_at),
  };
}

function parseJobList(value: unknown): JobList {
  // A bare array is accepted too, so an unpaginated server works unchanged.
  const raw = Array.isArray(value) ? value : isObject(value) && Array.isArray(value.results) ? value.results : null;
  if (!raw) throw new ApiError(200, 'Unexpected answer', 'the job list is not {"results": [...]}');
  const results = raw.map(parseJob).filter((job): job is Job => job !== null);
  const count = isObject(value) && typeof value.count === 'number' ? value.count : results.length;
  return { results, count };
}

export function parseStageTimings(value: unknown): StageTimings {
  if (!isObject(value) || typeof value.job_id !== 'string' || !isJobStatus(value.status) || !Array.isArray(value.stages)) {
    throw new ApiError(200, 'Unexpected answer', 'the stage timings are not {"job_id", "status", "stages": [...]}');
  }
  const stages: StageTiming[] = [];
  for (const item of value.stages) {
    if (!isObject(item) || typeof item.stage !== 'string' || typeof item.started_at !== 'number') continue;
    stages.push({
      attempt: num(item.attempt, 1),
      stage: item.stage,
      started_at: item.started_at,
      finished_at: numOrNull(item.finished_at),
      duration_seconds: numOrNull(item.duration_seconds),
    });
  }
  return { job_id: value.job_id, status: value.status, attempt: num(value.attempt, 1), stages };
}

function parseSpread(value: unknown): DurationSpread {
  const spread = isObject(value) ? value : {};
  return { count: num(spread.count), median: numOrNull(spread.median), min: numOrNull(spread.min), max: numOrNull(spread.max) };
}

export function parseRunComparison(value: unknown): RunComparison {
  const thisRun = isObject(value) && isObject(value.this_run) ? value.this_run : null;
  const recent = isObject(value) && isObject(value.recent_runs) ? value.recent_runs : null;
  if (!isObject(value) || typeof value.job_id !== 'string' || !isJobStatus(value.status) || !thisRun || !recent) {
    throw new ApiError(200, 'Unexpected answer', 'the comparison is not {"job_id", "status", "this_run", "recent_runs"}');
  }
  const list = (items: unknown) => (Array.isArray(items) ? items.filter(isObject).filter((item) => typeof item.stage === 'string') : []);
  return {
    job_id: value.job_id,
    type: typeof value.type === 'string' ? value.type : '',
    status: value.status,
    this_run: {
      total_seconds: numOrNull(thisRun.total_seconds),
      stages: list(thisRun.stages).map((item) => ({ stage: item.stage as string, duration_seconds: numOrNull(item.duration_seconds) })),
    },
    recent_runs: {
      runs: num(recent.runs),
      total_seconds: parseSpread(recent.total_seconds),
      stages: list(recent.stages).map((item) => ({ stage: item.stage as string, duration_seconds: parseSpread(item.duration_seconds) })),
    },
  };
}

function requireJob(value: unknown): Job {
  const job = parseJob(value);
  if (!job) throw new ApiError(200, 'Unexpected answer', 'the server did not answer with a job');
  return job;
}

export class ApiClient {
  private readonly fetchImpl: Fetch;
  private readonly baseUrl: string;
  /** The session's CSRF token (the cookie itself is HttpOnly and never seen here). */
  private csrfToken: string | null = null;

  constructor(options: { fetch?: Fetch; baseUrl?: string } = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.baseUrl = options.baseUrl ?? '';
  }

  /**
   * One JSON request. Network failures, non-2xx answers and unreadable bodies all
   * become an ApiError (status 0 for the network), with the server's
   * `error`/`detail` when it sent them.
   */
  async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.csrfToken && STATE_CHANGING.has(method.toUpperCase())) headers['X-CSRF-Token'] = this.csrfToken;
    const init: RequestInit = { method, credentials: 'same-origin', headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, init);
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'Network error', 'the server could not be reached');
    }
    const text = await response.text().catch(() => '');
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text) as unknown;
      } catch {
        data = undefined;
      }
    }
    if (response.status === 401) unauthorizedHandler?.();
    if (!response.ok) {
      const error = isObject(data) && typeof data.error === 'string' ? data.error : response.statusText || `HTTP ${response.status}`;
      const detail = isObject(data) && typeof data.detail === 'string' ? data.detail : null;
      throw new ApiError(response.status, error, detail);
    }
    if (text && data === undefined) throw new ApiError(response.status, 'Unexpected answer', 'the body is not JSON');
    return data;
  }

  async listJobs(signal?: AbortSignal, query: JobListQuery = {}): Promise<JobList> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.offset) params.set('offset', String(query.offset));
    const search = params.toString();
    return parseJobList(await this.request('GET', paths.jobs() + (search ? `?${search}` : ''), undefined, signal));
  }

  async getStageTimings(id: string, signal?: AbortSignal): Promise<StageTimings> {
    return parseStageTimings(await this.request('GET', paths.stages(id), undefined, signal));
  }

  async getRunComparison(id: string, signal?: AbortSignal): Promise<RunComparison> {
    return parseRunComparison(await this.request('GET', paths.comparison(id), undefined, signal));
  }

  async getJob(id: string, signal?: AbortSignal): Promise<Job> {
    return requireJob(await this.request('GET', paths.job(id), undefined, signal));
  }

  /** 201 with the job (at least its `id`). */
  async createJob(request: CreateJobRequest): Promise<{ id: string; job: Job | null }> {
    const data = await this.request('POST', paths.generate(), request);
    if (!isObject(data) || typeof data.id !== 'string') {
      throw new ApiError(201, 'Unexpected answer', 'the created job has no id');
    }
    return { id: data.id, job: parseJob(data) };
  }

  /** Any 2xx (200/202 with a body, or 204) means the request was taken. */
  async cancelJob(id: string): Promise<void> {
    await this.request('DELETE', paths.cancel(id));
  }

  async login(username: string, password: string): Promise<Account> {
    return this.remember(await this.request('POST', paths.login(), { username, password }));
  }

  /** Who is signed in (a 401 when nobody is); also recovers the CSRF token after a reload. */
  async me(signal?: AbortSignal): Promise<Account> {
    return this.remember(await this.request('GET', paths.me(), undefined, signal));
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', paths.logout());
    } finally {
      this.csrfToken = null;
    }
  }

  private remember(data: unknown): Account {
    if (!isObject(data) || typeof data.user !== 'string') throw new ApiError(200, 'Unexpected answer', 'no account in the answer');
    const account: Account = {
      user: data.user,
      role: typeof data.role === 'string' ? data.role : 'user',
      csrf_token: typeof data.csrf_token === 'string' ? data.csrf_token : null,
    };
    this.csrfToken = account.csrf_token;
    return account;
  }
}

export const api = new ApiClient();

/** A message for people: the server's detail when it gave one. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'The server could not be reached. Check your connection and try again.';
    return error.detail ?? error.error;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}
