import { afterEach, describe, expect, test, vi } from 'vitest';
import { pino } from 'pino';
import { ManualClock, systemClock } from '../../src/refresh/clock.js';
import {
  MIN_REFRESH_DELAY_MS,
  RefreshScheduler,
  jitteredDelayMs,
  type RefreshRun,
  type ScheduledFeed,
} from '../../src/refresh/scheduler.js';
import { VerdictError } from '../../src/errors.js';

/** Start of every test's manual time, so asserted times read as T0 + offset. */
const T0 = Date.UTC(2026, 0, 1);

interface LogLine {
  level: number;
  msg: string;
  feed?: string;
  trigger?: string;
  durationMs?: number;
  err?: { message: string };
  [key: string]: unknown;
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A refresh task whose runs stay pending until the test settles them with `finish`, unless the feed has a
 * behavior set with `behave`. It records every call and the peak number of runs in flight.
 */
class TaskRecorder {
  readonly runs: RefreshRun[] = [];
  peakRunning = 0;
  peakRunningPerFeed = 0;
  readonly #open = new Map<string, Deferred[]>();
  readonly #behaviors = new Map<string, (run: RefreshRun) => Promise<void>>();
  #running = 0;
  readonly #runningPerFeed = new Map<string, number>();

  behave(feedId: string, behavior: (run: RefreshRun) => Promise<void>): void {
    this.#behaviors.set(feedId, behavior);
  }

  readonly task = (run: RefreshRun): Promise<void> => {
    this.runs.push(run);
    this.#track(run.feedId, 1);

    const behavior = this.#behaviors.get(run.feedId);
    let promise: Promise<void>;
    if (behavior !== undefined) {
      promise = behavior(run);
    } else {
      const open = deferred();
      this.#open.set(run.feedId, [...(this.#open.get(run.feedId) ?? []), open]);
      promise = open.promise;
    }

    return promise.finally(() => this.#track(run.feedId, -1));
  };

  /** Settles the oldest open run of a feed, with `error` as its failure when given. */
  finish(feedId: string, error?: Error): void {
    const open = this.#open.get(feedId) ?? [];
    const next = open.shift();
    if (next === undefined) throw new Error(`test bug: feed ${feedId} has no open run`);
    if (error === undefined) next.resolve();
    else next.reject(error);
  }

  runsOf(feedId: string): RefreshRun[] {
    return this.runs.filter((run) => run.feedId === feedId);
  }

  #track(feedId: string, change: number): void {
    this.#running += change;
    this.peakRunning = Math.max(this.peakRunning, this.#running);
    const perFeed = (this.#runningPerFeed.get(feedId) ?? 0) + change;
    this.#runningPerFeed.set(feedId, perFeed);
    this.peakRunningPerFeed = Math.max(this.peakRunningPerFeed, perFeed);
  }
}

function feed(id: string, intervalMs: number, jitterPercent = 0): ScheduledFeed {
  return { id, intervalMs, jitterPercent };
}

function setup(feeds: readonly ScheduledFeed[], options: { maxConcurrent?: number; random?: () => number } = {}) {
  const clock = new ManualClock(T0);
  const recorder = new TaskRecorder();
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  const scheduler = new RefreshScheduler(feeds, recorder.task, {
    clock,
    random: options.random ?? (() => 0.5),
    maxConcurrent: options.maxConcurrent ?? 4,
    logger,
  });
  return { clock, recorder, lines, scheduler };
}

/** Records whether a promise has settled, without waiting for it. */
function observe(promise: Promise<void>): { settled: boolean; error?: unknown } {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

/** Seeded PRNG (mulberry32), so the jitter sample is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ManualClock', () => {
  test('fires timers in due order', async () => {
    const clock = new ManualClock(T0);
    const fired: [string, number][] = [];
    clock.setTimer(() => fired.push(['c', clock.now()]), 300);
    clock.setTimer(() => fired.push(['a', clock.now()]), 100);
    clock.setTimer(() => fired.push(['b', clock.now()]), 200);
    clock.setTimer(() => fired.push(['a2', clock.now()]), 100);

    await clock.advance(1000);

    expect(fired).toEqual([
      ['a', T0 + 100],
      ['a2', T0 + 100],
      ['b', T0 + 200],
      ['c', T0 + 300],
    ]);
    expect(clock.now()).toBe(T0 + 1000);
  });

  test('leaves later timers pending', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), 500);
    clock.setTimer(() => fired.push(clock.now()), 100);

    expect(clock.pending()).toEqual([T0 + 100, T0 + 500]);

    await clock.advance(499);

    expect(fired).toEqual([T0 + 100]);
    expect(clock.pending()).toEqual([T0 + 500]);
  });

  test('clearTimer cancels a timer', async () => {
    const clock = new ManualClock(T0);
    const fired: string[] = [];
    const handle = clock.setTimer(() => fired.push('cleared'), 100);
    clock.setTimer(() => fired.push('kept'), 200);

    clock.clearTimer(handle);
    clock.clearTimer(handle);

    expect(clock.pending()).toEqual([T0 + 200]);
    await clock.advance(1000);
    expect(fired).toEqual(['kept']);
  });

  test('fires timers set during advance', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 50);
      clock.setTimer(() => fired.push(clock.now()), 5000);
    }, 100);

    await clock.advance(1000);

    expect(fired).toEqual([T0 + 100, T0 + 150]);
    expect(clock.pending()).toEqual([T0 + 5100]);
  });

  test('negative delay fires at current time', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    clock.setTimer(() => fired.push(clock.now()), -20);

    await clock.advance(0);

    expect(fired).toEqual([T0]);
  });

  test('settles promise chains between timers', async () => {
    const clock = new ManualClock(T0);
    const order: string[] = [];
    clock.setTimer(() => {
      order.push('first timer');
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        order.push('async work of first timer');
      })();
    }, 100);
    clock.setTimer(() => order.push('second timer'), 200);

    await clock.advance(200);

    expect(order).toEqual(['first timer', 'async work of first timer', 'second timer']);
  });

  test('advance rejects negative ms', async () => {
    const clock = new ManualClock(T0);

    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('now follows Date.now', () => {
    vi.useFakeTimers({ now: T0 });

    expect(systemClock.now()).toBe(T0);
  });

  test('splits delays beyond Node.js limit', () => {
    vi.useFakeTimers({ now: T0 });
    const thirtyDaysMs = 30 * 24 * 3600 * 1000;
    const callback = vi.fn();

    systemClock.setTimer(callback, thirtyDaysMs);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(callback).not.toHaveBeenCalled();

    vi.advanceTimersByTime(thirtyDaysMs - (2 ** 31 - 1) - 1);
    expect(callback).not.toHaveBeenCalled();

    vi.advanceTimersByTime(1);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  test('clearTimer cancels a split delay', () => {
    vi.useFakeTimers({ now: T0 });
    const thirtyDaysMs = 30 * 24 * 3600 * 1000;
    const callback = vi.fn();

    const handle = systemClock.setTimer(callback, thirtyDaysMs);
    vi.advanceTimersByTime(2 ** 31);
    systemClock.clearTimer(handle);
    vi.advanceTimersByTime(thirtyDaysMs);

    expect(callback).not.toHaveBeenCalled();
  });
});

describe('jitteredDelayMs', () => {
  test.each([
    { intervalMs: 60_000, jitterPercent: 10, random: 0.5, expected: 60_000 },
    { intervalMs: 60_000, jitterPercent: 10, random: 0, expected: 54_000 },
    { intervalMs: 60_000, jitterPercent: 10, random: 0.25, expected: 57_000 },
    { intervalMs: 60_000, jitterPercent: 10, random: 0.75, expected: 63_000 },
    { intervalMs: 60_000, jitterPercent: 10, random: 1 - 2 ** -53, expected: 66_000 },
    { intervalMs: 60_000, jitterPercent: 0, random: 0, expected: 60_000 },
    { intervalMs: 10_800_000, jitterPercent: 10, random: 0.1, expected: 9_936_000 },
    { intervalMs: 500, jitterPercent: 0, random: 0.5, expected: MIN_REFRESH_DELAY_MS },
    { intervalMs: 1500, jitterPercent: 50, random: 0, expected: MIN_REFRESH_DELAY_MS },
    { intervalMs: 3_600_000, jitterPercent: 100, random: 0, expected: MIN_REFRESH_DELAY_MS },
  ])('interval $intervalMs, jitter $jitterPercent%, random $random', ({ intervalMs, jitterPercent, random, expected }) => {
    expect(jitteredDelayMs(intervalMs, jitterPercent, () => random)).toBe(expected);
  });

  test('seeded sample stays within bounds', () => {
    const random = mulberry32(42);
    const delays = Array.from({ length: 2000 }, () => jitteredDelayMs(60_000, 10, random));

    expect(Math.min(...delays)).toBeGreaterThanOrEqual(54_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(66_000);
    // The sample covers both ends of the range, so the jitter is not stuck near the interval.
    expect(Math.min(...delays)).toBeLessThan(54_600);
    expect(Math.max(...delays)).toBeGreaterThan(65_400);
  });
});

describe('RefreshScheduler timing', () => {
  test('first run after jittered interval', async () => {
    const { clock, recorder, scheduler } = setup([feed('cfmd', 60_000, 10)], { random: () => 0.75 });

    scheduler.start();

    expect(clock.pending()).toEqual([T0 + 63_000]);
    expect(scheduler.status('cfmd').nextRunAt).toBe(T0 + 63_000);

    await clock.advance(62_999);
    expect(recorder.runs).toEqual([]);

    await clock.advance(1);
    expect(recorder.runs).toEqual([{ feedId: 'cfmd', trigger: 'schedule', startedAt: T0 + 63_000 }]);
  });

  test('next run one interval after finish', async () => {
    const { clock, recorder, scheduler } = setup([feed('cfmd', 60_000, 10)], { random: () => 0.75 });
    scheduler.start();
    await clock.advance(63_000);

    await clock.advance(5_000);
    recorder.finish('cfmd');
    await clock.advance(0);

    expect(scheduler.status('cfmd')).toEqual({
      running: false,
      queued: false,
      nextRunAt: T0 + 131_000,
      lastStartedAt: T0 + 63_000,
      lastFinishedAt: T0 + 68_000,
    });
    expect(clock.pending()).toEqual([T0 + 131_000]);

    await clock.advance(63_000);
    expect(recorder.runs.map((run) => run.startedAt)).toEqual([T0 + 63_000, T0 + 131_000]);
  });

  test('initial delay callback plans startup runs', async () => {
    const feeds = [feed('now', 60_000), feed('default', 60_000), feed('overdue', 60_000), feed('soon', 60_000)];
    const { clock, recorder, scheduler } = setup(feeds);
    const initialDelays: Record<string, number | undefined> = { now: 0, default: undefined, overdue: -5_000, soon: 2_500 };

    scheduler.start((feedId) => initialDelays[feedId]);

    expect(clock.pending()).toEqual([T0, T0, T0 + 2_500, T0 + 60_000]);

    await clock.advance(0);
    expect(recorder.runs).toEqual([
      { feedId: 'now', trigger: 'startup', startedAt: T0 },
      { feedId: 'overdue', trigger: 'startup', startedAt: T0 },
    ]);

    await clock.advance(60_000);
    expect(recorder.runs.slice(2)).toEqual([
      { feedId: 'soon', trigger: 'startup', startedAt: T0 + 2_500 },
      { feedId: 'default', trigger: 'schedule', startedAt: T0 + 60_000 },
    ]);
  });

  test('start rejects a NaN initial delay', () => {
    const { clock, scheduler } = setup([feed('a', 60_000), feed('b', 60_000)]);

    expect(() => scheduler.start((feedId) => (feedId === 'b' ? Number.NaN : 0))).toThrow(RangeError);
    expect(clock.pending()).toEqual([]);
  });

  test('start twice throws', () => {
    const { scheduler } = setup([feed('a', 60_000)]);
    scheduler.start();

    expect(() => scheduler.start()).toThrow(/already started/);
  });
});

describe('RefreshScheduler isolation and concurrency', () => {
  test('feed never overlaps itself', async () => {
    const { clock, recorder, scheduler } = setup([feed('slow', 10_000)]);
    scheduler.start();

    await clock.advance(10_000 + 2 * 10_000 + 5_000);

    expect(recorder.runs).toEqual([{ feedId: 'slow', trigger: 'schedule', startedAt: T0 + 10_000 }]);
    expect(recorder.peakRunningPerFeed).toBe(1);
    expect(clock.pending()).toEqual([]);
    expect(scheduler.status('slow')).toEqual({ running: true, queued: false, lastStartedAt: T0 + 10_000 });

    recorder.finish('slow');
    await clock.advance(0);
    expect(clock.pending()).toEqual([T0 + 45_000]);
  });

  test('slow feed does not delay another', async () => {
    const { clock, recorder, scheduler } = setup([feed('slow', 10_000), feed('fast', 3_000)], { maxConcurrent: 2 });
    // Each fast run takes 1 s of manual time, so it finishes through a clock timer like real async work.
    recorder.behave('fast', () => new Promise<void>((resolve) => clock.setTimer(resolve, 1_000)));
    scheduler.start();

    await clock.advance(20_000);

    expect(recorder.runsOf('slow').map((run) => run.startedAt)).toEqual([T0 + 10_000]);
    expect(scheduler.status('slow').running).toBe(true);
    expect(recorder.runsOf('fast').map((run) => run.startedAt)).toEqual([T0 + 3_000, T0 + 7_000, T0 + 11_000, T0 + 15_000, T0 + 19_000]);
    expect(scheduler.status('fast').lastFinishedAt).toBe(T0 + 20_000);
    expect(scheduler.status('fast').nextRunAt).toBe(T0 + 23_000);
  });

  test('maxConcurrent queues in FIFO order', async () => {
    // Config order differs from request order, so a queue ordered by config would fail this test.
    const feeds = [feed('alpha', 30_000), feed('bravo', 20_000), feed('charlie', 10_000)];
    const { clock, recorder, scheduler } = setup(feeds, { maxConcurrent: 1 });
    scheduler.start();

    await clock.advance(30_000);

    expect(recorder.runs.map((run) => run.feedId)).toEqual(['charlie']);
    expect(scheduler.status('bravo')).toEqual({ running: false, queued: true });
    expect(scheduler.status('alpha')).toEqual({ running: false, queued: true });

    await clock.advance(5_000);
    recorder.finish('charlie');
    await clock.advance(2_000);
    recorder.finish('bravo');
    await clock.advance(0);

    expect(recorder.runs).toEqual([
      { feedId: 'charlie', trigger: 'schedule', startedAt: T0 + 10_000 },
      { feedId: 'bravo', trigger: 'schedule', startedAt: T0 + 35_000 },
      { feedId: 'alpha', trigger: 'schedule', startedAt: T0 + 37_000 },
    ]);
    expect(recorder.peakRunning).toBe(1);
  });

  test('maxConcurrent caps running tasks', async () => {
    const feeds = [feed('a', 10_000), feed('b', 10_000), feed('c', 10_000), feed('d', 10_000)];
    const { clock, recorder, scheduler } = setup(feeds, { maxConcurrent: 2 });
    scheduler.start();

    await clock.advance(10_000);

    expect(recorder.runs.map((run) => run.feedId)).toEqual(['a', 'b']);
    expect(scheduler.status('c').queued).toBe(true);
    expect(scheduler.status('d').queued).toBe(true);

    await clock.advance(1_000);
    recorder.finish('b');
    await clock.advance(0);

    expect(recorder.runs.map((run) => run.feedId)).toEqual(['a', 'b', 'c']);
    expect(recorder.runs[2]!.startedAt).toBe(T0 + 11_000);
    expect(scheduler.status('d').queued).toBe(true);
    expect(recorder.peakRunning).toBe(2);
  });
});

describe('RefreshScheduler.trigger', () => {
  test('trigger during a run returns same promise', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000)]);

    const first = scheduler.trigger('a');
    const second = scheduler.trigger('a');

    expect(second).toBe(first);
    expect(recorder.runs).toEqual([{ feedId: 'a', trigger: 'manual', startedAt: T0 }]);

    recorder.finish('a');
    await clock.advance(0);
    await expect(first).resolves.toBeUndefined();
  });

  test('trigger joins a scheduled run', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000)]);
    scheduler.start();
    await clock.advance(60_000);

    const joined = observe(scheduler.trigger('a'));
    await clock.advance(1_000);

    expect(recorder.runs).toEqual([{ feedId: 'a', trigger: 'schedule', startedAt: T0 + 60_000 }]);
    expect(joined.settled).toBe(false);

    recorder.finish('a');
    await clock.advance(0);
    expect(joined.settled).toBe(true);
  });

  test('trigger of a queued feed returns its promise', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000), feed('b', 60_000)], { maxConcurrent: 1 });

    void scheduler.trigger('a');
    const first = scheduler.trigger('b');
    const second = scheduler.trigger('b');

    expect(second).toBe(first);
    expect(scheduler.status('b')).toEqual({ running: false, queued: true });

    recorder.finish('a');
    await clock.advance(0);
    expect(recorder.runs.map((run) => run.feedId)).toEqual(['a', 'b']);
  });

  test('trigger re-plans the next run', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000)]);
    scheduler.start();
    await clock.advance(10_000);

    void scheduler.trigger('a');

    expect(clock.pending()).toEqual([]);
    expect(scheduler.status('a').nextRunAt).toBeUndefined();

    await clock.advance(5_000);
    recorder.finish('a');
    await clock.advance(0);

    expect(clock.pending()).toEqual([T0 + 75_000]);
    expect(recorder.runs).toEqual([{ feedId: 'a', trigger: 'manual', startedAt: T0 + 10_000 }]);
  });

  test('trigger before start plans nothing', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000)]);

    void scheduler.trigger('a');
    recorder.finish('a');
    await clock.advance(0);

    expect(recorder.runs).toHaveLength(1);
    expect(clock.pending()).toEqual([]);
  });

  test('trigger of an unknown feed throws', () => {
    const { scheduler } = setup([feed('cfmd', 60_000), feed('ctip', 60_000)]);

    let caught: unknown;
    try {
      void scheduler.trigger('nsrl');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(VerdictError);
    expect((caught as VerdictError).code).toBe('VERDICT_ERR_FEED_NOT_FOUND');
    expect((caught as VerdictError).params).toEqual({ feed: 'nsrl', configured: 'cfmd, ctip' });
    expect((caught as VerdictError).status).toBe(404);
  });

  test('status of an unknown feed throws', () => {
    const { scheduler } = setup([feed('cfmd', 60_000)]);

    expect(() => scheduler.status('nsrl')).toThrow(VerdictError);
  });
});

describe('RefreshScheduler failures', () => {
  test('failed run keeps the schedule', async () => {
    const { clock, recorder, lines, scheduler } = setup([feed('ctip', 10_000)]);
    scheduler.start();
    await clock.advance(10_000);

    await clock.advance(2_000);
    recorder.finish('ctip', new Error('source unreachable'));
    await clock.advance(0);

    const failure = lines.find((line) => line.msg === 'refresh failed');
    expect(failure?.level).toBe(50);
    expect(failure?.feed).toBe('ctip');
    expect(failure?.trigger).toBe('schedule');
    expect(failure?.durationMs).toBe(2_000);
    expect(failure?.err?.message).toBe('source unreachable');
    expect(clock.pending()).toEqual([T0 + 22_000]);

    await clock.advance(10_000);
    expect(recorder.runs.map((run) => run.startedAt)).toEqual([T0 + 10_000, T0 + 22_000]);
  });

  test('trigger promise rejects with task error', async () => {
    const { clock, recorder, scheduler } = setup([feed('ctip', 10_000)]);
    const error = new Error('parse failed');

    const result = scheduler.trigger('ctip');
    recorder.finish('ctip', error);
    await clock.advance(0);

    await expect(result).rejects.toBe(error);
  });

  test('synchronous throw is logged and scheduled', async () => {
    const { clock, recorder, lines, scheduler } = setup([feed('ctip', 10_000)]);
    recorder.behave('ctip', () => {
      throw new Error('thrown before any await');
    });
    scheduler.start();

    await clock.advance(10_000);

    const failure = lines.find((line) => line.msg === 'refresh failed');
    expect(failure?.err?.message).toBe('thrown before any await');
    expect(scheduler.status('ctip').running).toBe(false);
    expect(clock.pending()).toEqual([T0 + 20_000]);
  });
});

describe('RefreshScheduler.stop', () => {
  test('stop waits for running tasks', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 10_000), feed('b', 60_000)]);
    scheduler.start();
    await clock.advance(10_000);

    const stopped = observe(scheduler.stop());
    await clock.advance(0);

    expect(stopped.settled).toBe(false);
    expect(clock.pending()).toEqual([]);

    await clock.advance(3_000);
    recorder.finish('a');
    await clock.advance(0);

    expect(stopped.settled).toBe(true);
    expect(scheduler.status('a').lastFinishedAt).toBe(T0 + 13_000);
    expect(clock.pending()).toEqual([]);

    await clock.advance(600_000);
    expect(recorder.runs).toHaveLength(1);
  });

  test('stop drops queued runs', async () => {
    const { clock, recorder, scheduler } = setup([feed('a', 60_000), feed('b', 60_000)], { maxConcurrent: 1 });
    void scheduler.trigger('a');
    const queued = observe(scheduler.trigger('b'));

    const stopped = observe(scheduler.stop());
    await clock.advance(0);

    expect(queued.settled).toBe(true);
    expect(String(queued.error)).toMatch(/dropped because the scheduler stopped/);
    expect(scheduler.status('b')).toEqual({ running: false, queued: false });

    recorder.finish('a');
    await clock.advance(0);

    expect(stopped.settled).toBe(true);
    expect(recorder.runs.map((run) => run.feedId)).toEqual(['a']);
  });

  test('trigger after stop throws', async () => {
    const { scheduler } = setup([feed('a', 60_000)]);
    await scheduler.stop();

    expect(() => scheduler.trigger('a')).toThrow(/stopped/);
  });
});

describe('RefreshScheduler logging', () => {
  test('logs start and finish', async () => {
    const { clock, recorder, lines, scheduler } = setup([feed('cfmd', 60_000)]);
    scheduler.start();
    await clock.advance(60_000);
    await clock.advance(4_000);
    recorder.finish('cfmd');
    await clock.advance(0);

    const started = lines.find((line) => line.msg === 'refresh started');
    const finished = lines.find((line) => line.msg === 'refresh finished');
    expect(started).toMatchObject({ level: 30, feed: 'cfmd', trigger: 'schedule' });
    expect(finished).toMatchObject({ level: 30, feed: 'cfmd', trigger: 'schedule', durationMs: 4_000 });
  });
});

describe('RefreshScheduler options', () => {
  test.each([
    { name: 'maxConcurrent 0', feeds: [feed('a', 1_000)], maxConcurrent: 0 },
    { name: 'maxConcurrent 1.5', feeds: [feed('a', 1_000)], maxConcurrent: 1.5 },
    { name: 'duplicate feed id', feeds: [feed('a', 1_000), feed('a', 2_000)], maxConcurrent: 1 },
    { name: 'interval 0', feeds: [feed('a', 0)], maxConcurrent: 1 },
    { name: 'jitter 101%', feeds: [feed('a', 1_000, 101)], maxConcurrent: 1 },
    { name: 'jitter NaN', feeds: [feed('a', 1_000, Number.NaN)], maxConcurrent: 1 },
  ])('constructor rejects $name', ({ feeds, maxConcurrent }) => {
    const options = { clock: new ManualClock(T0), random: () => 0.5, maxConcurrent, logger: pino({ level: 'silent' }) };

    expect(() => new RefreshScheduler(feeds, async () => {}, options)).toThrow(RangeError);
  });
});
