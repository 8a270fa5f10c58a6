import { useEffect, useState } from 'react';
import { api, type JobList } from '../lib/api';

export const JOB_LIST_POLL_MS = 3000;

export interface JobListState {
  list: JobList | null;
  error: unknown;
  loading: boolean;
}

/** GET /api/generation-jobs/ now and every 3 s while the tab is visible. */
export function useJobList(pollMs = JOB_LIST_POLL_MS): JobListState {
  const [state, setState] = useState<JobListState>({ list: null, error: null, loading: true });

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let controller: AbortController | null = null;
    let stopped = false;

    const load = async () => {
      timer = null;
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(load, pollMs);
        return;
      }
      controller = new AbortController();
      try {
        const list = await api.listJobs(controller.signal);
        if (!stopped) setState({ list, error: null, loading: false });
      } catch (error) {
        if (stopped) return;
        setState((s) => ({ ...s, error, loading: false }));
      }
      if (!stopped) timer = setTimeout(load, pollMs);
    };
    void load();
    return () => {
      stopped = true;
      controller?.abort();
      if (timer !== null) clearTimeout(timer);
    };
  }, [pollMs]);

  return state;
}
