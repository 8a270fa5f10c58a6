import type { ReactNode } from 'react';
import { routes } from '@headway/react/lib/router';
import { stageDisplayName } from '@headway/react/lib/stages';
import { formatDuration, formatRelative } from '@headway/react/lib/time';
import type { TerminalStatus } from '@headway/react/lib/types';
import { Link } from './Link';

export interface OutcomePanelProps {
  status: TerminalStatus;
  /** Why it failed or was cancelled, when known. */
  reason: string | null;
  /** The stage it was in when it stopped ('' before the first). */
  stage: string;
  /** The page moves on to the job list by itself (the user watched it finish). */
  redirecting: boolean;
  finishedAt: number | null;
  tookSeconds: number | null;
}

interface OutcomeText {
  heading: string;
  /** What the panel says: the reason when there is one, else this. */
  fallback: (stage: string) => string;
  /** The button that starts another run. */
  again: string;
}

const STOPPED: Record<Exclude<TerminalStatus, 'completed'>, OutcomeText> = {
  failed: {
    heading: 'Generation failed',
    fallback: () => 'The job stopped with an error and gave no reason.',
    again: 'Try again',
  },
  cancelled: {
    heading: 'Generation cancelled',
    fallback: (stage) =>
      stage ? `The run was stopped during “${stageDisplayName(stage)}”.` : 'The run was stopped before it started.',
    again: 'Start a new run',
  },
};

function CheckIcon() {
  return (
    <span className="outcome__icon" aria-hidden="true">
      <svg viewBox="0 0 24 24" width="28" height="28">
        <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </span>
  );
}

function CompletedBody({ redirecting, finishedAt, tookSeconds }: Pick<OutcomePanelProps, 'redirecting' | 'finishedAt' | 'tookSeconds'>) {
  if (redirecting) {
    return (
      <p className="muted">
        Taking you to the job list… <Link href={routes.jobs()}>Go now</Link>
      </p>
    );
  }
  return (
    <p className="muted" data-testid="finished-at">
      {finishedAt != null ? <>Finished {formatRelative(finishedAt, Date.now())}</> : 'Finished'}
      {tookSeconds !== null ? <> · took {formatDuration(tookSeconds)}</> : null} · <Link href={routes.jobs()}>Back to jobs</Link>
    </p>
  );
}

/** How a job ended: one card for completed, failed and cancelled, with the way on from there. */
export function OutcomePanel({ status, reason, stage, redirecting, finishedAt, tookSeconds }: OutcomePanelProps) {
  let heading: string;
  let body: ReactNode;
  if (status === 'completed') {
    heading = 'Schedule Ready!';
    body = <CompletedBody redirecting={redirecting} finishedAt={finishedAt} tookSeconds={tookSeconds} />;
  } else {
    const text = STOPPED[status];
    heading = text.heading;
    body = (
      <>
        <p>{reason ?? text.fallback(stage)}</p>
        <div className="outcome__actions">
          <Link href={routes.jobs()} className="button">
            Back to jobs
          </Link>
          <Link href={routes.generate()} className="button button--primary">
            {text.again}
          </Link>
        </div>
      </>
    );
  }
  return (
    <section className={`card outcome outcome--${status}`} role={status === 'failed' ? 'alert' : undefined}>
      {status === 'completed' ? <CheckIcon /> : null}
      <div>
        <h2>{heading}</h2>
        {body}
      </div>
    </section>
  );
}
