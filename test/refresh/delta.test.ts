/**
 * Delta feeds, whose generations add each new file to the previous one, over a local folder and over a
 * JSON listing of file URLs. Records keep the time of the first and the last file they were seen in.
 * Duplicates within and across files are merged and counted, and files already merged are never read
 * again. Records not seen within refresh.retentionDays are dropped and counted as expired.
 */
import { mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { VerdictConfig } from '../../src/config.js';
import { readManifest } from '../../src/build/manifest.js';
import type { LookupResult } from '../../src/lookup.js';
import { feedDirectory, readCurrent } from '../../src/store/layout.js';
import { FeedServer } from '../helpers/feed-server.js';
import { lookupOne } from '../helpers/http.js';
import { HASHES, RefreshBed, adminRefresh, downloads, hashList, iso } from '../helpers/refresh-bed.js';
import { feedStatus } from '../helpers/served-feeds.js';

const FEED_ID = 'delta';
const DAY = 86_400;
const LISTING_PATH = '/list.json';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Where a delta feed's files come from, and the time each file's records were seen, in seconds. */
interface DeltaSource {
  /** The source fields of the feed's configuration entry. */
  readonly feed: Record<string, unknown>;
  add(name: string, content: string, seconds: number): void;
  /** Changes a file that may already be merged. */
  rewrite(name: string, content: string): void;
  remove(name: string): void;
  /** Notes the seen time of each file the last refresh read. */
  recordStamps(config: VerdictConfig): void;
  stamp(name: string): number;
  /** Download count per file name, which is empty for a folder. */
  fetches(): Record<string, number>;
}

/** Files in a folder, whose seen time is their modification time as the test sets it. */
function folderSource(bed: RefreshBed): DeltaSource {
  const folder = join(bed.dir, 'incoming');
  mkdirSync(folder);
  const stamps = new Map<string, number>();
  return {
    feed: { path: folder },
    add(name, content, seconds) {
      writeFileSync(join(folder, name), content);
      utimesSync(join(folder, name), seconds, seconds);
      stamps.set(name, seconds);
    },
    rewrite(name, content) {
      writeFileSync(join(folder, name), content);
    },
    remove(name) {
      rmSync(join(folder, name));
    },
    recordStamps() {},
    stamp: (name) => stamps.get(name)!,
    fetches: () => ({}),
  };
}

/** Files named by a JSON listing, whose seen time is when the refresh downloaded them. */
function listingSource(server: FeedServer): DeltaSource {
  const listed: string[] = [];
  const stamps = new Map<string, number>();
  const filePath = (name: string): string => `/files/${name}`;
  const publishListing = (): void =>
    server.serve(LISTING_PATH, { body: JSON.stringify(listed.map((name) => server.url(filePath(name)))), contentType: 'application/json' });
  publishListing();
  return {
    feed: { url: server.url(LISTING_PATH), refresh: { listing: true } },
    add(name, content) {
      server.serve(filePath(name), { body: content });
      listed.push(name);
      publishListing();
    },
    rewrite(name, content) {
      server.serve(filePath(name), { body: content });
    },
    remove(name) {
      listed.splice(listed.indexOf(name), 1);
      publishListing();
    },
    recordStamps(config) {
      // Downloads are named NNNNN-<file name> and replaced by the next refresh of the listing.
      for (const download of downloads(config, FEED_ID)) {
        const mtime = statSync(join(feedDirectory(config.dataDir, FEED_ID), 'downloads', download)).mtimeMs;
        stamps.set(download.slice(6), Math.floor(mtime / 1000));
      }
    },
    stamp: (name) => stamps.get(name)!,
    fetches: () => Object.fromEntries(['0001.txt', '0002.txt', '0003.txt'].map((name) => [name, server.count(filePath(name))])),
  };
}

/** Writes the configuration of one delta feed from `source`, with `refresh` options added. */
function configure(bed: RefreshBed, source: DeltaSource, refresh: Record<string, unknown> = {}): VerdictConfig {
  const { refresh: sourceRefresh, ...where } = source.feed as { refresh?: Record<string, unknown> };
  return bed.configureJson({
    server: { reloadIntervalMs: 100 },
    refresh: { schedule: false },
    feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', ...where, refresh: { mode: 'delta', retries: 0, ...sourceRefresh, ...refresh } }],
  });
}

/** Returns the first- and last-seen times of each match of a lookup. */
function seen(result: LookupResult): { firstSeen?: string; lastSeen?: string }[] {
  return result.matches.map((match) => ({ firstSeen: match.firstSeen, lastSeen: match.lastSeen }));
}

/** Waits until the clock is in a later second than `seconds`, so files downloaded now get a later seen time. */
async function nextSecondAfter(seconds: number): Promise<void> {
  const wait = (seconds + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Builds the seen times of one match of a record first seen at `first` and last seen at `last`, in seconds. */
function seenAt(first: number, last: number): { firstSeen: string; lastSeen: string }[] {
  return [{ firstSeen: iso(first * 1000), lastSeen: iso(last * 1000) }];
}

test.each([
  { name: 'folder', create: (bed: RefreshBed) => folderSource(bed), fetched: {} },
  {
    name: 'URL listing',
    create: (_bed: RefreshBed, server: FeedServer) => listingSource(server),
    fetched: { '0001.txt': 1, '0002.txt': 1, '0003.txt': 1 },
  },
])('$name delta merges files', async ({ create, fetched }) => {
  const server = await FeedServer.start();
  cleanups.push(() => server.close());
  const bed = new RefreshBed();
  cleanups.push(() => bed.close());
  const source = create(bed, server);
  // Within the default retention of 5 days of the real clock, so no record expires here.
  const start = Math.floor(Date.now() / 1000) - 3 * DAY;

  // The first file publishes, and HASHES[0] appears in it twice.
  source.add('0001.txt', hashList(0, 10, [HASHES[0]!]), start);
  const config = configure(bed, source);
  const verdict = await bed.serve(config);
  source.recordStamps(config);
  const g1 = readCurrent(feedDirectory(config.dataDir, FEED_ID))!;
  const first = await feedStatus(verdict.url, FEED_ID);
  const h0 = await lookupOne(verdict.url, HASHES[0]!);

  expect(first['generation']).toBe(g1);
  expect(first['mode']).toBe('delta');
  expect(first['keys']).toBe(10);
  expect(first['records']).toBe(11);
  expect(first['duplicates']).toBe(1);
  expect(first['delta']).toBeUndefined();
  expect(seen(h0)).toEqual(seenAt(source.stamp('0001.txt'), source.stamp('0001.txt')));

  // The second file overlaps the first on HASHES[5..9] and repeats HASHES[14].
  source.add('0002.txt', hashList(5, 15, [HASHES[14]!]), start + DAY);
  await nextSecondAfter(source.stamp('0001.txt'));
  const second = await adminRefresh(verdict.url, FEED_ID);
  source.recordStamps(config);
  const g2 = second.body['generation'] as string;
  const merged = await feedStatus(verdict.url, FEED_ID);
  const both = await lookupOne(verdict.url, HASHES[5]!);
  const firstOnly = await lookupOne(verdict.url, HASHES[0]!);
  const secondOnly = await lookupOne(verdict.url, HASHES[12]!);

  expect(source.stamp('0002.txt')).toBeGreaterThan(source.stamp('0001.txt'));
  expect(second.body).toEqual({ feed: FEED_ID, status: 'published', generation: g2, keys: 15 });
  expect(merged['records']).toBe(11);
  expect(merged['duplicates']).toBe(6);
  expect(merged['delta']).toEqual({ previousGeneration: g1, carriedForward: 10, expired: 0 });
  expect(both.matches).toHaveLength(1);
  expect(seen(both)).toEqual(seenAt(source.stamp('0001.txt'), source.stamp('0002.txt')));
  expect(seen(firstOnly)).toEqual(seenAt(source.stamp('0001.txt'), source.stamp('0001.txt')));
  expect(seen(secondOnly)).toEqual(seenAt(source.stamp('0002.txt'), source.stamp('0002.txt')));

  // Without a new file, nothing is rebuilt.
  const idle = await adminRefresh(verdict.url, FEED_ID);

  expect(idle.body).toEqual({ feed: FEED_ID, status: 'unchanged', generation: g2 });

  // The first file goes away and the second changes after it was merged. Neither is read again.
  source.remove('0001.txt');
  source.rewrite('0002.txt', hashList(5, 15, [HASHES[99]!]));
  source.add('0003.txt', hashList(20, 25), start + 2 * DAY);
  await nextSecondAfter(source.stamp('0002.txt'));
  const third = await adminRefresh(verdict.url, FEED_ID);
  source.recordStamps(config);
  const g3 = third.body['generation'] as string;
  const carried = await feedStatus(verdict.url, FEED_ID);
  const removedFile = await lookupOne(verdict.url, HASHES[0]!);
  const rewritten = await lookupOne(verdict.url, HASHES[99]!);
  const thirdOnly = await lookupOne(verdict.url, HASHES[22]!);

  expect(third.body).toEqual({ feed: FEED_ID, status: 'published', generation: g3, keys: 20 });
  expect(carried['records']).toBe(5);
  expect(carried['duplicates']).toBe(0);
  expect(carried['delta']).toEqual({ previousGeneration: g2, carriedForward: 15, expired: 0 });
  expect(removedFile.matches.map((match) => match.generation)).toEqual([g3]);
  expect(seen(removedFile)).toEqual(seenAt(source.stamp('0001.txt'), source.stamp('0001.txt')));
  expect(rewritten.verdict).toBe('unknown');
  expect(seen(thirdOnly)).toEqual(seenAt(source.stamp('0003.txt'), source.stamp('0003.txt')));
  expect(source.fetches()).toEqual(fetched);
});

test.each([
  { name: 'at the limit', after: 5 * DAY, status: 'published', carried: 15, expired: 0, keys: 20, oldest: 'deny', middle: 'deny', newest: 'deny', reasons: undefined },
  { name: 'one second past', after: 5 * DAY + 1, status: 'published', carried: 10, expired: 5, keys: 15, oldest: 'unknown', middle: 'deny', newest: 'deny', reasons: undefined },
  // Every carried record expires; expired records do not count against the shrink guard.
  { name: 'past every record', after: 6 * DAY + 1, status: 'published', carried: 0, expired: 15, keys: 5, oldest: 'unknown', middle: 'unknown', newest: 'deny', reasons: undefined },
])('retention $name', async ({ after, status, carried, expired, keys, oldest, middle, newest, reasons }) => {
  const bed = new RefreshBed();
  cleanups.push(() => bed.close());
  const source = folderSource(bed);
  const start = Date.parse('2026-11-01T00:00:00.000Z') / 1000;
  let nowMs = Date.now();

  // HASHES[0..4] were last seen at `start`, HASHES[5..14] a day later.
  source.add('0001.txt', hashList(0, 10), start);
  source.add('0002.txt', hashList(5, 15), start + DAY);
  const config = configure(bed, source);
  const verdict = await bed.serve(config, { refreshDependencies: { now: () => new Date(nowMs) } });
  const feedDir = feedDirectory(config.dataDir, FEED_ID);
  const g1 = readCurrent(feedDir)!;
  const first = await feedStatus(verdict.url, FEED_ID);

  expect(first['keys']).toBe(15);
  expect(first['duplicates']).toBe(5);

  // A third file arrives `after` seconds past the first one.
  source.add('0003.txt', hashList(20, 25), start + 2 * DAY);
  nowMs = (start + after) * 1000;
  const reply = await adminRefresh(verdict.url, FEED_ID);
  const generation = reply.body['generation'] as string;
  const manifest = readManifest(join(feedDir, generation));
  const feed = await feedStatus(verdict.url, FEED_ID);
  const oldestHit = await lookupOne(verdict.url, HASHES[0]!);
  const middleHit = await lookupOne(verdict.url, HASHES[5]!);
  const newestHit = await lookupOne(verdict.url, HASHES[22]!);

  expect(reply.body['status']).toBe(status);
  expect(reply.body['keys']).toBe(keys);
  expect(manifest.delta).toEqual({ previousGeneration: g1, carriedForward: carried, expired });
  expect(manifest.records).toBe(5);
  expect(feed['generation']).toBe(status === 'published' ? generation : g1);
  expect(reply.body['reasons']).toEqual(reasons);
  expect(oldestHit.verdict).toBe(oldest);
  expect(middleHit.verdict).toBe(middle);
  if (middle === 'deny') expect(seen(middleHit)).toEqual(seenAt(start, start + DAY));
  expect(newestHit.verdict).toBe(newest);
});
