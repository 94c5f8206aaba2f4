/**
 * Builds that die or fail half way: the `verdict build` command killed with SIGKILL at each failpoint,
 * a source with too many bad lines, and a UTF-16 source without a byte order mark. In every case the
 * served generation stays, and the next start or build removes what the dead build left.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { VerdictConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import type { RunningServer } from '../../src/server.js';
import { Catalog } from '../../src/store/catalog.js';
import { MANIFEST_FILE, feedDirectory } from '../../src/store/layout.js';
import { runCli } from '../helpers/cli.js';
import { corpusFile, readLines } from '../helpers/corpus.js';
import { getJson, lookupOne } from '../helpers/http.js';
import { ESET_FILES } from '../helpers/reference.js';
import { TestBed, inspectFeedFolder, waitFor } from '../helpers/testbed.js';

const FEED_ID = 'crash';
const base = readLines(corpusFile(ESET_FILES.sha256)).slice(0, 100);
const addedHash = createHash('sha256').update('added by the second build').digest('hex');
/** Reload interval of the running server. Tests wait a few intervals before checking that nothing changed. */
const RELOAD_MS = 100;

const beds: TestBed[] = [];

afterEach(async () => {
  for (const bed of beds.splice(0)) await bed.close();
});

interface Setup {
  readonly bed: TestBed;
  readonly config: VerdictConfig;
  readonly server: RunningServer;
  readonly oldGeneration: string;
}

/** Publishes a first generation of `base` and serves it, then adds `addedHash` to the source. */
async function serveFirstGeneration(feedOptions: Record<string, unknown> = {}): Promise<Setup> {
  const bed = new TestBed();
  beds.push(bed);
  const sourcePath = bed.writeFile('feed.txt', `${base.join('\n')}\n`);
  const config = bed.configure({
    server: { reloadIntervalMs: RELOAD_MS },
    feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', path: sourcePath, ...feedOptions }],
  });
  const server = await bed.start(config);
  const oldGeneration = inspectFeedFolder(config, FEED_ID).current!;
  bed.writeFile('feed.txt', `${[...base, addedHash].join('\n')}\n`);
  return { bed, config, server, oldGeneration };
}

/** Checks over HTTP that the server still serves `generation` after a few reload intervals. */
async function expectServing(server: RunningServer, generation: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, RELOAD_MS * 3));
  const unchanged = await lookupOne(server.url, base[0]!);
  const added = await lookupOne(server.url, addedHash);
  const ready = await getJson(server.url, '/readyz');
  expect(unchanged.verdict).toBe('deny');
  expect(unchanged.matches[0]!.generation).toBe(generation);
  expect(added.verdict).toBe('unknown');
  expect(ready.status).toBe(200);
}

describe('build killed at a failpoint', () => {
  test.each([
    { point: 'build:after-parse', temporaryFolders: 1, newGenerationFolder: false },
    { point: 'build:after-shards', temporaryFolders: 1, newGenerationFolder: false },
    { point: 'build:before-publish', temporaryFolders: 1, newGenerationFolder: false },
    { point: 'build:after-rename', temporaryFolders: 0, newGenerationFolder: true },
  ])('$point keeps old generation', async ({ point, temporaryFolders, newGenerationFolder }) => {
    const { bed, config, server, oldGeneration } = await serveFirstGeneration();

    const killed = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID], { VERDICT_FAILPOINT: point });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.code).toBe(null);

    // What the dead build left on disk.
    const left = inspectFeedFolder(config, FEED_ID);
    const orphans = left.generations.filter((name) => name !== oldGeneration);
    expect(left.current).toBe(oldGeneration);
    expect(left.locked).toBe(true);
    expect(left.temporary).toHaveLength(temporaryFolders);
    expect(orphans).toHaveLength(newGenerationFolder ? 1 : 0);
    if (newGenerationFolder) expect(existsSync(join(feedDirectory(config.dataDir, FEED_ID), orphans[0]!, MANIFEST_FILE))).toBe(true);

    await expectServing(server, oldGeneration);

    // The next start removes the leftovers.
    new Catalog(config, silentLogger()).cleanUpPartialBuilds();
    const cleaned = inspectFeedFolder(config, FEED_ID);
    expect(cleaned.temporary).toEqual([]);
    expect(cleaned.locked).toBe(false);
    expect(cleaned.current).toBe(oldGeneration);

    // A normal build then publishes, and the running server swaps to it.
    const rebuilt = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID]);
    const published = inspectFeedFolder(config, FEED_ID);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(new RegExp(`^${FEED_ID}: published ${published.current}: 101 keys \\(sha256 101\\), 0 duplicates, 0 bad lines, \\d+ ms\\n$`));
    expect(published.current).not.toBe(oldGeneration);
    expect(published.temporary).toEqual([]);
    expect(published.locked).toBe(false);
    // A generation that was never published nor refused is pruned by the next publish.
    expect(published.generations).toEqual([oldGeneration, published.current!].sort());
    const found = await waitFor('the rebuilt generation', async () => {
      const result = await lookupOne(server.url, addedHash);
      return result.verdict === 'deny' ? result : undefined;
    });
    expect(found.matches[0]!.generation).toBe(published.current);
  });

  test('new server removes leftovers', async () => {
    const { bed, config, server, oldGeneration } = await serveFirstGeneration();
    const killed = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID], { VERDICT_FAILPOINT: 'build:after-shards' });
    expect(killed.signal).toBe('SIGKILL');
    await server.close();

    const restarted = await bed.start(config);
    const folder = inspectFeedFolder(config, FEED_ID);
    expect(folder.temporary).toEqual([]);
    expect(folder.locked).toBe(false);
    expect(folder.current).toBe(oldGeneration);
    await expectServing(restarted, oldGeneration);
  });

  test('build command takes stale lock', async () => {
    const { bed, config, oldGeneration } = await serveFirstGeneration();
    const killed = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID], { VERDICT_FAILPOINT: 'build:before-publish' });
    expect(killed.signal).toBe('SIGKILL');
    expect(inspectFeedFolder(config, FEED_ID).locked).toBe(true);

    // No cleanup in between: the build command itself removes the dead build's lock and folder.
    const rebuilt = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID]);
    const folder = inspectFeedFolder(config, FEED_ID);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toBe('');
    expect(folder.current).not.toBe(oldGeneration);
    expect(folder.temporary).toEqual([]);
    expect(folder.locked).toBe(false);
  });
});

describe('too many bad lines', () => {
  test.each([
    { good: 90, bad: 10, published: true, message: undefined },
    {
      good: 89,
      bad: 11,
      published: false,
      message: `Feed ${FEED_ID}: 11 of 100 lines (11.0%) could not be parsed, more than the threshold of 10%; the previous generation keeps serving`,
    },
    {
      good: 80,
      bad: 20,
      published: false,
      message: `Feed ${FEED_ID}: 20 of 100 lines (20.0%) could not be parsed, more than the threshold of 10%; the previous generation keeps serving`,
    },
  ])('$bad bad of $good good lines', async ({ good, bad, published, message }) => {
    const { bed, config, server, oldGeneration } = await serveFirstGeneration();
    const garbage = Array.from({ length: bad }, (_, index) => `garbage line ${index + 1}`);
    bed.writeFile('feed.txt', `${[...base.slice(0, good - 1), addedHash, ...garbage].join('\n')}\n`);
    const pool = bed.pool();

    if (published) {
      const manifest = await bed.build(config, FEED_ID, pool);
      expect(manifest.badLines.total).toBe(bad);
      expect(manifest.keys).toBe(good);
      return;
    }

    const failure = bed.build(config, FEED_ID, pool);
    await expect(failure).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_TOO_MANY_BAD_LINES' });
    await expect(failure).rejects.toThrow(message);
    const folder = inspectFeedFolder(config, FEED_ID);
    expect(folder.current).toBe(oldGeneration);
    // The refused generation is kept for inspection, marked with the guards it failed.
    const refused = folder.generations.filter((name) => name !== oldGeneration);
    expect(refused).toHaveLength(1);
    expect(existsSync(join(feedDirectory(config.dataDir, FEED_ID), refused[0]!, 'REFUSED.json'))).toBe(true);
    expect(folder.temporary).toEqual([]);
    expect(folder.locked).toBe(false);
    await expectServing(server, oldGeneration);
  });

  test('command reports bad lines', async () => {
    const { bed } = await serveFirstGeneration();
    bed.writeFile('feed.txt', `${[...base.slice(0, 80), ...Array.from({ length: 20 }, () => 'garbage')].join('\n')}\n`);
    const run = await runCli(['build', '--config', bed.configPath, '--feed', FEED_ID]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `${FEED_ID}: Feed ${FEED_ID}: 20 of 100 lines (20.0%) could not be parsed, more than the threshold of 10%; the previous generation keeps serving\n`,
    );
  });
});

describe('source encoding', () => {
  const text = `${base.slice(0, 10).join('\n')}\n`;

  test('UTF-16LE without BOM rejected', async () => {
    const { bed, config, server, oldGeneration } = await serveFirstGeneration();
    const bytes = Buffer.from(text, 'utf16le');
    const path = bed.writeFile('feed.txt', bytes);
    const nulBytes = bytes.filter((byte) => byte === 0).length;
    const failure = bed.build(config, FEED_ID, bed.pool());

    await expect(failure).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_ENCODING' });
    await expect(failure).rejects.toThrow(
      `Feed ${FEED_ID}: ${path} looks like UTF-16 without a byte order mark (${nulBytes} NUL bytes in the first ${bytes.length}); convert it to UTF-8 or save it with a BOM`,
    );
    expect(nulBytes).toBe(text.length);
    const folder = inspectFeedFolder(config, FEED_ID);
    expect(folder.current).toBe(oldGeneration);
    expect(folder.temporary).toEqual([]);
    expect(folder.locked).toBe(false);
    await expectServing(server, oldGeneration);
  });

  test.each([
    { name: 'UTF-16LE with BOM', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) },
    { name: 'UTF-16BE with BOM', bytes: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]) },
    { name: 'UTF-8 with BOM', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]) },
  ])('$name accepted', async ({ bytes }) => {
    // Ten keys replace a hundred, which the shrink guard would refuse.
    const { bed, config } = await serveFirstGeneration({ guards: { maxShrinkPercent: 100 } });
    bed.writeFile('feed.txt', bytes);
    const manifest = await bed.build(config, FEED_ID, bed.pool());
    expect(manifest.keys).toBe(10);
    expect(manifest.badLines.total).toBe(0);
  });
});
