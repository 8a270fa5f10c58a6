import { useEffect, useState } from 'react';
import { api, type RunComparison } from '../lib/api';

type FetchComparison = (id: string, signal: AbortSignal) => Promise<RunComparison>;
// One function for every render, so the effect below does not re-run on each.
const fetchFromApi: FetchComparison = (id, signal) => api.getRunComparison(id, signal);

/** How a finished run compares with the other recent runs of its type; read once `ready` (its timings are final). */
export function useRunComparison(jobId: string, ready: boolean, fetchComparison: FetchComparison = fetchFromApi): RunComparison | null {
  const [comparison, setComparison] = useState<RunComparison | null>(null);
  useEffect(() => {
    if (!ready) return undefined;
    const controller = new AbortController();
    fetchComparison(jobId, controller.signal).then(
      (answer) => {
        if (!controller.signal.aborted) setComparison(answer);
      },
      // No comparison is better than a broken page: the timeline stands on its own.
      () => undefined,
    );
    return () => controller.abort();
  }, [jobId, ready, fetchComparison]);
  return comparison;
}
