import { beforeEach, describe, expect, it } from 'vitest';
import { FakeEventSource } from '../test/fakeEventSource';
import { StreamRegistry } from './streamRegistry';

const options = { createEventSource: (url: string) => new FakeEventSource(url) };
const URL_A = '/api/generation/stream/a/';
const URL_B = '/api/generation/stream/b/';
const flushMicrotasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

beforeEach(() => FakeEventSource.reset());

describe('StreamRegistry', () => {
  it('gives every subscriber of one job the same stream and one EventSource', () => {
    const registry = new StreamRegistry();
    const one = registry.acquire(URL_A, options);
    const two = registry.acquire(URL_A, options);
    expect(two.stream).toBe(one.stream);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(registry.refCount(URL_A)).toBe(2);
    registry.acquire(URL_B, options);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it('keeps the connection while anyone holds it and closes it after the last release', async () => {
    const registry = new StreamRegistry();
    const one = registry.acquire(URL_A, options);
    const two = registry.acquire(URL_A, options);
    one.release();
    one.release(); // twice is harmless
    await flushMicrotasks();
    expect(FakeEventSource.latest().closed).toBe(false);
    expect(registry.refCount(URL_A)).toBe(1);
    two.release();
    await flushMicrotasks();
    expect(FakeEventSource.latest().closed).toBe(true);
    expect(registry.refCount(URL_A)).toBe(0);
  });

  it('reuses the open connection when a subscriber leaves and another joins at once (StrictMode)', async () => {
    const registry = new StreamRegistry();
    registry.acquire(URL_A, options).release();
    const again = registry.acquire(URL_A, options);
    await flushMicrotasks();
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.latest().closed).toBe(false);
    again.release();
    await flushMicrotasks();
    expect(FakeEventSource.latest().closed).toBe(true);
  });

  it('opens a new connection for a subscriber who comes after the close', async () => {
    const registry = new StreamRegistry();
    registry.acquire(URL_A, options).release();
    await flushMicrotasks();
    registry.acquire(URL_A, options);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.open()).toHaveLength(1);
    registry.reset();
    expect(FakeEventSource.open()).toHaveLength(0);
  });
});
