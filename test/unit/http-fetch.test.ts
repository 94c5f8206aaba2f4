/**
 * fetchFeed against real HTTP servers on 127.0.0.1 (port 0), started and closed by each test. Retries
 * run without waiting: sleep records the delays, random is fixed, and the clock is injected.
 */
import { describe, test, expect, beforeEach, afterEach, afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Agent } from 'undici';
import { isVerdictError, type VerdictError } from '../../src/errors.js';
import {
  backoffDelayMs,
  fetchFeed,
  parseRetryAfter,
  redactUrl,
  sniffContent,
  type FetchDependencies,
  type FetchRequest,
} from '../../src/sources/http-fetch.js';

// ---------------------------------------------------------------------------------------------------
// Local servers, logs and dependencies.

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

interface TestServer {
  readonly base: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, index: number) => void;

const servers: TestServer[] = [];
// One agent for the file, so keep-alive sockets are closed with it.
const agent = new Agent({ connect: { timeout: 5000 } });

async function startServer(handler: Handler): Promise<TestServer> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    received.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers });
    handler(request, response, received.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    base: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

/** Serves fixed responses in order; the last one repeats. */
function sequence(...responses: { status: number; headers?: Record<string, string>; body?: string | Buffer }[]): Handler {
  return (_request, response, index) => {
    const next = responses[Math.min(index, responses.length - 1)]!;
    response.writeHead(next.status, next.headers ?? {});
    response.end(next.body ?? '');
  };
}

const NOW = Date.parse('2026-12-04T10:00:00Z');

interface Harness {
  readonly deps: FetchDependencies;
  readonly sleeps: number[];
  readonly lines: string[];
  readonly logs: () => Record<string, unknown>[];
}

function harness(env: Record<string, string> = {}, random = 0.5): Harness {
  const sleeps: number[] = [];
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const deps: FetchDependencies = {
    dispatcher: agent,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => random,
    env,
    logger,
    now: () => NOW,
  };
  return { deps, sleeps, lines, logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

let folder: string;
let destination: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'verdict-fetch-'));
  destination = join(folder, 'downloads', 'source');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(folder, { recursive: true, force: true });
});

afterAll(async () => {
  await agent.close();
});

function requestFor(url: string, overrides: Partial<FetchRequest> = {}): FetchRequest {
  return {
    feedId: 'f1',
    url,
    destination,
    timeoutMs: 5000,
    maxBytes: 1024 * 1024,
    retries: 0,
    headers: {},
    expect: 'text',
    ...overrides,
  };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs `promise`, expecting a VerdictError, and returns it. */
async function failure(promise: Promise<unknown>): Promise<VerdictError> {
  try {
    await promise;
  } catch (error) {
    if (isVerdictError(error)) return error;
    throw error;
  }
  throw new Error('expected the fetch to fail');
}

/** Checks that `destination` still contains `previous` (or does not exist) and no .part file is left. */
function expectPreviousKept(previous: string | undefined): void {
  if (previous === undefined) expect(existsSync(destination)).toBe(false);
  else expect(readFileSync(destination, 'utf8')).toBe(previous);
  const downloads = join(folder, 'downloads');
  const leftovers = existsSync(downloads) ? readdirSync(downloads).filter((name) => name.endsWith('.part')) : [];
  expect(leftovers).toEqual([]);
}

/** A previous successful download, which a failed fetch must leave in place. */
async function seedPrevious(content: string): Promise<void> {
  const server = await startServer(sequence({ status: 200, body: content }));
  await fetchFeed(requestFor(`${server.base}/seed.txt`), harness().deps);
  expect(readFileSync(destination, 'utf8')).toBe(content);
}

// ---------------------------------------------------------------------------------------------------

describe('conditional requests', () => {
  test('200 with ETag, then 304 on If-None-Match', async () => {
    const body = 'alpha\nbeta\n';
    const server = await startServer((request, response) => {
      if (request.headers['if-none-match'] === '"v1"') {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain', etag: '"v1"' }).end(body);
    });
    const { deps, logs } = harness();

    const first = await fetchFeed(requestFor(`${server.base}/feed.txt`), deps);
    expect(first).toEqual({
      status: 'downloaded',
      path: destination,
      bytes: 11,
      sha256: sha256(body),
      etag: '"v1"',
      contentType: 'text/plain',
      attempts: 1,
    });
    expect(readFileSync(destination, 'utf8')).toBe(body);

    const second = await fetchFeed(requestFor(`${server.base}/feed.txt`, { etag: '"v1"' }), deps);
    expect(second).toEqual({ status: 'not-modified', attempts: 1 });
    expect(server.received.map((r) => r.headers['if-none-match'])).toEqual([undefined, '"v1"']);
    expect(readFileSync(destination, 'utf8')).toBe(body);
    expect(logs().map((line) => [line['level'], line['msg'], line['url']])).toEqual([
      [30, 'feed downloaded', `${server.base}/feed.txt`],
      [30, 'feed not modified', `${server.base}/feed.txt`],
    ]);
  });

  test('Last-Modified, then 304 on If-Modified-Since', async () => {
    const lastModified = 'Tue, 01 Dec 2026 10:00:00 GMT';
    const server = await startServer((request, response) => {
      if (request.headers['if-modified-since'] === lastModified) {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { 'last-modified': lastModified }).end('one\n');
    });
    const { deps } = harness();

    const first = await fetchFeed(requestFor(`${server.base}/feed.txt`), deps);
    expect(first).toMatchObject({ status: 'downloaded', bytes: 4, lastModified, attempts: 1 });
    expect(first).not.toHaveProperty('etag');

    const second = await fetchFeed(requestFor(`${server.base}/feed.txt`, { lastModified }), deps);
    expect(second).toEqual({ status: 'not-modified', attempts: 1 });
    expect(server.received[1]!.headers['if-modified-since']).toBe(lastModified);
  });

  test('304 to a request without conditions is an error', async () => {
    const server = await startServer(sequence({ status: 304 }));
    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`), harness().deps));
    expect(error.message).toBe(
      `Feed f1: ${server.base}/feed.txt returned HTTP status 304; the server returned Not Modified to a request without conditions; check the server`,
    );
  });
});

describe('decompression', () => {
  const content = Array.from({ length: 2000 }, (_, i) => `${sha256(String(i))}\n`).join('');

  test.each([
    ['gzip', 'gzip', gzipSync],
    ['x-gzip', 'x-gzip', gzipSync],
    ['deflate (zlib wrapped)', 'deflate', deflateSync],
    ['deflate (raw)', 'deflate', deflateRawSync],
    ['br', 'br', brotliCompressSync],
  ])('Content-Encoding %s', async (_name, encoding, compress) => {
    const compressed = compress(Buffer.from(content));
    const server = await startServer(sequence({ status: 200, headers: { 'content-encoding': encoding }, body: compressed }));

    const result = await fetchFeed(requestFor(`${server.base}/feed.txt`), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 130_000, sha256: sha256(content) });
    expect(readFileSync(destination, 'utf8')).toBe(content);
    expect(server.received[0]!.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  test.each([
    ['a path ending in .gz', '/feed.txt.gz', {}, 1],
    ['gzip bytes without Content-Encoding', '/download?id=7', {}, 1],
    ['a .gz file also sent with Content-Encoding gzip', '/feed.txt.GZ', { 'content-encoding': 'gzip' }, 2],
  ] as const)('gzip file: %s', async (_name, path, headers, layers) => {
    let body = gzipSync(Buffer.from(content));
    if (layers === 2) body = gzipSync(body);
    const server = await startServer(sequence({ status: 200, headers: { 'content-type': 'application/gzip', ...headers }, body }));

    const result = await fetchFeed(requestFor(`${server.base}${path}`, { expect: 'any' }), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 130_000, sha256: sha256(content) });
    expect(readFileSync(destination, 'utf8')).toBe(content);
  });

  test('gzip bytes under Content-Encoding without a .gz path are kept as served', async () => {
    const inner = gzipSync(Buffer.from('kept\n'));
    const server = await startServer(sequence({ status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(inner) }));

    const result = await fetchFeed(requestFor(`${server.base}/archive.bin`, { expect: 'any' }), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: inner.length, sha256: sha256(inner) });
    expect(readFileSync(destination).equals(inner)).toBe(true);
  });

  test('corrupt gzip data is unexpected content, not retried', async () => {
    const server = await startServer(sequence({ status: 200, headers: { 'content-encoding': 'gzip' }, body: 'not gzip at all' }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`, { retries: 3 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_UNEXPECTED_CONTENT');
    expect(error.message).toBe(
      `Feed f1: ${server.base}/feed.txt did not return text content: the body is not valid gzip data (incorrect header check (Z_DATA_ERROR)); check the URL and the credentials (an HTML page is usually a login or error page)`,
    );
    expect(sleeps).toEqual([]);
    expectPreviousKept(undefined);
  });

  test('unsupported Content-Encoding', async () => {
    const server = await startServer(sequence({ status: 200, headers: { 'content-encoding': 'zstd' }, body: 'x' }));
    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`), harness().deps));
    expect(error.params['detail']).toBe('Content-Encoding zstd is not supported (gzip, deflate and br are)');
  });
});

describe('retries', () => {
  test('500 then 503 then 200: retried with backoff and full jitter', async () => {
    const server = await startServer(
      sequence({ status: 500, body: 'boom' }, { status: 503, body: 'busy' }, { status: 200, body: 'ok\n' }),
    );
    const { deps, sleeps, logs } = harness({}, 0.75);

    const result = await fetchFeed(requestFor(`${server.base}/feed.txt`, { retries: 3 }), deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 3, attempts: 3 });
    // Retry n waits random() * min(60 s, 1 s * 2^(n-1)): 0.75 * 1000, then 0.75 * 2000.
    expect(sleeps).toEqual([750, 1500]);
    expect(server.received).toHaveLength(3);
    const warnings = logs().filter((line) => line['level'] === 40);
    expect(warnings.map((line) => [line['msg'], line['feed'], line['attempt'], line['attempts'], line['url'], line['delayMs']])).toEqual([
      ['feed fetch failed, retrying', 'f1', 1, 4, `${server.base}/feed.txt`, 750],
      ['feed fetch failed, retrying', 'f1', 2, 4, `${server.base}/feed.txt`, 1500],
    ]);
    expect((warnings[0]!['err'] as Record<string, unknown>)['message']).toBe(
      `Feed f1: ${server.base}/feed.txt returned HTTP status 500; the server failed; the next refresh tries again`,
    );
  });

  test('retries exhausted: the last error, with the attempt count; the previous download stays', async () => {
    await seedPrevious('previous\n');
    const server = await startServer(sequence({ status: 503 }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/always.txt`, { retries: 2 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_HTTP_STATUS');
    expect(error.status).toBe(502);
    expect(error.message).toBe(`Feed f1: ${server.base}/always.txt returned HTTP status 503; the server failed; the next refresh tries again`);
    expect(error.params['attempts']).toBe(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(server.received).toHaveLength(3);
    expectPreviousKept('previous\n');
  });

  test('404 is not retried', async () => {
    const server = await startServer(sequence({ status: 404, body: 'not here' }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/missing.txt`, { retries: 4 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_HTTP_STATUS');
    expect(error.message).toBe(
      `Feed f1: ${server.base}/missing.txt returned HTTP status 404; check the feed URL, the file may have moved or been removed`,
    );
    expect(error.params['attempts']).toBe(1);
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expectPreviousKept(undefined);
  });

  test.each([
    ['delay-seconds', '2', 2000],
    ['an HTTP date', new Date(NOW + 5000).toUTCString(), 5000],
    ['a wait shorter than the backoff', '0', 500],
  ])('429 with Retry-After as %s', async (_name, retryAfter, expectedSleep) => {
    const server = await startServer(sequence({ status: 429, headers: { 'retry-after': retryAfter } }, { status: 200, body: 'ok\n' }));
    const { deps, sleeps } = harness();

    const result = await fetchFeed(requestFor(`${server.base}/feed.txt`, { retries: 1 }), deps);

    expect(result).toMatchObject({ status: 'downloaded', attempts: 2 });
    expect(sleeps).toEqual([expectedSleep]);
  });

  test('429 asking for more than 60 s ends the fetch', async () => {
    const server = await startServer(sequence({ status: 429, headers: { 'retry-after': '120' } }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`, { retries: 3 }), deps));

    expect(error.message).toBe(
      `Feed f1: ${server.base}/feed.txt returned HTTP status 429; the server is rate limiting and asked to wait 120 s; lengthen refresh.intervalSeconds`,
    );
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test('connection refused is retried, then reported', async () => {
    const closed = await startServer(sequence({ status: 200 }));
    await closed.close();
    servers.splice(servers.indexOf(closed), 1);
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${closed.base}/feed.txt`, { retries: 1 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_FAILED');
    expect(error.message).toBe(
      `Feed f1: request to ${closed.base}/feed.txt failed: connect ECONNREFUSED 127.0.0.1:${closed.port}; check the URL and that the host is reachable from this machine`,
    );
    expect(sleeps).toEqual([500]);
  });
});

describe('timeouts and cut connections', () => {
  test.each([
    ['no response headers', (_request: IncomingMessage, _response: ServerResponse) => undefined],
    [
      'a body that stalls',
      (_request: IncomingMessage, response: ServerResponse) => {
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
      },
    ],
  ])('timeout with %s, retried', async (_name, handler) => {
    const server = await startServer(handler);
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/slow.txt`, { timeoutMs: 200, retries: 1 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_TIMEOUT');
    expect(error.message).toBe(
      `Feed f1: request to ${server.base}/slow.txt timed out after 200 ms; raise refresh.timeoutSeconds or check the server`,
    );
    expect(server.received).toHaveLength(2);
    expect(sleeps).toEqual([500]);
    expectPreviousKept(undefined);
  });

  const cutAfterTenBytes: Handler = (_request, response) => {
    response.writeHead(200, { 'content-length': '1000' });
    response.write('0123456789', () => response.socket?.destroy());
  };

  test('a body shorter than Content-Length is truncated', async () => {
    await seedPrevious('previous\n');
    const server = await startServer(cutAfterTenBytes);
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/cut.txt`, { retries: 1 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_TRUNCATED');
    expect(error.message).toBe(
      `Feed f1: response body from ${server.base}/cut.txt is truncated (other side closed (UND_ERR_SOCKET) before the 1000 bytes announced by Content-Length arrived); the connection was cut, so check the server or the network if this repeats`,
    );
    expect(server.received).toHaveLength(2);
    expect(sleeps).toEqual([500]);
    expectPreviousKept('previous\n');
  });

  test('a truncated body succeeds on the retry', async () => {
    const server = await startServer((request, response, index) => {
      if (index === 0) cutAfterTenBytes(request, response, index);
      else response.writeHead(200).end('complete\n');
    });

    const result = await fetchFeed(requestFor(`${server.base}/cut.txt`, { retries: 1 }), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 9, attempts: 2 });
    expect(readFileSync(destination, 'utf8')).toBe('complete\n');
  });

  test('a gzip stream cut short without Content-Length is truncated', async () => {
    const compressed = gzipSync(Buffer.from('x'.repeat(100_000) + sha256('seed')));
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      response.end(compressed.subarray(0, compressed.length - 20));
    });

    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`), harness().deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_TRUNCATED');
    expect(error.params['detail']).toBe(`the gzip stream ended early after ${compressed.length - 20} bytes`);
  });
});

describe('content checks', () => {
  const html = '<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n';

  test.each([
    ['an HTML content type', 'text', { 'content-type': 'text/html; charset=utf-8' }, html, 'the server sent Content-Type text/html; charset=utf-8'],
    ['an HTML body after white space', 'text', { 'content-type': 'text/plain' }, `\r\n  \t<!doctype HTML>${html}`, 'the body is an HTML page'],
    ['an <html> body where JSON is expected', 'json', { 'content-type': 'application/json' }, '\uFEFF  <html><body>x</body></html>', 'the body is an HTML page'],
    ['a CSV body where JSON is expected', 'json', {}, 'sha256,name\n', 'the body starts with "sha256,name\\n", not [ or {'],
    ['an empty body where JSON is expected', 'json', {}, '', 'the body is empty'],
    ['a text body where SQLite is expected', 'sqlite', {}, 'SQLite format 2\0...........', 'the body does not start with the SQLite header "SQLite format 3\\0"'],
    ['an HTML page where SQLite is expected', 'sqlite', { 'content-type': 'text/html' }, html, 'the body is an HTML page'],
  ] as const)('rejects %s', async (_name, expectKind, headers, body, detail) => {
    await seedPrevious('previous\n');
    const server = await startServer(sequence({ status: 200, headers, body }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/feed`, { expect: expectKind, retries: 2 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_UNEXPECTED_CONTENT');
    expect(error.params['detail']).toBe(detail);
    expect(sleeps).toEqual([]);
    expectPreviousKept('previous\n');
  });

  test('the full message of an HTML error page', async () => {
    const server = await startServer(sequence({ status: 200, headers: { 'content-type': 'text/html' }, body: html }));
    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.json`, { expect: 'json' }), harness().deps));
    expect(error.message).toBe(
      `Feed f1: ${server.base}/feed.json did not return JSON content: the server sent Content-Type text/html; check the URL and the credentials (an HTML page is usually a login or error page)`,
    );
  });

  test('a gzip-compressed HTML page is sniffed after decompression', async () => {
    const server = await startServer(sequence({ status: 200, body: gzipSync(Buffer.from(html)) }));
    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt.gz`), harness().deps));
    expect(error.params['detail']).toBe('the body is an HTML page');
  });

  test.each([
    ['JSON after a BOM and white space', 'json', '\uFEFF\n  [{"sha256": "00"}]\n'],
    ['a JSON object', 'json', '{"a": 1}'],
    ['SQLite', 'sqlite', 'SQLite format 3\0' + 'x'.repeat(100)],
    ['text that starts with <', 'text', '<ht'],
    ['empty text', 'text', ''],
    ['HTML where anything is accepted', 'any', html],
  ] as const)('accepts %s', async (_name, expectKind, body) => {
    const server = await startServer(sequence({ status: 200, body }));
    const result = await fetchFeed(requestFor(`${server.base}/feed`, { expect: expectKind }), harness().deps);
    expect(result).toMatchObject({ status: 'downloaded', bytes: Buffer.byteLength(body), sha256: sha256(body) });
    expect(readFileSync(destination, 'utf8')).toBe(body);
  });

  test.each([
    ['text, only "<!doc" so far', Buffer.from('  <!doc'), 'text', false, 'more'],
    ['text, "<!doc" complete', Buffer.from('  <!doc'), 'text', true, 'ok'],
    ['json, only white space so far', Buffer.from(' \n'), 'json', false, 'more'],
    ['json, white space only', Buffer.from(' \n'), 'json', true, { reject: 'the body contains only white space' }],
    ['sqlite, 4 bytes so far', Buffer.from('SQLi'), 'sqlite', false, 'more'],
    ['json, part of a BOM so far', Buffer.from([0xef, 0xbb]), 'json', false, 'more'],
    ['json, a BOM then [', Buffer.from([0xef, 0xbb, 0xbf, 0x5b]), 'json', false, 'ok'],
    ['json, 64 KiB of white space so far', Buffer.alloc(65_536, 0x20), 'json', false, { reject: 'the first 65536 bytes are white space' }],
    ['text, 64 KiB of white space so far', Buffer.alloc(65_536, 0x20), 'text', false, 'ok'],
    ['sqlite, 16 bytes of white space', Buffer.alloc(16, 0x20), 'sqlite', false, { reject: 'the body does not start with the SQLite header "SQLite format 3\\0"' }],
  ] as const)('sniffContent: %s', (_name, head, expectKind, complete, verdict) => {
    expect(sniffContent(head, expectKind, complete)).toEqual(verdict);
  });
});

describe('size cap and checksum', () => {
  test('a body over maxBytes aborts and removes the .part file', async () => {
    await seedPrevious('previous\n');
    const server = await startServer(sequence({ status: 200, body: 'y'.repeat(2000) }));
    const { deps, sleeps } = harness();

    const error = await failure(fetchFeed(requestFor(`${server.base}/big.txt`, { maxBytes: 1000, retries: 2 }), deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_TOO_LARGE');
    expect(error.message).toBe(
      `Feed f1: ${server.base}/big.txt is larger than the limit of 1000 bytes after decompression; raise refresh.maxBytes if the feed really is this large`,
    );
    expect(sleeps).toEqual([]);
    expectPreviousKept('previous\n');
  });

  test('the cap counts decompressed bytes', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const server = await startServer(sequence({ status: 200, headers: { 'content-encoding': 'gzip' }, body: bomb }));

    const error = await failure(fetchFeed(requestFor(`${server.base}/zeros`, { expect: 'any', maxBytes: 1024 * 1024 }), harness().deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_TOO_LARGE');
    expectPreviousKept(undefined);
  });

  test('a body of exactly maxBytes is accepted', async () => {
    const server = await startServer(sequence({ status: 200, body: 'z'.repeat(1000) }));
    const result = await fetchFeed(requestFor(`${server.base}/edge.txt`, { maxBytes: 1000 }), harness().deps);
    expect(result).toMatchObject({ status: 'downloaded', bytes: 1000 });
  });

  test('a SHA-256 mismatch is reported and nothing is published', async () => {
    const server = await startServer(sequence({ status: 200, body: 'content\n' }));
    const expected = '0'.repeat(64);

    const error = await failure(fetchFeed(requestFor(`${server.base}/feed.txt`, { expectedSha256: expected, retries: 2 }), harness().deps));

    expect(error.code).toBe('VERDICT_ERR_FETCH_CHECKSUM');
    expect(error.message).toBe(
      `Feed f1: ${server.base}/feed.txt has SHA-256 ${sha256('content\n')}, not the expected ${expected}; update refresh.sha256 if the file changed on purpose, otherwise the download is corrupt or was tampered with`,
    );
    expect(server.received).toHaveLength(1);
    expectPreviousKept(undefined);
  });

  test('a matching SHA-256, given in upper case, is accepted', async () => {
    const server = await startServer(sequence({ status: 200, body: gzipSync(Buffer.from('content\n')) }));
    const result = await fetchFeed(
      requestFor(`${server.base}/feed.txt.gz`, { expectedSha256: sha256('content\n').toUpperCase() }),
      harness().deps,
    );
    expect(result).toMatchObject({ status: 'downloaded', sha256: sha256('content\n') });
  });
});

describe('secrets', () => {
  const password = 'hunter2-Secret';
  const token = 'tok-5f9c1d8e77';

  test('URL credentials and an expanded ${TOKEN} never appear in errors or logs', async () => {
    const server = await startServer(sequence({ status: 500 }, { status: 403, body: 'forbidden' }));
    const url = `http://alice:${password}@127.0.0.1:${server.port}/secret.txt?limit=5&apikey=${token}`;
    const { deps, lines, sleeps } = harness({ TOKEN: token });

    const error = await failure(
      fetchFeed(requestFor(url, { retries: 3, headers: { Authorization: 'Bearer ${TOKEN}', 'X-Feed': 'static' } }), deps),
    );

    expect(server.received.map((r) => r.headers['authorization'])).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    expect(server.received[0]!.headers['x-feed']).toBe('static');
    expect(server.received[0]!.path).toBe(`/secret.txt?limit=5&apikey=${token}`);
    expect(error.message).toBe(
      `Feed f1: http://***@127.0.0.1:${server.port}/secret.txt?limit=5&apikey=*** returned HTTP status 403; check the credentials and the headers configured in refresh.headers`,
    );
    expect(sleeps).toEqual([500]);
    expect(lines).toHaveLength(1);
    for (const text of [error.message, JSON.stringify(error.params), ...lines]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(token);
      expect(text).not.toContain('alice');
    }
  });

  test('URL credentials sent as Basic authorization', async () => {
    const server = await startServer(sequence({ status: 200, body: 'ok\n' }));
    const { deps, lines } = harness();

    const result = await fetchFeed(requestFor(`http://alice:${encodeURIComponent('p@ss:' + password)}@127.0.0.1:${server.port}/f.txt`), deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 3 });
    expect(server.received[0]!.headers['authorization']).toBe(`Basic ${Buffer.from(`alice:p@ss:${password}`).toString('base64')}`);
    expect(lines.join('\n')).not.toContain(password);
    expect(JSON.stringify(result)).not.toContain(password);
    expect((JSON.parse(lines[0]!) as Record<string, unknown>)['url']).toBe(`http://***@127.0.0.1:${server.port}/f.txt`);
  });

  test('a missing environment variable is named, and nothing is requested', async () => {
    const server = await startServer(sequence({ status: 200 }));
    const { deps } = harness({ OTHER: 'x' });

    const error = await failure(
      fetchFeed(requestFor(`http://bob:${password}@127.0.0.1:${server.port}/x`, { headers: { Authorization: 'Bearer ${MISSING_TOKEN}' } }), deps),
    );

    expect(error.code).toBe('VERDICT_ERR_FETCH_HEADER_ENV');
    expect(error.message).toBe(
      `Feed f1: header Authorization for http://***@127.0.0.1:${server.port}/x uses environment variable MISSING_TOKEN, which is not set or empty; set it in the environment of the verdict process`,
    );
    expect(server.received).toHaveLength(0);
  });

  test.each([
    ['user and password', 'https://alice:hunter2@feeds.example.test/path?x=1', 'https://***@feeds.example.test/path?x=1'],
    ['a token as user name', 'https://tok123@feeds.example.test/a', 'https://***@feeds.example.test/a'],
    ['secret query values', 'https://feeds.example.test/a?apikey=abc&limit=5&access_token=t', 'https://feeds.example.test/a?apikey=***&limit=5&access_token=***'],
    ['nothing secret', 'https://feeds.example.test/a.csv?limit=5', 'https://feeds.example.test/a.csv?limit=5'],
    ['an unparsable URL', 'http//user:pw@host/x', 'http//***@host/x'],
  ])('redactUrl: %s', (_name, url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redirects', () => {
  test('follows up to 5 redirects', async () => {
    const server = await startServer((request, response) => {
      const hop = Number(/^\/hop\/(\d+)$/.exec(request.url ?? '')?.[1] ?? '0');
      if (hop < 5) response.writeHead(302, { location: `/hop/${hop + 1}` }).end();
      else response.writeHead(200).end('arrived\n');
    });

    const result = await fetchFeed(requestFor(`${server.base}/hop/0`), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 8, attempts: 1 });
    expect(server.received.map((r) => r.path)).toEqual(['/hop/0', '/hop/1', '/hop/2', '/hop/3', '/hop/4', '/hop/5']);
  });

  test('a sixth redirect is an error', async () => {
    const server = await startServer((request, response) => {
      const hop = Number(/^\/hop\/(\d+)$/.exec(request.url ?? '')?.[1] ?? '0');
      response.writeHead(301, { location: `/hop/${hop + 1}` }).end();
    });

    const error = await failure(fetchFeed(requestFor(`${server.base}/hop/0`, { retries: 2 }), harness().deps));

    expect(error.message).toBe(
      `Feed f1: ${server.base}/hop/0 returned HTTP status 301; the server redirected more than 5 times or without a Location header; configure the final URL`,
    );
    expect(server.received).toHaveLength(6);
  });

  test('a redirect to a .gz path is decompressed', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/latest') response.writeHead(302, { location: '/files/feed-2.txt.gz' }).end();
      else response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gzipSync(Buffer.from('two\n')));
    });

    const result = await fetchFeed(requestFor(`${server.base}/latest`), harness().deps);

    expect(result).toMatchObject({ status: 'downloaded', bytes: 4 });
    expect(readFileSync(destination, 'utf8')).toBe('two\n');
  });
});

describe('retry policy', () => {
  test.each([
    [1, 0.5, 500],
    [2, 0.5, 1000],
    [3, 0.999, 3996],
    [7, 0.999, 59_940],
    [12, 0.5, 30_000],
    [1, 0, 0],
  ])('backoffDelayMs(retry %i, random %f) = %i', (retry, random, expected) => {
    expect(backoffDelayMs(retry, () => random)).toBe(expected);
  });

  test.each([
    ['3', 3000],
    [' 0 ', 0],
    [new Date(NOW + 90_000).toUTCString(), 90_000],
    [new Date(NOW - 90_000).toUTCString(), 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('parseRetryAfter(%s) = %s', (value, expected) => {
    expect(parseRetryAfter(value, () => NOW)).toBe(expected);
  });
});
