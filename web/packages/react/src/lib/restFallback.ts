// The page's safety net when the live stream is silent: after 30 s without a
// `progress` event, poll GET /api/generation-jobs/<id>/ every 5 s until a live
// record arrives again or the job ends.

import { isTerminal } from './types';
import type { Job } from './api';

export const REST_FALLBACK_IDLE_MS = 30_000;
export const REST_POLL_INTERVAL_MS = 5_000;

export interface RestFallbackOptions {
  fetchJob: () => Promise<Job>;
  onJob: (job: Job) => void;
  onActiveChange?: (active: boolean) => void;
  onError?: (error: unknown) => void;
  idleMs?: number;
  intervalMs?: number;
}

/**
 * `start()` arms the idle timer; `noteProgress()` (call it on every live record)
 * re-arms it and stops any polling; `stop()` ends everything. Polls never
 * overlap: the next one is scheduled when the previous answer (or error) is in.
 */
export class RestFallback {
  private readonly options: RestFallbackOptions;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;
  private activeFlag = false;
  private stopped = true;

  constructor(options: RestFallbackOptions) {
    this.options = options;
  }

  get active(): boolean {
    return this.activeFlag;
  }

  start(): void {
    this.stopped = false;
    this.armIdle();
  }

  noteProgress(): void {
    if (this.stopped) return;
    this.cancelPolling();
    this.setActive(false);
    this.armIdle();
  }

  stop(): void {
    this.stopped = true;
    this.clearIdle();
    this.cancelPolling();
    this.setActive(false);
  }

  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.setActive(true);
      void this.poll(this.generation);
    }, this.options.idleMs ?? REST_FALLBACK_IDLE_MS);
  }

  private async poll(generation: number): Promise<void> {
    let terminal = false;
    try {
      const job = await this.options.fetchJob();
      if (generation !== this.generation || this.stopped) return;
      terminal = isTerminal(job.status);
      this.options.onJob(job);
    } catch (error) {
      if (generation !== this.generation || this.stopped) return;
      this.options.onError?.(error);
    }
    if (terminal || generation !== this.generation || this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.poll(generation);
    }, this.options.intervalMs ?? REST_POLL_INTERVAL_MS);
  }

  private setActive(active: boolean): void {
    if (this.activeFlag === active) return;
    this.activeFlag = active;
    this.options.onActiveChange?.(active);
  }

  private cancelPolling(): void {
    this.generation += 1;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
