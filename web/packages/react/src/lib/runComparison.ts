// A finished run beside the other recent completed runs of its type, in words:
// "This run: 5m 20s; earlier runs: median 4m 50s (3m 10s–7m 2s, 12 runs)", and
// each stage's difference from its median.

import type { RunComparison } from './api';
import { formatDuration } from './time';

/** Short durations keep a decimal ("0.4s"): whole seconds would call them 0s. */
export function shortDuration(seconds: number): string {
  return Math.abs(seconds) < 10 ? `${Math.abs(seconds).toFixed(1)}s` : formatDuration(Math.abs(seconds));
}

/** The one-line summary; null while this run has no total yet. */
export function comparisonSummary(comparison: RunComparison): string | null {
  const total = comparison.this_run.total_seconds;
  if (total === null) return null;
  const mine = `This run: ${shortDuration(total)}`;
  const { median, min, max, count } = comparison.recent_runs.total_seconds;
  if (count === 0 || median === null || min === null || max === null) return `${mine}; no earlier runs of this type to compare with`;
  // One run has no median or range worth the words.
  if (count === 1) return `${mine}; the one earlier run: ${shortDuration(median)}`;
  return `${mine}; earlier runs: median ${shortDuration(median)} (${shortDuration(min)}–${shortDuration(max)}, ${count} runs)`;
}

/** Seconds this run's stage took more (+) or less (−) than the stage's median, by stage. */
export function stageDeltas(comparison: RunComparison): Map<string, number> {
  const medians = new Map(comparison.recent_runs.stages.map((s) => [s.stage, s.duration_seconds.median]));
  const deltas = new Map<string, number>();
  for (const stage of comparison.this_run.stages) {
    const median = medians.get(stage.stage);
    if (stage.duration_seconds !== null && median != null) deltas.set(stage.stage, stage.duration_seconds - median);
  }
  return deltas;
}

/** "+1.2s", "−3m 5s", "±0.0s" against the median. */
export function formatDelta(seconds: number): string {
  const text = shortDuration(seconds);
  if (text === '0.0s') return '±0.0s';
  return `${seconds > 0 ? '+' : '−'}${text}`;
}
