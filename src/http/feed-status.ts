/**
 * The per-feed status that GET /v1/feeds reports: the serving generation and its counts, the
 * source (a URL without credentials), the HTTP validators, the refresh history from REFRESH.json,
 * the next scheduled refresh, the age of the data and whether it is stale, the last error and the
 * refused generations with their reasons.
 */
import type { VerdictConfig } from '../config.js';
import type { Catalog } from '../store/catalog.js';
import { feedDirectory } from '../store/layout.js';
import { readRefreshState } from '../store/refresh-state.js';
import type { RefreshScheduler } from '../refresh/scheduler.js';
import type { FeedRefresher } from '../refresh/refresher.js';
import { redactUrl } from '../sources/http-fetch.js';

/** A feed is stale when its data is older than this many refresh intervals. */
export const STALE_AFTER_INTERVALS = 2;

/** Age of a feed's serving data in milliseconds: time since its generation was built. */
function dataAgeMs(createdAt: string, now: number): number {
  return Math.max(0, now - Date.parse(createdAt));
}

/** Ids of feeds whose serving data is older than STALE_AFTER_INTERVALS refresh intervals. */
export function staleFeeds(catalog: Catalog, now: number): string[] {
  const stale: string[] = [];
  for (const state of catalog.feeds.values()) {
    if (state.current === undefined) continue;
    if (dataAgeMs(state.current.manifest.createdAt, now) > STALE_AFTER_INTERVALS * state.config.refresh.intervalSeconds * 1000) {
      stale.push(state.config.id);
    }
  }
  return stale;
}

export function feedStatuses(
  config: VerdictConfig,
  catalog: Catalog,
  now: number,
  scheduler: RefreshScheduler | undefined,
  refresher: FeedRefresher | undefined,
): Record<string, unknown>[] {
  const stale = new Set(staleFeeds(catalog, now));
  return [...catalog.feeds.values()].map((state) => {
    const feed = state.config;
    const manifest = state.current?.manifest;
    const refresh = readRefreshState(feedDirectory(config.dataDir, feed.id));
    const next = scheduler?.status(feed.id).nextRunAt;
    const lastError = refresh.lastError ?? (state.lastError === undefined ? undefined : { ...state.lastError, at: state.lastError.at.toISOString() });
    return {
      id: feed.id,
      list: feed.list,
      ...(feed.category === undefined ? {} : { category: feed.category }),
      format: feed.format,
      kind: feed.kind,
      mode: feed.refresh.mode,
      source: feed.source.kind === 'url' ? redactUrl(feed.source.url) : feed.source.path,
      intervalSeconds: feed.refresh.intervalSeconds,
      ...(manifest === undefined
        ? {}
        : {
            generation: manifest.generation,
            createdAt: manifest.createdAt,
            keys: manifest.keys,
            keysByType: manifest.keysByType,
            records: manifest.records,
            duplicates: manifest.duplicates,
            badLines: manifest.badLines,
            filtered: manifest.filtered,
            hostBitsCleared: manifest.hostBitsCleared,
            sourceSha256: manifest.source.sha256,
            sourceModifiedAt: manifest.source.modifiedAt,
            ageSeconds: Math.floor(dataAgeMs(manifest.createdAt, now) / 1000),
            ...(manifest.delta === undefined ? {} : { delta: manifest.delta }),
          }),
      ...(refresh.etag === undefined ? {} : { etag: refresh.etag }),
      ...(refresh.lastModified === undefined ? {} : { lastModified: refresh.lastModified }),
      ...(refresh.lastAttemptAt === undefined ? {} : { lastAttemptAt: refresh.lastAttemptAt }),
      ...(refresh.lastSuccessAt === undefined ? {} : { lastSuccessAt: refresh.lastSuccessAt }),
      ...(refresh.lastUnchangedAt === undefined ? {} : { lastUnchangedAt: refresh.lastUnchangedAt }),
      ...(next === undefined ? {} : { nextRefreshAt: new Date(next).toISOString() }),
      refreshing: refresher?.isRunning(feed.id) ?? false,
      ...(state.loadedAt === undefined ? {} : { loadedAt: state.loadedAt.toISOString() }),
      stale: stale.has(feed.id),
      ...(lastError === undefined ? {} : { lastError }),
      refused: refresh.refused,
    };
  });
}
