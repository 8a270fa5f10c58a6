import { useEffect, useState } from 'react';
import { EtaRangeSmoother } from '../lib/eta';

/**
 * The range to print beside the ETA, e.g. "4–7 min", or null when it is not
 * worth showing (see EtaRangeSmoother in lib/eta). Both ends are smoothed like
 * the estimate and move once a tick (default once a second).
 */
export function useSmoothedEtaRange(
  eta: number | null | undefined,
  low: number | null | undefined,
  high: number | null | undefined,
  options: { tickMs?: number } = {},
): string | null {
  const tickMs = options.tickMs ?? 1000;
  const [smoother] = useState(() => new EtaRangeSmoother());
  const [text, setText] = useState<string | null>(() =>
    smoother.report(eta ?? null, low ?? null, high ?? null, Date.now()),
  );

  useEffect(() => {
    setText(smoother.report(eta ?? null, low ?? null, high ?? null, Date.now()));
  }, [eta, low, high, smoother]);

  const known = eta !== null && eta !== undefined && low !== null && low !== undefined;
  useEffect(() => {
    if (!known) return undefined;
    const timer = setInterval(() => setText(smoother.tick(Date.now())), tickMs);
    return () => clearInterval(timer);
  }, [known, tickMs, smoother]);

  return text;
}
