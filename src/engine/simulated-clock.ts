/** A clock whose time moves only when a test says so; timers fire in order. */
import type { Clock, TimerId } from './clock.js';

interface Timer {
  id: number;
  at: number;
  fn: (...args: unknown[]) => void;
}

export class SimulatedClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers = new Map<number, Timer>();
  #wallStart: number;

  constructor(wallStart = Date.UTC(2026, 0, 1)) {
    this.#wallStart = wallStart;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#wallStart + this.#now;
  }

  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id as number);
  }

  /** Step the wall clock (NTP, a VM resumed); monotonic time does not move. */
  stepWall(ms: number): void {
    this.#wallStart += ms;
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** When (simulated monotonic time) the earliest timer fires; undefined when none is pending. */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const timer of this.#timers.values()) if (at === undefined || timer.at < at) at = timer.at;
    return at;
  }

  /** Wall-clock time at which the earliest timer fires. */
  nextWallAt(): number | undefined {
    const at = this.nextAt();
    return at === undefined ? undefined : this.#wallStart + at;
  }

  /** Move to the earliest timer and fire every timer due then, in order; false when none is pending. */
  fireDue(): boolean {
    const at = this.nextAt();
    if (at === undefined) return false;
    this.#now = Math.max(this.#now, at);
    for (const timer of [...this.#timers.values()].sort((a, b) => a.at - b.at || a.id - b.id)) {
      if (timer.at > this.#now) break;
      this.#timers.delete(timer.id);
      timer.fn();
    }
    return true;
  }

  /** Fire the earliest timer (moving time to it); false when none is pending. */
  fireNext(): boolean {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id)) next = timer;
    }
    if (!next) return false;
    this.#timers.delete(next.id);
    this.#now = Math.max(this.#now, next.at);
    next.fn();
    return true;
  }

  /** Move `ms` forward, firing every timer due on the way in order, with the work each one starts let settle. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (let at = this.nextAt(); at !== undefined && at <= end; at = this.nextAt()) {
      this.fireDue();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /**
   * Drive `promise` to completion: let pending work settle, then jump to the next timer, repeatedly.
   * Throws when nothing is pending and the promise still has not settled (a deadlock in the test).
   */
  async run<T>(promise: Promise<T>, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      if (settled) return tracked;
      if (!this.fireNext()) {
        await settle();
        if (settled) return tracked;
        throw new Error(`simulated clock: nothing pending at ${this.#now}ms and the run has not finished`);
      }
    }
    throw new Error('simulated clock: too many steps');
  }
}

/** File system requests in flight on the thread pool (a runner writing evidence, the journal). */
function fileIoPending(): boolean {
  return process.getActiveResourcesInfo().some((name) => name.startsWith('FSReq') || name.endsWith('CloseReq'));
}

/**
 * Let promise chains and I/O callbacks that are already due run. File I/O in flight is waited for too:
 * simulated time must not jump to a timeout while real work that takes no simulated time is still going.
 */
async function settle(): Promise<void> {
  // Five quiet turns in a row: one I/O callback often starts the next request a few turns later.
  for (let quiet = 0, turns = 0; quiet < 5 && turns < 100_000; turns++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    quiet = fileIoPending() ? 0 : quiet + 1;
  }
}
