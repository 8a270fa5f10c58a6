// Reconnect backoff for the live stream.

export const MAX_RECONNECT_ATTEMPTS = 5;

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs?: number;
  /** Upper bound of any delay. */
  maxMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): base × 2^(attempt−1), capped.
 * With the defaults the five attempts wait 1 s, 2 s, 4 s, 8 s and 16 s.
 */
export function backoffDelay(attempt: number, { baseMs = 1000, maxMs = 30_000 }: BackoffOptions = {}): number {
  if (!Number.isFinite(attempt) || attempt < 1) return baseMs;
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}
