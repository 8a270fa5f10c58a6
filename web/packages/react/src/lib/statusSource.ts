// Which source the status page shows: the job row read when the page opened,
// the live stream's newest record, the REST fallback's newest row, and the
// stream's `done`. Pure, so the rules are tested without React.

import type { Job } from './api';
import { isTerminal, type JobStatus, type ProgressRecord, type StagePlanEntry, type TerminalStatus } from './types';

/** What the status page shows, from whichever source is freshest. */
export interface StatusView {
  status: JobStatus;
  stage: string;
  stageProgress: number;
  overall: number;
  eta: number | null;
  /** The 80 % range of the ETA; only live records carry one. */
  etaLow: number | null;
  etaHigh: number | null;
  /** The stage plan; only live records carry one (empty: the default plan). */
  stages: StagePlanEntry[];
  attempt: number;
  error: string | null;
  startedAt: number | null;
}

export interface StatusSources {
  /** The job row read when the page opened (re-read once the job ends). */
  initial: Job | null;
  /** The stream's newest record. */
  live: ProgressRecord | null;
  /** The REST fallback's newest row, while the stream is silent. */
  rest: Job | null;
  /** The stream's `done`, once it came. */
  outcome: TerminalStatus | null;
}

export interface ReconciledStatus {
  view: StatusView;
  /** How the job ended, as soon as any source says it did; null while it runs. */
  finalStatus: TerminalStatus | null;
  /** Why it failed or was cancelled, when a source says. */
  reason: string | null;
}

export const EMPTY_VIEW: StatusView = {
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

function terminalOf(status: JobStatus | undefined): TerminalStatus | null {
  return status !== undefined && isTerminal(status) ? status : null;
}

function viewFromJob(job: Job, stages: StagePlanEntry[]): StatusView {
  return {
    status: job.status,
    stage: job.stage,
    stageProgress: job.stage_progress,
    overall: job.status === 'completed' ? 100 : job.overall_progress,
    eta: job.eta_seconds,
    etaLow: null,
    etaHigh: null,
    stages,
    attempt: Math.max(1, job.attempts),
    error: job.error,
    startedAt: job.started_at ?? job.created_at,
  };
}

function viewFromRecord(live: ProgressRecord, before: StatusView): StatusView {
  return {
    status: live.status,
    stage: live.stage,
    stageProgress: live.stage_progress,
    overall: live.overall_progress,
    eta: live.eta_seconds,
    etaLow: live.eta_low_seconds,
    etaHigh: live.eta_high_seconds,
    stages: live.stages.length > 0 ? live.stages : before.stages,
    attempt: live.attempt,
    error: typeof live.metadata.error === 'string' ? live.metadata.error : before.error,
    startedAt: live.started_at || before.startedAt,
  };
}

/**
 * The freshest source wins: the stream's record over the row read on opening;
 * the REST row over the stream only when it was updated after the stream's
 * newest record (the stream went quiet). A terminal state from any source
 * (`done` first, then the stream, REST, the opening row) ends the job; a
 * completed job shows 100 % with no time left.
 */
export function reconcileStatus({ initial, live, rest, outcome }: StatusSources): ReconciledStatus {
  let view = initial ? viewFromJob(initial, []) : EMPTY_VIEW;
  if (live) view = viewFromRecord(live, view);
  if (rest && (!live || (rest.updated_at ?? 0) > live.last_updated)) view = viewFromJob(rest, view.stages);
  const finalStatus =
    outcome ?? terminalOf(live?.status) ?? terminalOf(rest?.status) ?? terminalOf(initial?.status);
  if (finalStatus) view = { ...view, status: finalStatus };
  if (finalStatus === 'completed') view = { ...view, overall: 100, stageProgress: 100, eta: 0 };
  const reason = view.error ?? (finalStatus && initial?.error) ?? null;
  return { view, finalStatus, reason };
}
