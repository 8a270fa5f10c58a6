// An ETA that does not jump around: the displayed value moves 15 % of the way to
// the reported one on every tick, and both count down with the clock between
// reports so the smoothing does not lag a steadily shrinking estimate.

export const ETA_SMOOTHING = 0.15;
/** How long after a report the estimate keeps counting down on its own. */
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
 * Unknown (null) resets it; 0 (finished) is shown at once; the first known value
 * is shown as reported.
 */
export class EtaSmoother {
  private display: number | null = null;
  private actual: number | null = null;
  private reportedAt = 0;
  private lastTick = 0;

  get value(): number | null {
    return this.display;
  }

  report(actual: number | null, nowMs: number): number | null {
    if (actual === null || !Number.isFinite(actual)) {
      this.display = null;
      this.actual = null;
      return null;
    }
    const clamped = Math.max(0, actual);
    this.countDown(nowMs);
    if (this.display === null || clamped === 0) this.display = clamped;
    this.actual = clamped;
    this.reportedAt = nowMs;
    return this.display;
  }

  tick(nowMs: number): number | null {
    if (this.display === null || this.actual === null) return this.display;
    this.countDown(nowMs);
    const sinceReport = Math.min(nowMs - this.reportedAt, ETA_EXTRAPOLATE_MS);
    const actualNow = Math.max(0, this.actual - sinceReport / 1000);
    this.display = Math.max(0, smoothEtaStep(this.display, actualNow));
    return this.display;
  }

  /** Let the display run down with the clock, within the extrapolation window. */
  private countDown(nowMs: number): void {
    if (this.display !== null && this.actual !== null) {
      const end = Math.min(nowMs, this.reportedAt + ETA_EXTRAPOLATE_MS);
      this.display = Math.max(0, this.display - Math.max(0, end - this.lastTick) / 1000);
    }
    this.lastTick = Math.max(this.lastTick, nowMs);
  }
}
