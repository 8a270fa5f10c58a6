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

// The range around the ETA: the records' eta_low_seconds / eta_high_seconds, an
// interval meant to hold the true remaining time 8 times in 10. It is shown
// beside the estimate, e.g. "5m 20s (4–7 min)", only where it tells something:
// not while unknown, not when it is narrow next to the estimate (the estimate
// says it all), not in the last half minute (the countdown does).

/** The range shows once it is at least this wide relative to the estimate… */
export const RANGE_SHOW_WIDTH = 0.3;
/** …and hides again only below this, so it does not flicker at the threshold. */
export const RANGE_HIDE_WIDTH = 0.2;
/** Below this many seconds left the range is not shown. */
export const RANGE_MIN_ETA_S = 30;

/**
 * "20–45 s", "2–5 min", "1.5–3 h", "up to 2 min": the unit follows the upper
 * end, the lower end is rounded down and the upper up (to 5 s, a minute, half
 * an hour), so the rounding never narrows the range. Null when either end is
 * unknown, or when the ends round to the same value (no range to show).
 */
export function formatEtaRange(low: number | null, high: number | null): string | null {
  if (low === null || high === null || !Number.isFinite(low) || !Number.isFinite(high)) return null;
  const lo = Math.max(0, Math.min(low, high));
  const hi = Math.max(0, Math.max(low, high));
  const [step, unit, perUnit] = hi < 100 ? [5, 's', 1] : hi < 100 * 60 ? [60, 'min', 60] : [1800, 'h', 3600];
  const down = Math.floor(lo / step + 1e-9) * step;
  const up = Math.ceil(hi / step - 1e-9) * step;
  if (up <= down) return null;
  const text = (seconds: number) => String(Math.round((seconds / perUnit) * 10) / 10);
  return down === 0 ? `up to ${text(up)} ${unit}` : `${text(down)}–${text(up)} ${unit}`;
}

/**
 * Whether a range [low, high] around `eta` is worth showing, given whether it
 * is shown now (the hysteresis between RANGE_SHOW_WIDTH and RANGE_HIDE_WIDTH).
 */
export function rangeWorthShowing(
  eta: number | null,
  low: number | null,
  high: number | null,
  shownNow: boolean,
): boolean {
  if (eta === null || low === null || high === null || eta < RANGE_MIN_ETA_S) return false;
  const width = (high - low) / eta;
  return width >= (shownNow ? RANGE_HIDE_WIDTH : RANGE_SHOW_WIDTH);
}

/**
 * The estimate and both ends of its range, each smoothed like the estimate
 * (EtaSmoother), and whether the range is shown. Framework-free: report() on
 * every record, tick() on the clock; text() is what to print, or null.
 */
export class EtaRangeSmoother {
  private readonly eta = new EtaSmoother();
  private readonly low = new EtaSmoother();
  private readonly high = new EtaSmoother();
  private shown = false;

  report(eta: number | null, low: number | null, high: number | null, nowMs: number): string | null {
    this.eta.report(eta, nowMs);
    // A range without an estimate means nothing; unknown ends reset both.
    const known = eta !== null && low !== null && high !== null;
    this.low.report(known ? low : null, nowMs);
    this.high.report(known ? high : null, nowMs);
    return this.update();
  }

  tick(nowMs: number): string | null {
    this.eta.tick(nowMs);
    this.low.tick(nowMs);
    this.high.tick(nowMs);
    return this.update();
  }

  text(): string | null {
    return this.shown ? formatEtaRange(this.low.value, this.high.value) : null;
  }

  private update(): string | null {
    this.shown = rangeWorthShowing(this.eta.value, this.low.value, this.high.value, this.shown);
    return this.text();
  }
}
