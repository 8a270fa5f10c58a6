import { describe, expect, it } from 'vitest';
import { parseStageTimings } from './api';
import { buildTimeline, timelineComplete } from './timeline';

const answer = parseStageTimings({
  job_id: 'j',
  status: 'completed',
  attempt: 2,
  stages: [
    { attempt: 1, stage: 'loading', started_at: 10, finished_at: 11, duration_seconds: 1 },
    { attempt: 2, stage: 'clustering', started_at: 102, finished_at: 106, duration_seconds: 4 },
    { attempt: 2, stage: 'loading', started_at: 100, finished_at: 102, duration_seconds: 2 },
    { attempt: 2, stage: 'cpsat_solving', started_at: 106, finished_at: 120, duration_seconds: 14 },
    { bogus: true },
  ],
});

describe('buildTimeline', () => {
  it('lays out the newest attempt in start order, as shares of the whole run', () => {
    const timeline = buildTimeline(answer, 0)!;
    expect(timeline.attempt).toBe(2);
    expect(timeline.totalSeconds).toBe(20);
    expect(timeline.rows.map((r) => [r.label, r.offsetSeconds, r.durationSeconds, r.startPercent, r.widthPercent, r.sharePercent])).toEqual([
      ['Loading data', 0, 2, 0, 10, 10],
      ['Organizing', 2, 4, 10, 20, 20],
      ['Building schedule', 6, 14, 30, 70, 70],
    ]);
    expect(timelineComplete(timeline)).toBe(true);
  });

  it('draws a stage without an end up to now, with no duration', () => {
    const running = { ...answer, stages: [{ attempt: 2, stage: 'loading', started_at: 100, finished_at: null, duration_seconds: null }] };
    const timeline = buildTimeline(running, 105)!;
    expect(timeline.rows[0]).toMatchObject({ durationSeconds: null, widthPercent: 100, sharePercent: null });
    expect(timelineComplete(timeline)).toBe(false);
    expect(buildTimeline({ ...answer, stages: [] }, 0)).toBeNull();
  });
});
