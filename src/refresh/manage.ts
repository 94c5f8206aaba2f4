/** Publishing a chosen generation by hand and rolling back: the operator's side of the guards. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VerdictError } from '../errors.js';
import type { FeedConfig, VerdictConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { checkGuards } from '../build/guards.js';
import { readManifest } from '../build/manifest.js';
import { MANIFEST_FILE, acquireBuildLock, isGenerationName, feedDirectory, listGenerations, readCurrent, switchCurrent } from '../store/layout.js';
import { readRefreshState, writeRefreshState } from '../store/refresh-state.js';
import { publishExisting } from './refresh-feed.js';

/**
 * Publishes an existing generation of the feed. Without `force` it must pass the feed's guards
 * against the serving generation; with `force` it is published as it is (a refused generation
 * that an operator has inspected). Returns the name of the generation it replaced.
 */
export function publishGeneration(config: VerdictConfig, feed: FeedConfig, generation: string, force: boolean, logger: Logger): string | undefined {
  const feedDir = feedDirectory(config.dataDir, feed.id);
  const release = acquireBuildLock(feedDir, feed.id);
  try {
    if (!isGenerationName(generation) || !existsSync(join(feedDir, generation, MANIFEST_FILE))) {
      throw new VerdictError('VERDICT_ERR_GENERATION_NOT_FOUND', { feed: feed.id, generation, available: listGenerations(feedDir).join(', ') || 'none' });
    }
    const previous = readCurrent(feedDir);
    const candidate = readManifest(join(feedDir, generation));
    if (!force) {
      const failures = checkGuards(feed, candidate, previous === undefined ? undefined : readManifest(join(feedDir, previous)));
      if (failures.length > 0) {
        throw new VerdictError('VERDICT_ERR_GENERATION_REFUSED', { feed: feed.id, generation, reasons: failures.map((failure) => failure.message).join('; ') });
      }
    }
    const state = readRefreshState(feedDir);
    publishExisting(feedDir, generation, state, config.build.keepGenerations, new Date());
    writeRefreshState(feedDir, state);
    logger.warn({ feed: feed.id, generation, previous, force }, 'generation published by hand');
    return previous;
  } finally {
    release();
  }
}

/**
 * Switches the feed back to the generation published before the serving one, and removes the
 * serving one from the publish history, so a second rollback goes one further back. Returns the
 * generation now serving.
 */
export function rollbackFeed(config: VerdictConfig, feed: FeedConfig, logger: Logger): string {
  const feedDir = feedDirectory(config.dataDir, feed.id);
  const release = acquireBuildLock(feedDir, feed.id);
  try {
    const state = readRefreshState(feedDir);
    const current = readCurrent(feedDir);
    const history = state.published.filter((name) => name !== current);
    const target = [...history].reverse().find((name) => existsSync(join(feedDir, name, MANIFEST_FILE)));
    if (target === undefined) throw new VerdictError('VERDICT_ERR_GENERATION_NO_PREVIOUS', { feed: feed.id });
    switchCurrent(feedDir, target);
    state.published = history.slice(0, history.lastIndexOf(target) + 1);
    writeRefreshState(feedDir, state);
    logger.warn({ feed: feed.id, from: current, to: target }, 'feed rolled back');
    return target;
  } finally {
    release();
  }
}
