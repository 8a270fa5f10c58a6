import type { WebSocketLike } from '../lib/transports';

/** A WebSocket the test drives: `send` a server message, `drop` the connection. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readonly url: string;
  closed = false;
  closeCode: number | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static latest(): FakeWebSocket {
    const last = FakeWebSocket.instances.at(-1);
    if (!last) throw new Error('no WebSocket was created');
    return last;
  }

  close(code = 1000): void {
    this.closed = true;
    this.closeCode = code;
  }

  /** A message as the server frames it: `{"event":..,"id":..,"data":..}`. */
  send(event: string, data: unknown, id: number | string | null = null): void {
    if (this.closed) throw new Error(`send(${event}) on a closed WebSocket`);
    this.onmessage?.({ data: JSON.stringify({ event, id, data }) } as MessageEvent);
  }

  /** The connection fails the way a browser reports it: error, then close. */
  drop(code = 1006): void {
    this.onerror?.(new Event('error'));
    this.onclose?.({ code } as CloseEvent);
  }
}

/** fetch answering from a table of URL → handler; anything else is a network error. */
export function fakeFetch(routes: Record<string, () => Response | Promise<Response>>) {
  return async (url: string): Promise<Response> => {
    const handler = routes[url];
    if (!handler) throw new TypeError(`fetch failed: ${url}`);
    return handler();
  };
}
