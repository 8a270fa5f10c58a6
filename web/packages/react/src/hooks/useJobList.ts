import { useEffect, useState } from 'react';
import { api, type JobList, type JobListQuery } from '../lib/api';

export const JOB_LIST_POLL_MS = 3000;

export interface JobListState {
  list: JobList | null;
  error: unknown;
  loading: boolean;
}

/**
 * GET /api/generation-jobs/ (one page, one status or all) now and every 3 s while
 * the tab is visible; a new status or page starts over.
 */
export function useJobList(pollMs = JOB_LIST_POLL_MS, query: JobListQuery = {}): JobListState {
  const [state, setState] = useState<JobListState>({ list: null, error: null, loading: true });
  const { status = null, limit, offset = 0 } = query;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let controller: AbortController | null = null;
    let stopped = false;
    setState((s) => ({ ...s, loading: true }));

    const load = async () => {
      timer = null;
      if (document.visibilityState === 'hidden') {
        timer = setTimeout(load, pollMs);
        return;
      }
      controller = new AbortController();
      try {
        const page: JobListQuery = { status, offset };
        if (limit !== undefined) page.limit = limit;
        const list = await api.listJobs(controller.signal, page);
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
  }, [pollMs, status, limit, offset]);

  return state;
}
