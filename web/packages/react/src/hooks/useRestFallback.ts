import { useEffect, useRef, useState } from 'react';
import { api, type Job } from '../lib/api';
import { REST_FALLBACK_IDLE_MS, REST_POLL_INTERVAL_MS, RestFallback } from '../lib/restFallback';

export interface RestFallbackState {
  /** True while the page is polling because the stream went quiet. */
  active: boolean;
  /** The newest job read over REST while active. */
  job: Job | null;
  error: unknown;
}

export interface UseRestFallbackOptions {
  /** Arm the fallback (false once the job is known to be finished). */
  enabled: boolean;
  /** Changes on every live record (its seq): re-arms the 30 s idle timer. */
  liveSeq: number | null;
  idleMs?: number;
  intervalMs?: number;
  fetchJob?: (jobId: string) => Promise<Job>;
}

/** After `idleMs` (30 s) without a live record, poll the job every `intervalMs` (5 s). */
export function useRestFallback(jobId: string, options: UseRestFallbackOptions): RestFallbackState {
  const { enabled, liveSeq, idleMs = REST_FALLBACK_IDLE_MS, intervalMs = REST_POLL_INTERVAL_MS } = options;
  const fetchRef = useRef(options.fetchJob ?? ((id: string) => api.getJob(id)));
  fetchRef.current = options.fetchJob ?? ((id: string) => api.getJob(id));
  const [state, setState] = useState<RestFallbackState>({ active: false, job: null, error: null });
  const fallbackRef = useRef<RestFallback | null>(null);

  useEffect(() => {
    if (!enabled) return undefined;
    const fallback = new RestFallback({
      fetchJob: () => fetchRef.current(jobId),
      onJob: (job) => setState((s) => ({ ...s, job, error: null })),
      onError: (error) => setState((s) => ({ ...s, error })),
      onActiveChange: (active) => setState((s) => ({ ...s, active })),
      idleMs,
      intervalMs,
    });
    fallbackRef.current = fallback;
    fallback.start();
    return () => {
      fallback.stop();
      fallbackRef.current = null;
    };
  }, [jobId, enabled, idleMs, intervalMs]);

  useEffect(() => {
    if (liveSeq !== null) fallbackRef.current?.noteProgress();
  }, [liveSeq]);

  return state;
}
