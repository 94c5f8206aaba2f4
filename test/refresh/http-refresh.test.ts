/**
 * Refreshing a feed served over HTTP while four clients keep looking up hashes. The steps are a first
 * build, a 304 and a changed file. Fetch failures follow (5xx, a stalled reply, a cut body, HTML pages),
 * each keeping the serving generation. Then come a gzip body, generations that the shrink, empty and
 * older guards refuse, and a `verdict refresh` that the running server picks up. The tests are the steps
 * of one scenario and run in file order. The feed's Authorization header is built from FEED_TOKEN, which
 * must never appear in status, state files, manifests, error replies or logs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { VerdictConfig } from '../../src/config.js';
import type { BatchResult } from '../../src/lookup.js';
import type { RunningServer } from '../../src/server.js';
import { readManifest } from '../../src/build/manifest.js';
import { REFUSED_FILE } from '../../src/refresh/refresh-feed.js';
import { feedDirectory, readCurrent } from '../../src/store/layout.js';
import { REFRESH_STATE_FILE } from '../../src/store/refresh-state.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { FeedServer, type FeedReply } from '../helpers/feed-server.js';
import { lookupJson, lookupOne } from '../helpers/http.js';
import { HASHES, RefreshBed, adminRefresh, downloads, hashList, iso, leftovers, readRefreshState } from '../helpers/refresh-bed.js';
import { feedStatus, type FeedStatus } from '../helpers/served-feeds.js';
import { waitFor } from '../helpers/testbed.js';

const FEED_ID = 'remote';
const FEED_PATH = '/feeds/hashes.sha256';
const TOKEN = `feed-token-${randomBytes(16).toString('hex')}`;
const ABSENT = createHash('sha256').update('in no generation').digest('hex');
/** One lookup batch: hashes that enter the feed at different steps, one only a refused file has, and one never listed. */
const PROBES = [HASHES[0]!, HASHES[105]!, HASHES[115]!, HASHES[122]!, HASHES[127]!, ABSENT];
const LOOKUP_CLIENTS = 4;
const LOOKUP_MAX_MS = 20_000;
const LOOKUP_MAX_REQUESTS = 20_000;

/** Last-Modified of a file dated `day` December 2026 (0 is 30 November). */
function httpDate(day: number): string {
  return new Date(Date.UTC(2026, 11, day)).toUTCString();
}

/** Builds a hash-list reply of HASHES[0 .. count) with ETag "tag" and a Last-Modified on `day`. */
function version(tag: string, count: number, day: number, extra: Partial<FeedReply> = {}): FeedReply {
  return { body: hashList(0, count), etag: `"${tag}"`, lastModified: httpDate(day), ...extra };
}

const V1 = version('v1', 100, 1);
const V2 = version('v2', 110, 2);
const V3 = version('v3', 120, 3, { gzip: true });
const V7 = version('v7', 130, 6);
const HTML_PAGE = '<!DOCTYPE html>\n<html><body><h1>Service unavailable</h1></body></html>\n';

/** Keeps clients looking up PROBES until stopped, for at most LOOKUP_MAX_MS and LOOKUP_MAX_REQUESTS each. */
class LookupLoop {
  /** Per batch: the HTTP status and the reply, or the error text when the request itself failed. */
  readonly batches: { status: number; body?: BatchResult; error?: string }[] = [];
  private stopped = false;
  private readonly clients: Promise<void>[] = [];

  start(baseUrl: string): void {
    const deadline = Date.now() + LOOKUP_MAX_MS;
    for (let client = 0; client < LOOKUP_CLIENTS; client++) {
      this.clients.push(
        (async () => {
          for (let sent = 0; sent < LOOKUP_MAX_REQUESTS && !this.stopped && Date.now() < deadline; sent++) {
            try {
              const reply = await lookupJson(baseUrl, PROBES);
              this.batches.push({ status: reply.status, body: reply.body });
            } catch (error) {
              this.batches.push({ status: 0, error: String(error) });
            }
          }
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.clients);
  }
}

/**
 * Lists how each batch differs from what one published generation would return: every match must
 * name the same published generation, and each probe must be `deny` exactly when that generation
 * contains it.
 */
function inconsistencies(batches: LookupLoop['batches'], published: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const problems: string[] = [];
  for (const [index, batch] of batches.entries()) {
    if (batch.status !== 200 || batch.body === undefined) {
      problems.push(`batch ${index}: status ${batch.status} ${batch.error ?? JSON.stringify(batch.body)}`);
      continue;
    }
    const generations = new Set(batch.body.results.flatMap((result) => result.matches.map((match) => match.generation)));
    const [generation] = [...generations];
    const hashes = generation === undefined ? undefined : published.get(generation);
    if (generations.size !== 1 || hashes === undefined) {
      problems.push(`batch ${index}: generations ${[...generations].join(', ')} are not one published generation`);
      continue;
    }
    for (const [position, result] of batch.body.results.entries()) {
      const expected = hashes.has(PROBES[position]!) ? 'deny' : 'unknown';
      if (result.verdict !== expected) problems.push(`batch ${index}: ${PROBES[position]} is ${result.verdict} in ${generation}, expected ${expected}`);
    }
  }
  return problems;
}

let source: FeedServer;
let bed: RefreshBed;
let config: VerdictConfig;
let server: RunningServer;
let feedDir: string;
const loop = new LookupLoop();
/** The hashes of each published generation, for checking the lookups. */
const published = new Map<string, Set<string>>();
/** The refresh clock injected into the server: a whole minute an hour ahead, moved by a minute per refresh. */
let nowMs = Math.ceil(Date.now() / 60_000) * 60_000 + 3_600_000;
/** Error replies, state and command output collected along the way for the secret check. */
const errorBodies: unknown[] = [];
let cliRun: CliRun | undefined;
let startedAt = 0;
let readyAt = 0;

/** The serving generation and the time its publish was recorded. */
const serving = { generation: '', successAt: '' };

function hashesOf(count: number): Set<string> {
  return new Set(HASHES.slice(0, count));
}

async function refresh(): ReturnType<typeof adminRefresh> {
  nowMs += 60_000;
  return adminRefresh(server.url, FEED_ID);
}

function status(): Promise<FeedStatus> {
  return feedStatus(server.url, FEED_ID);
}

beforeAll(async () => {
  process.env['FEED_TOKEN'] = TOKEN;
  source = await FeedServer.start();
  source.serve(FEED_PATH, V1);
  bed = new RefreshBed();
  config = bed.configureJson({
    server: { reloadIntervalMs: 100 },
    refresh: { schedule: false },
    feeds: [
      {
        id: FEED_ID,
        list: 'deny',
        category: 'malware',
        format: 'hash-list',
        url: source.url(FEED_PATH),
        refresh: { retries: 1, timeoutSeconds: 1, headers: { Authorization: 'Bearer ${FEED_TOKEN}' } },
      },
    ],
  });
  feedDir = feedDirectory(config.dataDir, FEED_ID);
  startedAt = Date.now();
  server = await bed.serve(config, { refreshDependencies: { now: () => new Date(nowMs) } });
  readyAt = Date.now();
  serving.generation = readCurrent(feedDir)!;
  published.set(serving.generation, hashesOf(100));
  loop.start(server.url);
});

afterAll(async () => {
  await loop.stop();
  await bed?.close();
  await source?.close();
  delete process.env['FEED_TOKEN'];
});

describe('refresh over HTTP', () => {
  test('first build publishes', async () => {
    const feed = await status();
    const first = source.requests(FEED_PATH)[0]!;
    const hit = await lookupOne(server.url, HASHES[0]!);

    expect(source.count(FEED_PATH)).toBe(1);
    expect(first.headers['if-none-match']).toBeUndefined();
    expect(feed['generation']).toBe(serving.generation);
    expect(feed['keys']).toBe(100);
    expect(feed['source']).toBe(source.url(FEED_PATH));
    expect(feed['etag']).toBe('"v1"');
    expect(feed['lastModified']).toBe(httpDate(1));
    expect(feed['sourceModifiedAt']).toBe('2026-12-01T00:00:00.000Z');
    expect(Date.parse(feed['lastAttemptAt'] as string)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(feed['lastSuccessAt'] as string)).toBeGreaterThanOrEqual(Date.parse(feed['lastAttemptAt'] as string));
    expect(Date.parse(feed['lastSuccessAt'] as string)).toBeLessThanOrEqual(readyAt);
    expect(feed['lastError']).toBeUndefined();
    expect(feed['refused']).toEqual([]);
    expect(feed['nextRefreshAt']).toBeUndefined();
    expect(hit.verdict).toBe('deny');
    expect(hit.matches.map((match) => match.generation)).toEqual([serving.generation]);
    serving.successAt = feed['lastSuccessAt'] as string;
  });

  test('304 keeps generation', async () => {
    const reply = await refresh();
    const conditional = source.requests(FEED_PATH).at(-1)!;
    const feed = await status();

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ feed: FEED_ID, status: 'unchanged', generation: serving.generation });
    expect(source.count(FEED_PATH)).toBe(2);
    expect(conditional.headers['if-none-match']).toBe('"v1"');
    expect(conditional.headers['if-modified-since']).toBe(httpDate(1));
    expect(feed['generation']).toBe(serving.generation);
    expect(feed['lastAttemptAt']).toBe(iso(nowMs));
    expect(feed['lastUnchangedAt']).toBe(iso(nowMs));
    expect(feed['lastSuccessAt']).toBe(serving.successAt);
    expect(feed['lastError']).toBeUndefined();
  });

  test('changed file publishes', async () => {
    source.serve(FEED_PATH, V2);
    const reply = await refresh();
    const generation = reply.body['generation'] as string;
    published.set(generation, hashesOf(110));
    const feed = await status();
    const added = await lookupOne(server.url, HASHES[105]!);

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ feed: FEED_ID, status: 'published', generation, keys: 110 });
    expect(generation).not.toBe(serving.generation);
    expect(readCurrent(feedDir)).toBe(generation);
    expect(feed['generation']).toBe(generation);
    expect(feed['keys']).toBe(110);
    expect(feed['etag']).toBe('"v2"');
    expect(feed['lastModified']).toBe(httpDate(2));
    expect(feed['lastAttemptAt']).toBe(iso(nowMs));
    expect(feed['lastSuccessAt']).toBe(iso(nowMs));
    expect(added.verdict).toBe('deny');
    expect(added.matches.map((match) => match.generation)).toEqual([generation]);
    serving.generation = generation;
    serving.successAt = iso(nowMs);
  });

  const url = (): string => source.url(FEED_PATH);
  const v3Bytes = Buffer.byteLength(V3.body as string);
  test.each([
    {
      name: 'HTTP 500',
      reply: { status: 500, body: 'internal error\n' } satisfies FeedReply,
      requests: 2,
      code: 'VERDICT_ERR_FETCH_HTTP_STATUS',
      message: () => `Feed ${FEED_ID}: ${url()} returned HTTP status 500; the server failed; the next refresh tries again`,
    },
    {
      name: 'stalled reply',
      reply: { ...V3, gzip: false, delayMs: 2_500 } satisfies FeedReply,
      requests: 2,
      code: 'VERDICT_ERR_FETCH_TIMEOUT',
      message: () => `Feed ${FEED_ID}: request to ${url()} timed out after 1000 ms; raise refresh.timeoutSeconds or check the server`,
    },
    {
      name: 'truncated body',
      reply: { ...V3, gzip: false, truncateAt: 100 } satisfies FeedReply,
      requests: 2,
      code: 'VERDICT_ERR_FETCH_TRUNCATED',
      message: () =>
        `Feed ${FEED_ID}: response body from ${url()} is truncated (other side closed (UND_ERR_SOCKET) before the ${v3Bytes} bytes ` +
        'announced by Content-Length arrived); the connection was cut, so check the server or the network if this repeats',
    },
    {
      name: 'HTML content type',
      reply: { body: HTML_PAGE, contentType: 'text/html; charset=utf-8' } satisfies FeedReply,
      requests: 1,
      code: 'VERDICT_ERR_FETCH_UNEXPECTED_CONTENT',
      message: () =>
        `Feed ${FEED_ID}: ${url()} did not return text content: the server sent Content-Type text/html; charset=utf-8; ` +
        'check the URL and the credentials (an HTML page is usually a login or error page)',
    },
    {
      name: 'HTML body as text',
      reply: { body: HTML_PAGE } satisfies FeedReply,
      requests: 1,
      code: 'VERDICT_ERR_FETCH_UNEXPECTED_CONTENT',
      message: () =>
        `Feed ${FEED_ID}: ${url()} did not return text content: the body is an HTML page; ` +
        'check the URL and the credentials (an HTML page is usually a login or error page)',
    },
  ])('$name keeps generation', async ({ reply, requests, code, message }) => {
    source.serve(FEED_PATH, reply);
    const before = source.count(FEED_PATH);
    const failed = await refresh();
    errorBodies.push(failed.body);
    const failedAt = iso(nowMs);
    const feed = await status();
    const kept = await lookupOne(server.url, HASHES[105]!);
    const notAdded = await lookupOne(server.url, HASHES[115]!);

    expect(failed.status).toBe(502);
    expect(failed.body).toEqual({ statusCode: 502, code, message: message() });
    expect(source.count(FEED_PATH) - before).toBe(requests);
    expect(feed['generation']).toBe(serving.generation);
    expect(feed['etag']).toBe('"v2"');
    expect(feed['lastAttemptAt']).toBe(failedAt);
    expect(feed['lastSuccessAt']).toBe(serving.successAt);
    expect(feed['lastError']).toEqual({ at: failedAt, code, message: message() });
    expect(kept.matches.map((match) => match.generation)).toEqual([serving.generation]);
    expect(notAdded.verdict).toBe('unknown');
    expect(downloads(config, FEED_ID)).toEqual(['source']);

    // The source recovers with the file already serving: a 304, and the error is cleared.
    source.serve(FEED_PATH, V2);
    const recovered = await refresh();
    const after = await status();

    expect(recovered.body).toEqual({ feed: FEED_ID, status: 'unchanged', generation: serving.generation });
    expect(after['lastError']).toBeUndefined();
    expect(after['lastUnchangedAt']).toBe(iso(nowMs));
  });

  test('gzip body publishes', async () => {
    source.serve(FEED_PATH, V3);
    const reply = await refresh();
    const generation = reply.body['generation'] as string;
    published.set(generation, hashesOf(120));
    const request = source.requests(FEED_PATH).at(-1)!;
    const manifest = readManifest(join(feedDir, generation));
    const plain = V3.body as string;
    const added = await lookupOne(server.url, HASHES[115]!);

    expect(reply.body).toEqual({ feed: FEED_ID, status: 'published', generation, keys: 120 });
    expect(request.headers['accept-encoding']).toBe('gzip, deflate, br');
    expect(manifest.source.bytes).toBe(Buffer.byteLength(plain));
    expect(manifest.source.sha256).toBe(createHash('sha256').update(plain).digest('hex'));
    expect(manifest.source.etag).toBe('"v3"');
    expect(manifest.source.lastModified).toBe(httpDate(3));
    expect(added.matches.map((match) => match.generation)).toEqual([generation]);
    serving.generation = generation;
    serving.successAt = iso(nowMs);
  });

  const shrinkReason = (keys: number, percent: string) => ({
    guard: 'shrink',
    message: `the generation has ${keys} keys against 120 serving, ${percent}% fewer, more than guards.maxShrinkPercent (50%)`,
  });
  const refusedGenerations: string[] = [];
  test.each([
    { guard: 'shrink', reply: version('v4', 12, 4), keys: 12, reasons: [shrinkReason(12, '90.0')] },
    {
      guard: 'empty',
      reply: { body: '', etag: '"v5"', lastModified: httpDate(5) } satisfies FeedReply,
      keys: 0,
      reasons: [
        { guard: 'empty', message: 'the generation has no entries and the feed does not allow empty generations (guards.allowEmpty)' },
        shrinkReason(0, '100.0'),
      ],
    },
    {
      guard: 'older',
      reply: version('v6', 125, 0),
      keys: 125,
      reasons: [
        {
          guard: 'older',
          message: "the source is dated 2026-11-30T00:00:00.000Z, older than the serving generation's 2026-12-03T00:00:00.000Z (guards.rejectOlder)",
        },
      ],
    },
  ])('$guard guard refuses', async ({ reply, keys, reasons }) => {
    source.serve(FEED_PATH, reply);
    const refused = await refresh();
    const refusedAt = iso(nowMs);
    const generation = refused.body['generation'] as string;
    refusedGenerations.unshift(generation);
    const feed = await status();
    const refusedFile = JSON.parse(readFileSync(join(feedDir, generation, REFUSED_FILE), 'utf8')) as unknown;
    const onlyInRefused = await lookupOne(server.url, HASHES[122]!);
    const kept = await lookupOne(server.url, HASHES[0]!);

    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ feed: FEED_ID, status: 'refused', generation, keys, reasons });
    expect(readCurrent(feedDir)).toBe(serving.generation);
    expect(feed['generation']).toBe(serving.generation);
    expect(feed['etag']).toBe('"v3"');
    expect(feed['lastAttemptAt']).toBe(refusedAt);
    expect(feed['lastSuccessAt']).toBe(serving.successAt);
    expect(feed['lastError']).toEqual({
      at: refusedAt,
      code: 'VERDICT_ERR_GENERATION_REFUSED',
      message: reasons.map((reason) => reason.message).join('; '),
    });
    expect((feed['refused'] as unknown[])[0]).toEqual({ generation, at: refusedAt, reasons, keys, servingKeys: 120 });
    expect(refusedFile).toEqual({ at: refusedAt, failures: reasons });
    expect(onlyInRefused.verdict).toBe('unknown');
    expect(kept.matches.map((match) => match.generation)).toEqual([serving.generation]);
  });

  test('command line publishes', async () => {
    source.serve(FEED_PATH, V7);
    const before = Date.now();
    cliRun = await runCli(['refresh', '--config', bed.configPath, '--feed', FEED_ID], { VERDICT_LOG_LEVEL: 'debug' });
    const after = Date.now();
    const generation = readCurrent(feedDir)!;
    published.set(generation, hashesOf(130));
    const seen = await waitFor('the server to load the new generation', async () => {
      const result = await lookupOne(server.url, HASHES[127]!);
      return result.verdict === 'deny' ? result : undefined;
    });
    const feed = await status();

    expect(cliRun.code).toBe(0);
    expect(cliRun.stdout).toBe(`${FEED_ID}: published ${generation}: 130 keys\n`);
    expect(generation).not.toBe(serving.generation);
    expect(seen.matches.map((match) => match.generation)).toEqual([generation]);
    expect(feed['generation']).toBe(generation);
    expect(feed['keys']).toBe(130);
    expect(feed['etag']).toBe('"v7"');
    expect(feed['lastModified']).toBe(httpDate(6));
    expect(Date.parse(feed['lastSuccessAt'] as string)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(feed['lastSuccessAt'] as string)).toBeLessThanOrEqual(after);
    expect(feed['lastError']).toBeUndefined();
    expect((feed['refused'] as { generation: string }[]).map((refused) => refused.generation)).toEqual(refusedGenerations);
    serving.generation = generation;

    // The server's next refresh reads the validators the command stored, so it gets a 304.
    const reply = await refresh();
    const conditional = source.requests(FEED_PATH).at(-1)!;

    expect(reply.body).toEqual({ feed: FEED_ID, status: 'unchanged', generation });
    expect(conditional.headers['if-none-match']).toBe('"v7"');
  });

  test('published generations pruned', () => {
    const state = readRefreshState(config, FEED_ID);
    const generations = readdirSync(feedDir).filter((name) => published.has(name) || refusedGenerations.includes(name));

    expect(state.published).toEqual([...published.keys()]);
    expect(generations.sort()).toEqual([...[...published.keys()].slice(-3), ...refusedGenerations].sort());
    expect(leftovers(config, FEED_ID)).toEqual({ temporary: [], locked: false, parts: [] });
  });

  test('token never leaks', async () => {
    const feeds = await feedStatus(server.url, FEED_ID);
    const jsonFiles = readdirSync(feedDir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.json'));
    const stored = jsonFiles.map((name) => readFileSync(join(feedDir, name), 'utf8'));
    const authorizations = new Set(source.requests(FEED_PATH).map((request) => request.headers.authorization));

    expect(authorizations).toEqual(new Set([`Bearer ${TOKEN}`]));
    expect(jsonFiles).toContain(REFRESH_STATE_FILE);
    expect(jsonFiles.filter((name) => name.endsWith('MANIFEST.json'))).toHaveLength(published.size - 1 + refusedGenerations.length);
    expect(JSON.stringify(feeds)).not.toContain(TOKEN);
    expect(JSON.stringify(errorBodies)).not.toContain(TOKEN);
    for (const text of stored) expect(text).not.toContain(TOKEN);
    expect(bed.logs.messages()).toContain('feed generation published');
    expect(bed.logs.messages()).toContain('feed fetch failed, retrying');
    expect(bed.logs.text()).not.toContain(TOKEN);
    expect(cliRun?.stderr).toContain('feed downloaded');
    expect(cliRun?.stderr).not.toContain(TOKEN);
    expect(cliRun?.stdout).not.toContain(TOKEN);
  });

  test('lookups never failed', async () => {
    await loop.stop();

    expect(loop.batches.length).toBeGreaterThan(100);
    expect(inconsistencies(loop.batches, published)).toEqual([]);
  });
});
