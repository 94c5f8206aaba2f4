/**
 * Generations published while the server answers lookups: no request fails, each reply is
 * consistent with exactly one published generation, and the old generation keeps serving lookups
 * until the catalog swaps it out.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { Matcher } from '../../src/lookup.js';
import type { Catalog } from '../../src/store/catalog.js';
import { corpusFile, readLines } from '../helpers/corpus.js';
import { getJson, lookupJson, lookupOne } from '../helpers/http.js';
import { ESET_FILES } from '../helpers/reference.js';
import { TestBed, inspectFeedFolder, waitFor } from '../helpers/testbed.js';

const FEED_ID = 'swap';
const CLIENTS = 4;
/** The traffic stops at whichever comes first: this many requests, this much time, or the last publish seen. */
const MAX_REQUESTS = 20_000;
const MAX_TRAFFIC_MS = 20_000;
const REBUILDS = 3;

const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');
const base = readLines(corpusFile(ESET_FILES.sha256)).slice(0, 200);
const added = Array.from({ length: REBUILDS }, (_, index) => sha256Of(`added-in-rebuild-${index + 1}`));
const absent = sha256Of('never published');

/** Builds the source text of generation `k`: the base hashes plus the first `k` added ones. */
function sourceText(k: number): string {
  return [...base, ...added.slice(0, k), ''].join('\n');
}

describe('hot swap under traffic', () => {
  const bed = new TestBed();

  afterAll(async () => {
    await bed.close();
  });

  test('no request fails during rebuilds', async () => {
    const sourcePath = bed.writeFile('feed.txt', sourceText(0));
    const config = bed.configure({
      server: { reloadIntervalMs: 100 },
      feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', path: sourcePath }],
    });
    const server = await bed.start(config);
    const pool = bed.pool();
    const published = [inspectFeedFolder(config, FEED_ID).current!];
    const items = [base[0]!, base[base.length - 1]!, absent, ...added];

    // Replies are recorded as they arrive, because the builder waits for one from each new generation.
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const observed = new Map<string, number>();
    const inconsistent: string[] = [];
    let requests = 0;
    let done = false;
    const started = Date.now();

    const checkReply = (body: { results: { verdict: string; matches: { generation: string }[] }[] }): void => {
      const names = new Set(body.results.flatMap((result) => result.matches.map((match) => match.generation)));
      const [generation] = [...names];
      const index = generation === undefined ? -1 : published.indexOf(generation);
      const expected = ['deny', 'deny', 'unknown', ...added.map((_, k) => (k < index ? 'deny' : 'unknown'))];
      const verdicts = body.results.map((result) => result.verdict);
      if (names.size !== 1 || index === -1 || verdicts.join() !== expected.join()) {
        inconsistent.push(`${[...names].join('+')}: ${verdicts.join(',')}`);
        return;
      }
      observed.set(generation!, (observed.get(generation!) ?? 0) + 1);
    };

    const client = async (): Promise<void> => {
      while (!done && requests < MAX_REQUESTS && Date.now() - started < MAX_TRAFFIC_MS) {
        requests++;
        try {
          const reply = await lookupJson(server.url, items);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status === 200) checkReply(reply.body);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };

    const rebuild = async (): Promise<void> => {
      try {
        for (let k = 1; k <= REBUILDS; k++) {
          bed.writeFile('feed.txt', sourceText(k));
          const manifest = await bed.build(config, FEED_ID, pool);
          published.push(manifest.generation);
          // Bounded: the next rebuild starts once a reply from this generation arrived.
          await waitFor(`a reply from generation ${manifest.generation}`, () => (observed.has(manifest.generation) ? true : undefined), 10_000);
        }
        const last = published[published.length - 1]!;
        const found = await waitFor('the last added hash', async () => {
          const result = await lookupOne(server.url, added[REBUILDS - 1]!);
          return result.verdict === 'deny' ? result : undefined;
        });
        expect(found.matches[0]!.generation).toBe(last);
      } finally {
        done = true;
      }
    };

    await Promise.all([rebuild(), ...Array.from({ length: CLIENTS }, () => client())]);

    expect(failures).toEqual([]);
    expect([...statuses.keys()]).toEqual([200]);
    expect(inconsistent).toEqual([]);
    expect([...observed.keys()].sort()).toEqual([...published].sort());
    expect(published).toHaveLength(REBUILDS + 1);
    expect(requests).toBeLessThanOrEqual(MAX_REQUESTS + CLIENTS);
  });
});

describe('old generation until swap', () => {
  const bed = new TestBed();

  afterAll(async () => {
    await bed.close();
  });

  test('old stores answer until swapped', async () => {
    const sourcePath = bed.writeFile('feed.txt', sourceText(0));
    // Long enough that only the explicit refresh() below swaps generations.
    const config = bed.configure({
      server: { reloadIntervalMs: 600_000 },
      feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', path: sourcePath }],
    });
    const server = await bed.start(config);
    const pool = bed.pool();
    const oldGeneration = inspectFeedFolder(config, FEED_ID).current!;
    const oldServing = server.catalog.serving;

    // The new source drops base[0] and adds added[0].
    bed.writeFile('feed.txt', [...base.slice(1), added[0]!, ''].join('\n'));
    const manifest = await bed.build(config, FEED_ID, pool);
    expect(inspectFeedFolder(config, FEED_ID).current).toBe(manifest.generation);

    const beforeDropped = await lookupOne(server.url, base[0]!);
    const beforeAdded = await lookupOne(server.url, added[0]!);
    expect(beforeDropped.verdict).toBe('deny');
    expect(beforeDropped.matches[0]!.generation).toBe(oldGeneration);
    expect(beforeAdded.verdict).toBe('unknown');

    expect(server.catalog.refresh()).toEqual([FEED_ID]);

    const afterDropped = await lookupOne(server.url, base[0]!);
    const afterAdded = await lookupOne(server.url, added[0]!);
    expect(afterDropped.verdict).toBe('unknown');
    expect(afterAdded.verdict).toBe('deny');
    expect(afterAdded.matches[0]!.generation).toBe(manifest.generation);

    const feeds = await getJson<{ feeds: { generation: string; keys: number }[] }>(server.url, '/v1/feeds');
    expect(feeds.body.feeds[0]!.generation).toBe(manifest.generation);
    expect(feeds.body.feeds[0]!.keys).toBe(base.length);

    // A batch that read `serving` before the swap still finds its data in the old stores.
    const oldMatcher = new Matcher({ serving: oldServing } as unknown as Catalog);
    const oldResults = oldMatcher.lookupMany([base[0]!, added[0]!]);
    expect(oldResults.results[0]!.verdict).toBe('deny');
    expect(oldResults.results[0]!.matches[0]!.generation).toBe(oldGeneration);
    expect(oldResults.results[1]!.verdict).toBe('unknown');
  });

});
