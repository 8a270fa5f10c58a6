import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from './api';
import { RestFallback } from './restFallback';
import type { JobStatus } from './types';

function job(status: JobStatus = 'running'): Job {
  return {
    id: 'job-1', owner: 'ana', type: 'timetable', params: {}, status, stage: 'clustering', stage_progress: 0,
    overall_progress: 5, eta_seconds: null, error: null, attempts: 1, created_at: 1, started_at: 2,
    finished_at: null, updated_at: 3,
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup(fetchJob = vi.fn(async () => job())) {
  const onJob = vi.fn();
  const active: boolean[] = [];
  const fallback = new RestFallback({ fetchJob, onJob, onActiveChange: (a) => active.push(a) });
  return { fallback, fetchJob, onJob, active };
}

describe('RestFallback', () => {
  it('does nothing for 30 s, then polls at once and every 5 s', async () => {
    const { fallback, fetchJob, active } = setup();
    fallback.start();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fetchJob).not.toHaveBeenCalled();
    expect(fallback.active).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    expect(active).toEqual([true]);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetchJob).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchJob).toHaveBeenCalledTimes(4);
    fallback.stop();
  });

  it('every live record re-arms the 30 s timer and ends polling', async () => {
    const { fallback, fetchJob, active } = setup();
    fallback.start();
    await vi.advanceTimersByTimeAsync(20_000);
    fallback.noteProgress();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(fetchJob).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    fallback.noteProgress();
    expect(active).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    fallback.stop();
  });

  it('stops polling once the job is finished', async () => {
    const fetchJob = vi.fn(async () => job('completed'));
    const { fallback, onJob } = setup(fetchJob);
    fallback.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetchJob).toHaveBeenCalledTimes(1);
    expect(onJob).toHaveBeenCalledWith(expect.objectContaining({ status: 'completed' }));
  });

  it('keeps polling through errors, and never has two requests in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const fetchJob = vi.fn(async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 7_000)); // slower than the interval
      inFlight -= 1;
      throw new Error('502');
    });
    const onError = vi.fn();
    const fallback = new RestFallback({ fetchJob, onJob: vi.fn(), onError });
    fallback.start();
    await vi.advanceTimersByTimeAsync(30_000 + 3 * 12_000);
    expect(maxInFlight).toBe(1);
    expect(onError).toHaveBeenCalledTimes(3);
    fallback.stop();
  });

  it('ignores an answer that arrives after stop()', async () => {
    let resolve: (j: Job) => void = () => {};
    const fetchJob = vi.fn(() => new Promise<Job>((r) => (resolve = r)));
    const { fallback, onJob } = setup(fetchJob);
    fallback.start();
    await vi.advanceTimersByTimeAsync(30_000);
    fallback.stop();
    resolve(job());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(onJob).not.toHaveBeenCalled();
    expect(fetchJob).toHaveBeenCalledTimes(1);
  });
});
