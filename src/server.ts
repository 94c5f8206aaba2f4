/**
 * The serving process: removes leftovers of dead builds, builds every feed that has no generation
 * yet, opens the catalog, watches for newly published generations and listens.
 */
import type { FastifyInstance } from 'fastify';
import type { Piscina } from 'piscina';
import type { VerdictConfig } from './config.js';
import type { Logger } from './logger.js';
import { Catalog } from './store/catalog.js';
import { buildApp } from './http/app.js';
import { buildFeed } from './build/build-feed.js';
import { createBuildPool } from './build/pool.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly catalog: Catalog;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly host?: string;
  readonly port?: number;
  /** A pool to reuse; one is created (and destroyed on close) otherwise. */
  readonly pool?: Piscina;
}

/** Builds each feed that has no generation; a failed build is logged and leaves the feed missing. */
export async function buildMissingFeeds(config: VerdictConfig, catalog: Catalog, pool: Piscina, logger: Logger): Promise<void> {
  for (const feedId of catalog.missingFeeds()) {
    const feed = config.feeds.find((candidate) => candidate.id === feedId)!;
    try {
      await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger }, feed);
    } catch {
      // buildFeed has logged the failure with the feed id; the server starts without this feed and
      // /readyz reports it missing.
    }
  }
  catalog.refresh();
}

export async function startServer(config: VerdictConfig, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  const pool = options.pool ?? createBuildPool(config.build.workerThreads);
  const catalog = new Catalog(config, logger);
  catalog.cleanUpPartialBuilds();
  catalog.refresh();
  await buildMissingFeeds(config, catalog, pool, logger);
  catalog.startWatching(config.server.reloadIntervalMs);

  const app = await buildApp({ config, catalog, logger });
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  logger.info({ url, feeds: config.feeds.map((feed) => feed.id), missing: catalog.missingFeeds() }, 'server listening');

  let closed = false;
  return {
    app,
    catalog,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      catalog.close();
      if (options.pool === undefined) await pool.destroy();
      logger.info({ url }, 'server stopped');
    },
  };
}
