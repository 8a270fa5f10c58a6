import { useEffect, useRef, useState } from 'react';
import {
  INITIAL_STREAM_STATE,
  type EventSourceFactory,
  type ProgressStreamOptions,
  type ProgressStreamState,
  type StreamOffline,
  type WebSocketFactory,
} from '../lib/progressStream';
import { sharedJobs, sharedStreams } from '../lib/streamRegistry';
import { jobEndpoints, type FetchLike, type StreamEndpoints } from '../lib/transports';
import type { DoneEvent, ProgressRecord } from '../lib/types';

export interface UseProgressOptions {
  /** The stream said `done` (any terminal status: completed, failed or cancelled). */
  onComplete?: (done: DoneEvent, record: ProgressRecord | null) => void;
  /** Three reconnect attempts in a row failed: the page is offline (it keeps retrying). Once per outage. */
  onOffline?: (error: StreamOffline) => void;
  /**
   * Where the job's SSE, WebSocket, REST record and health endpoints live; default
   * `jobEndpoints(jobId)` on this origin. Leave one out and that transport is not used.
   */
  endpoints?: (jobId: string) => StreamEndpoints;
  /**
   * The server's address when it is not this page's origin, e.g.
   * "https://jobs.example.com" (see the package README for credentials and CORS);
   * the default endpoints are then `jobEndpoints(jobId, baseUrl)`.
   */
  baseUrl?: string;
  /** An SSE URL alone (the SSE transport only), e.g. another origin's with `?token=`. */
  streamUrl?: (jobId: string) => string;
  /**
   * Share one connection to the many-job stream with every other job watched
   * this way in the tab (GET /api/generation/streams/, lib/jobMultiplexer.ts)
   * instead of a connection of its own; for pages that watch many jobs at once.
   * `endpoints` and `streamUrl` are then ignored.
   */
  multiplexed?: boolean;
  /** For tests or non-browser hosts. Only the first subscriber's factories are used. */
  createEventSource?: EventSourceFactory;
  createWebSocket?: WebSocketFactory;
  fetch?: FetchLike;
}

export interface UseProgressResult extends ProgressStreamState {
  /** While reconnecting: try now instead of at the next scheduled attempt. */
  retry: () => void;
}

export const defaultStreamUrl = (jobId: string): string =>
  `/api/generation/stream/${encodeURIComponent(jobId)}/`;

const noop = () => {};

/**
 * Live progress of one job: Server-Sent Events, else a WebSocket, else REST
 * polling (`transport` says which is live), reconnecting for ever.
 *
 * Components watching the same job share one EventSource (ref-counted). The
 * effect depends on `[jobId]` only: the reconnect counter lives in the shared
 * stream object (the hook's "ref"), and `reconnectAttempt` in the result is a
 * copy for display. Putting a piece of reconnect state in the dependencies would
 * tear the connection down on every successful connect and loop forever; a test
 * pins that. Callbacks are read through a ref, so passing new ones each render is fine.
 */
export function useProgress(jobId: string | null | undefined, options: UseProgressOptions = {}): UseProgressResult {
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const [state, setState] = useState<ProgressStreamState>(INITIAL_STREAM_STATE);
  const retryRef = useRef<() => void>(noop);

  useEffect(() => {
    if (!jobId) {
      setState(INITIAL_STREAM_STATE);
      return undefined;
    }
    const { endpoints, streamUrl, baseUrl, createEventSource, createWebSocket, fetch, multiplexed } = optionsRef.current;
    const where = endpoints ? endpoints(jobId) : streamUrl ? streamUrl(jobId) : jobEndpoints(jobId, baseUrl);
    const streamOptions: ProgressStreamOptions = {};
    if (createEventSource) streamOptions.createEventSource = createEventSource;
    if (createWebSocket) streamOptions.createWebSocket = createWebSocket;
    if (fetch) streamOptions.fetch = fetch;
    const lease = multiplexed ? sharedJobs.acquire(jobId, streamOptions) : sharedStreams.acquire(where, streamOptions);
    const { stream } = lease;
    retryRef.current = () => stream.retry();
    setState(stream.state);
    const unsubscribers = [
      stream.on('state', setState),
      stream.on('done', (done, record) => optionsRef.current.onComplete?.(done, record)),
      stream.on('offline', (error) => optionsRef.current.onOffline?.(error)),
    ];
    // A component that joins after the job ended still hears about it.
    const { done } = stream.state;
    if (done) optionsRef.current.onComplete?.(done, stream.state.progress);
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      retryRef.current = noop;
      lease.release();
    };
  }, [jobId]);

  return { ...state, retry: () => retryRef.current() };
}
