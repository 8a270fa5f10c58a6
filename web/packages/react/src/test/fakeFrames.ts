import type { FrameScheduler } from '../lib/smoothing';

/** requestAnimationFrame under the test's control: each `step()` runs one frame 16 ms later. */
export class FakeFrames implements FrameScheduler {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, (t: number) => void>();

  request = (callback: (t: number) => void): number => {
    const id = this.next++;
    this.pending.set(id, callback);
    return id;
  };

  cancel = (handle: number): void => {
    this.pending.delete(handle);
  };

  get scheduled(): number {
    return this.pending.size;
  }

  step(ms = 16): void {
    this.now += ms;
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const callback of due) callback(this.now);
  }

  /** Run frames until none is requested any more (at most `limit`). Returns frames run. */
  runAll(limit = 10_000, ms = 16): number {
    let n = 0;
    while (this.pending.size > 0 && n < limit) {
      this.step(ms);
      n += 1;
    }
    return n;
  }
}
