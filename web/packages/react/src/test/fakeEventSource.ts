import type { EventSourceLike } from '../lib/progressStream';

type Listener = (event: MessageEvent<string>) => void;

/** An EventSource the test drives: `emit` a server event, `fail` the connection. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readonly url: string;
  closed = false;
  onerror: ((event: Event) => void) | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  static reset(): void {
    FakeEventSource.instances = [];
  }

  static open(): FakeEventSource[] {
    return FakeEventSource.instances.filter((s) => !s.closed);
  }

  static latest(): FakeEventSource {
    const last = FakeEventSource.instances.at(-1);
    if (!last) throw new Error('no EventSource was created');
    return last;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  close(): void {
    this.closed = true;
  }

  emit(type: string, data: unknown, lastEventId = ''): void {
    if (this.closed) throw new Error(`emit(${type}) on a closed EventSource`);
    const event = { data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId } as MessageEvent<string>;
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  fail(): void {
    this.onerror?.(new Event('error'));
  }
}

export function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    job_id: 'job-1',
    stage: 'cpsat_solving',
    stage_progress: 34.26,
    overall_progress: 35.56,
    status: 'running',
    eta_seconds: 41.3,
    started_at: 1764355325.25,
    last_updated: 1764355339.5,
    seq: 57,
    attempt: 1,
    stages: [
      { name: 'loading', start: 0, end: 5 },
      { name: 'clustering', start: 5, end: 15 },
      { name: 'cpsat_solving', start: 15, end: 75 },
      { name: 'ga_optimization', start: 75, end: 90 },
      { name: 'rl_refinement', start: 90, end: 100 },
    ],
    metadata: { completed_items: 74, total_items: 216 },
    ...overrides,
  };
}
