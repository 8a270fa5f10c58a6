import { statusLabel } from '../lib/stages';
import type { JobStatus } from '../lib/types';

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge badge--${status}`}>{statusLabel(status)}</span>;
}
