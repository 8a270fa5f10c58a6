// An ETA that does not jump around: on every tick the displayed value moves 15 %
// of the way to the current estimate, display += (actual − display) × 0.15.
// `actual` is the reported ETA minus the time since it was reported (for at most
// 10 s), i.e. what the report says is left now; the display itself only ever moves
// by that step.

export const ETA_SMOOTHING = 0.15;
/** How long after a report `actual` keeps counting down with the clock. */
export const ETA_EXTRAPOLATE_MS = 10_000;

/** display += (actual − display) × 0.15 */
export function smoothEtaStep(display: number, actual: number, factor = ETA_SMOOTHING): number {
  return display + (actual - display) * factor;
}

/** "45s", "5m 20s", "1h 5m"; null (unknown) → "Calculating…". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'Calculating…';
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${total % 60}s`;
  const hours = Math.floor(total / 3600);
  return `${hours}h ${Math.floor((total % 3600) / 60)}m`;
}

/**
 * Smoothed ETA in seconds, fed with reports (`report`) and clock ticks (`tick`).
 * A report only records the estimate; each tick applies one smoothing step
 * towards `actualAt(now)`. Unknown (null) resets it; 0 (finished) is shown at
 * once; the first known value is shown as reported.
 */
export class EtaSmoother {
  private display: number | null = null;
  private reported: number | null = null;
  private reportedAt = 0;

  get value(): number | null {
    return this.display;
  }

  report(eta: number | null, nowMs: number): number | null {
    if (eta === null || !Number.isFinite(eta)) {
      this.display = null;
      this.reported = null;
      return null;
    }
    const clamped = Math.max(0, eta);
    if (this.display === null || clamped === 0) this.display = clamped;
    this.reported = clamped;
    this.reportedAt = nowMs;
    return this.display;
  }

  /** actual = the reported ETA minus the time since it was reported (at most 10 s), never below 0. */
  actualAt(nowMs: number): number | null {
    if (this.reported === null) return null;
    const sinceReportMs = Math.min(Math.max(0, nowMs - this.reportedAt), ETA_EXTRAPOLATE_MS);
    return Math.max(0, this.reported - sinceReportMs / 1000);
  }

  /** One step: display += (actual − display) × 0.15. */
  tick(nowMs: number): number | null {
    const actual = this.actualAt(nowMs);
    if (this.display === null || actual === null) return this.display;
    this.display = smoothEtaStep(this.display, actual);
    return this.display;
  }
}
