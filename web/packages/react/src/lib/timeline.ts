// Where the time of a run went: the stage timings of its newest attempt as
// rows of a timeline chart (offset and width as shares of the whole run).

import type { StageTimings } from './api';
import { stageDisplayName } from './stages';

export interface TimelineRow {
  stage: string;
  /** "Building schedule", never the machine name. */
  label: string;
  /** Seconds from the first stage's start. */
  offsetSeconds: number;
  /** Null while the stage has no end (still running, or the run was lost in it). */
  durationSeconds: number | null;
  /** Left edge and width of its bar, in percent of the whole span. */
  startPercent: number;
  widthPercent: number;
  /** Share of the whole run, rounded to a whole percent (null without an end). */
  sharePercent: number | null;
}

export interface Timeline {
  attempt: number;
  totalSeconds: number;
  rows: TimelineRow[];
}

/** The timeline of `timings`' newest attempt; null when it has no stage yet. */
export function buildTimeline(timings: StageTimings, nowSeconds: number): Timeline | null {
  const attempt = Math.max(timings.attempt, ...timings.stages.map((s) => s.attempt), 1);
  const stages = timings.stages.filter((s) => s.attempt === attempt).sort((a, b) => a.started_at - b.started_at);
  if (stages.length === 0) return null;
  const start = stages[0]!.started_at;
  const ends = stages.map((s) => s.finished_at ?? Math.max(s.started_at, nowSeconds));
  const end = Math.max(...ends);
  const total = Math.max(end - start, 1e-9);
  const rows = stages.map((s, i): TimelineRow => {
    const duration = s.finished_at === null ? null : Math.max(0, s.finished_at - s.started_at);
    const offset = s.started_at - start;
    const drawnEnd = ends[i]!;
    return {
      stage: s.stage,
      label: stageDisplayName(s.stage),
      offsetSeconds: offset,
      durationSeconds: duration,
      startPercent: (offset / total) * 100,
      widthPercent: (Math.max(0, drawnEnd - s.started_at) / total) * 100,
      sharePercent: duration === null ? null : Math.round((duration / total) * 100),
    };
  });
  return { attempt, totalSeconds: end - start, rows };
}

/** Whether every stage of the newest attempt has ended (the timings are final). */
export function timelineComplete(timeline: Timeline | null): boolean {
  return timeline !== null && timeline.rows.every((row) => row.durationSeconds !== null);
}
