import type { RunComparison } from '@headway/react/lib/api';
import { comparisonSummary, formatDelta, shortDuration, stageDeltas } from '@headway/react/lib/runComparison';
import { formatDuration } from '@headway/react/lib/time';
import type { Timeline } from '@headway/react/lib/timeline';

/**
 * A per-stage timeline: each stage a bar placed where it ran within the whole
 * run. A list for assistive technology (name, duration, share); the bars are
 * decoration. With a comparison, a summary line against the other recent runs
 * of the type, and each stage's difference from its median.
 */
export function StageTimeline({ timeline, comparison = null }: { timeline: Timeline; comparison?: RunComparison | null }) {
  const summary = comparison ? comparisonSummary(comparison) : null;
  const deltas = comparison ? stageDeltas(comparison) : new Map<string, number>();
  // Against one earlier run there is no median to speak of.
  const against = comparison?.recent_runs.total_seconds.count === 1 ? 'vs the earlier run' : 'vs median';
  return (
    <section className="card timeline" aria-labelledby="timeline-title" data-testid="timeline">
      <h2 id="timeline-title" className="timeline__title">
        Where the time went <span className="muted">· {formatDuration(timeline.totalSeconds)} in all</span>
      </h2>
      {summary ? (
        <p className="timeline__comparison muted" data-testid="comparison">
          {summary}
        </p>
      ) : null}
      <ol className="timeline__rows">
        {timeline.rows.map((row) => {
          const delta = deltas.get(row.stage);
          return (
            <li key={row.stage} className="timeline__row" data-stage={row.stage}>
              <span className="timeline__label">{row.label}</span>
              <span className="timeline__track" aria-hidden="true">
                <span
                  className={`timeline__bar${row.durationSeconds === null ? ' timeline__bar--open' : ''}`}
                  style={{ marginLeft: `${row.startPercent}%`, width: `${Math.max(row.widthPercent, 0.5)}%` }}
                />
              </span>
              <span className="timeline__duration">
                {row.durationSeconds === null
                  ? 'did not finish'
                  : `${shortDuration(row.durationSeconds)}${row.sharePercent !== null ? ` · ${row.sharePercent}%` : ''}`}
                {delta !== undefined ? (
                  <span
                    className={`timeline__delta timeline__delta--${delta > 0 ? 'slower' : 'faster'}`}
                    data-testid="stage-delta"
                    title="against the median of the earlier runs"
                  >
                    {' '}
                    {formatDelta(delta)} {against}
                  </span>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
