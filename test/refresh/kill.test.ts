/**
 * `verdict refresh` of a URL feed killed with SIGKILL at each failpoint: inside the download, after
 * parsing, after the shards, before the manifest and after the rename. The source replies slowly in
 * several chunks, so the download failpoint lands in the middle of the body. After a restart on the
 * same data folder the last good generation serves, nothing the dead refresh left remains, and the
 * next refresh publishes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { feedDirectory } from '../../src/store/layout.js';
import { runCli } from '../helpers/cli.js';
import { FeedServer, type FeedReply } from '../helpers/feed-server.js';
import { getJson, lookupOne } from '../helpers/http.js';
import { HASHES, RefreshBed, adminRefresh, downloads, hashList, leftovers } from '../helpers/refresh-bed.js';
import { inspectFeedFolder } from '../helpers/testbed.js';

const FEED_ID = 'killed';
const FEED_PATH = '/feed.sha256';
/** Five chunks 150 ms apart: the body takes 600 ms, so a kill at the first write is mid-body. */
const SLOW = { chunks: 5, chunkDelayMs: 150 } as const;
const V1: FeedReply = { body: hashList(0, 100), etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 00:00:00 GMT', ...SLOW };
const V2: FeedReply = { body: hashList(0, 110), etag: '"v2"', lastModified: 'Wed, 02 Dec 2026 00:00:00 GMT', ...SLOW };

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test.each([
  { point: 'fetch:during-download', part: true, temporary: 0, orphan: false },
  { point: 'build:after-parse', part: false, temporary: 1, orphan: false },
  { point: 'build:after-shards', part: false, temporary: 1, orphan: false },
  { point: 'build:before-publish', part: false, temporary: 1, orphan: false },
  { point: 'build:after-rename', part: false, temporary: 0, orphan: true },
])('$point keeps last good', async ({ point, part, temporary, orphan }) => {
  const source = await FeedServer.start();
  cleanups.push(() => source.close());
  const bed = new RefreshBed();
  cleanups.push(() => bed.close());
  source.serve(FEED_PATH, V1);
  const config = bed.configureJson({
    server: { reloadIntervalMs: 100 },
    refresh: { schedule: false },
    feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', url: source.url(FEED_PATH), refresh: { retries: 0 } }],
  });
  const first = await bed.serve(config);
  const good = inspectFeedFolder(config, FEED_ID).current!;

  // The refresh dies at the failpoint.
  source.serve(FEED_PATH, V2);
  const killed = await runCli(['refresh', '--config', bed.configPath, '--feed', FEED_ID], { VERDICT_FAILPOINT: point });
  const left = inspectFeedFolder(config, FEED_ID);
  const dead = leftovers(config, FEED_ID);
  const orphans = left.generations.filter((name) => name !== good);

  expect(killed.signal).toBe('SIGKILL');
  expect(killed.code).toBe(null);
  expect(source.requests(FEED_PATH).at(-1)!.headers['if-none-match']).toBe('"v1"');
  expect(left.current).toBe(good);
  expect(dead.locked).toBe(true);
  expect(dead.temporary).toHaveLength(temporary);
  expect(dead.parts).toEqual(part ? ['source.part'] : []);
  expect(orphans).toHaveLength(orphan ? 1 : 0);
  if (part) {
    const partBytes = statSync(join(feedDirectory(config.dataDir, FEED_ID), 'downloads', 'source.part')).size;
    expect(partBytes).toBeGreaterThan(0);
    expect(partBytes).toBeLessThan(Buffer.byteLength(V2.body as string));
  }

  // A restart on the same data folder cleans up and serves the last good generation.
  await bed.stop(first);
  const restarted = await bed.serve(config);
  const hit = await lookupOne(restarted.url, HASHES[0]!);
  const miss = await lookupOne(restarted.url, HASHES[105]!);
  const ready = await getJson(restarted.url, '/readyz');

  expect(leftovers(config, FEED_ID)).toEqual({ temporary: [], locked: false, parts: [] });
  expect(inspectFeedFolder(config, FEED_ID).current).toBe(good);
  expect(hit.matches.map((match) => match.generation)).toEqual([good]);
  expect(miss.verdict).toBe('unknown');
  expect(ready.status).toBe(200);

  // The next refresh publishes, and prunes a generation the dead refresh renamed into place.
  const next = await adminRefresh(restarted.url, FEED_ID);
  const generation = next.body['generation'] as string;
  const added = await lookupOne(restarted.url, HASHES[105]!);

  expect(next.body).toEqual({ feed: FEED_ID, status: 'published', generation, keys: 110 });
  expect(generation).not.toBe(good);
  expect(added.matches.map((match) => match.generation)).toEqual([generation]);
  expect(inspectFeedFolder(config, FEED_ID).generations).toEqual([good, generation].sort());
  expect(leftovers(config, FEED_ID)).toEqual({ temporary: [], locked: false, parts: [] });
  expect(downloads(config, FEED_ID)).toEqual(['source']);
});
