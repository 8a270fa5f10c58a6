// The three ways a page can hear about a job, behind one small interface:
// Server-Sent Events, a WebSocket carrying the same events as JSON messages, and
// polling the record over REST (docs/server.md). ProgressStream chooses among them.

import { parseJson } from './record';

export type TransportKind = 'sse' | 'websocket' | 'poll';

/** Best first: the order in which ProgressStream tries them. */
export const TRANSPORT_ORDER: readonly TransportKind[] = ['sse', 'websocket', 'poll'];

/** Where each transport of one job lives. A transport without a URL is not used. */
export interface StreamEndpoints {
  sse?: string;
  websocket?: string;
  poll?: string;
  /** Asked whether the server is reachable when a transport fails (any answer but 502/504 is yes). */
  health?: string;
}

/** The SSE and WebSocket URLs of one connection for several jobs (docs/protocol.md). */
export function manyJobsEndpoints(jobIds: readonly string[]): StreamEndpoints {
  const jobs = jobIds.map(encodeURIComponent).join(',');
  return {
    sse: `/api/generation/streams/?jobs=${jobs}`,
    websocket: `/api/generation/streams/ws/?jobs=${jobs}`,
    // Polling has no many-job form: each job's record is polled under this path.
    poll: '/api/generation/progress/',
    health: '/api/generation/health/',
  };
}

/** At most this many jobs share one many-job connection (the server's limit). */
export const MAX_JOBS_PER_CONNECTION = 50;

/**
 * One job's endpoints on the server at `baseUrl` ("https://jobs.example.com",
 * a path prefix such as "/headway", or "" for this origin).
 */
export function jobEndpoints(jobId: string, baseUrl = ''): Required<StreamEndpoints> {
  const id = encodeURIComponent(jobId);
  const base = baseUrl.replace(/\/+$/, '');
  return {
    sse: `${base}/api/generation/stream/${id}/`,
    websocket: `${base}/api/generation/ws/${id}/`,
    poll: `${base}/api/generation/progress/${id}/`,
    health: `${base}/api/generation/health/`,
  };
}

/** What a transport reports. After `failed` (or after `close()`) it reports nothing more. */
export interface TransportHandlers {
  connected(): void;
  /** The record, parsed JSON (validated by the caller). */
  progress(data: unknown): void;
  done(data: unknown): void;
  /** Many-job streams only: a job the caller may not see (data `{"job_id",...}`). */
  notFound?(data: unknown): void;
  failed(): void;
}

export interface Transport {
  readonly kind: TransportKind;
  close(): void;
}

/** The part of the DOM EventSource used here (so tests can pass a fake). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  onerror: ((event: Event) => void) | null;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

/** The part of the DOM WebSocket used here. */
export interface WebSocketLike {
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  close(code?: number): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** `url` with `name=value` added to its query. */
export function withQuery(url: string, name: string, value: string | number): string {
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(String(value))}`;
}

/** A path on this origin as a ws:// or wss:// URL (an absolute URL is only re-schemed). */
export function toWebSocketUrl(url: string, base = globalThis.location?.href ?? 'http://localhost/'): string {
  const absolute = new URL(url, base);
  if (absolute.protocol === 'http:') absolute.protocol = 'ws:';
  else if (absolute.protocol === 'https:') absolute.protocol = 'wss:';
  return absolute.toString();
}

export const browserEventSource: EventSourceFactory = (url) => new EventSource(url);
export const browserWebSocket: WebSocketFactory = (url) => new WebSocket(toWebSocketUrl(url));

/** Calls `fn` once, however often the result is called. */
function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

export function openSse(url: string, handlers: TransportHandlers, factory: EventSourceFactory): Transport {
  const source = factory(url);
  let closed = false;
  const guard = (fn: (event: MessageEvent<string>) => void) => (event: MessageEvent<string>) => {
    if (!closed) fn(event);
  };
  const close = () => {
    closed = true;
    source.onerror = null;
    source.close();
  };
  source.addEventListener('connected', guard(() => handlers.connected()));
  source.addEventListener('progress', guard((event) => handlers.progress(parseJson(event.data))));
  source.addEventListener('done', guard((event) => handlers.done(parseJson(event.data))));
  source.addEventListener('not_found', guard((event) => handlers.notFound?.(parseJson(event.data))));
  // Close at once: the browser's own silent retry would keep no count of attempts,
  // ignore the backoff and never step down to another transport.
  source.onerror = () => {
    if (closed) return;
    close();
    handlers.failed();
  };
  return { kind: 'sse', close };
}

export function openWebSocket(url: string, handlers: TransportHandlers, factory: WebSocketFactory): Transport {
  let closed = false;
  let socket: WebSocketLike;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.onmessage = null;
    socket.onerror = null;
    socket.onclose = null;
    socket.close(1000);
  };
  const fail = once(() => {
    close();
    handlers.failed();
  });
  try {
    socket = factory(url);
  } catch {
    // A URL the browser refuses: report it like any failure, after this call returns.
    const failLater = once(() => handlers.failed());
    queueMicrotask(failLater);
    return { kind: 'websocket', close: () => undefined };
  }
  socket.onmessage = (event) => {
    if (closed || typeof event.data !== 'string') return;
    const message = parseJson(event.data) as { event?: unknown; data?: unknown } | undefined;
    if (!message || typeof message !== 'object') return;
    if (message.event === 'connected') handlers.connected();
    else if (message.event === 'progress') handlers.progress(message.data);
    else if (message.event === 'done') handlers.done(message.data);
    else if (message.event === 'not_found') handlers.notFound?.(message.data);
  };
  socket.onerror = () => fail();
  // The server closes after `done` (1000), which the caller has already taken;
  // any other close, before `done`, is a lost connection.
  socket.onclose = () => fail();
  return { kind: 'websocket', close };
}

export const POLL_INTERVAL_MS = 2000;

function isTerminalStatus(value: unknown): boolean {
  return value === 'completed' || value === 'failed' || value === 'cancelled';
}

/**
 * GET the record every `intervalMs`; the first answer counts as `connected`, a
 * terminal record also as `done`. A failed request (network error, or an answer
 * other than 2xx) ends the transport, like a dropped stream. Requests never overlap.
 */
export function openPoll(
  url: string,
  handlers: TransportHandlers,
  fetchFn: FetchLike,
  intervalMs: number = POLL_INTERVAL_MS,
): Transport {
  let closed = false;
  let connected = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const controller = new AbortController();
  const close = () => {
    closed = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    controller.abort();
  };
  const poll = async () => {
    timer = null;
    let body: unknown;
    try {
      const response = await fetchFn(url, {
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
        signal: controller.signal,
      });
      if (response.status === 404 && handlers.notFound) {
        // A job the server does not show (many-job polling): it ends alone.
        close();
        handlers.notFound({ error: 'job_not_found' });
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch {
      if (closed) return;
      close();
      handlers.failed();
      return;
    }
    if (closed) return;
    if (!connected) {
      connected = true;
      handlers.connected();
    }
    if (closed) return;
    handlers.progress(body);
    const status = (body as { status?: unknown } | null)?.status;
    if (isTerminalStatus(status)) {
      if (!closed) handlers.done({ status });
      close();
      return;
    }
    if (!closed) timer = setTimeout(() => void poll(), intervalMs);
  };
  void poll();
  return { kind: 'poll', close };
}

/**
 * The REST fallback of a many-job connection: each job's record polled on its
 * own (`urls`: job id to record URL). `connected` once the first answers;
 * `done` carries the job's id; any failure ends them all, like a dropped stream.
 */
export function openManyPoll(
  urls: ReadonlyMap<string, string>,
  handlers: TransportHandlers,
  fetchFn: FetchLike,
  intervalMs: number = POLL_INTERVAL_MS,
): Transport {
  const polls: Transport[] = [];
  let connected = false;
  let closed = false;
  const close = () => {
    closed = true;
    for (const poll of polls) poll.close();
  };
  for (const [jobId, url] of urls) {
    polls.push(
      openPoll(
        url,
        {
          connected: () => {
            if (closed || connected) return;
            connected = true;
            handlers.connected();
          },
          progress: (data) => {
            if (!closed) handlers.progress(data);
          },
          done: (data) => {
            if (!closed) handlers.done({ ...(data as object), job_id: jobId });
          },
          notFound: (data) => {
            if (!closed) handlers.notFound?.({ ...(data as object), job_id: jobId });
          },
          failed: () => {
            if (closed) return;
            close();
            handlers.failed();
          },
        },
        fetchFn,
        intervalMs,
      ),
    );
  }
  return { kind: 'poll', close };
}
