import { useEffect, useState } from 'react';
import { api, type StageTimings } from '../lib/api';
import { buildTimeline, timelineComplete, type Timeline } from '../lib/timeline';

/** Re-reads while a finished job's timings still have an open stage (the recorder may trail the stream). */
export const STAGE_TIMINGS_RETRY_MS = 1000;
const STAGE_TIMINGS_TRIES = 5;

type FetchTimings = (id: string, signal: AbortSignal) => Promise<StageTimings>;
// One function for every render, so the effect below does not re-run on each.
const fetchFromApi: FetchTimings = (id, signal) => api.getStageTimings(id, signal);

/** The timeline of a finished job (null until known, or when it ran no stage). */
export function useStageTimings(
  jobId: string,
  finished: boolean,
  fetchTimings: FetchTimings = fetchFromApi,
): Timeline | null {
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  useEffect(() => {
    if (!finished) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const load = async (triesLeft: number) => {
      try {
        const timings = await fetchTimings(jobId, controller.signal);
        if (controller.signal.aborted) return;
        const next = buildTimeline(timings, Date.now() / 1000);
        setTimeline(next);
        if (!timelineComplete(next) && triesLeft > 1) {
          timer = setTimeout(() => void load(triesLeft - 1), STAGE_TIMINGS_RETRY_MS);
        }
      } catch {
        // No chart is better than a broken page: the outcome card says what matters.
      }
    };
    void load(STAGE_TIMINGS_TRIES);
    return () => {
      controller.abort();
      if (timer !== null) clearTimeout(timer);
    };
  }, [jobId, finished, fetchTimings]);
  return timeline;
}
