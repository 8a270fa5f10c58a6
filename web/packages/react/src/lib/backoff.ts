// Reconnect backoff for the live stream: capped exponential with jitter, forever.

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs?: number;
  /** Upper bound of any delay. */
  maxMs?: number;
  /** Fraction of the ceiling taken off at random: the delay lies in [ceiling × (1 − jitter), ceiling]. */
  jitter?: number;
  /** A number in [0, 1); injected by tests. */
  random?: () => number;
}

/** After this many failed attempts in a row the page says it is offline (and keeps retrying). */
export const OFFLINE_AFTER_ATTEMPTS = 3;

/**
 * The ceiling of reconnect attempt `attempt` (1-based): base × 2^(attempt−1), capped.
 * With the defaults: 1, 2, 4, 8, 16, 30, 30, … s.
 */
export function backoffCeiling(attempt: number, { baseMs = 1000, maxMs = 30_000 }: BackoffOptions = {}): number {
  if (!Number.isFinite(attempt) || attempt < 1) return Math.min(baseMs, maxMs);
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 52));
}

/**
 * The delay before attempt `attempt`: its ceiling less up to `jitter` (default half)
 * of it at random, so that many pages cut off at once (a server restart) do not
 * all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const ceiling = backoffCeiling(attempt, options);
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const r = Math.min(1, Math.max(0, (options.random ?? Math.random)()));
  return Math.round(ceiling * (1 - jitter * r));
}
