/**
 * Builds one generation of a feed from local files:
 *
 *   parse (main thread, streaming) -> partition by shard -> sort + LMDB + bloom per shard
 *   (worker threads) -> MANIFEST.json -> rename the folder into place (unpublished)
 *
 * Everything before the rename happens in a `.tmp-` folder, so a failure or a kill at any point
 * leaves the serving generation untouched; the next build or server start removes the leftovers.
 * Publishing (switching CURRENT) is a separate step, taken by refresh/refresh-feed.ts once the
 * generation passes the feed's guards. The caller holds the feed's build lock.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { VerdictError } from '../errors.js';
import type { BuildConfig, FeedConfig } from '../config.js';
import { FORMATS } from '../feeds/formats/index.js';
import { FileFeedSource, type SourceFingerprint } from '../feeds/input.js';
import { failpoint } from '../failpoints.js';
import type { Logger } from '../logger.js';
import { HOST_FILTER_FILE, MANIFEST_FILE, PREFIX_FILTER_FILE, TEMP_PREFIX, feedDirectory, newGenerationName, shardFileNames } from '../store/layout.js';
import { ShardPartitioner } from './partition.js';
import { PrefixFilter } from '../store/prefix-filter.js';
import { IndicatorPolicy } from './indicator-policy.js';
import type { ShardWriteRequest, ShardWriteResult } from './shard-writer.js';
import { STORE_FORMAT_VERSION, type Manifest } from './manifest.js';
import { carryForward, type CarryForwardResult } from './delta.js';

/** Upper bound of the key buffers allocated before parsing; larger feeds grow them as they go. */
const MAX_PREALLOCATED_KEY_BYTES = 2 * 1024 ** 3;

export interface BuildContext {
  readonly dataDir: string;
  readonly build: BuildConfig;
  readonly pool: Piscina;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** What one build reads. */
export interface BuildInput {
  /** Files to parse, in order: the source of a full feed, or the new files of a delta feed. */
  readonly files: readonly string[];
  /** The source as shown in the manifest and status: a path, or a URL without credentials. */
  readonly sourceLabel: string;
  /** When the source was last changed (Last-Modified or file time); defaults to the newest file time. */
  readonly sourceTime?: Date;
  /** HTTP validators of the download, kept for the next conditional request. */
  readonly etag?: string;
  readonly lastModified?: string;
  /** Delta feeds: the generation whose records are carried forward, and the retention cut-off. */
  readonly previousGeneration?: string;
  readonly retainSeenAfter?: Date;
}

function addCounts(target: Record<string, number>, source: Record<string, number>): void {
  for (const [name, count] of Object.entries(source)) target[name] = (target[name] ?? 0) + count;
}

function directoryBytes(path: string, names: string[]): number {
  return names.reduce((total, name) => total + statSync(join(path, name)).size, 0);
}

function combinedFingerprint(fingerprints: SourceFingerprint[]): SourceFingerprint {
  if (fingerprints.length === 1) return fingerprints[0]!;
  const hash = createHash('sha256');
  for (const fingerprint of fingerprints) hash.update(fingerprint.sha256);
  return { sha256: hash.digest('hex'), bytes: fingerprints.reduce((total, fingerprint) => total + fingerprint.bytes, 0) };
}

/**
 * Builds a complete, unpublished generation folder from `input` and returns its manifest. Throws a
 * VerdictError on failure, after removing the partial folder.
 */
export async function buildGeneration(context: BuildContext, feed: FeedConfig, input: BuildInput): Promise<Manifest> {
  const { logger } = context;
  const now = context.now ?? (() => new Date());
  const feedDir = feedDirectory(context.dataDir, feed.id);
  const format = FORMATS.get(feed.format);
  if (format === undefined) throw new VerdictError('VERDICT_ERR_FEED_FORMAT', { feed: feed.id, detail: `unknown format "${feed.format}"` });

  const started = performance.now();
  const generation = newGenerationName(now());
  const temporaryDir = join(feedDir, `${TEMP_PREFIX}${generation}`);
  try {
    let totalBytes = 0;
    let newestTime = 0;
    for (const file of input.files) {
      try {
        const stat = statSync(file);
        totalBytes += stat.size;
        newestTime = Math.max(newestTime, stat.mtimeMs);
      } catch (error) {
        throw new VerdictError('VERDICT_ERR_FEED_UNREADABLE', { feed: feed.id, path: file, detail: (error as Error).message }, { cause: error });
      }
    }
    mkdirSync(temporaryDir, { recursive: true });
    logger.info({ feed: feed.id, generation, source: input.sourceLabel, files: input.files.length, format: feed.format }, 'feed build started');

    // Parse every input file into per-shard record arrays; a delta build stamps each record with
    // the time of its file, then carries the previous generation's unexpired records forward.
    const partitioner = new ShardPartitioner(
      feed.shards,
      Math.min(totalBytes / 2, MAX_PREALLOCATED_KEY_BYTES),
      new IndicatorPolicy(feed.policy),
    );
    const fingerprints: SourceFingerprint[] = [];
    for (const file of input.files) {
      const source = new FileFeedSource(feed.id, file);
      if (feed.refresh.mode === 'delta') {
        const seconds = Math.floor((input.sourceTime?.getTime() ?? statSync(file).mtimeMs) / 1000);
        partitioner.seenStamp = { first: seconds, last: seconds };
      }
      await format.parse({ feedId: feed.id, source, options: feed.options, sink: partitioner });
      fingerprints.push(await source.fingerprint());
    }
    partitioner.seenStamp = undefined;
    const parsedRecords = partitioner.records;
    let carried: CarryForwardResult | undefined;
    if (feed.refresh.mode === 'delta' && input.previousGeneration !== undefined) {
      carried = carryForward(join(feedDir, input.previousGeneration), partitioner, input.retainSeenAfter ?? new Date(0));
    }
    const parseMs = performance.now() - started;
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
    const prefixFilter = new PrefixFilter();
    for (const result of results) {
      prefixFilter.merge(PrefixFilter.deserialize(result.prefixFilter));
      for (const prefix of result.prefixLengths.ipv4) ipv4Prefixes.add(prefix);
      for (const prefix of result.prefixLengths.ipv6) ipv6Prefixes.add(prefix);
      keys += result.keys;
      duplicates += result.duplicates;
      addCounts(keysByType, result.keysByType);
      addCounts(duplicatesByType, result.duplicatesByType);
    }
    const fingerprint = combinedFingerprint(fingerprints);
    const bloomNames = shards.map((_, index) => shardFileNames(index).bloom);
    const lmdbNames = shards.map((_, index) => shardFileNames(index).lmdb);
    const sourceTime = input.sourceTime ?? new Date(newestTime);
    const manifest: Manifest = {
      formatVersion: STORE_FORMAT_VERSION,
      feed: feed.id,
      generation,
      list: feed.list,
      ...(feed.category === undefined ? {} : { category: feed.category }),
      format: feed.format,
      mode: feed.refresh.mode,
      createdAt: now().toISOString(),
      buildMs: Math.round(performance.now() - started),
      shards: feed.shards,
      keys,
      keysByType,
      prefixLengths: {
        ipv4: [...ipv4Prefixes].sort((a, b) => b - a),
        ipv6: [...ipv6Prefixes].sort((a, b) => b - a),
      },
      records: parsedRecords,
      duplicates,
      duplicatesByType,
      badLines: partitioner.badLineReport(),
      filtered: { total: partitioner.filteredTotal, byReason: { ...partitioner.filteredByReason } },
      hostBitsCleared: partitioner.hostBitsCleared,
      source: {
        path: input.sourceLabel,
        files: input.files.length,
        bytes: fingerprint.bytes,
        sha256: fingerprint.sha256,
        modifiedAt: sourceTime.toISOString(),
        ...(input.etag === undefined ? {} : { etag: input.etag }),
        ...(input.lastModified === undefined ? {} : { lastModified: input.lastModified }),
      },
      ...(carried === undefined
        ? {}
        : { delta: { previousGeneration: input.previousGeneration!, carriedForward: carried.carried, expired: carried.expired } }),
      bloom: { bitsPerKey: context.build.bloomBitsPerKey, hashes: context.build.bloomHashes, bytes: directoryBytes(temporaryDir, bloomNames) },
      storeBytes: directoryBytes(temporaryDir, lmdbNames),
    };
    if (ipv4Prefixes.size + ipv6Prefixes.size > 0) prefixFilter.writeFile(join(temporaryDir, PREFIX_FILTER_FILE));
    if (partitioner.indicatorPolicy.urlHosts.size > 0) partitioner.indicatorPolicy.urlHosts.build().writeFile(join(temporaryDir, HOST_FILTER_FILE));
    failpoint('build:before-publish');
    writeFileSync(join(temporaryDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    renameSync(temporaryDir, join(feedDir, generation));
    const directory = openSync(feedDir, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
    failpoint('build:after-rename');

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
        ...(carried === undefined ? {} : { carriedForward: carried.carried, expired: carried.expired }),
      },
      'feed generation built',
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
  }
}
