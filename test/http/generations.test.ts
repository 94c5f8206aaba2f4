/**
 * Generation retention: each publish prunes all but the newest `build.keepGenerations` folders, never
 * the current one, and a server started afterwards serves the newest.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_KEEP_GENERATIONS } from '../../src/config.js';
import { corpusFile, readLines } from '../helpers/corpus.js';
import { lookupOne } from '../helpers/http.js';
import { ESET_FILES } from '../helpers/reference.js';
import { TestBed, inspectFeedFolder } from '../helpers/testbed.js';

const FEED_ID = 'retained';
const BUILDS = 5;
const base = readLines(corpusFile(ESET_FILES.md5)).slice(0, 50);
const added = Array.from({ length: BUILDS }, (_, index) => createHash('sha256').update(`build ${index + 1}`).digest('hex'));

const beds: TestBed[] = [];

afterEach(async () => {
  for (const bed of beds.splice(0)) await bed.close();
});

describe('generation retention', () => {
  test('default keeps three', () => {
    expect(DEFAULT_KEEP_GENERATIONS).toBe(3);
  });

  test.each([
    { name: 'default', keepGenerations: undefined, kept: 3 },
    { name: 'keep 1', keepGenerations: 1, kept: 1 },
    { name: 'keep 5', keepGenerations: 5, kept: 5 },
  ])('$name after 5 builds', async ({ keepGenerations, kept }) => {
    const bed = new TestBed();
    beds.push(bed);
    const sourcePath = bed.writeFile('feed.txt', '');
    const config = bed.configure({
      ...(keepGenerations === undefined ? {} : { build: { keepGenerations } }),
      feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', path: sourcePath }],
    });
    const pool = bed.pool();

    // Build k publishes the base hashes plus the first k added ones.
    const published: string[] = [];
    for (let k = 1; k <= BUILDS; k++) {
      bed.writeFile('feed.txt', `${[...base, ...added.slice(0, k)].join('\n')}\n`);
      const manifest = await bed.build(config, FEED_ID, pool);
      expect(manifest.keys).toBe(base.length + k);
      published.push(manifest.generation);
    }

    const folder = inspectFeedFolder(config, FEED_ID);
    expect(new Set(published).size).toBe(BUILDS);
    expect(folder.generations).toEqual(published.slice(-kept));
    expect(folder.current).toBe(published[BUILDS - 1]);
    expect(folder.temporary).toEqual([]);
    expect(folder.locked).toBe(false);

    const server = await bed.start(config, pool);
    const newest = await lookupOne(server.url, added[BUILDS - 1]!);
    expect(newest.verdict).toBe('deny');
    expect(newest.matches[0]!.generation).toBe(published[BUILDS - 1]);
  });
});
