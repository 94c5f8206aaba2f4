/**
 * Time source for the refresh scheduler. Code that plans work by the clock takes a `Clock` so tests can
 * drive time with `ManualClock` instead of waiting.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` milliseconds from now (a negative delay means now). Returns a handle for `clearTimer`. */
  setTimer(callback: () => void, delayMs: number): unknown;
  /** Cancels a timer. A handle whose timer already fired or was cleared is ignored. */
  clearTimer(handle: unknown): void;
}

/** Largest delay a Node.js 20 timer accepts. The timers documentation says a longer one is set to 1 ms. */
const MAX_NODE_TIMER_DELAY_MS = 2 ** 31 - 1;

interface SystemTimer {
  timeout: NodeJS.Timeout;
}

/**
 * The real clock: `Date.now` and `setTimeout`. Timers are unref'd, so a pending refresh does not keep the
 * process alive on its own and something else, such as a listening server socket, must. Delays longer than
 * about 24.8 days are split into several Node.js timers.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),

  setTimer(callback: () => void, delayMs: number): unknown {
    const dueAt = Date.now() + Math.max(0, delayMs);
    const handle = {} as SystemTimer;
    const arm = (): void => {
      const remaining = dueAt - Date.now();
      if (remaining > MAX_NODE_TIMER_DELAY_MS) {
        handle.timeout = setTimeout(arm, MAX_NODE_TIMER_DELAY_MS).unref();
        return;
      }
      handle.timeout = setTimeout(callback, Math.max(0, remaining)).unref();
    };
    arm();
    return handle;
  },

  clearTimer(handle: unknown): void {
    clearTimeout((handle as SystemTimer).timeout);
  },
});

interface ManualTimer {
  readonly dueAt: number;
  /** Insertion order, so timers due at the same time fire in the order they were set. */
  readonly sequence: number;
  readonly callback: () => void;
}

/**
 * A clock for tests: time moves only when `advance` is called. Timers fire in due-time order, ties in the
 * order they were set, with `now()` equal to the timer's due time while its callback runs.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextSequence = 0;
  readonly #timers = new Map<number, ManualTimer>();

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const sequence = this.#nextSequence++;
    this.#timers.set(sequence, { dueAt: this.#now + Math.max(0, delayMs), sequence, callback });
    return sequence;
  }

  clearTimer(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle);
  }

  /** Due times of the timers not yet fired, earliest first. */
  pending(): number[] {
    return [...this.#timers.values()].sort(compareTimers).map((timer) => timer.dueAt);
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then, including timers set by those callbacks.
   * It waits for a macrotask turn before time moves, after each callback and at the end. Promise chains
   * started by the caller or by a callback therefore settle at the current time, before the next timer fires.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`);
    const target = this.#now + ms;
    await nextMacrotask();

    for (let timer = this.#nextDue(target); timer !== undefined; timer = this.#nextDue(target)) {
      this.#timers.delete(timer.sequence);
      this.#now = timer.dueAt;
      timer.callback();
      await nextMacrotask();
    }

    this.#now = target;
    await nextMacrotask();
  }

  #nextDue(target: number): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.dueAt <= target && (next === undefined || compareTimers(timer, next) < 0)) next = timer;
    }
    return next;
  }
}

function compareTimers(a: ManualTimer, b: ManualTimer): number {
  return a.dueAt - b.dueAt || a.sequence - b.sequence;
}
