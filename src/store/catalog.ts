/**
 * The catalog holds the serving generation of every configured feed and swaps in newly published
 * ones without a restart.
 *
 * Swap safety: lookups run synchronously on the main thread and read `catalog.serving` once per
 * batch, so a swap (a plain reference assignment on the same thread) is never seen half done. An
 * old generation stays open for CLOSE_DELAY_MS after it is replaced, then its LMDB environments are
 * closed; no lookup spans that long because none awaits between reading `serving` and finishing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { FeedConfig, VerdictConfig } from '../config.js';
import { VerdictError } from '../errors.js';
import type { Logger } from '../logger.js';
import { readManifest, type Manifest } from '../build/manifest.js';
import { BlockedBloomFilter } from './bloom.js';
import { HOST_FILTER_FILE, PREFIX_FILTER_FILE, feedDirectory, readCurrent, removePartialBuilds, shardFileNames } from './layout.js';
import { PrefixFilter } from './prefix-filter.js';
import { HostFilter } from './host-filter.js';

const CLOSE_DELAY_MS = 10_000;

export interface OpenShard {
  readonly db: RootDatabase<Buffer, Buffer>;
  readonly bloom: BlockedBloomFilter;
}

export interface OpenGeneration {
  readonly feed: FeedConfig;
  readonly name: string;
  readonly directory: string;
  readonly manifest: Manifest;
  readonly shards: readonly OpenShard[];
  /** Present when the generation contains IP entries. */
  readonly prefixFilter?: PrefixFilter;
  /** Present when the generation contains URL entries. */
  readonly hostFilter?: HostFilter;
}

export interface FeedState {
  readonly config: FeedConfig;
  current: OpenGeneration | undefined;
  loadedAt: Date | undefined;
  /** The last error met while opening a newly published generation; the previous one keeps serving. */
  lastError: { message: string; code: string; at: Date } | undefined;
  /** A published generation that failed to open; not retried until CURRENT names another. */
  failedGeneration: string | undefined;
}

/** Opens a generation's shards read-only and loads its bloom filters. Throws VERDICT_ERR_GENERATION_INVALID. */
export function openGeneration(dataDir: string, feed: FeedConfig, name: string): OpenGeneration {
  const directory = join(feedDirectory(dataDir, feed.id), name);
  const shards: OpenShard[] = [];
  try {
    const manifest = readManifest(directory);
    for (let index = 0; index < manifest.shards; index++) {
      const names = shardFileNames(index);
      const lmdbPath = join(directory, names.lmdb);
      if (!existsSync(lmdbPath)) throw new Error(`${names.lmdb} is missing`);
      const bloom = BlockedBloomFilter.readFile(join(directory, names.bloom));
      const db = open<Buffer, Buffer>({
        path: lmdbPath,
        noSubdir: true,
        readOnly: true,
        keyEncoding: 'binary',
        encoding: 'binary',
        compression: false,
        cache: false,
      });
      shards.push({ db, bloom });
    }
    const hasIps = manifest.prefixLengths.ipv4.length + manifest.prefixLengths.ipv6.length > 0;
    const hasUrls = (manifest.keysByType['url'] ?? 0) > 0;
    return {
      feed,
      name,
      directory,
      manifest,
      shards,
      ...(hasIps ? { prefixFilter: PrefixFilter.readFile(join(directory, PREFIX_FILTER_FILE)) } : {}),
      ...(hasUrls ? { hostFilter: new HostFilter(BlockedBloomFilter.readFile(join(directory, HOST_FILTER_FILE))) } : {}),
    };
  } catch (error) {
    for (const shard of shards) void shard.db.close();
    throw new VerdictError('VERDICT_ERR_GENERATION_INVALID', { feed: feed.id, generation: name, detail: (error as Error).message }, { cause: error });
  }
}

function closeGeneration(generation: OpenGeneration): void {
  for (const shard of generation.shards) void shard.db.close();
}

export class Catalog {
  readonly feeds: ReadonlyMap<string, FeedState>;
  /** Serving generations in configuration order: what lookups iterate. Replaced, never mutated. */
  serving: readonly OpenGeneration[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly closeTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly config: VerdictConfig,
    private readonly logger: Logger,
  ) {
    this.feeds = new Map(config.feeds.map((feed) => [feed.id, { config: feed, current: undefined, loadedAt: undefined, lastError: undefined, failedGeneration: undefined }]));
  }

  /** Removes leftovers of dead builds; called once when a server or command starts. */
  cleanUpPartialBuilds(): void {
    for (const feed of this.config.feeds) {
      const removed = removePartialBuilds(feedDirectory(this.config.dataDir, feed.id));
      if (removed.length > 0) this.logger.warn({ feed: feed.id, removed }, 'removed partial build folders left by a build that died');
    }
  }

  /** Opens each feed's current generation where it changed. Returns the ids of feeds that switched. */
  refresh(): string[] {
    const switched: string[] = [];
    for (const state of this.feeds.values()) {
      const feedDir = feedDirectory(this.config.dataDir, state.config.id);
      let name: string | undefined;
      try {
        name = readCurrent(feedDir);
      } catch (error) {
        this.recordError(state, error);
        continue;
      }
      if (name === undefined || name === state.current?.name) continue;
      if (name === state.failedGeneration) continue;
      try {
        const opened = openGeneration(this.config.dataDir, state.config, name);
        const previous = state.current;
        state.current = opened;
        state.loadedAt = new Date();
        state.lastError = undefined;
        state.failedGeneration = undefined;
        switched.push(state.config.id);
        this.logger.info(
          { feed: state.config.id, generation: name, previous: previous?.name, keys: opened.manifest.keys },
          'feed generation loaded',
        );
        if (previous !== undefined) this.closeLater(previous);
      } catch (error) {
        state.failedGeneration = name;
        this.recordError(state, error);
      }
    }
    if (switched.length > 0) this.rebuildServing();
    return switched;
  }

  /** Checks for new generations every `intervalMs` until close(). */
  startWatching(intervalMs: number): void {
    this.stopWatching();
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref();
  }

  stopWatching(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ids of feeds that have no generation loaded. */
  missingFeeds(): string[] {
    return [...this.feeds.values()].filter((state) => state.current === undefined).map((state) => state.config.id);
  }

  isReady(): boolean {
    return this.missingFeeds().length === 0;
  }

  close(): void {
    this.stopWatching();
    for (const timer of this.closeTimers) clearTimeout(timer);
    this.closeTimers.clear();
    for (const state of this.feeds.values()) {
      if (state.current !== undefined) closeGeneration(state.current);
      state.current = undefined;
    }
    this.serving = [];
  }

  private rebuildServing(): void {
    const serving: OpenGeneration[] = [];
    for (const state of this.feeds.values()) if (state.current !== undefined) serving.push(state.current);
    this.serving = serving;
  }

  private closeLater(generation: OpenGeneration): void {
    const timer = setTimeout(() => {
      this.closeTimers.delete(timer);
      closeGeneration(generation);
    }, CLOSE_DELAY_MS);
    timer.unref();
    this.closeTimers.add(timer);
  }

  private recordError(state: FeedState, error: unknown): void {
    const code = error instanceof VerdictError ? error.code : 'VERDICT_ERR_SERVICE_INTERNAL';
    const message = (error as Error).message ?? String(error);
    if (state.lastError?.message !== message) {
      this.logger.error({ feed: state.config.id, err: error, code }, 'cannot load the published generation; the previous one keeps serving');
    }
    state.lastError = { message, code, at: new Date() };
  }
}
