/**
 * Shared setup of the HTTP and end-to-end tests: a temporary folder with a configuration file in it,
 * servers on 127.0.0.1 port 0, build pools, and bounded polling. `close()` stops what was started and
 * removes the folder.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { parseConfig, type FeedConfig, type VerdictConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { buildFeed } from '../../src/refresh/refresh-feed.js';
import { createBuildPool } from '../../src/build/pool.js';
import type { Manifest } from '../../src/build/manifest.js';
import { LOCK_FILE, TEMP_PREFIX, feedDirectory, isGenerationName, readCurrent } from '../../src/store/layout.js';

export const CONFIG_FILE_NAME = 'verdict.json';

/** A raw feed entry of the configuration file, before validation. */
export interface RawFeed {
  readonly id: string;
  readonly list: 'allow' | 'deny';
  readonly format: string;
  readonly path: string;
  readonly category?: string;
  readonly shards?: number;
  readonly maxBadLinePercent?: number;
  readonly options?: Record<string, unknown>;
}

export interface RawConfig {
  readonly feeds: readonly RawFeed[];
  readonly server?: Record<string, unknown>;
  readonly build?: Record<string, unknown>;
}

export class TestBed {
  readonly dir: string;
  readonly configPath: string;
  private readonly servers: RunningServer[] = [];
  private readonly pools: Piscina[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'verdict-'));
    this.configPath = join(this.dir, CONFIG_FILE_NAME);
  }

  /** Writes a file into the temporary folder and returns its absolute path. */
  writeFile(name: string, content: string | Buffer): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  /**
   * Writes the configuration file (data under `<dir>/data`, one build thread unless set) and
   * returns it validated, as the command line would load it.
   */
  configure(raw: RawConfig): VerdictConfig {
    const object = { dataDir: 'data', ...raw, build: { workerThreads: 1, ...raw.build } };
    writeFileSync(this.configPath, `${JSON.stringify(object, null, 2)}\n`);
    return parseConfig(object, this.configPath);
  }

  /** Starts a server on 127.0.0.1 with a free port, which `close()` stops. */
  async start(config: VerdictConfig, pool?: Piscina): Promise<RunningServer> {
    const server = await startServer(config, { logger: silentLogger(), port: 0, host: '127.0.0.1', ...(pool === undefined ? {} : { pool }) });
    this.servers.push(server);
    return server;
  }

  /** Creates a one-thread build pool, which `close()` destroys. */
  pool(): Piscina {
    const pool = createBuildPool(1);
    this.pools.push(pool);
    return pool;
  }

  /** Builds and publishes one feed in this process. */
  build(config: VerdictConfig, feedId: string, pool: Piscina): Promise<Manifest> {
    return buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger: silentLogger() }, feedOf(config, feedId));
  }

  async close(): Promise<void> {
    for (const server of this.servers.splice(0)) await server.close();
    for (const pool of this.pools.splice(0)) await pool.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function feedOf(config: VerdictConfig, feedId: string): FeedConfig {
  const feed = config.feeds.find((candidate) => candidate.id === feedId);
  if (feed === undefined) throw new Error(`feed ${feedId} is not in the test configuration`);
  return feed;
}

/** What a feed's folder holds: the CURRENT generation, generation folders, `.tmp-` folders and the lock. */
export interface FeedFolder {
  readonly current: string | undefined;
  readonly generations: string[];
  readonly temporary: string[];
  readonly locked: boolean;
}

export function inspectFeedFolder(config: VerdictConfig, feedId: string): FeedFolder {
  const feedDir = feedDirectory(config.dataDir, feedId);
  const names = readdirSync(feedDir).sort();
  return {
    current: readCurrent(feedDir),
    generations: names.filter((name) => isGenerationName(name)),
    temporary: names.filter((name) => name.startsWith(TEMP_PREFIX)),
    locked: names.includes(LOCK_FILE),
  };
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined, or throws after
 * `timeoutMs` with `what` in the message.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
