/**
 * Builds one feed into a new generation and publishes it:
 *
 *   lock -> parse (main thread, streaming) -> partition by shard -> sort + LMDB + bloom per shard
 *   (worker threads) -> MANIFEST.json -> rename folder into place -> switch CURRENT -> prune
 *
 * Everything before the rename happens in a `.tmp-` folder, so a failure or a kill at any point
 * leaves the serving generation untouched; the next build or server start removes the leftovers.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { VerdictError } from '../errors.js';
import type { BuildConfig, FeedConfig } from '../config.js';
import { FORMATS } from '../feeds/formats/index.js';
import { FileFeedSource } from '../feeds/input.js';
import { failpoint } from '../failpoints.js';
import type { Logger } from '../logger.js';
import {
  MANIFEST_FILE,
  TEMP_PREFIX,
  acquireBuildLock,
  feedDirectory,
  newGenerationName,
  publishGeneration,
  pruneGenerations,
  removePartialBuilds,
  shardFileNames,
} from '../store/layout.js';
import { ShardPartitioner } from './partition.js';
import { IndicatorPolicy } from './indicator-policy.js';
import type { ShardWriteRequest, ShardWriteResult } from './shard-writer.js';
import { STORE_FORMAT_VERSION, type Manifest } from './manifest.js';

/** Upper bound of the key buffers allocated before parsing; larger feeds grow them as they go. */
const MAX_PREALLOCATED_KEY_BYTES = 2 * 1024 ** 3;

export interface BuildContext {
  readonly dataDir: string;
  readonly build: BuildConfig;
  readonly pool: Piscina;
  readonly logger: Logger;
  readonly now?: () => Date;
}

function addCounts(target: Record<string, number>, source: Record<string, number>): void {
  for (const [name, count] of Object.entries(source)) target[name] = (target[name] ?? 0) + count;
}

function directoryBytes(path: string, names: string[]): number {
  return names.reduce((total, name) => total + statSync(join(path, name)).size, 0);
}

/** Builds and publishes `feed`; returns the new generation's manifest. Throws a VerdictError on failure. */
export async function buildFeed(context: BuildContext, feed: FeedConfig): Promise<Manifest> {
  const { logger } = context;
  const now = context.now ?? (() => new Date());
  const feedDir = feedDirectory(context.dataDir, feed.id);
  const format = FORMATS.get(feed.format);
  if (format === undefined) throw new VerdictError('VERDICT_ERR_FEED_FORMAT', { feed: feed.id, detail: `unknown format "${feed.format}"` });

  const releaseLock = acquireBuildLock(feedDir, feed.id);
  const started = performance.now();
  const generation = newGenerationName(now());
  const temporaryDir = join(feedDir, `${TEMP_PREFIX}${generation}`);
  try {
    removePartialBuilds(feedDir);
    let sourceStat;
    try {
      sourceStat = statSync(feed.path);
    } catch (error) {
      throw new VerdictError('VERDICT_ERR_FEED_UNREADABLE', { feed: feed.id, path: feed.path, detail: (error as Error).message }, { cause: error });
    }
    mkdirSync(temporaryDir, { recursive: true });
    logger.info({ feed: feed.id, generation, source: feed.path, format: feed.format }, 'feed build started');

    // Parse into per-shard record arrays.
    const source = new FileFeedSource(feed.id, feed.path);
    const partitioner = new ShardPartitioner(
      feed.shards,
      Math.min(sourceStat.size / 2, MAX_PREALLOCATED_KEY_BYTES),
      new IndicatorPolicy(feed.policy),
    );
    await format.parse({ feedId: feed.id, source, options: feed.options, sink: partitioner });
    const parseMs = performance.now() - started;

    const entries = partitioner.records + partitioner.badTotal;
    if (entries > 0 && partitioner.badTotal * 100 > feed.maxBadLinePercent * entries) {
      throw new VerdictError('VERDICT_ERR_FEED_TOO_MANY_BAD_LINES', {
        feed: feed.id,
        bad: partitioner.badTotal,
        total: entries,
        percent: ((partitioner.badTotal * 100) / entries).toFixed(1),
        threshold: feed.maxBadLinePercent,
      });
    }
    failpoint('build:after-parse');

    // Sort and write every shard in the worker pool; the record arrays are transferred, not copied.
    const shards = partitioner.takeShards();
    const results = await Promise.all(
      shards.map((records, index) => {
        const names = shardFileNames(index);
        const request: ShardWriteRequest = {
          ...records,
          lmdbPath: join(temporaryDir, names.lmdb),
          bloomPath: join(temporaryDir, names.bloom),
          bloom: { bitsPerKey: context.build.bloomBitsPerKey, hashes: context.build.bloomHashes },
        };
        const transferList = [...new Set([records.keys.buffer, records.keyEnds.buffer, records.values.buffer, records.valueEnds.buffer])] as ArrayBuffer[];
        return context.pool.run(request, { transferList }) as Promise<ShardWriteResult>;
      }),
    );
    failpoint('build:after-shards');

    // Manifest last: its presence marks the folder as a complete generation.
    const keysByType: Record<string, number> = {};
    const duplicatesByType: Record<string, number> = {};
    let keys = 0;
    let duplicates = 0;
    const ipv4Prefixes = new Set<number>();
    const ipv6Prefixes = new Set<number>();
    for (const result of results) {
      for (const prefix of result.prefixLengths.ipv4) ipv4Prefixes.add(prefix);
      for (const prefix of result.prefixLengths.ipv6) ipv6Prefixes.add(prefix);
      keys += result.keys;
      duplicates += result.duplicates;
      addCounts(keysByType, result.keysByType);
      addCounts(duplicatesByType, result.duplicatesByType);
    }
    const fingerprint = await source.fingerprint();
    const bloomNames = shards.map((_, index) => shardFileNames(index).bloom);
    const lmdbNames = shards.map((_, index) => shardFileNames(index).lmdb);
    const manifest: Manifest = {
      formatVersion: STORE_FORMAT_VERSION,
      feed: feed.id,
      generation,
      list: feed.list,
      ...(feed.category === undefined ? {} : { category: feed.category }),
      format: feed.format,
      createdAt: now().toISOString(),
      buildMs: Math.round(performance.now() - started),
      shards: feed.shards,
      keys,
      keysByType,
      prefixLengths: {
        ipv4: [...ipv4Prefixes].sort((a, b) => b - a),
        ipv6: [...ipv6Prefixes].sort((a, b) => b - a),
      },
      records: partitioner.records,
      duplicates,
      duplicatesByType,
      badLines: partitioner.badLineReport(),
      filtered: { total: partitioner.filteredTotal, byReason: { ...partitioner.filteredByReason } },
      hostBitsCleared: partitioner.hostBitsCleared,
      source: { path: feed.path, bytes: fingerprint.bytes, sha256: fingerprint.sha256, modifiedAt: sourceStat.mtime.toISOString() },
      bloom: { bitsPerKey: context.build.bloomBitsPerKey, hashes: context.build.bloomHashes, bytes: directoryBytes(temporaryDir, bloomNames) },
      storeBytes: directoryBytes(temporaryDir, lmdbNames),
    };
    failpoint('build:before-publish');
    writeFileSync(join(temporaryDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });

    publishGeneration(feedDir, temporaryDir, generation);
    const pruned = pruneGenerations(feedDir, context.build.keepGenerations);
    logger.info(
      {
        feed: feed.id,
        generation,
        keys,
        duplicates,
        badLines: manifest.badLines.total,
        parseMs: Math.round(parseMs),
        sortMs: results.map((result) => Math.round(result.sortMs)),
        writeMs: results.map((result) => Math.round(result.writeMs)),
        buildMs: manifest.buildMs,
        pruned,
      },
      'feed generation published',
    );
    return manifest;
  } catch (error) {
    rmSync(temporaryDir, { recursive: true, force: true });
    const wrapped =
      error instanceof VerdictError
        ? error
        : new VerdictError('VERDICT_ERR_BUILD_FAILED', { feed: feed.id, detail: (error as Error).message ?? String(error) }, { cause: error });
    logger.error({ feed: feed.id, generation, err: wrapped, code: wrapped.code }, 'feed build failed; the previous generation keeps serving');
    throw wrapped;
  } finally {
    releaseLock();
  }
}
