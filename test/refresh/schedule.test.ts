/**
 * The refresh schedule of a serving process, driven by a ManualClock with jitter fixed at its midpoint
 * (random 0.5). Each feed refreshes one interval after its last refresh ended, and a feed never runs two
 * refreshes at once. refresh.maxConcurrentBuilds caps runs across feeds. A feed older than two intervals
 * is reported stale while /readyz stays ready. Feeds are built before the server starts, with the
 * clock's start time as their creation time, so every due time is exact.
 */
import { afterEach, expect, test } from 'vitest';
import type { VerdictConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { ManualClock } from '../../src/refresh/clock.js';
import { buildFeed } from '../../src/refresh/refresh-feed.js';
import type { RunningServer } from '../../src/server.js';
import { FeedServer, Gate, type FeedReply } from '../helpers/feed-server.js';
import { getJson, lookupOne } from '../helpers/http.js';
import { HASHES, RefreshBed, adminRefresh, hashList, iso } from '../helpers/refresh-bed.js';
import { feedStatus } from '../helpers/served-feeds.js';
import { feedOf, waitFor } from '../helpers/testbed.js';

/** Start of the clock and creation time of the first generation of every feed. */
const T0 = Date.parse('2026-12-04T10:00:00.000Z');

interface ScheduledFeed {
  readonly id: string;
  readonly intervalSeconds: number;
}

interface Setup {
  readonly source: FeedServer;
  readonly bed: RefreshBed;
  readonly config: VerdictConfig;
  readonly clock: ManualClock;
  readonly server: RunningServer;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pathOf(feedId: string): string {
  return `/${feedId}.sha256`;
}

function reply(gate?: Gate): FeedReply {
  return { body: hashList(0, 50), etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 00:00:00 GMT', ...(gate === undefined ? {} : { gate }) };
}

/**
 * Serves each feed from a local source, builds it at T0, and starts a scheduling server whose clock
 * starts at `clockStart`.
 */
async function setup(feeds: readonly ScheduledFeed[], maxConcurrentBuilds = 1, clockStart = T0): Promise<Setup> {
  const source = await FeedServer.start();
  cleanups.push(() => source.close());
  const bed = new RefreshBed();
  cleanups.push(() => bed.close());
  for (const feed of feeds) source.serve(pathOf(feed.id), reply());
  const config = bed.configureJson({
    refresh: { maxConcurrentBuilds },
    feeds: feeds.map((feed) => ({
      id: feed.id,
      list: 'deny',
      format: 'hash-list',
      url: source.url(pathOf(feed.id)),
      refresh: { intervalSeconds: feed.intervalSeconds },
    })),
  });

  const pool = bed.pool();
  for (const feed of feeds) {
    await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger: silentLogger(), now: () => new Date(T0) }, feedOf(config, feed.id));
  }

  const clock = new ManualClock(clockStart);
  const server = await bed.serve(config, {
    pool,
    schedule: true,
    clock,
    random: () => 0.5,
    refreshDependencies: { now: () => new Date(clock.now()) },
  });
  return { source, bed, config, clock, server };
}

/** Waits until no feed has a refresh queued or running, which is when each has its next one planned. */
async function settled(server: RunningServer, feedIds: readonly string[]): Promise<void> {
  await waitFor('scheduled refreshes to finish', () =>
    feedIds.every((id) => server.scheduler!.status(id).nextRunAt !== undefined) ? true : undefined,
  );
}

test('feeds refresh at intervals', async () => {
  const { source, clock, server } = await setup([
    { id: 'a', intervalSeconds: 60 },
    { id: 'b', intervalSeconds: 90 },
  ]);
  const steps = [
    { at: 0, fetches: { a: 1, b: 1 }, next: { a: 60, b: 90 }, attempted: { a: 0, b: 0 } },
    { at: 59.999, fetches: { a: 1, b: 1 }, next: { a: 60, b: 90 }, attempted: { a: 0, b: 0 } },
    { at: 60, fetches: { a: 2, b: 1 }, next: { a: 120, b: 90 }, attempted: { a: 60, b: 0 } },
    { at: 90, fetches: { a: 2, b: 2 }, next: { a: 120, b: 180 }, attempted: { a: 60, b: 90 } },
    { at: 120, fetches: { a: 3, b: 2 }, next: { a: 180, b: 180 }, attempted: { a: 120, b: 90 } },
    { at: 180, fetches: { a: 4, b: 3 }, next: { a: 240, b: 270 }, attempted: { a: 180, b: 180 } },
  ];

  for (const step of steps) {
    await clock.advance(T0 + step.at * 1000 - clock.now());
    await settled(server, ['a', 'b']);
    for (const id of ['a', 'b'] as const) {
      const feed = await feedStatus(server.url, id);
      const where = `feed ${id} at ${step.at} s`;
      expect(source.count(pathOf(id)), where).toBe(step.fetches[id]);
      expect(feed['nextRefreshAt'], where).toBe(iso(T0 + step.next[id] * 1000));
      expect(feed['lastAttemptAt'], where).toBe(iso(T0 + step.attempted[id] * 1000));
      expect(feed['refreshing'], where).toBe(false);
    }
  }
});

test('feed never overlaps itself', async () => {
  const { source, bed, clock, server } = await setup([{ id: 'a', intervalSeconds: 60 }]);
  const gate = new Gate();
  source.serve(pathOf('a'), reply(gate));
  source.resetPeak();

  // The scheduled run starts and its download is held.
  await clock.advance(60_000);
  await waitFor('the scheduled download', () => (source.inFlight === 1 ? true : undefined));
  const running = await feedStatus(server.url, 'a');

  expect(running['refreshing']).toBe(true);
  expect(running['nextRefreshAt']).toBeUndefined();
  expect(clock.pending()).toEqual([]);

  // Two more intervals pass and the admin API requests a refresh, and both join the held run.
  await clock.advance(120_000);
  const joined = adminRefresh(server.url, 'a');
  await waitFor('the admin request', () => (bed.logs.messages().includes('refresh requested through the admin API') ? true : undefined));

  expect(source.count(pathOf('a'))).toBe(2);

  gate.open();
  const outcome = await joined;
  await settled(server, ['a']);
  const after = await feedStatus(server.url, 'a');

  expect(outcome.body).toEqual({ feed: 'a', status: 'unchanged', generation: after['generation'] });
  expect(source.count(pathOf('a'))).toBe(2);
  expect(source.peakInFlight).toBe(1);
  expect(after['nextRefreshAt']).toBe(iso(T0 + 240_000));
  expect(clock.pending()).toEqual([T0 + 240_000]);
});

test.each([{ max: 1 }, { max: 2 }])('maxConcurrentBuilds $max respected', async ({ max }) => {
  const { source, clock, server } = await setup(
    [
      { id: 'a', intervalSeconds: 60 },
      { id: 'b', intervalSeconds: 60 },
    ],
    max,
  );
  const gate = new Gate();
  source.serve(pathOf('a'), reply(gate));
  source.serve(pathOf('b'), reply(gate));
  source.resetPeak();

  // Both feeds are due at the same time, so `max` of them start and the rest wait in the queue.
  await clock.advance(60_000);
  await waitFor('the first downloads', () => (source.inFlight === max ? true : undefined));
  const a = await feedStatus(server.url, 'a');
  const b = await feedStatus(server.url, 'b');

  expect(server.scheduler!.status('a').running).toBe(true);
  expect(server.scheduler!.status('b').queued).toBe(max === 1);
  expect(server.scheduler!.status('b').running).toBe(max === 2);
  expect(a['refreshing']).toBe(true);
  expect(b['refreshing']).toBe(max === 2);
  expect(source.count(pathOf('b'))).toBe(max === 2 ? 2 : 1);

  gate.open();
  await settled(server, ['a', 'b']);

  expect(source.peakInFlight).toBe(max);
  expect(source.count(pathOf('a'))).toBe(2);
  expect(source.count(pathOf('b'))).toBe(2);
  expect((await feedStatus(server.url, 'a'))['nextRefreshAt']).toBe(iso(T0 + 120_000));
  expect((await feedStatus(server.url, 'b'))['nextRefreshAt']).toBe(iso(T0 + 120_000));
});

test.each([
  { age: 120_000, stale: { a: false, b: false }, listed: [], next: { a: 120_000, b: 3_600_000 } },
  { age: 120_001, stale: { a: true, b: false }, listed: ['a'], next: { a: 120_001, b: 3_600_000 } },
  { age: 7_200_001, stale: { a: true, b: true }, listed: ['a', 'b'], next: { a: 7_200_001, b: 7_200_001 } },
])('data $age ms old marks stale', async ({ age, stale, listed, next }) => {
  const { source, server } = await setup(
    [
      { id: 'a', intervalSeconds: 60 },
      { id: 'b', intervalSeconds: 3600 },
    ],
    1,
    T0 + age,
  );
  const ready = await getJson(server.url, '/readyz');
  const hit = await lookupOne(server.url, HASHES[0]!);

  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', feeds: ['a', 'b'], stale: listed });
  expect(hit.verdict).toBe('deny');
  for (const id of ['a', 'b'] as const) {
    const feed = await feedStatus(server.url, id);
    expect(feed['stale'], id).toBe(stale[id]);
    expect(feed['ageSeconds'], id).toBe(Math.floor(age / 1000));
    expect(feed['nextRefreshAt'], id).toBe(iso(T0 + next[id]));
    // Overdue feeds are due at once, but the manual clock has not moved, so nothing was fetched again.
    expect(source.count(pathOf(id)), id).toBe(1);
  }
});
