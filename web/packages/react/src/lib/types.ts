// The progress record (docs/protocol.md, section 1) and the job row
// (docs/store.md) as the UI sees them. Framework-free; shared by lib, hooks and pages.

export type JobStatus = 'queued' | 'initializing' | 'running' | 'completed' | 'failed' | 'cancelled';

export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'initializing',
  'running',
  'completed',
  'failed',
  'cancelled',
];

export type TerminalStatus = 'completed' | 'failed' | 'cancelled';

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus | string | null | undefined): status is TerminalStatus {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** One stage of a job's plan: its share [start, end] of the overall 0–100 %. */
export interface StagePlanEntry {
  name: string;
  start: number;
  end: number;
}

/** The whole state of a job's progress, written whole on every update. */
export interface ProgressRecord {
  job_id: string;
  stage: string;
  stage_progress: number;
  overall_progress: number;
  status: JobStatus;
  eta_seconds: number | null;
  /** An 80 % interval for the seconds remaining; null when unknown (either both or neither). */
  eta_low_seconds: number | null;
  eta_high_seconds: number | null;
  started_at: number;
  last_updated: number;
  seq: number;
  attempt: number;
  stages: StagePlanEntry[];
  metadata: Record<string, unknown>;
}

/** Data of the SSE `done` event. */
export interface DoneEvent {
  status: JobStatus;
}
