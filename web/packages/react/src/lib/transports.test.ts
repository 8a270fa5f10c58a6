import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeWebSocket } from '../test/fakeWebSocket';
import { jobEndpoints, openWebSocket, toWebSocketUrl, withQuery, type TransportHandlers } from './transports';

function recorder() {
  const calls: string[] = [];
  const handlers: TransportHandlers = {
    connected: () => calls.push('connected'),
    progress: (data) => calls.push(`progress ${(data as { seq: number }).seq}`),
    done: (data) => calls.push(`done ${(data as { status: string }).status}`),
    failed: () => calls.push('failed'),
  };
  return { calls, handlers };
}

beforeEach(() => FakeWebSocket.reset());
afterEach(() => vi.useRealTimers());

describe('transports', () => {
  it('names every endpoint of a job, its id escaped', () => {
    expect(jobEndpoints('a/b')).toEqual({
      sse: '/api/generation/stream/a%2Fb/',
      websocket: '/api/generation/ws/a%2Fb/',
      poll: '/api/generation/progress/a%2Fb/',
      health: '/api/generation/health/',
    });
    expect(jobEndpoints('j', 'https://jobs.example.org/')).toEqual({
      sse: 'https://jobs.example.org/api/generation/stream/j/',
      websocket: 'https://jobs.example.org/api/generation/ws/j/',
      poll: 'https://jobs.example.org/api/generation/progress/j/',
      health: 'https://jobs.example.org/api/generation/health/',
    });
    expect(jobEndpoints('j', '/headway').sse).toBe('/headway/api/generation/stream/j/');
    expect(withQuery('/s/', 'last_event_id', 7)).toBe('/s/?last_event_id=7');
    expect(withQuery('/s/?token=x', 'last_event_id', 7)).toBe('/s/?token=x&last_event_id=7');
  });

  it('turns a path on this origin into a ws:// or wss:// URL', () => {
    expect(toWebSocketUrl('/api/generation/ws/j/', 'http://127.0.0.1:8080/admin/')).toBe('ws://127.0.0.1:8080/api/generation/ws/j/');
    expect(toWebSocketUrl('/api/generation/ws/j/', 'https://jobs.example.org/')).toBe('wss://jobs.example.org/api/generation/ws/j/');
    expect(toWebSocketUrl('wss://other.example.org/ws', 'http://x/')).toBe('wss://other.example.org/ws');
  });

  it('the WebSocket transport reads the server framing, ignores junk, and fails once on error then close', () => {
    const { calls, handlers } = recorder();
    openWebSocket('/ws', handlers, (url) => new FakeWebSocket(url));
    const ws = FakeWebSocket.latest();
    ws.send('connected', { job_id: 'j' });
    ws.send('progress', { seq: 3 }, 3);
    ws.onmessage?.({ data: 'not json' } as MessageEvent);
    ws.send('mystery', {});
    ws.drop();
    expect(calls).toEqual(['connected', 'progress 3', 'failed']);
    expect(ws.closed).toBe(true);
  });

  it('closing the WebSocket transport silences it and sends a normal close', () => {
    const { calls, handlers } = recorder();
    const transport = openWebSocket('/ws', handlers, (url) => new FakeWebSocket(url));
    transport.close();
    FakeWebSocket.latest().drop();
    expect(calls).toEqual([]);
    expect(FakeWebSocket.latest().closeCode).toBe(1000);
  });
});
