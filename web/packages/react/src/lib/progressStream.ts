// The live progress of one job, without React. It tries Server-Sent Events
// first, then a WebSocket, then polling the record over REST (lib/transports.ts),
// stepping down when a transport is blocked or buffered on the way (a proxy
// that holds SSE back, one that refuses WebSocket upgrades) and back up later.
// It reconnects for ever with capped, jittered exponential backoff and resumes
// after the last seq it has. Hooks adapt it to React state; streamRegistry
// shares one per job.

import { backoffDelay, OFFLINE_AFTER_ATTEMPTS, type BackoffOptions } from './backoff';
import { parseDone, parseRecord } from './record';
import {
  browserEventSource,
  browserWebSocket,
  openManyPoll,
  openPoll,
  openSse,
  openWebSocket,
  POLL_INTERVAL_MS,
  TRANSPORT_ORDER,
  withQuery,
  type EventSourceFactory,
  type FetchLike,
  type StreamEndpoints,
  type Transport,
  type TransportHandlers,
  type TransportKind,
  type WebSocketFactory,
} from './transports';
import type { DoneEvent, ProgressRecord } from './types';

export type { EventSourceFactory, EventSourceLike, TransportKind, WebSocketFactory } from './transports';

export interface ProgressStreamState {
  /** True between `connected` and the next failure (or `done`). */
  isConnected: boolean;
  /** The transport that is live now; null while not connected. */
  transport: TransportKind | null;
  /** The newest record received; kept across reconnects and transports. */
  progress: ProgressRecord | null;
  /** Set once by `done`; the stream is closed for good after it. */
  done: DoneEvent | null;
  /** Reconnect attempts made since the last successful connect (for display). */
  reconnectAttempt: number;
  /**
   * True after `offlineAfter` (3) failed attempts in a row: the page should say it
   * is offline. It keeps retrying regardless; `retry()` tries at once.
   */
  offline: boolean;
  /** When the next attempt is due (epoch ms), while one is scheduled. */
  nextRetryAt: number | null;
  /** A short human description of the last connection problem, if any. */
  error: string | null;
}

export interface StreamOffline {
  kind: 'offline';
  attempts: number;
  message: string;
}

export interface ProgressStreamEvents {
  state: (state: ProgressStreamState) => void;
  /** The job reached a terminal state (the `done` event). */
  done: (done: DoneEvent, record: ProgressRecord | null) => void;
  /** `offlineAfter` attempts in a row failed (once per outage; retrying goes on). */
  offline: (error: StreamOffline) => void;
}

export interface ProgressStreamOptions {
  createEventSource?: EventSourceFactory;
  createWebSocket?: WebSocketFactory;
  fetch?: FetchLike;
  /** Whether the server answers at all; default: GET `endpoints.health`, anything but 502/504 is yes. */
  probe?: () => Promise<boolean>;
  /** Failed attempts in a row after which the state says `offline` (default 3). */
  offlineAfter?: number;
  backoff?: BackoffOptions;
  /** A transport that has not said `connected` by then is blocked or buffered (default 5 s). */
  connectTimeoutMs?: number;
  /** Failures of one transport, with the server reachable, before stepping down (default 2). */
  stepDownAfter?: number;
  /** On a lower transport, how long before trying the best one again (default 60 s, doubling to 10 min). */
  stepUpAfterMs?: number;
  pollIntervalMs?: number;
  /** Several jobs on one connection (the endpoints are a many-job stream's). */
  demux?: StreamDemux;
}

/**
 * Makes a ProgressStream carry several jobs (lib/jobMultiplexer.ts): their
 * events go here instead of into the stream's own one-job state, and each
 * new connection resumes at `resumePosition()`.
 */
export interface StreamDemux {
  progress(data: unknown): void;
  /** Returns true once every job has ended: the stream is then done. */
  done(data: unknown): boolean;
  notFound(data: unknown): void;
  /** `last_event_id` for the next connection ("12,0,7"), or null for none. */
  resumePosition(): string | null;
  /** Job id to REST record URL, for the polling fallback. */
  pollUrls(): ReadonlyMap<string, string>;
}

export const INITIAL_STREAM_STATE: ProgressStreamState = {
  isConnected: false,
  transport: null,
  progress: null,
  done: null,
  reconnectAttempt: 0,
  offline: false,
  nextRetryAt: null,
  error: null,
};

export const CONNECT_TIMEOUT_MS = 5000;
export const STEP_DOWN_AFTER = 2;
export const STEP_UP_AFTER_MS = 60_000;
const STEP_UP_MAX_MS = 10 * 60_000;

type Listeners = { [K in keyof ProgressStreamEvents]: Set<ProgressStreamEvents[K]> };
type Failure = 'lost' | 'silent';

const defaultFetch: FetchLike = (url, init) => fetch(url, init);

/**
 * Not thread-safe in any sense that matters in a browser: call it from the main
 * thread. `start()` opens the connection; `close()` ends it and every timer.
 *
 * Stepping down: a transport that opens but sends no `connected` within
 * `connectTimeoutMs` is taken as buffered and, if the server answers a health
 * probe, left at once; one that fails `stepDownAfter` times in a row while the
 * server answers is taken as blocked. A failure while the server does not
 * answer is an outage: the same transport is retried with backoff. Stepping up:
 * while a lower transport is live, the best one is tried beside it every
 * `stepUpAfterMs`, and replaces it once it says `connected`.
 */
export class ProgressStream {
  /** The registry's key: the first endpoint. */
  readonly url: string;
  private readonly endpoints: StreamEndpoints;
  private readonly chain: TransportKind[];
  private readonly options: ProgressStreamOptions;
  private readonly offlineAfter: number;
  private transport: Transport | null = null;
  /** Which transport of `chain` is in use. */
  private level = 0;
  /** Failures of the current level in a row, the server reachable. */
  private failuresHere = 0;
  /** Every connection gets a fresh token from `serial`; events of any but the live one's (or the trial's) are stale. */
  private serial = 0;
  private token = 0;
  private trial: { transport: Transport; token: number; timer: ReturnType<typeof setTimeout> } | null = null;
  private stepUpMs: number;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private stepUpTimer: ReturnType<typeof setTimeout> | null = null;
  /** The authoritative attempt counter; `state.reconnectAttempt` only mirrors it. */
  private attempts = 0;
  private closed = false;
  /**
   * The newest seq received, kept across connections: every new connection asks
   * for what follows it (`?last_event_id=`), since closing an EventSource loses
   * the browser's own Last-Event-ID.
   */
  private lastSeq = 0;
  private current: ProgressStreamState = INITIAL_STREAM_STATE;
  private readonly listeners: Listeners = { state: new Set(), done: new Set(), offline: new Set() };

  /** `endpoints` as a string: that SSE URL alone, no other transport. */
  constructor(endpoints: string | StreamEndpoints, options: ProgressStreamOptions = {}) {
    this.endpoints = typeof endpoints === 'string' ? { sse: endpoints } : endpoints;
    this.chain = TRANSPORT_ORDER.filter((kind) => this.endpoints[kind] !== undefined);
    if (this.chain.length === 0) throw new Error('ProgressStream needs at least one endpoint');
    this.url = this.endpoints[this.chain[0]!]!;
    this.options = options;
    this.offlineAfter = options.offlineAfter ?? OFFLINE_AFTER_ATTEMPTS;
    this.stepUpMs = options.stepUpAfterMs ?? STEP_UP_AFTER_MS;
  }

  get state(): ProgressStreamState {
    return this.current;
  }

  on<K extends keyof ProgressStreamEvents>(event: K, listener: ProgressStreamEvents[K]): () => void {
    const set = this.listeners[event] as Set<ProgressStreamEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  start(): void {
    if (this.closed || this.transport || this.retryTimer || this.current.done) return;
    this.connect();
  }

  /**
   * Try now instead of waiting for the next scheduled attempt ("Retry now"). The
   * attempt count stays, so a failure goes on with the next longer delay.
   */
  retry(): void {
    if (this.closed || this.current.done || this.current.isConnected) return;
    this.clearTimer('retryTimer');
    this.dropTransport();
    this.update({ nextRetryAt: null });
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.stopEverything();
    if (this.current.isConnected) this.update({ isConnected: false, transport: null });
    for (const set of Object.values(this.listeners)) set.clear();
  }

  /** The URL the next connection of `kind` opens, resuming after the newest seq. */
  connectUrl(kind: TransportKind = this.chain[this.level]!): string {
    const url = this.endpoints[kind]!;
    if (this.options.demux) {
      const position = this.options.demux.resumePosition();
      return kind !== 'poll' && position ? withQuery(url, 'last_event_id', position) : url;
    }
    return kind !== 'poll' && this.lastSeq > 0 ? withQuery(url, 'last_event_id', this.lastSeq) : url;
  }

  private open(kind: TransportKind, token: number): Transport {
    const handlers: TransportHandlers = {
      connected: () => this.onConnected(token, kind),
      progress: (data) => this.onProgress(token, data),
      done: (data) => this.onDone(token, data),
      notFound: (data) => {
        if (token === this.token) this.options.demux?.notFound(data);
      },
      failed: () => this.onFailed(token, 'lost'),
    };
    const fetchFn = this.options.fetch ?? defaultFetch;
    const interval = this.options.pollIntervalMs ?? POLL_INTERVAL_MS;
    if (kind === 'poll' && this.options.demux) return openManyPoll(this.options.demux.pollUrls(), handlers, fetchFn, interval);
    const url = this.connectUrl(kind);
    if (kind === 'sse') return openSse(url, handlers, this.options.createEventSource ?? browserEventSource);
    if (kind === 'websocket') return openWebSocket(url, handlers, this.options.createWebSocket ?? browserWebSocket);
    return openPoll(url, handlers, this.options.fetch ?? defaultFetch, this.options.pollIntervalMs ?? POLL_INTERVAL_MS);
  }

  private connect(): void {
    const kind = this.chain[this.level]!;
    const token = ++this.serial;
    this.token = token;
    this.connectTimer = this.later(() => {
      this.connectTimer = null;
      this.onFailed(token, 'silent');
    }, this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    this.transport = this.open(kind, token);
  }

  private onConnected(token: number, kind: TransportKind): void {
    if (this.trial && token === this.trial.token) {
      this.promoteTrial(kind);
      return;
    }
    if (token !== this.token) return;
    this.clearTimer('connectTimer');
    this.attempts = 0;
    this.failuresHere = 0;
    this.update({
      isConnected: true,
      transport: kind,
      reconnectAttempt: 0,
      offline: false,
      nextRetryAt: null,
      error: null,
    });
    this.scheduleStepUp();
  }

  private onProgress(token: number, data: unknown): void {
    if (token !== this.token) return;
    if (this.options.demux) {
      this.options.demux.progress(data);
      return;
    }
    const record = parseRecord(data);
    if (!record) return;
    const previous = this.current.progress;
    // The server never repeats a seq on one stream, but a new connection may open
    // with the snapshot, and polling repeats itself: keep only records newer than
    // the last one shown (a re-run of the job, a higher attempt, always counts as newer).
    if (previous && record.attempt <= previous.attempt && record.seq <= previous.seq) return;
    this.lastSeq = Math.max(this.lastSeq, record.seq);
    this.update({ progress: record });
  }

  private onDone(token: number, data: unknown): void {
    if (token !== this.token) return;
    if (this.options.demux && !this.options.demux.done(data)) return;
    const done = parseDone(data) ?? { status: this.current.progress?.status ?? 'completed' };
    this.stopEverything();
    this.update({ done, isConnected: false, transport: null, nextRetryAt: null });
    for (const listener of [...this.listeners.done]) listener(done, this.current.progress);
  }

  private onFailed(token: number, why: Failure): void {
    if (this.trial && token === this.trial.token) {
      this.dropTrial();
      this.stepUpMs = Math.min(STEP_UP_MAX_MS, this.stepUpMs * 2);
      this.scheduleStepUp();
      return;
    }
    if (token !== this.token || this.closed || this.current.done) return;
    this.token = 0; // nothing more from this connection
    this.dropTransport();
    this.clearTimer('connectTimer');
    this.clearTimer('stepUpTimer');
    this.dropTrial();
    this.update({ isConnected: false, transport: null, error: 'Connection lost; reconnecting' });
    if (this.level >= this.chain.length - 1) {
      this.scheduleRetry();
      return;
    }
    const waiting = this.serial;
    void this.reachable().then((reachable) => {
      // Anything opened meanwhile (retry(), close()) wins over this verdict.
      if (this.closed || this.current.done || waiting !== this.serial || this.transport) return;
      if (!reachable) {
        this.scheduleRetry();
        return;
      }
      this.failuresHere += 1;
      if (why === 'silent' || this.failuresHere >= (this.options.stepDownAfter ?? STEP_DOWN_AFTER)) {
        this.level += 1;
        this.failuresHere = 0;
        this.connect();
      } else {
        this.scheduleRetry();
      }
    });
  }

  private async reachable(): Promise<boolean> {
    if (this.options.probe) return this.options.probe().catch(() => false);
    const health = this.endpoints.health;
    if (!health) return false;
    const controller = new AbortController();
    const timer = this.later(() => controller.abort(), this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    try {
      const response = await (this.options.fetch ?? defaultFetch)(health, {
        cache: 'no-store',
        signal: controller.signal,
      });
      // A proxy's "upstream is down" is no sign of the server.
      return response.status !== 502 && response.status !== 504;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      this.timers.delete(timer);
    }
  }

  private scheduleRetry(): void {
    this.attempts += 1;
    const delay = backoffDelay(this.attempts, this.options.backoff);
    const offline = this.attempts >= this.offlineAfter;
    const wasOffline = this.current.offline;
    this.update({
      isConnected: false,
      transport: null,
      reconnectAttempt: this.attempts,
      offline,
      nextRetryAt: Date.now() + delay,
      error: offline
        ? `Offline; retrying (attempt ${this.attempts})`
        : `Connection lost; reconnecting (attempt ${this.attempts})`,
    });
    if (offline && !wasOffline) {
      const event: StreamOffline = { kind: 'offline', attempts: this.attempts, message: this.current.error ?? '' };
      for (const listener of [...this.listeners.offline]) listener(event);
    }
    this.retryTimer = this.later(() => {
      this.retryTimer = null;
      this.update({ nextRetryAt: null });
      this.connect();
    }, delay);
  }

  private scheduleStepUp(): void {
    this.clearTimer('stepUpTimer');
    if (this.level === 0 || this.closed) return;
    this.stepUpTimer = this.later(() => {
      this.stepUpTimer = null;
      this.startTrial();
    }, this.stepUpMs);
  }

  /** Open the best transport beside the live one; it takes over on `connected`. */
  private startTrial(): void {
    if (this.trial || this.level === 0 || this.closed) return;
    const token = ++this.serial;
    const kind = this.chain[0]!;
    const transport = this.open(kind, token);
    const timer = this.later(() => this.onFailed(token, 'silent'), this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    this.trial = { transport, token, timer };
  }

  private promoteTrial(kind: TransportKind): void {
    const trial = this.trial!;
    clearTimeout(trial.timer);
    this.timers.delete(trial.timer);
    this.trial = null;
    this.dropTransport();
    this.clearTimer('connectTimer');
    this.transport = trial.transport;
    this.token = trial.token;
    this.level = this.chain.indexOf(kind);
    this.failuresHere = 0;
    this.stepUpMs = this.options.stepUpAfterMs ?? STEP_UP_AFTER_MS;
    this.onConnected(trial.token, kind);
  }

  private dropTrial(): void {
    if (!this.trial) return;
    clearTimeout(this.trial.timer);
    this.timers.delete(this.trial.timer);
    this.trial.transport.close();
    this.trial = null;
  }

  private update(patch: Partial<ProgressStreamState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of [...this.listeners.state]) listener(this.current);
  }

  private dropTransport(): void {
    const transport = this.transport;
    this.transport = null;
    transport?.close();
  }

  private stopEverything(): void {
    this.token = 0;
    this.dropTransport();
    this.dropTrial();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.retryTimer = this.connectTimer = this.stepUpTimer = null;
  }

  private later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(name: 'retryTimer' | 'connectTimer' | 'stepUpTimer'): void {
    const timer = this[name];
    if (timer !== null) {
      clearTimeout(timer);
      this.timers.delete(timer);
    }
    this[name] = null;
  }
}
