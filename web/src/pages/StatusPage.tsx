import { useEffect, useRef, useState } from 'react';
import { ConnectionIndicator, type ConnectionState } from '../components/ConnectionIndicator';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Pipeline } from '../components/Pipeline';
import { ProgressBar } from '../components/ProgressBar';
import { useProgress } from '@headway/react/hooks/useProgress';
import { useRestFallback } from '@headway/react/hooks/useRestFallback';
import { useSmoothedETA } from '@headway/react/hooks/useSmoothedETA';
import { useSmoothedEtaRange } from '@headway/react/hooks/useSmoothedEtaRange';
import { useSmoothProgress } from '@headway/react/hooks/useSmoothProgress';
import { useStageTimings } from '@headway/react/hooks/useStageTimings';
import { StageTimeline } from '../components/StageTimeline';
import { api, ApiError, describeError, type Job } from '@headway/react/lib/api';
import { announcement } from '@headway/react/lib/announce';
import { getProgressColor } from '@headway/react/lib/colors';
import { REST_FALLBACK_IDLE_MS, REST_POLL_INTERVAL_MS } from '@headway/react/lib/restFallback';
import { navigate, routes } from '@headway/react/lib/router';
import { currentStepLabel, pipelineSteps, stageDisplayName, statusLabel } from '@headway/react/lib/stages';
import { formatDuration, formatRelative, shortId } from '@headway/react/lib/time';
import { isTerminal, type JobStatus, type StagePlanEntry, type TerminalStatus } from '@headway/react/lib/types';

export const COMPLETED_REDIRECT_MS = 2000;

/** What the page shows, from whichever source is freshest. */
interface View {
  status: JobStatus;
  stage: string;
  stageProgress: number;
  overall: number;
  eta: number | null;
  /** The 80 % range of the ETA; only live records carry one. */
  etaLow: number | null;
  etaHigh: number | null;
  stages: StagePlanEntry[];
  attempt: number;
  error: string | null;
  startedAt: number | null;
}

function viewFromJob(job: Job): View {
  return {
    status: job.status,
    stage: job.stage,
    stageProgress: job.stage_progress,
    overall: job.status === 'completed' ? 100 : job.overall_progress,
    eta: job.eta_seconds,
    etaLow: null,
    etaHigh: null,
    stages: job.stages,
    attempt: Math.max(1, job.attempts),
    error: job.error,
    startedAt: job.started_at ?? job.created_at,
  };
}

const EMPTY_VIEW: View = {
  status: 'queued',
  stage: '',
  stageProgress: 0,
  overall: 0,
  eta: null,
  etaLow: null,
  etaHigh: null,
  stages: [],
  attempt: 1,
  error: null,
  startedAt: null,
};

type CancelState =
  | { step: 'idle' }
  | { step: 'confirming' }
  | { step: 'sending' }
  | { step: 'sent' }
  | { step: 'error'; message: string };

function useInitialJob(jobId: string, refreshKey: string | null) {
  const [state, setState] = useState<{ job: Job | null; error: unknown }>({ job: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    api.getJob(jobId, controller.signal).then(
      (job) => setState({ job, error: null }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ job: s.job, error }));
      },
    );
    return () => controller.abort();
  }, [jobId, refreshKey]);
  return state;
}

/**
 * Why the page is polling, in words that agree with the connection indicator: a
 * connected stream can be quiet (a slow stage, a stalled worker) without being down.
 */
function restBadgeNote(streamConnected: boolean): string {
  const idle = REST_FALLBACK_IDLE_MS / 1000;
  const every = REST_POLL_INTERVAL_MS / 1000;
  return streamConnected
    ? `no update for ${idle} s; checking by REST every ${every} s`
    : `live updates are unavailable, checking every ${every} s`;
}

export function StatusPage({ jobId }: { jobId: string }) {
  const [outcome, setOutcome] = useState<TerminalStatus | null>(null);
  const [cancel, setCancel] = useState<CancelState>({ step: 'idle' });
  // Re-read the job once it ends, for its error and final times.
  const initial = useInitialJob(jobId, outcome);
  const missing = initial.error instanceof ApiError && (initial.error.status === 404 || initial.error.status === 400);

  const stream = useProgress(missing ? null : jobId, {
    onComplete: (done) => setOutcome(isTerminal(done.status) ? done.status : 'completed'),
  });
  const live = stream.progress;

  const terminalOf = (status: JobStatus | undefined): TerminalStatus | null =>
    status !== undefined && isTerminal(status) ? status : null;
  const initialTerminal = terminalOf(initial.job?.status);

  const rest = useRestFallback(jobId, {
    enabled: !missing && outcome === null && initialTerminal === null,
    liveSeq: live?.seq ?? null,
  });

  const finalStatus: TerminalStatus | null =
    outcome ?? terminalOf(live?.status) ?? terminalOf(rest.job?.status) ?? initialTerminal;
  // Only someone who watched the job run is taken on to the list when it completes;
  // opening the page of a job that had already finished, they came to read it.
  const watchedRunning = useRef(false);
  if ((initial.job && !isTerminal(initial.job.status)) || (live && !isTerminal(live.status))) {
    watchedRunning.current = true;
  }
  const redirectWhenCompleted = watchedRunning.current;
  const timeline = useStageTimings(jobId, finalStatus !== null && !missing);

  // The freshest source wins: the REST answer while the stream is silent, else the stream.
  let view: View = initial.job ? viewFromJob(initial.job) : EMPTY_VIEW;
  const restJob = rest.job;
  if (live) {
    view = {
      status: live.status,
      stage: live.stage,
      stageProgress: live.stage_progress,
      overall: live.overall_progress,
      eta: live.eta_seconds,
      etaLow: live.eta_low_seconds,
      etaHigh: live.eta_high_seconds,
      stages: live.stages.length > 0 ? live.stages : view.stages,
      attempt: live.attempt,
      error: typeof live.metadata.error === 'string' ? live.metadata.error : view.error,
      startedAt: live.started_at || view.startedAt,
    };
  }
  if (restJob && (!live || (restJob.updated_at ?? 0) > live.last_updated)) {
    view = { ...viewFromJob(restJob), stages: restJob.stages.length > 0 ? restJob.stages : view.stages };
  }
  if (finalStatus) view = { ...view, status: finalStatus };
  if (finalStatus === 'completed') view = { ...view, overall: 100, stageProgress: 100, eta: 0 };
  const reason = view.error ?? (finalStatus && initial.job?.error) ?? null;

  const overall = useSmoothProgress(view.overall, { resetKey: view.attempt });
  const stagePercent = useSmoothProgress(view.stageProgress, { resetKey: `${view.attempt}:${view.stage}` });
  const eta = useSmoothedETA(finalStatus ? 0 : view.eta);
  const etaRange = useSmoothedEtaRange(
    finalStatus ? 0 : view.eta,
    finalStatus ? null : view.etaLow,
    finalStatus ? null : view.etaHigh,
  );

  useEffect(() => {
    if (finalStatus !== 'completed' || !redirectWhenCompleted) return undefined;
    const timer = setTimeout(() => navigate(routes.jobs()), COMPLETED_REDIRECT_MS);
    return () => clearTimeout(timer);
  }, [finalStatus, redirectWhenCompleted]);
  const finishedJob = initial.job && isTerminal(initial.job.status) ? initial.job : null;
  const tookSeconds =
    finishedJob?.finished_at != null && finishedJob.started_at != null
      ? finishedJob.finished_at - finishedJob.started_at
      : null;

  const percentText = `${Math.floor(overall)}%`;
  const stepLabel = currentStepLabel(view.status, view.stage);
  useEffect(() => {
    const previous = document.title;
    document.title = finalStatus ? `${statusLabel(finalStatus)} — headway` : `${percentText} · ${stepLabel} — headway`;
    return () => {
      document.title = previous;
    };
  }, [finalStatus, percentText, stepLabel]);

  const confirmRef = useRef<HTMLButtonElement>(null);
  const cancelButtonRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  useEffect(() => {
    // Focus moves into the question, and back to "Cancel job" when it is answered "keep running".
    if (cancel.step === 'confirming') confirmRef.current?.focus();
    else if (wasConfirming.current && cancel.step === 'idle') cancelButtonRef.current?.focus();
    wasConfirming.current = cancel.step === 'confirming';
  }, [cancel.step]);

  const sendCancel = async () => {
    setCancel({ step: 'sending' });
    try {
      await api.cancelJob(jobId);
      setCancel({ step: 'sent' });
    } catch (error) {
      const message =
        error instanceof ApiError && error.status === 409
          ? 'This job has already finished, so it can no longer be cancelled.'
          : describeError(error);
      setCancel({ step: 'error', message });
    }
  };

  if (missing) {
    return (
      <Layout>
        <div className="card empty">
          <h1>Job not found</h1>
          <p className="muted">
            {initial.error instanceof ApiError && initial.error.status === 400
              ? 'This address does not name a job.'
              : 'There is no job with this id, or it is not yours to see.'}
          </p>
          <Link href={routes.jobs()} className="button">
            Back to jobs
          </Link>
        </div>
      </Layout>
    );
  }

  let connection: ConnectionState;
  if (finalStatus) connection = 'closed';
  else if (stream.isConnected) connection = 'live';
  else if (stream.reconnectAttempt === 0 && !stream.error) connection = 'connecting';
  else connection = 'disconnected';
  const connectionDetail =
    stream.reconnectAttempt > 0
      ? stream.offline
        ? `Offline · retrying (attempt ${stream.reconnectAttempt})`
        : `Reconnecting (attempt ${stream.reconnectAttempt})`
      : null;

  const steps = pipelineSteps(view.stages, view.stage, view.status);
  const stepNumber = steps.findIndex((s) => s.name === view.stage) + 1;
  const stopped = finalStatus === 'failed' || finalStatus === 'cancelled';
  const running = !finalStatus;

  return (
    <Layout>
      <Link href={routes.jobs()} className="back-link">
        ← All jobs
      </Link>
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement({ finalStatus, stepLabel, connection, transport: stream.transport, offline: stream.offline })}
      </p>
      <div className="page-head page-head--status">
        <div>
          <h1>Timetable generation</h1>
          <p className="muted">
            Job <span className="mono">{shortId(jobId)}</span>
            {view.startedAt ? <> · started {formatRelative(view.startedAt, Date.now())}</> : null}
            {view.attempt > 1 ? <> · attempt {view.attempt}</> : null}
          </p>
        </div>
        <ConnectionIndicator state={connection} transport={stream.transport} detail={connectionDetail} />
      </div>

      {finalStatus === 'completed' ? (
        <section className="card outcome outcome--completed">
          <span className="outcome__icon" aria-hidden="true">
            <svg viewBox="0 0 24 24" width="28" height="28">
              <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
            </svg>
          </span>
          <div>
            <h2>Schedule Ready!</h2>
            {redirectWhenCompleted ? (
              <p className="muted">
                Taking you to the job list… <Link href={routes.jobs()}>Go now</Link>
              </p>
            ) : (
              <p className="muted" data-testid="finished-at">
                {finishedJob?.finished_at != null ? <>Finished {formatRelative(finishedJob.finished_at, Date.now())}</> : 'Finished'}
                {tookSeconds !== null ? <> · took {formatDuration(tookSeconds)}</> : null} ·{' '}
                <Link href={routes.jobs()}>Back to jobs</Link>
              </p>
            )}
          </div>
        </section>
      ) : null}
      {finalStatus === 'failed' ? (
        <section className="card outcome outcome--failed" role="alert">
          <div>
            <h2>Generation failed</h2>
            <p>{reason ?? 'The job stopped with an error and gave no reason.'}</p>
            <div className="outcome__actions">
              <Link href={routes.jobs()} className="button">
                Back to jobs
              </Link>
              <Link href={routes.generate()} className="button button--primary">
                Try again
              </Link>
            </div>
          </div>
        </section>
      ) : null}
      {finalStatus === 'cancelled' ? (
        <section className="card outcome outcome--cancelled">
          <div>
            <h2>Generation cancelled</h2>
            <p>
              {reason ??
                (view.stage ? `The run was stopped during “${stageDisplayName(view.stage)}”.` : 'The run was stopped before it started.')}
            </p>
            <div className="outcome__actions">
              <Link href={routes.jobs()} className="button">
                Back to jobs
              </Link>
              <Link href={routes.generate()} className="button button--primary">
                Start a new run
              </Link>
            </div>
          </div>
        </section>
      ) : null}

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
                <ProgressBar
                  value={stagePercent}
                  size="small"
                  label={`${stageDisplayName(view.stage)} progress`}
                  color="var(--accent)"
                />
              </div>
            ) : null}
          </div>
        ) : null}
        <Pipeline steps={steps} stopped={stopped} />

        {rest.active && !finalStatus ? (
          <p className="rest-badge" role="status" data-testid="rest-badge">
            Job status (REST): {statusLabel(restJob?.status ?? view.status)}
            {restJob ? ` · ${Math.floor(restJob.overall_progress)}%` : ''}
            <span className="rest-badge__note"> — {restBadgeNote(stream.isConnected)}</span>
          </p>
        ) : null}
        {stream.offline && !stream.isConnected && !finalStatus ? (
          <p className="notice notice--warn" data-testid="offline-notice">
            You seem to be offline: live updates stopped, and the page keeps trying to reconnect on its own.{' '}
            <button type="button" className="button button--small" onClick={stream.retry}>
              Retry now
            </button>
          </p>
        ) : null}

        {running ? (
          <div className="cancel-area">
            {cancel.step === 'idle' || cancel.step === 'error' ? (
              <button
                ref={cancelButtonRef}
                type="button"
                className="button button--danger-quiet"
                onClick={() => setCancel({ step: 'confirming' })}
              >
                Cancel job
              </button>
            ) : null}
            {cancel.step === 'error' ? (
              <p className="notice notice--error" role="alert">
                {cancel.message}
              </p>
            ) : null}
            {cancel.step === 'confirming' ? (
              <div
                className="confirm"
                role="alertdialog"
                aria-labelledby="confirm-title"
                aria-describedby="confirm-text"
                onKeyDown={(event) => {
                  if (event.key === 'Escape') setCancel({ step: 'idle' });
                }}
              >
                <p id="confirm-title" className="confirm__title">
                  Cancel this timetable generation?
                </p>
                <p id="confirm-text" className="muted">
                  The run stops within a few seconds and its progress is lost.
                </p>
                <div className="confirm__actions">
                  <button ref={confirmRef} type="button" className="button" onClick={() => setCancel({ step: 'idle' })}>
                    Keep running
                  </button>
                  <button type="button" className="button button--danger" onClick={sendCancel}>
                    Yes, cancel job
                  </button>
                </div>
              </div>
            ) : null}
            {cancel.step === 'sending' ? <p className="muted">Cancelling…</p> : null}
            {cancel.step === 'sent' ? <p className="muted">Cancellation requested — stopping the run…</p> : null}
          </div>
        ) : null}
      </section>
      {timeline ? <StageTimeline timeline={timeline} /> : null}
    </Layout>
  );
}
