// The live progress stream of one job, without React: one EventSource to
// GET /api/generation/stream/<id>/ (DESIGN.md §3), reconnecting with exponential
// backoff. Hooks adapt it to React state; streamRegistry shares one per job.

import { backoffDelay, MAX_RECONNECT_ATTEMPTS, type BackoffOptions } from './backoff';
import { parseDone, parseJson, parseRecord } from './record';
import type { DoneEvent, ProgressRecord } from './types';

/** The part of the DOM EventSource this module uses (so tests can pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export interface ProgressStreamState {
  /** True between `connected` and the next error (or `done`). */
  isConnected: boolean;
  /** The newest record received; kept across reconnects. */
  progress: ProgressRecord | null;
  /** Set once by `done`; the stream is closed for good after it. */
  done: DoneEvent | null;
  /** Reconnect attempts made since the last successful connect (for display). */
  reconnectAttempt: number;
  /** True when the attempts ran out; `retry()` starts again. */
  gaveUp: boolean;
  /** A short human description of the last connection problem, if any. */
  error: string | null;
}

export interface StreamGiveUp {
  kind: 'gave-up';
  attempts: number;
  message: string;
}

export interface ProgressStreamEvents {
  state: (state: ProgressStreamState) => void;
  /** The job reached a terminal state (the `done` event). */
  done: (done: DoneEvent, record: ProgressRecord | null) => void;
  /** The connection could not be re-established within the attempt limit. */
  giveUp: (error: StreamGiveUp) => void;
}

export interface ProgressStreamOptions {
  createEventSource?: EventSourceFactory;
  maxReconnectAttempts?: number;
  backoff?: BackoffOptions;
}

export const INITIAL_STREAM_STATE: ProgressStreamState = {
  isConnected: false,
  progress: null,
  done: null,
  reconnectAttempt: 0,
  gaveUp: false,
  error: null,
};

const defaultFactory: EventSourceFactory = (url) => new EventSource(url);

type Listeners = { [K in keyof ProgressStreamEvents]: Set<ProgressStreamEvents[K]> };

/**
 * Not thread-safe in any sense that matters in a browser: call it from the main
 * thread. `start()` opens the connection; `close()` ends it and every timer.
 */
export class ProgressStream {
  readonly url: string;
  private readonly factory: EventSourceFactory;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffOptions;
  private source: EventSourceLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The authoritative attempt counter; `state.reconnectAttempt` only mirrors it. */
  private attempts = 0;
  private closed = false;
  private current: ProgressStreamState = INITIAL_STREAM_STATE;
  private readonly listeners: Listeners = { state: new Set(), done: new Set(), giveUp: new Set() };

  constructor(url: string, options: ProgressStreamOptions = {}) {
    this.url = url;
    this.factory = options.createEventSource ?? defaultFactory;
    this.maxAttempts = options.maxReconnectAttempts ?? MAX_RECONNECT_ATTEMPTS;
    this.backoff = options.backoff ?? {};
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
    if (this.closed || this.source || this.retryTimer || this.current.done) return;
    this.connect();
  }

  /** After giving up: reset the attempt budget and connect now. */
  retry(): void {
    if (this.closed || this.current.done) return;
    this.clearRetry();
    this.dropSource();
    this.attempts = 0;
    this.update({ gaveUp: false, reconnectAttempt: 0, error: null });
    this.connect();
  }

  close(): void {
    this.closed = true;
    this.clearRetry();
    this.dropSource();
    if (this.current.isConnected) this.update({ isConnected: false });
    for (const set of Object.values(this.listeners)) set.clear();
  }

  private connect(): void {
    const source = this.factory(this.url);
    this.source = source;
    const mine = (fn: (event: MessageEvent<string>) => void) => (event: MessageEvent<string>) => {
      if (this.source === source) fn(event);
    };
    source.addEventListener('connected', mine(() => this.onConnected()));
    source.addEventListener('progress', mine((event) => this.onProgress(event.data)));
    source.addEventListener('done', mine((event) => this.onDone(event.data)));
    source.onerror = () => {
      if (this.source === source) this.onError();
    };
  }

  private onConnected(): void {
    this.attempts = 0;
    this.update({ isConnected: true, reconnectAttempt: 0, gaveUp: false, error: null });
  }

  private onProgress(data: string): void {
    const record = parseRecord(parseJson(data));
    if (!record) return;
    const previous = this.current.progress;
    // The server never repeats a seq on one stream, but a reconnect starts a new
    // stream that opens with the snapshot: keep only records newer than the last
    // one shown (a re-run of the job, a higher attempt, always counts as newer).
    if (previous && record.attempt <= previous.attempt && record.seq <= previous.seq) return;
    this.update({ progress: record, isConnected: true });
  }

  private onDone(data: string): void {
    const done = parseDone(parseJson(data)) ?? { status: this.current.progress?.status ?? 'completed' };
    this.clearRetry();
    this.dropSource();
    this.update({ done, isConnected: false });
    for (const listener of [...this.listeners.done]) listener(done, this.current.progress);
  }

  private onError(): void {
    // Close at once: the browser's own silent retry would bypass the attempt limit.
    this.dropSource();
    if (this.closed || this.current.done) return;
    if (this.attempts >= this.maxAttempts) {
      const error: StreamGiveUp = {
        kind: 'gave-up',
        attempts: this.attempts,
        message: `Live updates stopped after ${this.attempts} reconnect attempts`,
      };
      this.update({ isConnected: false, gaveUp: true, error: error.message });
      for (const listener of [...this.listeners.giveUp]) listener(error);
      return;
    }
    this.attempts += 1;
    const delay = backoffDelay(this.attempts, this.backoff);
    this.update({
      isConnected: false,
      reconnectAttempt: this.attempts,
      error: `Connection lost; reconnecting (attempt ${this.attempts} of ${this.maxAttempts})`,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.connect();
    }, delay);
  }

  private update(patch: Partial<ProgressStreamState>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of [...this.listeners.state]) listener(this.current);
  }

  private dropSource(): void {
    if (!this.source) return;
    const source = this.source;
    this.source = null;
    source.onerror = null;
    source.close();
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
