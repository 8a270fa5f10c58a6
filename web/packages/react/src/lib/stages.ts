// Stage names people read. Machine names (and the algorithms behind them) never
// reach the screen: unknown stages of other job types are turned into words.

import { isTerminal, type JobStatus, type StagePlanEntry } from './types';

/** The reference timetable plan (docs/protocol.md, section 1), used until a record brings its own. */
export const DEFAULT_STAGES: readonly StagePlanEntry[] = [
  { name: 'loading', start: 0, end: 5 },
  { name: 'clustering', start: 5, end: 15 },
  { name: 'cpsat_solving', start: 15, end: 75 },
  { name: 'ga_optimization', start: 75, end: 90 },
  { name: 'rl_refinement', start: 90, end: 100 },
];

const HUMAN_STAGE_NAMES: Readonly<Record<string, string>> = {
  loading: 'Loading data',
  clustering: 'Organizing',
  cpsat_solving: 'Building schedule',
  ga_optimization: 'Optimizing',
  rl_refinement: 'Finalizing',
};

/** "cpsat_solving" → "Building schedule"; an unknown "fetch_sources" → "Fetch sources". */
export function stageDisplayName(stage: string): string {
  const known = HUMAN_STAGE_NAMES[stage];
  if (known) return known;
  const words = stage.replace(/[_-]+/g, ' ').trim();
  if (!words) return '';
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const STATUS_LABELS: Readonly<Record<JobStatus, string>> = {
  queued: 'Waiting in queue',
  initializing: 'Starting',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function statusLabel(status: JobStatus): string {
  return STATUS_LABELS[status];
}

/** What to show as "the current step": the stage while running, otherwise the status. */
export function currentStepLabel(status: JobStatus, stage: string): string {
  if ((status === 'running' || status === 'initializing') && stage) return stageDisplayName(stage);
  return statusLabel(status);
}

export type StepState = 'done' | 'current' | 'pending';

export interface PipelineStep {
  name: string;
  label: string;
  state: StepState;
}

/**
 * The pipeline of a job: steps before the current stage are done, the current one
 * is current, later ones pending. A completed job has every step done; a failed or
 * cancelled one keeps its last stage marked current (where it stopped).
 */
export function pipelineSteps(
  stages: readonly StagePlanEntry[],
  currentStage: string,
  status: JobStatus,
): PipelineStep[] {
  const plan = stages.length > 0 ? stages : DEFAULT_STAGES;
  const index = plan.findIndex((s) => s.name === currentStage);
  return plan.map((s, i): PipelineStep => {
    let state: StepState;
    if (status === 'completed') state = 'done';
    else if (index < 0) state = 'pending';
    else if (i < index) state = 'done';
    else if (i === index) state = isTerminal(status) || status !== 'queued' ? 'current' : 'pending';
    else state = 'pending';
    return { name: s.name, label: stageDisplayName(s.name), state };
  });
}
