// Parsing of untrusted JSON (SSE data, REST bodies) into typed values. Lenient
// about optional fields, strict about the ones the UI cannot do without.

import { isJobStatus, type DoneEvent, type ProgressRecord, type StagePlanEntry } from './types';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function parseStages(value: unknown): StagePlanEntry[] {
  if (!Array.isArray(value)) return [];
  const stages: StagePlanEntry[] = [];
  for (const item of value) {
    if (isObject(item) && typeof item.name === 'string') {
      stages.push({ name: item.name, start: num(item.start, 0), end: num(item.end, 0) });
    }
  }
  return stages;
}

/** A progress record, or null when `value` lacks job_id, a known status or seq. */
export function parseRecord(value: unknown): ProgressRecord | null {
  if (!isObject(value)) return null;
  const { job_id, status, seq } = value;
  if (typeof job_id !== 'string' || !isJobStatus(status) || typeof seq !== 'number') return null;
  const eta = value.eta_seconds;
  const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const low = finite(value.eta_low_seconds);
  const high = finite(value.eta_high_seconds);
  const range = low !== null && high !== null && low <= high;
  return {
    job_id,
    status,
    seq,
    stage: typeof value.stage === 'string' ? value.stage : '',
    stage_progress: num(value.stage_progress, 0),
    overall_progress: num(value.overall_progress, 0),
    eta_seconds: typeof eta === 'number' && Number.isFinite(eta) ? eta : null,
    eta_low_seconds: range ? low : null,
    eta_high_seconds: range ? high : null,
    started_at: num(value.started_at, 0),
    last_updated: num(value.last_updated, 0),
    attempt: num(value.attempt, 1),
    stages: parseStages(value.stages),
    metadata: isObject(value.metadata) ? value.metadata : {},
  };
}

export function parseDone(value: unknown): DoneEvent | null {
  if (!isObject(value) || !isJobStatus(value.status)) return null;
  return { status: value.status };
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
