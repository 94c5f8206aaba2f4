/**
 * Helpers for the HTTP tests of IP, domain and URL feeds. They describe feed entries with their
 * indicator policy, build the match a served feed must report, and read each feed's status and
 * manifest.
 */
import { join } from 'node:path';
import type { VerdictConfig } from '../../src/config.js';
import type { Match, MatchKind } from '../../src/lookup.js';
import { readManifest, type Manifest } from '../../src/build/manifest.js';
import { feedDirectory } from '../../src/store/layout.js';
import { getJson } from './http.js';
import { inspectFeedFolder, type RawFeed } from './testbed.js';

/** A raw feed entry with the indicator policy fields of the configuration file. */
export interface PolicyFeed extends RawFeed {
  readonly reserved?: boolean;
  readonly minPrefixLength?: { readonly ipv4?: number; readonly ipv6?: number };
  readonly domainMatch?: 'exact' | 'subdomains' | 'both';
  readonly constituency?: {
    readonly cidrs?: readonly string[];
    readonly asns?: readonly number[];
    readonly countries?: readonly string[];
    readonly tlds?: readonly string[];
  };
}

/** The fields of one feed in the reply of GET /v1/feeds. */
export type FeedStatus = Record<string, unknown>;

/**
 * The feeds a test server loaded, with the generation each serves, read from its CURRENT file once
 * the server has started.
 */
export class ServedFeeds {
  private readonly generations = new Map<string, string>();

  constructor(private readonly config: VerdictConfig) {
    for (const feed of config.feeds) {
      const current = inspectFeedFolder(config, feed.id).current;
      if (current === undefined) throw new Error(`feed ${feed.id} has no published generation`);
      this.generations.set(feed.id, current);
    }
  }

  generation(feedId: string): string {
    const generation = this.generations.get(feedId);
    if (generation === undefined) throw new Error(`feed ${feedId} is not in the test configuration`);
    return generation;
  }

  /** Builds the match that `feedId` must report, with its list and category from the configuration. */
  match(feedId: string, entry?: string, matchedBy?: MatchKind, attributes?: Record<string, unknown>): Match {
    const feed = this.config.feeds.find((candidate) => candidate.id === feedId);
    if (feed === undefined) throw new Error(`feed ${feedId} is not in the test configuration`);
    return {
      feed: feedId,
      list: feed.list,
      ...(feed.category === undefined ? {} : { category: feed.category }),
      generation: this.generation(feedId),
      ...(entry === undefined ? {} : { entry }),
      ...(matchedBy === undefined ? {} : { matchedBy }),
      ...(attributes === undefined ? {} : { attributes }),
    };
  }

  /** Reads the MANIFEST.json of the generation that `feedId` serves. */
  manifest(feedId: string): Manifest {
    return readManifest(join(feedDirectory(this.config.dataDir, feedId), this.generation(feedId)));
  }
}

/** Fetches GET /v1/feeds and returns the status of one feed, throwing when it is not listed. */
export async function feedStatus(baseUrl: string, feedId: string): Promise<FeedStatus> {
  const reply = await getJson<{ feeds: FeedStatus[] }>(baseUrl, '/v1/feeds');
  if (reply.status !== 200) throw new Error(`GET /v1/feeds returned ${reply.status}`);
  const status = reply.body.feeds.find((feed) => feed['id'] === feedId);
  if (status === undefined) throw new Error(`GET /v1/feeds does not list ${feedId}`);
  return status;
}

/** Returns the 1-based number of the line of `text` that equals `line`, throwing when none does. */
export function lineNumberOf(text: string, line: string): number {
  const index = text.split('\n').indexOf(line);
  if (index === -1) throw new Error(`line ${JSON.stringify(line)} is not in the feed text`);
  return index + 1;
}
