// What the status page says to a screen reader when the job or its connection
// changes: one short sentence per state, never the ticking percentage (the
// progress bar carries that for anyone who asks).

import type { TransportKind } from './transports';

export interface AnnouncedState {
  /** The job's end, once known. */
  finalStatus: 'completed' | 'failed' | 'cancelled' | null;
  /** "Waiting in queue", "Building schedule", ... */
  stepLabel: string;
  connection: 'connecting' | 'live' | 'disconnected' | 'closed';
  transport: TransportKind | null;
  offline: boolean;
}

const TRANSPORT_WORDS: Record<TransportKind, string> = {
  sse: 'server-sent events',
  websocket: 'WebSocket',
  poll: 'checking every 2 seconds',
};

/**
 * The sentence for `state`, or '' when nothing should be said (a failure is
 * announced by its own alert, with the reason).
 */
export function announcement(state: AnnouncedState): string {
  if (state.finalStatus === 'completed') return 'Done: the schedule is ready.';
  if (state.finalStatus === 'cancelled') return 'The run was cancelled.';
  if (state.finalStatus === 'failed') return '';
  if (state.connection === 'disconnected') {
    return state.offline
      ? 'Offline. Live updates stopped; retrying automatically.'
      : 'Connection lost. Reconnecting.';
  }
  if (state.connection === 'live' && state.transport) {
    return `${state.stepLabel}. Live updates, ${TRANSPORT_WORDS[state.transport]}.`;
  }
  return '';
}
