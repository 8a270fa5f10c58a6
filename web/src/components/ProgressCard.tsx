import type { ReactNode } from 'react';
import { getProgressColor } from '@headway/react/lib/colors';
import { pipelineSteps, stageDisplayName } from '@headway/react/lib/stages';
import type { StatusView } from '@headway/react/lib/statusSource';
import { Pipeline } from './Pipeline';
import { ProgressBar } from './ProgressBar';

export interface ProgressCardProps {
  view: StatusView;
  /** The smoothed overall and stage percentages. */
  overall: number;
  stagePercent: number;
  stepLabel: string;
  /** "4m 10s"; the ETA range, when it is worth showing. */
  eta: string;
  etaRange: string | null;
  /** The job still runs: time remaining and the stage bar are shown. */
  running: boolean;
  /** It failed or was cancelled: the bar turns grey. */
  stopped: boolean;
  /** Notices and controls under the pipeline. */
  children?: ReactNode;
}

/** The job's bar, current step, time remaining, stage bar and pipeline. */
export function ProgressCard({ view, overall, stagePercent, stepLabel, eta, etaRange, running, stopped, children }: ProgressCardProps) {
  const percentText = `${Math.floor(overall)}%`;
  const steps = pipelineSteps(view.stages, view.stage, view.status);
  const stepNumber = steps.findIndex((s) => s.name === view.stage) + 1;
  return (
    <section className="card progress-card" aria-label="Progress">
      <div className="progress-card__head">
        <div>
          <div className="eyebrow">Current step</div>
          <div className="current-step" data-testid="current-step">
            {stepLabel}
          </div>
        </div>
        <div className="big-percent" aria-hidden="true">
          {percentText}
        </div>
      </div>
      <ProgressBar
        value={overall}
        label="Overall progress"
        color={stopped ? 'var(--stopped)' : getProgressColor(overall)}
        valueText={`${percentText}, ${stepLabel}`}
      />
      {running ? (
        <div className="progress-card__meta">
          <div>
            <span className="eyebrow">Time remaining</span>
            <span className="meta-value" data-testid="eta">
              {view.status === 'queued' ? 'Waiting for a worker' : eta}
            </span>
            {view.status !== 'queued' && etaRange ? (
              <span className="meta-range" data-testid="eta-range" title="8 times in 10 the job ends within this range">
                ({etaRange})
              </span>
            ) : null}
          </div>
          {view.stage ? (
            <div className="stage-progress">
              <span className="eyebrow">
                {stepNumber > 0 ? `Step ${stepNumber} of ${steps.length}` : stageDisplayName(view.stage)} ·{' '}
                {Math.floor(stagePercent)}%
              </span>
              <ProgressBar value={stagePercent} size="small" label={`${stageDisplayName(view.stage)} progress`} color="var(--accent)" />
            </div>
          ) : null}
        </div>
      ) : null}
      <Pipeline steps={steps} stopped={stopped} />
      {children}
    </section>
  );
}
