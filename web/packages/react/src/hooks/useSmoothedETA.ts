import { useEffect, useState } from 'react';
import { EtaSmoother, formatEta } from '../lib/eta';

export interface UseSmoothedETAOptions {
  /** How often the display moves towards the estimate; default once a second. */
  tickMs?: number;
}

/**
 * A calm ETA for `eta` seconds (null when unknown), formatted like "5m 20s".
 * Every tick (once a second) the display takes exactly one step
 * display += (actual − display) × 0.15, where actual is the newest `eta` minus the
 * time since it arrived (for at most 10 s). The first known value is shown as
 * given, unknown shows "Calculating…" and 0 shows at once.
 */
export function useSmoothedETA(eta: number | null | undefined, options: UseSmoothedETAOptions = {}): string {
  const tickMs = options.tickMs ?? 1000;
  const [smoother] = useState(() => new EtaSmoother());
  const [display, setDisplay] = useState<number | null>(() => smoother.report(eta ?? null, Date.now()));

  useEffect(() => {
    setDisplay(smoother.report(eta ?? null, Date.now()));
  }, [eta, smoother]);

  const known = display !== null;
  useEffect(() => {
    if (!known) return undefined;
    const timer = setInterval(() => setDisplay(smoother.tick(Date.now())), tickMs);
    return () => clearInterval(timer);
  }, [known, tickMs, smoother]);

  return formatEta(display);
}
