/**
 * Runs refreshes for a serving process: one at a time per feed (a second request joins the running
 * one), each followed by a catalog reload so a new generation serves at once, with the outcome kept
 * for status and the admin API. The RefreshScheduler decides when; this decides how.
 */
import type { Piscina } from 'piscina';
import type { VerdictConfig } from '../config.js';
import { VerdictError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Catalog } from '../store/catalog.js';
import { refreshFeed, type RefreshContext, type RefreshOutcome } from './refresh-feed.js';

export interface RefresherDependencies {
  readonly fetch?: RefreshContext['fetch'];
  readonly listUrl?: RefreshContext['listUrl'];
  readonly now?: () => Date;
}

export class FeedRefresher {
  private readonly running = new Map<string, Promise<RefreshOutcome>>();
  private readonly outcomes = new Map<string, RefreshOutcome>();

  constructor(
    private readonly config: VerdictConfig,
    private readonly pool: Piscina,
    private readonly catalog: Catalog,
    private readonly logger: Logger,
    private readonly dependencies: RefresherDependencies = {},
  ) {}

  /** Refreshes the feed now, or joins the refresh already running for it. */
  run(feedId: string): Promise<RefreshOutcome> {
    const feed = this.config.feeds.find((candidate) => candidate.id === feedId);
    if (feed === undefined) {
      return Promise.reject(
        new VerdictError('VERDICT_ERR_FEED_NOT_FOUND', { feed: feedId, configured: this.config.feeds.map((candidate) => candidate.id).join(', ') }),
      );
    }
    const existing = this.running.get(feedId);
    if (existing !== undefined) return existing;

    const context: RefreshContext = {
      dataDir: this.config.dataDir,
      build: this.config.build,
      pool: this.pool,
      logger: this.logger,
      ...(this.dependencies.fetch === undefined ? {} : { fetch: this.dependencies.fetch }),
      ...(this.dependencies.listUrl === undefined ? {} : { listUrl: this.dependencies.listUrl }),
      ...(this.dependencies.now === undefined ? {} : { now: this.dependencies.now }),
    };
    const promise = refreshFeed(context, feed)
      .then((outcome) => {
        this.outcomes.set(feedId, outcome);
        if (outcome.status === 'published') this.catalog.refresh();
        return outcome;
      })
      .finally(() => this.running.delete(feedId));
    this.running.set(feedId, promise);
    return promise;
  }

  isRunning(feedId: string): boolean {
    return this.running.has(feedId);
  }

  lastOutcome(feedId: string): RefreshOutcome | undefined {
    return this.outcomes.get(feedId);
  }
}
