import { statusLabel } from '@headway/react/lib/stages';
import type { JobStatus } from '@headway/react/lib/types';

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge badge--${status}`}>{statusLabel(status)}</span>;
}
