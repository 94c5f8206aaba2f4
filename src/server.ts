/**
 * The serving process: removes leftovers of dead builds, builds every feed that has no generation
 * yet, opens the catalog, watches for newly published generations, runs the refresh schedule and
 * listens.
 */
import type { FastifyInstance } from 'fastify';
import type { Piscina } from 'piscina';
import type { VerdictConfig } from './config.js';
import { VerdictError } from './errors.js';
import type { Logger } from './logger.js';
import { Catalog } from './store/catalog.js';
import { buildApp } from './http/app.js';
import { buildFeed } from './refresh/refresh-feed.js';
import { createBuildPool } from './build/pool.js';
import { FeedRefresher, type RefresherDependencies } from './refresh/refresher.js';
import { RefreshScheduler } from './refresh/scheduler.js';
import { systemClock, type Clock } from './refresh/clock.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly catalog: Catalog;
  readonly refresher: FeedRefresher;
  readonly scheduler: RefreshScheduler | undefined;
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
  /** Overrides `refresh.schedule` of the configuration. */
  readonly schedule?: boolean;
  /** Injected clock and random source for the schedule, and HTTP client and clock for refreshes (tests). */
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly refreshDependencies?: RefresherDependencies;
}

/** Builds each feed that has no generation; a failed build is logged and leaves the feed missing. */
export async function buildMissingFeeds(config: VerdictConfig, catalog: Catalog, pool: Piscina, logger: Logger): Promise<void> {
  for (const feedId of catalog.missingFeeds()) {
    const feed = config.feeds.find((candidate) => candidate.id === feedId)!;
    try {
      await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger }, feed);
    } catch {
      // buildFeed has logged the failure with the feed id; the server starts without this feed and
      // /readyz reports it missing until a refresh succeeds.
    }
  }
  catalog.refresh();
}

/**
 * The first scheduled run of a feed comes one interval after its serving generation was built, so
 * a restart does not refresh every feed at once; a feed without a generation refreshes at once.
 */
function initialDelay(catalog: Catalog, clock: Clock): (feedId: string) => number | undefined {
  return (feedId) => {
    const state = catalog.feeds.get(feedId);
    const current = state?.current;
    if (current === undefined) return 0;
    const age = clock.now() - Date.parse(current.manifest.createdAt);
    return Math.max(0, state!.config.refresh.intervalSeconds * 1000 - age);
  };
}

export async function startServer(config: VerdictConfig, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  const tokenVariable = config.server.adminTokenEnv;
  if (tokenVariable !== undefined && (process.env[tokenVariable] ?? '') === '') {
    // Checked before any build, so a missing token fails fast and leaves nothing open.
    throw new VerdictError('VERDICT_ERR_CONFIG_INVALID', {
      path: config.source,
      detail: `server.adminTokenEnv names ${tokenVariable}, which is not set or empty; set it to the admin token`,
    });
  }
  const pool = options.pool ?? createBuildPool(config.build.workerThreads);
  const catalog = new Catalog(config, logger);
  catalog.cleanUpPartialBuilds();
  catalog.refresh();
  await buildMissingFeeds(config, catalog, pool, logger);
  catalog.startWatching(config.server.reloadIntervalMs);

  const refresher = new FeedRefresher(config, pool, catalog, logger, options.refreshDependencies);
  const clock = options.clock ?? systemClock;
  let scheduler: RefreshScheduler | undefined;
  if (options.schedule ?? config.refresh.schedule) {
    scheduler = new RefreshScheduler(
      config.feeds.map((feed) => ({ id: feed.id, intervalMs: feed.refresh.intervalSeconds * 1000, jitterPercent: feed.refresh.jitterPercent })),
      async (run) => {
        await refresher.run(run.feedId);
      },
      { clock, random: options.random ?? Math.random, maxConcurrent: config.refresh.maxConcurrentBuilds, logger },
    );
    scheduler.start(initialDelay(catalog, clock));
  }

  const app = await buildApp({ config, catalog, logger, refresher, ...(scheduler === undefined ? {} : { scheduler }), clock });
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  logger.info({ url, feeds: config.feeds.map((feed) => feed.id), missing: catalog.missingFeeds(), schedule: scheduler !== undefined }, 'server listening');

  let closed = false;
  return {
    app,
    catalog,
    refresher,
    scheduler,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await scheduler?.stop();
      catalog.close();
      if (options.pool === undefined) await pool.destroy();
      logger.info({ url }, 'server stopped');
    },
  };
}
