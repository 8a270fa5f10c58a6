import { describe, expect, it } from 'vitest';
import { parseRunComparison } from './api';
import { comparisonSummary, formatDelta, stageDeltas } from './runComparison';

const spread = (count: number, median: number | null, min: number | null, max: number | null) => ({ count, median, min, max });
const answer = (overrides: Record<string, unknown> = {}) =>
  parseRunComparison({
    job_id: 'j',
    type: 'timetable',
    status: 'completed',
    this_run: {
      total_seconds: 320,
      stages: [
        { stage: 'loading', duration_seconds: 2.5 },
        { stage: 'cpsat_solving', duration_seconds: 200 },
        { stage: 'rl_refinement', duration_seconds: null },
      ],
    },
    recent_runs: {
      runs: 12,
      total_seconds: spread(12, 290, 190, 422),
      stages: [
        { stage: 'loading', duration_seconds: spread(12, 3, 2, 4) },
        { stage: 'cpsat_solving', duration_seconds: spread(12, 170, 100, 300) },
        { stage: 'rl_refinement', duration_seconds: spread(12, 20, 10, 30) },
        { stage: 'ga_optimization', duration_seconds: spread(0, null, null, null) },
      ],
    },
    ...overrides,
  });

describe('run comparison', () => {
  it('sums up this run beside the median and range of the earlier ones', () => {
    expect(comparisonSummary(answer())).toBe('This run: 5m 20s; earlier runs: median 4m 50s (3m 10s–7m 2s, 12 runs)');
  });

  it('says when there is nothing to compare with, and says nothing before this run has a total', () => {
    const none = { runs: 0, total_seconds: spread(0, null, null, null), stages: [] };
    expect(comparisonSummary(answer({ recent_runs: none }))).toBe('This run: 5m 20s; no earlier runs of this type to compare with');
    expect(comparisonSummary(answer({ this_run: { total_seconds: null, stages: [] } }))).toBeNull();
    const one = { runs: 1, total_seconds: spread(1, 4.25, 4.25, 4.25), stages: [] };
    expect(comparisonSummary(answer({ recent_runs: one }))).toBe('This run: 5m 20s; the one earlier run: 4.3s');
  });

  it('gives each finished stage its difference from that stage’s median', () => {
    const deltas = stageDeltas(answer());
    expect([...deltas]).toEqual([
      ['loading', -0.5],
      ['cpsat_solving', 30],
    ]);
    expect(formatDelta(-0.5)).toBe('−0.5s');
    expect(formatDelta(30)).toBe('+30s');
    expect(formatDelta(0.01)).toBe('±0.0s');
  });

  it('refuses an answer that is not a comparison', () => {
    expect(() => parseRunComparison({ job_id: 'j', status: 'completed' })).toThrow(/comparison/);
  });
});
