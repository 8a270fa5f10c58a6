import { formatDuration } from '@headway/react/lib/time';
import type { Timeline } from '@headway/react/lib/timeline';

/** Short stages keep a decimal ("0.4s"): whole seconds would call them 0s. */
function stageDuration(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}

/**
 * A per-stage timeline: each stage a bar placed where it ran within the whole
 * run. A list for assistive technology (name, duration, share); the bars are decoration.
 */
export function StageTimeline({ timeline }: { timeline: Timeline }) {
  return (
    <section className="card timeline" aria-labelledby="timeline-title" data-testid="timeline">
      <h2 id="timeline-title" className="timeline__title">
        Where the time went <span className="muted">· {formatDuration(timeline.totalSeconds)} in all</span>
      </h2>
      <ol className="timeline__rows">
        {timeline.rows.map((row) => (
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
                : `${stageDuration(row.durationSeconds)}${row.sharePercent !== null ? ` · ${row.sharePercent}%` : ''}`}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
