import { useEffect, useRef, useState } from 'react';
import {
  INITIAL_STREAM_STATE,
  type EventSourceFactory,
  type ProgressStreamState,
  type StreamGiveUp,
} from '../lib/progressStream';
import { sharedStreams } from '../lib/streamRegistry';
import type { DoneEvent, ProgressRecord } from '../lib/types';

export interface UseProgressOptions {
  /** The stream said `done` (any terminal status: completed, failed or cancelled). */
  onComplete?: (done: DoneEvent, record: ProgressRecord | null) => void;
  /** The connection was lost and 5 reconnect attempts (1, 2, 4, 8, 16 s apart) failed. */
  onError?: (error: StreamGiveUp) => void;
  /** Where the stream lives; default `/api/generation/stream/<jobId>/` on this origin. */
  streamUrl?: (jobId: string) => string;
  /** For tests or non-browser hosts. Only the first subscriber's factory is used. */
  createEventSource?: EventSourceFactory;
}

export interface UseProgressResult extends ProgressStreamState {
  /** After giving up: try the live stream again with a fresh attempt budget. */
  retry: () => void;
}

export const defaultStreamUrl = (jobId: string): string =>
  `/api/generation/stream/${encodeURIComponent(jobId)}/`;

const noop = () => {};

/**
 * Live progress of one job over Server-Sent Events.
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
    const { streamUrl = defaultStreamUrl, createEventSource } = optionsRef.current;
    const lease = sharedStreams.acquire(streamUrl(jobId), createEventSource ? { createEventSource } : {});
    const { stream } = lease;
    retryRef.current = () => stream.retry();
    setState(stream.state);
    const unsubscribers = [
      stream.on('state', setState),
      stream.on('done', (done, record) => optionsRef.current.onComplete?.(done, record)),
      stream.on('giveUp', (error) => optionsRef.current.onError?.(error)),
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
