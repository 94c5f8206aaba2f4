/**
 * The operator's commands: `verdict publish` of a generation the guards refused, with and without
 * --force, and `verdict rollback` walking back through the publish history until none is left. A
 * running server on the same data folder switches to each generation the commands publish. The tests
 * are the steps of one scenario and run in file order.
 */
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { VerdictConfig } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import { REFUSED_FILE } from '../../src/refresh/refresh-feed.js';
import { feedDirectory, readCurrent } from '../../src/store/layout.js';
import { runCli } from '../helpers/cli.js';
import { lookupOne } from '../helpers/http.js';
import { HASHES, RefreshBed, hashList, readRefreshState } from '../helpers/refresh-bed.js';
import { waitFor } from '../helpers/testbed.js';

const FEED_ID = 'managed';
const SHRINK_REASON = 'the generation has 10 keys against 100 serving, 90.0% fewer, more than guards.maxShrinkPercent (50%)';

let bed: RefreshBed;
let config: VerdictConfig;
let server: RunningServer;
let feedDir: string;
let sourcePath: string;
/** Generations in the order they were made: [0] the first build, [1] the refused one, [2] the third. */
const generations: string[] = [];

/** Replaces the feed file with HASHES[0 .. count), dated `hoursAgo` hours before now. */
function writeSource(count: number, hoursAgo: number): void {
  writeFileSync(sourcePath, hashList(0, count));
  const seconds = Math.floor(Date.now() / 1000) - hoursAgo * 3600;
  utimesSync(sourcePath, seconds, seconds);
}

function verdict(...args: string[]): ReturnType<typeof runCli> {
  return runCli([...args, '--config', bed.configPath, '--feed', FEED_ID]);
}

/** Waits until the running server's match for HASHES[0] comes from `generation`. */
async function servedBy(generation: string): Promise<string> {
  return waitFor(`the server to serve ${generation}`, async () => {
    const result = await lookupOne(server.url, HASHES[0]!);
    const served = result.matches[0]?.generation;
    return served === generation ? served : undefined;
  });
}

function refusalMessage(generation: string): string {
  return (
    `Feed ${FEED_ID}: generation ${generation} was not published: ${SHRINK_REASON}. It is kept for inspection; ` +
    `publish it anyway with verdict publish --feed ${FEED_ID} --generation ${generation} --force`
  );
}

beforeAll(async () => {
  bed = new RefreshBed();
  sourcePath = join(bed.dir, 'feed.sha256');
  writeSource(100, 3);
  config = bed.configureJson({
    server: { reloadIntervalMs: 100 },
    refresh: { schedule: false },
    feeds: [{ id: FEED_ID, list: 'deny', format: 'hash-list', path: sourcePath }],
  });
  feedDir = feedDirectory(config.dataDir, FEED_ID);
  server = await bed.serve(config);
  generations.push(readCurrent(feedDir)!);
});

afterAll(async () => {
  await bed?.close();
});

describe('publish and rollback', () => {
  test('refresh keeps refused generation', async () => {
    writeSource(10, 2);
    const run = await verdict('refresh');
    const state = readRefreshState(config, FEED_ID);
    const refused = state.refused[0]!.generation;
    generations.push(refused);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${FEED_ID}: ${refusalMessage(refused)}\n`);
    expect(existsSync(join(feedDir, refused, REFUSED_FILE))).toBe(true);
    expect(readCurrent(feedDir)).toBe(generations[0]);
  });

  test('publish without force refuses', async () => {
    const run = await verdict('publish', '--generation', generations[1]!);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`verdict: ${refusalMessage(generations[1]!)} (VERDICT_ERR_GENERATION_REFUSED)\n`);
    expect(readCurrent(feedDir)).toBe(generations[0]);
    expect(await servedBy(generations[0]!)).toBe(generations[0]);
  });

  test('publish of unknown generation fails', async () => {
    const run = await verdict('publish', '--generation', '20260101T000000000Z-000000');
    const available = [generations[0]!, generations[1]!].sort().join(', ');

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `verdict: Feed ${FEED_ID}: generation 20260101T000000000Z-000000 not found (available: ${available}) (VERDICT_ERR_GENERATION_NOT_FOUND)\n`,
    );
    expect(readCurrent(feedDir)).toBe(generations[0]);
  });

  test('publish with force switches', async () => {
    const run = await verdict('publish', '--generation', generations[1]!, '--force');
    const state = readRefreshState(config, FEED_ID);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${FEED_ID}: published ${generations[1]} (was ${generations[0]})\n`);
    expect(readCurrent(feedDir)).toBe(generations[1]);
    expect(existsSync(join(feedDir, generations[1]!, REFUSED_FILE))).toBe(false);
    expect(state.refused).toEqual([]);
    expect(state.published).toEqual([generations[0], generations[1]]);
    expect(await servedBy(generations[1]!)).toBe(generations[1]);
    expect((await lookupOne(server.url, HASHES[50]!)).verdict).toBe('unknown');
  });

  test('refresh publishes third generation', async () => {
    writeSource(20, 1);
    const run = await verdict('refresh');
    const third = readCurrent(feedDir)!;
    generations.push(third);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${FEED_ID}: published ${third}: 20 keys\n`);
    expect(readRefreshState(config, FEED_ID).published).toEqual(generations);
    expect(await servedBy(third)).toBe(third);
  });

  test.each([
    { name: 'third to forced', from: 2, to: 1, history: [0, 1] },
    { name: 'forced to first', from: 1, to: 0, history: [0] },
  ])('rollback $name', async ({ from, to, history }) => {
    expect(readCurrent(feedDir)).toBe(generations[from]);

    const run = await verdict('rollback');

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${FEED_ID}: rolled back to ${generations[to]}\n`);
    expect(readCurrent(feedDir)).toBe(generations[to]);
    expect(readRefreshState(config, FEED_ID).published).toEqual(history.map((index) => generations[index]));
    expect(await servedBy(generations[to]!)).toBe(generations[to]);
  });

  test('rollback without previous fails', async () => {
    const run = await verdict('rollback');

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`verdict: Feed ${FEED_ID}: no earlier published generation to roll back to (VERDICT_ERR_GENERATION_NO_PREVIOUS)\n`);
    expect(readCurrent(feedDir)).toBe(generations[0]);
    expect(await servedBy(generations[0]!)).toBe(generations[0]);
    expect((await lookupOne(server.url, HASHES[50]!)).verdict).toBe('deny');
  });
});
