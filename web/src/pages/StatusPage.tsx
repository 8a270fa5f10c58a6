import { useEffect, useRef, useState } from 'react';
import { CancelControl } from '../components/CancelControl';
import { ConnectionIndicator, type ConnectionState } from '../components/ConnectionIndicator';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { OutcomePanel } from '../components/OutcomePanel';
import { ProgressCard } from '../components/ProgressCard';
import { StageTimeline } from '../components/StageTimeline';
import { useProgress, type UseProgressResult } from '@headway/react/hooks/useProgress';
import { useRestFallback } from '@headway/react/hooks/useRestFallback';
import { useRunComparison } from '@headway/react/hooks/useRunComparison';
import { useSmoothedETA } from '@headway/react/hooks/useSmoothedETA';
import { useSmoothedEtaRange } from '@headway/react/hooks/useSmoothedEtaRange';
import { useSmoothProgress } from '@headway/react/hooks/useSmoothProgress';
import { useStageTimings } from '@headway/react/hooks/useStageTimings';
import { api, ApiError, type Job } from '@headway/react/lib/api';
import { announcement } from '@headway/react/lib/announce';
import { REST_FALLBACK_IDLE_MS, REST_POLL_INTERVAL_MS } from '@headway/react/lib/restFallback';
import { navigate, routes } from '@headway/react/lib/router';
import { currentStepLabel, statusLabel } from '@headway/react/lib/stages';
import { reconcileStatus } from '@headway/react/lib/statusSource';
import { formatRelative, shortId } from '@headway/react/lib/time';
import { timelineComplete } from '@headway/react/lib/timeline';
import { isTerminal, type TerminalStatus } from '@headway/react/lib/types';

export const COMPLETED_REDIRECT_MS = 2000;

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

/** The tab's title follows the job: "42% · Building schedule — headway", then how it ended. */
function useDocumentTitle(finalStatus: TerminalStatus | null, percentText: string, stepLabel: string) {
  useEffect(() => {
    const previous = document.title;
    document.title = finalStatus ? `${statusLabel(finalStatus)} — headway` : `${percentText} · ${stepLabel} — headway`;
    return () => {
      document.title = previous;
    };
  }, [finalStatus, percentText, stepLabel]);
}

/** Someone who watched the job run to completion is taken on to the job list. */
function useRedirectWhenCompleted(finalStatus: TerminalStatus | null, enabled: boolean) {
  useEffect(() => {
    if (finalStatus !== 'completed' || !enabled) return undefined;
    const timer = setTimeout(() => navigate(routes.jobs()), COMPLETED_REDIRECT_MS);
    return () => clearTimeout(timer);
  }, [finalStatus, enabled]);
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

function connectionOf(stream: UseProgressResult, finished: boolean): { state: ConnectionState; detail: string | null } {
  let state: ConnectionState;
  if (finished) state = 'closed';
  else if (stream.isConnected) state = 'live';
  else if (stream.reconnectAttempt === 0 && !stream.error) state = 'connecting';
  else state = 'disconnected';
  const detail =
    stream.reconnectAttempt > 0
      ? stream.offline
        ? `Offline · retrying (attempt ${stream.reconnectAttempt})`
        : `Reconnecting (attempt ${stream.reconnectAttempt})`
      : null;
  return { state, detail };
}

function JobNotFound({ error }: { error: unknown }) {
  return (
    <Layout>
      <div className="card empty">
        <h1>Job not found</h1>
        <p className="muted">
          {error instanceof ApiError && error.status === 400
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

export function StatusPage({ jobId }: { jobId: string }) {
  const [outcome, setOutcome] = useState<TerminalStatus | null>(null);
  // Re-read the job once it ends, for its error and final times.
  const initial = useInitialJob(jobId, outcome);
  const missing = initial.error instanceof ApiError && (initial.error.status === 404 || initial.error.status === 400);

  // On the tab's one many-job connection, shared with the job list's rows.
  const stream = useProgress(missing ? null : jobId, {
    multiplexed: true,
    onComplete: (done) => setOutcome(isTerminal(done.status) ? done.status : 'completed'),
  });
  const live = stream.progress;
  const rest = useRestFallback(jobId, {
    enabled: !missing && outcome === null && !isTerminal(initial.job?.status),
    liveSeq: live?.seq ?? null,
  });
  const { view, finalStatus, reason } = reconcileStatus({ initial: initial.job, live, rest: rest.job, outcome });

  // Only someone who watched the job run is taken on to the list when it completes;
  // opening the page of a job that had already finished, they came to read it.
  const watchedRunning = useRef(false);
  if ((initial.job && !isTerminal(initial.job.status)) || (live && !isTerminal(live.status))) {
    watchedRunning.current = true;
  }
  const redirectWhenCompleted = watchedRunning.current;
  const timeline = useStageTimings(jobId, finalStatus !== null && !missing);
  const comparison = useRunComparison(jobId, finalStatus === 'completed' && timelineComplete(timeline));

  const overall = useSmoothProgress(view.overall, { resetKey: view.attempt });
  const stagePercent = useSmoothProgress(view.stageProgress, { resetKey: `${view.attempt}:${view.stage}` });
  const eta = useSmoothedETA(finalStatus ? 0 : view.eta);
  const etaRange = useSmoothedEtaRange(
    finalStatus ? 0 : view.eta,
    finalStatus ? null : view.etaLow,
    finalStatus ? null : view.etaHigh,
  );
  useRedirectWhenCompleted(finalStatus, redirectWhenCompleted);
  const percentText = `${Math.floor(overall)}%`;
  const stepLabel = currentStepLabel(view.status, view.stage);
  useDocumentTitle(finalStatus, percentText, stepLabel);

  if (missing) return <JobNotFound error={initial.error} />;

  const finishedJob = initial.job && isTerminal(initial.job.status) ? initial.job : null;
  const tookSeconds =
    finishedJob?.finished_at != null && finishedJob.started_at != null
      ? finishedJob.finished_at - finishedJob.started_at
      : null;
  const connection = connectionOf(stream, finalStatus !== null);
  const running = !finalStatus;

  return (
    <Layout>
      <Link href={routes.jobs()} className="back-link">
        ← All jobs
      </Link>
      <p className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {announcement({ finalStatus, stepLabel, connection: connection.state, transport: stream.transport, offline: stream.offline })}
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
        <ConnectionIndicator state={connection.state} transport={stream.transport} detail={connection.detail} />
      </div>

      {finalStatus ? (
        <OutcomePanel
          status={finalStatus}
          reason={reason}
          stage={view.stage}
          redirecting={redirectWhenCompleted}
          finishedAt={finishedJob?.finished_at ?? null}
          tookSeconds={tookSeconds}
        />
      ) : null}

      <ProgressCard
        view={view}
        overall={overall}
        stagePercent={stagePercent}
        stepLabel={stepLabel}
        eta={eta}
        etaRange={etaRange}
        running={running}
        stopped={finalStatus === 'failed' || finalStatus === 'cancelled'}
      >
        {rest.active && running ? (
          <p className="rest-badge" role="status" data-testid="rest-badge">
            Job status (REST): {statusLabel(rest.job?.status ?? view.status)}
            {rest.job ? ` · ${Math.floor(rest.job.overall_progress)}%` : ''}
            <span className="rest-badge__note"> — {restBadgeNote(stream.isConnected)}</span>
          </p>
        ) : null}
        {stream.offline && !stream.isConnected && running ? (
          <p className="notice notice--warn" data-testid="offline-notice">
            You seem to be offline: live updates stopped, and the page keeps trying to reconnect on its own.{' '}
            <button type="button" className="button button--small" onClick={stream.retry}>
              Retry now
            </button>
          </p>
        ) : null}
        {running ? <CancelControl jobId={jobId} /> : null}
      </ProgressCard>
      {timeline ? <StageTimeline timeline={timeline} comparison={comparison} /> : null}
    </Layout>
  );
}
