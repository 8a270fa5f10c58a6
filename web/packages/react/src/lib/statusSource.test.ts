import { describe, expect, it } from 'vitest';
import { parseJob, type Job } from './api';
import { parseRecord } from './record';
import { reconcileStatus } from './statusSource';
import type { ProgressRecord } from './types';

const job = (overrides: Record<string, unknown> = {}): Job =>
  parseJob({
    id: 'j', owner: 'ana', type: 'timetable', params: {}, status: 'running', stage: 'clustering',
    stage_progress: 10, overall_progress: 6, eta_seconds: 90, error: '', attempts: 1,
    created_at: 1, started_at: 2, finished_at: null, updated_at: 100, ...overrides,
  })!;
const rec = (overrides: Record<string, unknown> = {}): ProgressRecord =>
  parseRecord({
    job_id: 'j', stage: 'cpsat_solving', stage_progress: 50, overall_progress: 45, status: 'running',
    eta_seconds: 60, eta_low_seconds: 40, eta_high_seconds: 80, started_at: 2, last_updated: 200, seq: 9,
    attempt: 1, stages: [{ name: 'loading', start: 0, end: 50 }, { name: 'cpsat_solving', start: 50, end: 100 }],
    metadata: {}, ...overrides,
  })!;
const none = { initial: null, live: null, rest: null, outcome: null };

describe('reconcileStatus', () => {
  it('shows a queued job at 0 % before any source has answered', () => {
    const { view, finalStatus, reason } = reconcileStatus(none);
    expect([view.status, view.overall, view.attempt, finalStatus, reason]).toEqual(['queued', 0, 1, null, null]);
  });

  it('shows the opening row until the stream sends a record, then the record with its plan and ETA range', () => {
    expect(reconcileStatus({ ...none, initial: job() }).view).toMatchObject({ stage: 'clustering', overall: 6, startedAt: 2, stages: [] });
    const { view } = reconcileStatus({ ...none, initial: job(), live: rec() });
    expect(view).toMatchObject({ stage: 'cpsat_solving', overall: 45, eta: 60, etaLow: 40, etaHigh: 80 });
    expect(view.stages.map((s) => s.name)).toEqual(['loading', 'cpsat_solving']);
  });

  it('takes the REST row only when it was updated after the newest record, keeping the record’s plan', () => {
    const older = reconcileStatus({ ...none, live: rec({ last_updated: 200 }), rest: job({ updated_at: 150, overall_progress: 30 }) });
    expect(older.view.overall).toBe(45);
    const newer = reconcileStatus({ ...none, live: rec({ last_updated: 200 }), rest: job({ updated_at: 250, overall_progress: 70 }) });
    expect(newer.view).toMatchObject({ overall: 70, etaLow: null });
    expect(newer.view.stages.map((s) => s.name)).toEqual(['loading', 'cpsat_solving']);
    expect(reconcileStatus({ ...none, rest: job({ overall_progress: 12 }) }).view.overall).toBe(12);
  });

  it('ends the job on a terminal state from any source, `done` first', () => {
    expect(reconcileStatus({ ...none, live: rec(), outcome: 'cancelled' }).finalStatus).toBe('cancelled');
    expect(reconcileStatus({ ...none, live: rec({ status: 'failed' }), rest: job({ status: 'completed', updated_at: 300 }) }).finalStatus).toBe('failed');
    expect(reconcileStatus({ ...none, live: rec(), rest: job({ status: 'completed', updated_at: 100 }) }).finalStatus).toBe('completed');
    expect(reconcileStatus({ ...none, initial: job({ status: 'failed' }) }).finalStatus).toBe('failed');
  });

  it('a completed job shows 100 % with no time left, whatever the last record said', () => {
    const { view } = reconcileStatus({ ...none, live: rec({ overall_progress: 97, stage_progress: 80 }), outcome: 'completed' });
    expect([view.status, view.overall, view.stageProgress, view.eta]).toEqual(['completed', 100, 100, 0]);
  });

  it('gives the reason from the record’s metadata, else from the re-read row once the job ended', () => {
    expect(reconcileStatus({ ...none, live: rec({ status: 'failed', metadata: { error: 'No room' } }) }).reason).toBe('No room');
    const reread = reconcileStatus({ ...none, initial: job({ status: 'failed', error: 'Worker lost' }), live: rec(), outcome: 'failed' });
    expect(reread.reason).toBe('Worker lost');
    expect(reconcileStatus({ ...none, initial: job({ error: 'stale' }), live: rec() }).reason).toBe('stale');
    expect(reconcileStatus({ ...none, live: rec() }).reason).toBeNull();
  });
});
