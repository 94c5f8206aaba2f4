/**
 * Guards a new generation must pass before it replaces the serving one, so that a broken or
 * truncated update never replaces good data. Each is a feed option with a default.
 */
import type { FeedConfig } from '../config.js';
import type { Manifest } from './manifest.js';

export interface GuardFailure {
  /** Stable name of the guard: empty, bad-lines, shrink, older. */
  readonly guard: 'empty' | 'bad-lines' | 'shrink' | 'older';
  readonly message: string;
}

/** Returns every guard the candidate fails; an empty list means it may be published. */
export function checkGuards(feed: FeedConfig, candidate: Manifest, current: Manifest | undefined): GuardFailure[] {
  const failures: GuardFailure[] = [];

  if (candidate.keys === 0 && !feed.guards.allowEmpty) {
    failures.push({ guard: 'empty', message: 'the generation has no entries and the feed does not allow empty generations (guards.allowEmpty)' });
  }

  const entries = candidate.records + candidate.badLines.total;
  if (entries > 0 && candidate.badLines.total * 100 > feed.maxBadLinePercent * entries) {
    const percent = ((candidate.badLines.total * 100) / entries).toFixed(1);
    failures.push({
      guard: 'bad-lines',
      message: `${candidate.badLines.total} of ${entries} lines (${percent}%) could not be parsed, more than maxBadLinePercent (${feed.maxBadLinePercent}%)`,
    });
  }

  if (current !== undefined && current.keys > 0) {
    // Records a delta feed dropped for age are expected to go, so they do not count as shrinkage.
    const kept = candidate.keys + (candidate.delta?.expired ?? 0);
    const shrinkPercent = ((current.keys - kept) * 100) / current.keys;
    if (shrinkPercent > feed.guards.maxShrinkPercent) {
      failures.push({
        guard: 'shrink',
        message: `the generation has ${candidate.keys} keys against ${current.keys} serving, ${shrinkPercent.toFixed(1)}% fewer, more than guards.maxShrinkPercent (${feed.guards.maxShrinkPercent}%)`,
      });
    }
  }

  if (feed.guards.rejectOlder && current !== undefined && Date.parse(candidate.source.modifiedAt) < Date.parse(current.source.modifiedAt)) {
    failures.push({
      guard: 'older',
      message: `the source is dated ${candidate.source.modifiedAt}, older than the serving generation's ${current.source.modifiedAt} (guards.rejectOlder)`,
    });
  }
  return failures;
}
