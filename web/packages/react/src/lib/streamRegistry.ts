// One ProgressStream per URL, shared by every subscriber and closed when the
// last one leaves (ref-counted, in the manner of SWR's cache).

import { JobMultiplexer } from './jobMultiplexer';
import { ProgressStream, type ProgressStreamOptions } from './progressStream';
import type { StreamEndpoints } from './transports';

/** The key of a job's endpoints: the SSE URL (else the first one given). */
export function endpointsKey(endpoints: string | StreamEndpoints): string {
  if (typeof endpoints === 'string') return endpoints;
  return endpoints.sse ?? endpoints.websocket ?? endpoints.poll ?? '';
}

interface Entry {
  stream: ProgressStream;
  refs: number;
  closing: boolean;
}

export interface StreamLease {
  stream: ProgressStream;
  /** Give the lease back; calling it twice is harmless. */
  release(): void;
}

export class StreamRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * A lease on the stream for `endpoints` (a job's URLs, or one SSE URL), created
   * and started on first use. The
   * options of the first subscriber win. Closing on the last release waits one
   * microtask, so an unmount followed at once by a mount (React StrictMode, a
   * route re-render) reuses the open connection instead of reconnecting.
   */
  acquire(endpoints: string | StreamEndpoints, options: ProgressStreamOptions = {}): StreamLease {
    const url = endpointsKey(endpoints);
    let entry = this.entries.get(url);
    if (!entry) {
      entry = { stream: new ProgressStream(endpoints, options), refs: 0, closing: false };
      this.entries.set(url, entry);
      entry.stream.start();
    }
    entry.refs += 1;
    entry.closing = false;
    const held = entry;
    let released = false;
    return {
      stream: held.stream,
      release: () => {
        if (released) return;
        released = true;
        held.refs -= 1;
        if (held.refs > 0) return;
        held.closing = true;
        queueMicrotask(() => {
          if (!held.closing || this.entries.get(url) !== held) return;
          this.entries.delete(url);
          held.stream.close();
        });
      },
    };
  }

  /** Subscribers currently holding the stream for `url` (0 when none). */
  refCount(url: string): number {
    return this.entries.get(url)?.refs ?? 0;
  }

  /** Close every stream at once (tests start from a fresh registry this way). */
  reset(): void {
    for (const entry of this.entries.values()) entry.stream.close();
    this.entries.clear();
  }
}

/** The registry the hooks use. */
export const sharedStreams = new StreamRegistry();

/** Jobs watched on this origin's many-job stream: one connection for all of them. */
export const sharedJobs = new JobMultiplexer();
