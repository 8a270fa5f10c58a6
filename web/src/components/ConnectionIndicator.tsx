export type ConnectionState = 'connecting' | 'live' | 'disconnected' | 'closed';

interface ConnectionIndicatorProps {
  state: ConnectionState;
  /** Shown under "Disconnected", e.g. "Reconnecting (attempt 2 of 5)". */
  detail?: string | null;
}

const TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live Updates',
  disconnected: 'Disconnected',
  closed: 'Finished',
};

/** Tells the truth about the live stream: green "Live Updates", red "Disconnected". */
export function ConnectionIndicator({ state, detail }: ConnectionIndicatorProps) {
  return (
    <div className={`connection connection--${state}`} role="status" aria-live="polite" data-testid="connection">
      <span className="connection__dot" aria-hidden="true" />
      <span className="connection__text">{TEXT[state]}</span>
      {detail && state === 'disconnected' ? <span className="connection__detail">{detail}</span> : null}
    </div>
  );
}
