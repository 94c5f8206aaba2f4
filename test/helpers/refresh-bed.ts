/**
 * Setup of the refresh tests. RefreshBed is a TestBed that writes any configuration (URL feeds, refresh
 * and guard options) and starts servers with the refresh options of startServer and a logger whose
 * lines the test reads. The readers below show what a refresh leaves in a feed's folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, type VerdictConfig } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.js';
import { feedDirectory } from '../../src/store/layout.js';
import { REFRESH_STATE_FILE, type RefreshState } from '../../src/store/refresh-state.js';
import { send, type Reply } from './http.js';
import { TestBed, inspectFeedFolder } from './testbed.js';

/** Distinct SHA-256 hashes in hex, the same in every run: HASHES[i] is the digest of "refresh test i". */
export const HASHES: readonly string[] = Array.from({ length: 200 }, (_, index) =>
  createHash('sha256').update(`refresh test ${index}`).digest('hex'),
);

/** Builds a hash-list file of HASHES[from .. to) and then `extra`, one hash a line. */
export function hashList(from: number, to: number, extra: readonly string[] = []): string {
  return [...HASHES.slice(from, to), ...extra].map((hash) => `${hash}\n`).join('');
}

/** Collects the JSON lines of a pino logger at debug level. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger = pino({ level: 'debug' }, { write: (line: string) => void this.lines.push(line) });

  /** Returns the `msg` field of every line. */
  messages(): string[] {
    return this.lines.map((line) => (JSON.parse(line) as { msg?: string }).msg ?? '');
  }

  text(): string {
    return this.lines.join('');
  }
}

export class RefreshBed extends TestBed {
  readonly logs = new LogCapture();
  private readonly running: RunningServer[] = [];

  /**
   * Writes `raw` as the configuration file (data under `<dir>/data`, one build thread unless set) and
   * returns it validated, as the command line would load it.
   */
  configureJson(raw: Record<string, unknown>): VerdictConfig {
    const build = (raw['build'] ?? {}) as Record<string, unknown>;
    const object = { dataDir: 'data', ...raw, build: { workerThreads: 1, ...build } };
    writeFileSync(this.configPath, `${JSON.stringify(object, null, 2)}\n`);
    return parseConfig(object, this.configPath);
  }

  /** Starts a server on 127.0.0.1 with a free port and the captured logger. `close()` stops it. */
  async serve(config: VerdictConfig, options: Partial<StartOptions> = {}): Promise<RunningServer> {
    const server = await startServer(config, { logger: this.logs.logger, host: '127.0.0.1', port: 0, ...options });
    this.running.push(server);
    return server;
  }

  /** Stops one server before the others, as a restart does. */
  async stop(server: RunningServer): Promise<void> {
    this.running.splice(this.running.indexOf(server), 1);
    await server.close();
  }

  override async close(): Promise<void> {
    for (const server of this.running.splice(0)) await server.close();
    await super.close();
  }
}

/** POSTs /v1/admin/feeds/{id}/refresh. */
export function adminRefresh(baseUrl: string, feedId: string): Promise<Reply<Record<string, unknown>>> {
  return send<Record<string, unknown>>(baseUrl, 'POST', `/v1/admin/feeds/${feedId}/refresh`);
}

export function readRefreshState(config: VerdictConfig, feedId: string): RefreshState {
  return JSON.parse(readFileSync(join(feedDirectory(config.dataDir, feedId), REFRESH_STATE_FILE), 'utf8')) as RefreshState;
}

/** What a refresh can leave behind in a feed's folder: `.tmp-` folders, the lock, and `.part` downloads. */
export interface Leftovers {
  readonly temporary: string[];
  readonly locked: boolean;
  readonly parts: string[];
}

export function leftovers(config: VerdictConfig, feedId: string): Leftovers {
  const folder = inspectFeedFolder(config, feedId);
  return { temporary: folder.temporary, locked: folder.locked, parts: downloads(config, feedId).filter((name) => name.endsWith('.part')) };
}

/** Lists the file names in the feed's downloads folder, sorted, or none when the folder is missing. */
export function downloads(config: VerdictConfig, feedId: string): string[] {
  const folder = join(feedDirectory(config.dataDir, feedId), 'downloads');
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

/** Formats milliseconds since 1970 as ISO 8601, as status and manifests write times. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
