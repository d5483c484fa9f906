/** A wall clock for scheduler tests: time moves only when the test fires the next timer. */
import type { Clock, TimerId } from '../../src/engine/clock.js';

export class SimClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#now;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id as number);
  }

  /** When the earliest timer fires; undefined when none is pending. */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const timer of this.#timers.values()) if (at === undefined || timer.at < at) at = timer.at;
    return at;
  }

  /** Move to the earliest timer and fire every timer due then. */
  fireNext(): void {
    const at = this.nextAt();
    if (at === undefined) return;
    this.#now = Math.max(this.#now, at);
    for (const [id, timer] of [...this.#timers].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])) {
      if (timer.at > this.#now) break;
      this.#timers.delete(id);
      timer.fn();
    }
  }
}
