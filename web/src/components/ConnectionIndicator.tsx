import type { TransportKind } from '@headway/react/lib/transports';
import { POLL_INTERVAL_MS } from '@headway/react/lib/transports';

export type ConnectionState = 'connecting' | 'live' | 'disconnected' | 'closed';

interface ConnectionIndicatorProps {
  state: ConnectionState;
  /** While live: how the updates arrive. */
  transport?: TransportKind | null;
  /** Shown under "Disconnected", e.g. "Reconnecting (attempt 2)". */
  detail?: string | null;
}

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live Updates',
  disconnected: 'Disconnected',
  closed: 'Finished',
};

export const TRANSPORT_TEXT: Record<TransportKind, string> = {
  sse: 'via Server-Sent Events',
  websocket: 'via WebSocket',
  poll: `via REST, every ${POLL_INTERVAL_MS / 1000} s`,
};

/**
 * Tells the truth about the live stream: green "Live Updates" naming the transport,
 * red "Disconnected". Not a live region: the page's announcer says each change once.
 */
export function ConnectionIndicator({ state, transport, detail }: ConnectionIndicatorProps) {
  const live = state === 'live' && transport ? TRANSPORT_TEXT[transport] : null;
  return (
    <div
      className={`connection connection--${state}`}
      data-testid="connection"
      data-transport={live ? transport : undefined}
    >
      <span className="connection__dot" aria-hidden="true" />
      <span className="connection__text">{TEXT[state]}</span>
      {live ? <span className="connection__detail">{live}</span> : null}
      {detail && state === 'disconnected' ? <span className="connection__detail">{detail}</span> : null}
    </div>
  );
}
