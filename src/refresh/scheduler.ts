/**
 * Refresh scheduler: runs each feed's refresh task on the feed's own timer, one run per feed at a time,
 * and at most `maxConcurrent` runs across all feeds.
 *
 *   timer fires / trigger() --> request --> FIFO queue --(free slot)--> running --> finished
 *                                                                                     |
 *        timer armed one jittered interval after the finish  <------------------------+
 *
 * A feed has either an armed timer, a queued run or a running run, never two of them, so one feed never
 * overlaps itself. Its timer is cleared when a run is requested and re-armed when the run finishes, so a
 * slow feed delays only its own next run and, while it runs, occupies one of the global slots.
 *
 * All state lives on the main thread and changes only in `start`, `trigger`, `stop`, timer callbacks and task
 * settlement callbacks, so no locking is needed.
 */
import { VerdictError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';

/** Floor for a jittered delay, so a tiny interval or a large jitter cannot make a feed refresh in a busy loop. */
export const MIN_REFRESH_DELAY_MS = 1000;

export interface ScheduledFeed {
  readonly id: string;
  /** Time from the end of one run to the start of the next, before jitter. */
  readonly intervalMs: number;
  /** Maximum deviation from `intervalMs`, in percent (0 to 100). */
  readonly jitterPercent: number;
}

export interface RefreshRun {
  readonly feedId: string;
  /**
   * Origin of the run: `startup` for a first run whose delay came from `start(initialDelayMs)`, `manual`
   * for `trigger()`, and `schedule` for a run planned one interval out.
   */
  readonly trigger: 'schedule' | 'manual' | 'startup';
  /** Clock time when the task was called, after any wait in the queue. */
  readonly startedAt: number;
}

export type RefreshTask = (run: RefreshRun) => Promise<void>;

export interface SchedulerOptions {
  readonly clock: Clock;
  /** Jitter source returning a number in [0, 1), like `Math.random`. */
  readonly random: () => number;
  /** Maximum number of refreshes running at once across feeds. Further requests wait in FIFO order. */
  readonly maxConcurrent: number;
  readonly logger: Logger;
}

export interface FeedRefreshStatus {
  readonly running: boolean;
  /** The feed's run waits for a free slot. */
  readonly queued: boolean;
  /** Due time of the armed timer, absent while a run is queued or running, before `start` and after `stop`. */
  readonly nextRunAt?: number;
  readonly lastStartedAt?: number;
  readonly lastFinishedAt?: number;
}

/**
 * Computes the delay before a feed's next run: `intervalMs × (1 + u × jitterPercent / 100)` with
 * `u = 2 × random() − 1`, uniform in [-1, 1). The result is rounded to whole milliseconds and is never below
 * `MIN_REFRESH_DELAY_MS`, even when the interval itself is shorter.
 */
export function jitteredDelayMs(intervalMs: number, jitterPercent: number, random: () => number): number {
  const u = 2 * random() - 1;
  const delay = Math.round(intervalMs * (1 + (u * jitterPercent) / 100));
  return Math.max(MIN_REFRESH_DELAY_MS, delay);
}

type Trigger = RefreshRun['trigger'];

/** A requested run, from the moment it is queued until its task settles. */
interface PendingRun {
  readonly trigger: Trigger;
  /** Settles like the task; returned by `trigger()`. */
  readonly result: Promise<void>;
  /** Resolves, and never rejects, when the task settles or the queued run is dropped. `stop()` waits on it. */
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  running: boolean;
}

interface FeedState {
  readonly feed: ScheduledFeed;
  timer?: unknown;
  nextRunAt?: number;
  /** The queued or running run. A feed has at most one. */
  pending?: PendingRun;
  lastStartedAt?: number;
  lastFinishedAt?: number;
}

export class RefreshScheduler {
  readonly #task: RefreshTask;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #maxConcurrent: number;
  readonly #logger: Logger;
  readonly #feeds = new Map<string, FeedState>();
  /** Feeds whose run waits for a slot, oldest request first. */
  readonly #queue: FeedState[] = [];
  #runningCount = 0;
  #started = false;
  #stopped = false;

  constructor(feeds: readonly ScheduledFeed[], task: RefreshTask, options: SchedulerOptions) {
    if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError(`RefreshScheduler: maxConcurrent must be an integer >= 1, got ${options.maxConcurrent}`);
    }
    for (const feed of feeds) {
      if (this.#feeds.has(feed.id)) throw new RangeError(`RefreshScheduler: feed id "${feed.id}" is listed twice`);
      if (!Number.isFinite(feed.intervalMs) || feed.intervalMs <= 0) {
        throw new RangeError(`RefreshScheduler: feed "${feed.id}" intervalMs must be a finite number > 0, got ${feed.intervalMs}`);
      }
      if (!(feed.jitterPercent >= 0 && feed.jitterPercent <= 100)) {
        throw new RangeError(`RefreshScheduler: feed "${feed.id}" jitterPercent must be between 0 and 100, got ${feed.jitterPercent}`);
      }
      this.#feeds.set(feed.id, { feed });
    }

    this.#task = task;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#maxConcurrent = options.maxConcurrent;
    this.#logger = options.logger;
  }

  /**
   * Schedules each feed's first run one jittered interval from now, or after `initialDelayMs(feedId)`
   * milliseconds when that returns a number (a negative one means now). Such a run has the trigger
   * `startup`. The callback lets a caller space out refreshes after a restart by the age of each feed's
   * current generation. Throws when called twice, after `stop()`, or when the callback returns NaN or an infinity.
   */
  start(initialDelayMs?: (feedId: string) => number | undefined): void {
    if (this.#stopped) throw new Error('RefreshScheduler.start: the scheduler is stopped. Create a new one to schedule again');
    if (this.#started) throw new Error('RefreshScheduler.start: the scheduler is already started');

    // Compute every delay before arming any timer, so a bad callback value leaves nothing half-started.
    const plans = [...this.#feeds.values()].map((state) => {
      const explicit = initialDelayMs?.(state.feed.id);
      if (explicit !== undefined && !Number.isFinite(explicit)) {
        throw new RangeError(`RefreshScheduler.start: initial delay for feed "${state.feed.id}" must be a finite number, got ${explicit}`);
      }
      return { state, delayMs: explicit === undefined ? undefined : Math.max(0, explicit) };
    });

    this.#started = true;
    for (const { state, delayMs } of plans) {
      // A feed triggered manually before start() gets its timer when that run finishes.
      if (state.pending !== undefined) continue;
      if (delayMs === undefined) this.#planNext(state);
      else this.#arm(state, delayMs, 'startup');
    }
  }

  /**
   * Clears all timers, drops queued runs (their `trigger()` promises reject) and resolves once the running
   * refreshes finish. Running tasks are not cancelled. No run starts afterwards.
   */
  async stop(): Promise<void> {
    this.#stopped = true;

    for (const state of this.#feeds.values()) this.#disarm(state);

    const dropped = this.#queue.splice(0);
    for (const state of dropped) {
      const pending = state.pending!;
      state.pending = undefined;
      pending.reject(new Error(`Refresh of feed ${state.feed.id} was dropped because the scheduler stopped before it started`));
    }
    if (dropped.length > 0) this.#logger.info({ feeds: dropped.map((state) => state.feed.id) }, 'queued refreshes dropped at stop');

    const running = [...this.#feeds.values()].flatMap((state) => (state.pending === undefined ? [] : [state.pending.done]));
    await Promise.all(running);
  }

  /**
   * Requests a refresh of `feedId` now, or as soon as a slot is free. If the feed already has a run queued
   * or running, returns that run's promise instead of starting a second. The promise rejects with the
   * task's error. The feed's timer is cleared and re-armed one jittered interval after this run finishes.
   * Throws a VerdictError VERDICT_ERR_FEED_NOT_FOUND for an unknown feed and an Error after `stop()`.
   */
  trigger(feedId: string): Promise<void> {
    const state = this.#state(feedId);
    if (state.pending !== undefined) return state.pending.result;
    if (this.#stopped) throw new Error(`RefreshScheduler.trigger: the scheduler is stopped, so feed ${feedId} is not refreshed`);

    this.#disarm(state);
    return this.#request(state, 'manual');
  }

  status(feedId: string): FeedRefreshStatus {
    const state = this.#state(feedId);
    return {
      running: state.pending?.running ?? false,
      queued: state.pending !== undefined && !state.pending.running,
      ...(state.nextRunAt === undefined ? {} : { nextRunAt: state.nextRunAt }),
      ...(state.lastStartedAt === undefined ? {} : { lastStartedAt: state.lastStartedAt }),
      ...(state.lastFinishedAt === undefined ? {} : { lastFinishedAt: state.lastFinishedAt }),
    };
  }

  #state(feedId: string): FeedState {
    const state = this.#feeds.get(feedId);
    if (state === undefined) {
      throw new VerdictError('VERDICT_ERR_FEED_NOT_FOUND', { feed: feedId, configured: [...this.#feeds.keys()].join(', ') });
    }
    return state;
  }

  #planNext(state: FeedState): void {
    this.#arm(state, jitteredDelayMs(state.feed.intervalMs, state.feed.jitterPercent, this.#random), 'schedule');
  }

  #arm(state: FeedState, delayMs: number, trigger: Trigger): void {
    state.nextRunAt = this.#clock.now() + delayMs;
    state.timer = this.#clock.setTimer(() => {
      state.timer = undefined;
      state.nextRunAt = undefined;
      // Defensive: a Clock that fired a timer after clearTimer could otherwise start a second run.
      if (this.#stopped || state.pending !== undefined) return;
      void this.#request(state, trigger);
    }, delayMs);
    this.#logger.debug({ feed: state.feed.id, trigger, nextRunAt: new Date(state.nextRunAt).toISOString() }, 'refresh planned');
  }

  #disarm(state: FeedState): void {
    if (state.timer !== undefined) this.#clock.clearTimer(state.timer);
    state.timer = undefined;
    state.nextRunAt = undefined;
  }

  /** Queues a run for a feed without one and starts it if a slot is free. */
  #request(state: FeedState, trigger: Trigger): Promise<void> {
    let resolveResult!: () => void;
    let rejectResult!: (error: unknown) => void;
    const result = new Promise<void>((resolve, reject) => {
      resolveResult = resolve;
      rejectResult = reject;
    });
    // Scheduled runs have no caller awaiting them, so this handler keeps their failure from being an unhandled rejection.
    const done = result.catch(() => undefined);
    state.pending = { trigger, result, done, resolve: resolveResult, reject: rejectResult, running: false };

    this.#queue.push(state);
    if (this.#queue.length > 1 || this.#runningCount >= this.#maxConcurrent) {
      this.#logger.info({ feed: state.feed.id, trigger, queued: this.#queue.length, running: this.#runningCount }, 'refresh queued');
    }
    this.#startQueued();
    return result;
  }

  #startQueued(): void {
    while (!this.#stopped && this.#runningCount < this.#maxConcurrent && this.#queue.length > 0) {
      this.#run(this.#queue.shift()!);
    }
  }

  #run(state: FeedState): void {
    const pending = state.pending!;
    const run: RefreshRun = { feedId: state.feed.id, trigger: pending.trigger, startedAt: this.#clock.now() };
    pending.running = true;
    this.#runningCount += 1;
    state.lastStartedAt = run.startedAt;
    this.#logger.info({ feed: run.feedId, trigger: run.trigger }, 'refresh started');

    // The Promise constructor turns a task that throws synchronously into a rejection.
    const taskPromise = new Promise<void>((resolve) => resolve(this.#task(run)));
    taskPromise.then(
      () => this.#finish(state, run, undefined),
      (error: unknown) => this.#finish(state, run, { error }),
    );
  }

  /** Records a settled run, re-arms the feed's timer and starts the next queued run. */
  #finish(state: FeedState, run: RefreshRun, failure: { error: unknown } | undefined): void {
    const pending = state.pending!;
    const finishedAt = this.#clock.now();
    const durationMs = finishedAt - run.startedAt;
    this.#runningCount -= 1;
    state.pending = undefined;
    state.lastFinishedAt = finishedAt;

    if (failure === undefined) {
      this.#logger.info({ feed: run.feedId, trigger: run.trigger, durationMs }, 'refresh finished');
    } else {
      this.#logger.error({ feed: run.feedId, trigger: run.trigger, durationMs, err: failure.error }, 'refresh failed');
    }

    // A failed run waits a full interval too, because retrying sooner would hammer a source that is down.
    if (this.#started && !this.#stopped) this.#planNext(state);

    if (failure === undefined) pending.resolve();
    else pending.reject(failure.error);
    this.#startQueued();
  }
}
