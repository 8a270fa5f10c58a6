// Every job watched in a tab on ONE connection to the many-job stream
// (GET /api/generation/streams/?jobs=..., docs/protocol.md): browsers allow
// six HTTP/1.1 connections per server, so one stream per job stalls a page
// that watches many. Each job gets a JobStream that looks like a one-job
// ProgressStream to the hooks; underneath, one ProgressStream (SSE, then
// WebSocket, then polling each record; reconnect and backoff as for one job)
// carries them all. When the set of jobs changes, a new connection opens with
// every job's resume position and the old one closes: nothing is missed, and
// records not newer than what a job has are dropped, so nothing shows twice.

import {
  INITIAL_STREAM_STATE,
  ProgressStream,
  type ProgressStreamEvents,
  type ProgressStreamOptions,
  type ProgressStreamState,
  type StreamDemux,
} from './progressStream';
import { parseDone, parseRecord } from './record';
import { manyJobsEndpoints, MAX_JOBS_PER_CONNECTION, type StreamEndpoints } from './transports';
import type { DoneEvent, ProgressRecord } from './types';

type Listeners = { [K in keyof ProgressStreamEvents]: Set<ProgressStreamEvents[K]> };

/** One job's view of the shared connection, with a ProgressStream's surface. */
export class JobStream {
  private current: ProgressStreamState = INITIAL_STREAM_STATE;
  readonly listeners: Listeners = { state: new Set(), done: new Set(), offline: new Set() };
  /** The newest seq this job has: its resume position. */
  lastSeq = 0;
  notFound = false;

  constructor(
    readonly jobId: string,
    private readonly owner: JobMultiplexer,
  ) {}

  get state(): ProgressStreamState {
    return this.current;
  }

  on<K extends keyof ProgressStreamEvents>(event: K, listener: ProgressStreamEvents[K]): () => void {
    const set = this.listeners[event] as Set<ProgressStreamEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  retry(): void {
    this.owner.retry();
  }

  /** True once the job ended or cannot be seen: it needs no connection. */
  get finished(): boolean {
    return this.current.done !== null || this.notFound;
  }

  update(patch: Partial<ProgressStreamState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of [...this.listeners.state]) listener(this.current);
  }
}

interface Connection {
  stream: ProgressStream;
  jobs: JobStream[];
  /** Stops passing the stream's state on (before a replaced stream closes). */
  detach: () => void;
}

interface Held {
  stream: JobStream;
  refs: number;
}

export interface JobLease {
  stream: JobStream;
  /** Give the lease back; calling it twice is harmless. */
  release(): void;
}

export interface JobMultiplexerOptions extends Omit<ProgressStreamOptions, 'demux'> {
  /** Where the many-job stream lives; default this origin's. */
  endpoints?: (jobIds: readonly string[]) => StreamEndpoints;
  /** A job's REST record, for the polling fallback. */
  pollUrl?: (jobId: string) => string;
}

const defaultPollUrl = (jobId: string) => `/api/generation/progress/${encodeURIComponent(jobId)}/`;

export class JobMultiplexer {
  private readonly jobs = new Map<string, Held>();
  /** The connection and the jobs it carries, in the order it named them. */
  private connection: Connection | null = null;
  private rebuildQueued = false;

  constructor(private options: JobMultiplexerOptions = {}) {}

  /**
   * A lease on `jobId`'s stream. Joining or leaving changes the connection
   * one microtask later, so a page that mounts many rows at once opens one
   * connection, and a release followed at once by an acquire (StrictMode)
   * changes nothing.
   */
  acquire(jobId: string, options?: JobMultiplexerOptions): JobLease {
    // As with one-job streams, the first subscriber's options win.
    if (options && this.jobs.size === 0 && !this.connection) this.options = options;
    let held = this.jobs.get(jobId);
    if (!held) {
      held = { stream: new JobStream(jobId, this), refs: 0 };
      this.jobs.set(jobId, held);
    }
    held.refs += 1;
    this.queueRebuild();
    const entry = held;
    let released = false;
    return {
      stream: entry.stream,
      release: () => {
        if (released) return;
        released = true;
        entry.refs -= 1;
        if (entry.refs === 0) this.queueRebuild();
      },
    };
  }

  /** Subscribers of `jobId` (0 when none). */
  refCount(jobId: string): number {
    return this.jobs.get(jobId)?.refs ?? 0;
  }

  /** The jobs the open connection carries (empty when none is open). */
  connectedJobs(): string[] {
    return this.connection?.jobs.map((job) => job.jobId) ?? [];
  }

  retry(): void {
    this.connection?.stream.retry();
  }

  /** Close the connection and forget every job (tests start afresh this way). */
  reset(): void {
    this.connection?.detach();
    this.connection?.stream.close();
    this.connection = null;
    this.jobs.clear();
  }

  private queueRebuild(): void {
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    queueMicrotask(() => {
      this.rebuildQueued = false;
      this.rebuild();
    });
  }

  /** Opens a connection for exactly the jobs that are held and not finished. */
  private rebuild(): void {
    for (const [id, held] of this.jobs) if (held.refs === 0) this.jobs.delete(id);
    const wanted = [...this.jobs.values()]
      .map((held) => held.stream)
      .filter((job) => !job.finished)
      .slice(0, MAX_JOBS_PER_CONNECTION);
    const current = this.connection?.jobs ?? [];
    if (wanted.length === current.length && wanted.every((job) => current.includes(job))) return;
    const previous = this.connection;
    previous?.detach();
    this.connection = wanted.length > 0 ? this.open(wanted) : null;
    previous?.stream.close();
    if (!this.connection && this.jobs.size === 0) this.options = {};
  }

  private open(jobs: JobStream[]): Connection {
    const byId = new Map(jobs.map((job) => [job.jobId, job]));
    const pollUrl = this.options.pollUrl ?? defaultPollUrl;
    const demux: StreamDemux = {
      progress: (data) => {
        const record = parseRecord(data);
        const job = record && byId.get(record.job_id);
        if (!record || !job) return;
        const previous = job.state.progress;
        if (previous && record.attempt <= previous.attempt && record.seq <= previous.seq) return;
        job.lastSeq = Math.max(job.lastSeq, record.seq);
        job.update({ progress: record });
      },
      done: (data) => {
        const jobId = (data as { job_id?: unknown } | null)?.job_id;
        const job = typeof jobId === 'string' ? byId.get(jobId) : undefined;
        if (job && !job.state.done) {
          const done: DoneEvent = parseDone(data) ?? { status: job.state.progress?.status ?? 'completed' };
          job.update({ done, isConnected: false, transport: null, nextRetryAt: null });
          for (const listener of [...job.listeners.done]) listener(done, job.state.progress as ProgressRecord | null);
        }
        return jobs.every((each) => each.finished);
      },
      notFound: (data) => {
        const jobId = (data as { job_id?: unknown } | null)?.job_id;
        const job = typeof jobId === 'string' ? byId.get(jobId) : undefined;
        if (!job) return;
        job.notFound = true;
        job.update({ isConnected: false, transport: null, error: 'Job not found' });
      },
      resumePosition: () =>
        jobs.some((job) => job.lastSeq > 0) ? jobs.map((job) => String(job.lastSeq)).join(',') : null,
      pollUrls: () => new Map(jobs.filter((job) => !job.finished).map((job) => [job.jobId, pollUrl(job.jobId)])),
    };
    const { endpoints, pollUrl: _ignored, ...streamOptions } = this.options;
    const where = (endpoints ?? manyJobsEndpoints)(jobs.map((job) => job.jobId));
    const stream = new ProgressStream(where, { ...streamOptions, demux });
    const detachState = stream.on('state', (state) => {
      for (const job of jobs) {
        if (job.finished) continue;
        const { isConnected, transport, reconnectAttempt, offline, nextRetryAt, error } = state;
        job.update({ isConnected, transport, reconnectAttempt, offline, nextRetryAt, error });
      }
    });
    const detachOffline = stream.on('offline', (event) => {
      for (const job of jobs) if (!job.finished) for (const listener of [...job.listeners.offline]) listener(event);
    });
    stream.start();
    return {
      stream,
      jobs,
      detach: () => {
        detachState();
        detachOffline();
      },
    };
  }
}
