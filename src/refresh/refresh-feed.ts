/**
 * One refresh of one feed, end to end:
 *
 *   lock -> resolve the source (local file or folder, URL with a conditional GET, URL listing)
 *        -> unchanged? stop (a 304 or an identical file costs no rebuild)
 *        -> build a generation (delta feeds carry the previous one's records forward)
 *        -> guards -> publish (switch CURRENT, prune) or refuse (keep the folder, record why)
 *
 * The serving generation changes only at the CURRENT switch, so a failed download, a parse that
 * goes wrong, a refused generation or a kill at any point leaves the previous data serving.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { VerdictError } from '../errors.js';
import type { FeedConfig } from '../config.js';
import { buildGeneration, type BuildContext, type BuildInput } from '../build/build-feed.js';
import { checkGuards, type GuardFailure } from '../build/guards.js';
import { readManifest, type Manifest } from '../build/manifest.js';
import {
  DOWNLOADS_DIRECTORY,
  acquireBuildLock,
  feedDirectory,
  listGenerations,
  readCurrent,
  removePartialBuilds,
  switchCurrent,
} from '../store/layout.js';
import { readRefreshState, writeRefreshState, type RefreshState } from '../store/refresh-state.js';
import { fetchFeed, defaultFetchDependencies, redactUrl, type FetchRequest, type FetchResult } from '../sources/http-fetch.js';
import { fetchListing, listDirectory } from '../sources/listing.js';

export const REFUSED_FILE = 'REFUSED.json';

export interface RefreshContext extends BuildContext {
  /** Downloads a URL source; injectable so tests drive retries and failures without a network. */
  readonly fetch?: (request: FetchRequest) => Promise<FetchResult>;
  /** Lists the files of a URL listing. */
  readonly listUrl?: (url: string) => Promise<string[]>;
}

export interface RefreshOptions {
  /** Rebuild even when the source is unchanged (`verdict build`). */
  readonly force?: boolean;
}

export type RefreshOutcome =
  | { readonly status: 'published'; readonly manifest: Manifest }
  | { readonly status: 'unchanged'; readonly generation?: string }
  | { readonly status: 'refused'; readonly manifest: Manifest; readonly failures: GuardFailure[] };

interface ResolvedSource {
  readonly input?: BuildInput;
  /** Names of delta files the input contains, recorded once the generation is published. */
  readonly deltaNames: string[];
}

function currentManifest(feedDir: string): { name: string; manifest: Manifest } | undefined {
  const name = readCurrent(feedDir);
  if (name === undefined) return undefined;
  try {
    return { name, manifest: readManifest(join(feedDir, name)) };
  } catch {
    return undefined;
  }
}

function fetchExpectation(feed: FeedConfig): FetchRequest['expect'] {
  if (feed.format === 'nsrl-rds3') return 'sqlite';
  if (['winbindex', 'ctip', 'url-json', 'misp-warninglist'].includes(feed.format)) return 'any';
  return 'text';
}

async function resolveSource(
  context: RefreshContext,
  feed: FeedConfig,
  feedDir: string,
  state: RefreshState,
  current: { name: string; manifest: Manifest } | undefined,
  force: boolean,
): Promise<ResolvedSource> {
  const delta = feed.refresh.mode === 'delta';
  const previousGeneration = delta ? current?.name : undefined;
  const retainSeenAfter = new Date((context.now?.() ?? new Date()).getTime() - feed.refresh.retentionDays * 86_400_000);
  const deltaFields = previousGeneration === undefined ? {} : { previousGeneration, retainSeenAfter };

  if (feed.source.kind === 'path') {
    const path = feed.source.path;
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      throw new VerdictError('VERDICT_ERR_FEED_UNREADABLE', { feed: feed.id, path, detail: (error as Error).message }, { cause: error });
    }
    if (isDirectory || feed.refresh.listing) {
      const files = listDirectory(path, feed.id);
      const names = files.map((file) => basename(file));
      if (delta) {
        // NOTE: with no new file the refresh ends as unchanged, so records past the retention window
        // keep serving until the next file arrives and the rebuild drops them.
        const fresh = files.filter((_, index) => !state.deltaFiles.includes(names[index]!));
        if (fresh.length === 0 && !force) return { deltaNames: [] };
        return { input: { files: fresh, sourceLabel: path, ...deltaFields }, deltaNames: fresh.map((file) => basename(file)) };
      }
      return { input: { files, sourceLabel: path }, deltaNames: [] };
    }
    // A full local file is unchanged when its size and time match the serving generation's source.
    const stat = statSync(path);
    if (!force && current !== undefined && current.manifest.source.path === path && current.manifest.source.bytes === stat.size &&
        Date.parse(current.manifest.source.modifiedAt) === Math.floor(stat.mtimeMs)) {
      return { deltaNames: [] };
    }
    return { input: { files: [path], sourceLabel: path, sourceTime: new Date(Math.floor(stat.mtimeMs)), ...deltaFields }, deltaNames: delta ? [basename(path)] : [] };
  }

  // URL sources download into the feed's downloads folder.
  const downloads = join(feedDir, DOWNLOADS_DIRECTORY);
  mkdirSync(downloads, { recursive: true });
  const fetch = context.fetch ?? ((request: FetchRequest) => fetchFeed(request, defaultFetchDependencies(context.logger)));
  const base = {
    feedId: feed.id,
    timeoutMs: feed.refresh.timeoutSeconds * 1000,
    maxBytes: feed.refresh.maxBytes,
    retries: feed.refresh.retries,
    headers: feed.refresh.headers,
    expect: fetchExpectation(feed),
  };
  const label = redactUrl(feed.source.url);

  if (feed.refresh.listing) {
    const list =
      context.listUrl ??
      ((url: string) =>
        fetchListing(url, defaultFetchDependencies(context.logger), {
          feedId: feed.id,
          headers: feed.refresh.headers,
          timeoutMs: base.timeoutMs,
          retries: feed.refresh.retries,
        }));
    const urls = await list(feed.source.url);
    const names = urls.map((url) => redactUrl(url));
    const wanted = delta ? urls.filter((_, index) => !state.deltaFiles.includes(names[index]!)) : urls;
    if (wanted.length === 0 && !force) return { deltaNames: [] };
    for (const stale of readdirSync(downloads)) rmSync(join(downloads, stale), { force: true });
    const files: string[] = [];
    for (const [index, url] of wanted.entries()) {
      const destination = join(downloads, `${String(index).padStart(5, '0')}-${basename(new URL(url).pathname) || 'file'}`);
      const result = await fetch({ ...base, url, destination });
      if (result.status === 'downloaded') files.push(result.path);
    }
    return { input: { files, sourceLabel: label, ...deltaFields }, deltaNames: wanted.map((url) => redactUrl(url)) };
  }

  const destination = join(downloads, 'source');
  const conditional = !force && current !== undefined && existsSync(destination);
  const result = await fetch({
    ...base,
    url: feed.source.url,
    destination,
    ...(conditional && state.etag !== undefined ? { etag: state.etag } : {}),
    ...(conditional && state.lastModified !== undefined ? { lastModified: state.lastModified } : {}),
    ...(feed.refresh.sha256 === undefined ? {} : { expectedSha256: feed.refresh.sha256 }),
  });
  if (result.status === 'not-modified') return { deltaNames: [] };
  const headerTime = result.lastModified === undefined ? Number.NaN : Date.parse(result.lastModified);
  return {
    input: {
      files: [result.path],
      sourceLabel: label,
      sourceTime: Number.isNaN(headerTime) ? (context.now?.() ?? new Date()) : new Date(headerTime),
      ...(result.etag === undefined ? {} : { etag: result.etag }),
      ...(result.lastModified === undefined ? {} : { lastModified: result.lastModified }),
      ...deltaFields,
    },
    deltaNames: delta ? [`${label}@${result.sha256}`] : [],
  };
}

/**
 * Removes generations that are neither serving, among the last `keep` published, nor among the
 * last `keep` refused ones (kept for inspection). Returns the removed names.
 */
export function pruneFeedGenerations(feedDir: string, state: RefreshState, keep: number): string[] {
  const current = readCurrent(feedDir);
  const protectedNames = new Set<string>([
    ...(current === undefined ? [] : [current]),
    ...state.published.slice(-keep),
    ...state.refused.slice(0, keep).map((refused) => refused.generation),
  ]);
  const removed = listGenerations(feedDir).filter((name) => !protectedNames.has(name));
  for (const name of removed) rmSync(join(feedDir, name), { recursive: true, force: true });
  return removed;
}

/** Publishes `generation` of the feed: switches CURRENT, records it, and prunes old generations. */
export function publishExisting(feedDir: string, generation: string, state: RefreshState, keep: number, now: Date): string[] {
  switchCurrent(feedDir, generation);
  rmSync(join(feedDir, generation, REFUSED_FILE), { force: true });
  state.published = [...state.published.filter((name) => name !== generation), generation];
  state.refused = state.refused.filter((refused) => refused.generation !== generation);
  state.lastSuccessAt = now.toISOString();
  return pruneFeedGenerations(feedDir, state, keep);
}

export async function refreshFeed(context: RefreshContext, feed: FeedConfig, options: RefreshOptions = {}): Promise<RefreshOutcome> {
  const { logger } = context;
  const now = (): Date => context.now?.() ?? new Date();
  const feedDir = feedDirectory(context.dataDir, feed.id);
  const releaseLock = acquireBuildLock(feedDir, feed.id);
  const state = readRefreshState(feedDir);
  state.lastAttemptAt = now().toISOString();
  try {
    removePartialBuilds(feedDir);
    const current = currentManifest(feedDir);
    const resolved = await resolveSource(context, feed, feedDir, state, current, options.force ?? false);
    if (resolved.input === undefined) {
      state.lastUnchangedAt = now().toISOString();
      state.lastError = undefined;
      writeRefreshState(feedDir, state);
      logger.info({ feed: feed.id, generation: current?.name }, 'feed source unchanged; no rebuild');
      return current === undefined ? { status: 'unchanged' } : { status: 'unchanged', generation: current.name };
    }

    const manifest = await buildGeneration(context, feed, resolved.input);
    const failures = checkGuards(feed, manifest, current?.manifest);
    if (failures.length > 0) {
      const refusedAt = now().toISOString();
      writeFileSync(join(feedDir, manifest.generation, REFUSED_FILE), `${JSON.stringify({ at: refusedAt, failures }, null, 2)}\n`);
      state.refused = [
        {
          generation: manifest.generation,
          at: refusedAt,
          reasons: failures,
          keys: manifest.keys,
          ...(current === undefined ? {} : { servingKeys: current.manifest.keys }),
        },
        ...state.refused,
      ];
      state.lastError = {
        at: refusedAt,
        code: 'VERDICT_ERR_GENERATION_REFUSED',
        message: failures.map((failure) => failure.message).join('; '),
      };
      pruneFeedGenerations(feedDir, state, context.build.keepGenerations);
      writeRefreshState(feedDir, state);
      logger.warn(
        { feed: feed.id, generation: manifest.generation, serving: current?.name, failures, keys: manifest.keys, servingKeys: current?.manifest.keys },
        'generation refused by its guards; the previous generation keeps serving',
      );
      return { status: 'refused', manifest, failures };
    }

    if (resolved.input.etag !== undefined) state.etag = resolved.input.etag;
    else delete state.etag;
    if (resolved.input.lastModified !== undefined) state.lastModified = resolved.input.lastModified;
    else delete state.lastModified;
    state.deltaFiles = [...state.deltaFiles, ...resolved.deltaNames].slice(-10_000);
    state.lastError = undefined;
    const pruned = publishExisting(feedDir, manifest.generation, state, context.build.keepGenerations, now());
    writeRefreshState(feedDir, state);
    logger.info({ feed: feed.id, generation: manifest.generation, previous: current?.name, keys: manifest.keys, pruned }, 'feed generation published');
    return { status: 'published', manifest };
  } catch (error) {
    const wrapped =
      error instanceof VerdictError
        ? error
        : new VerdictError('VERDICT_ERR_BUILD_FAILED', { feed: feed.id, detail: (error as Error).message ?? String(error) }, { cause: error });
    state.lastError = { at: now().toISOString(), code: wrapped.code, message: wrapped.message };
    writeRefreshState(feedDir, state);
    logger.error({ feed: feed.id, err: wrapped, code: wrapped.code }, 'feed refresh failed; the previous generation keeps serving');
    throw wrapped;
  } finally {
    releaseLock();
  }
}

/**
 * Builds and publishes the feed from its source now, whether or not it changed (`verdict build`
 * and first builds). A generation refused by its guards is kept and reported as a VerdictError.
 */
export async function buildFeed(context: RefreshContext, feed: FeedConfig): Promise<Manifest> {
  const outcome = await refreshFeed(context, feed, { force: true });
  if (outcome.status === 'published') return outcome.manifest;
  if (outcome.status === 'unchanged') throw new VerdictError('VERDICT_ERR_BUILD_FAILED', { feed: feed.id, detail: 'the source produced no input' });
  throw refusalError(feed, outcome.manifest, outcome.failures);
}

/** Builds the error that reports a refusal; too many bad lines keep their own code and numbers. */
export function refusalError(feed: FeedConfig, manifest: Manifest, failures: GuardFailure[]): VerdictError {
  const badLines = failures.find((failure) => failure.guard === 'bad-lines');
  if (badLines !== undefined && failures.length === 1) {
    const entries = manifest.records + manifest.badLines.total;
    return new VerdictError('VERDICT_ERR_FEED_TOO_MANY_BAD_LINES', {
      feed: feed.id,
      bad: manifest.badLines.total,
      total: entries,
      percent: ((manifest.badLines.total * 100) / entries).toFixed(1),
      threshold: feed.maxBadLinePercent,
    });
  }
  return new VerdictError('VERDICT_ERR_GENERATION_REFUSED', {
    feed: feed.id,
    generation: manifest.generation,
    reasons: failures.map((failure) => failure.message).join('; '),
  });
}

