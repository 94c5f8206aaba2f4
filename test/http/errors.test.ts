/**
 * Request limits and error replies over HTTP: every case checks the status, the catalogue code and
 * the exact message. Also the not-ready state and the README's error table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Unpackr, pack } from 'msgpackr';
import { ERRORS } from '../../src/errors.js';
import type { RunningServer } from '../../src/server.js';
import { PROJECT_ROOT, corpusFile, readLines } from '../helpers/corpus.js';
import { getJson, lookupJson, lookupMsgpack, send } from '../helpers/http.js';
import { ESET_FILES } from '../helpers/reference.js';
import { TestBed } from '../helpers/testbed.js';

const MAX_ITEMS = 5;
/** The smallest body limit the configuration schema allows. */
const BODY_LIMIT = 1024;

const md5s = readLines(corpusFile(ESET_FILES.md5));

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** Returns the message msgpackr throws for `bytes`, decoded with the server's options. */
function msgpackError(bytes: Buffer): string {
  try {
    new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(bytes);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${bytes.toString('hex')} decodes without an error`);
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} parses without an error`);
}

describe('request errors', () => {
  const bed = new TestBed();
  let server: RunningServer;
  let url: string;

  beforeAll(async () => {
    const config = bed.configure({
      server: { maxItemsPerRequest: MAX_ITEMS, bodyLimitBytes: BODY_LIMIT },
      feeds: [{ id: 'eset-md5', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.md5) }],
    });
    server = await bed.start(config);
    url = server.url;
  });

  afterAll(async () => {
    await bed.close();
  });

  function expectError(reply: { status: number; contentType: string; body: unknown }, status: number, code: string, message: string): void {
    expect(reply.status).toBe(status);
    expect(reply.contentType).toBe('application/json; charset=utf-8');
    expect((reply.body as ErrorBody).statusCode).toBe(status);
    expect((reply.body as ErrorBody).code).toBe(code);
    expect((reply.body as ErrorBody).message).toBe(message);
  }

  test('maximum items accepted', async () => {
    const reply = await lookupJson(url, md5s.slice(0, MAX_ITEMS));
    expect(reply.status).toBe(200);
    expect(reply.body.counts).toEqual({ allow: 0, deny: MAX_ITEMS, unknown: 0, invalid: 0 });
  });

  test.each([
    { name: 'JSON', send: (items: string[]) => lookupJson(url, items) },
    { name: 'MessagePack', send: (items: string[]) => lookupMsgpack(url, items) },
  ])('too many items in $name', async ({ send: post }) => {
    const reply = await post(md5s.slice(0, MAX_ITEMS + 1));
    expectError(reply, 413, 'VERDICT_ERR_REQUEST_TOO_MANY_ITEMS', 'Request has 6 items, more than the maximum of 5 per request; split the batch');
  });

  test.each([
    { name: 'JSON', contentType: 'application/json', body: JSON.stringify({ items: md5s.slice(0, 40) }) },
    { name: 'MessagePack', contentType: 'application/msgpack', body: pack({ items: md5s.slice(0, 40) }) },
  ])('body too large in $name', async ({ contentType, body }) => {
    expect(body.length).toBeGreaterThan(BODY_LIMIT);
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': contentType }, body });
    expectError(reply, 413, 'VERDICT_ERR_REQUEST_BODY_TOO_LARGE', 'Request body is larger than the maximum of 1024 bytes; split the batch');
  });

  test.each([
    { name: 'truncated array', body: '{"items": [' },
    { name: 'plain text', body: 'items please' },
    { name: 'trailing comma', body: '{"items": ["a",]}' },
    { name: 'empty body', body: '' },
  ])('malformed JSON: $name', async ({ body }) => {
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/json' }, body });
    expectError(reply, 400, 'VERDICT_ERR_REQUEST_MALFORMED_JSON', `Request body is not valid JSON: ${jsonError(body)}`);
  });

  test.each([
    { name: 'bytes after the map', body: Buffer.concat([pack({ items: [] }), Buffer.from([0xff])]) },
    { name: 'truncated map', body: Buffer.from([0x81, 0xa5, 0x69, 0x74]) },
    { name: 'truncated array', body: Buffer.concat([Buffer.from([0x81, 0xa5]), Buffer.from('items'), Buffer.from([0x92, 0xa1, 0x61])]) },
  ])('malformed MessagePack: $name', async ({ body }) => {
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/msgpack' }, body });
    expectError(reply, 400, 'VERDICT_ERR_REQUEST_MALFORMED_MSGPACK', `Request body is not valid MessagePack: ${msgpackError(body)}`);
  });

  test.each([
    { name: 'empty object', body: '{}', detail: "body must have required property 'items'" },
    { name: 'items a string', body: '{"items":"x"}', detail: 'body/items must be array' },
    { name: 'items an object', body: '{"items":{"0":"x"}}', detail: 'body/items must be array' },
    { name: 'top-level array', body: '["x"]', detail: 'body must be object' },
    { name: 'top-level string', body: '"x"', detail: 'body must be object' },
  ])('invalid JSON body: $name', async ({ body, detail }) => {
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/json' }, body });
    expectError(reply, 400, 'VERDICT_ERR_REQUEST_INVALID_BODY', `Request body is invalid: ${detail}`);
  });

  test.each([
    { name: 'empty map', body: pack({}), detail: "body must have required property 'items'" },
    { name: 'items a string', body: pack({ items: 'x' }), detail: 'body/items must be array' },
    { name: 'top-level array', body: pack(['x']), detail: 'body must be object' },
  ])('invalid MessagePack body: $name', async ({ body, detail }) => {
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/msgpack' }, body });
    expectError(reply, 400, 'VERDICT_ERR_REQUEST_INVALID_BODY', `Request body is invalid: ${detail}`);
  });

  test.each([
    { contentType: 'text/plain', body: md5s[0]! },
    { contentType: 'text/plain; charset=utf-8', body: md5s[0]! },
    { contentType: 'application/x-www-form-urlencoded', body: `items=${md5s[0]!}` },
    { contentType: 'application/xml', body: '<items/>' },
  ])('unsupported type $contentType', async ({ contentType, body }) => {
    const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': contentType }, body });
    expectError(
      reply,
      415,
      'VERDICT_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE',
      `Content type ${contentType} is not supported; send application/json or application/msgpack`,
    );
  });

  test('JSON with charset accepted', async () => {
    const reply = await send(url, 'POST', '/v1/lookup', {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ items: [md5s[0]!] }),
    });
    expect(reply.status).toBe(200);
  });

  test.each([
    { method: 'GET' as const, path: '/v2/lookup' },
    { method: 'GET' as const, path: '/' },
    { method: 'DELETE' as const, path: '/v1/lookup' },
    { method: 'PUT' as const, path: '/v1/feeds' },
  ])('unknown route $method $path', async ({ method, path }) => {
    const reply = await send(url, method, path);
    expectError(reply, 404, 'VERDICT_ERR_ROUTE_NOT_FOUND', `Route ${method} ${path} not found`);
  });

  test('not acceptable on single lookup', async () => {
    const reply = await send(url, 'GET', `/v1/lookup/${md5s[0]!}`, { headers: { accept: 'image/png' } });
    expectError(
      reply,
      406,
      'VERDICT_ERR_REQUEST_NOT_ACCEPTABLE',
      'None of the accepted media types (image/png) can be produced; accept application/json or application/msgpack',
    );
  });
});

describe('service not ready', () => {
  const bed = new TestBed();
  let server: RunningServer;
  let url: string;
  const NOT_READY = 'No generation is loaded yet for feeds: missing-source';

  beforeAll(async () => {
    const config = bed.configure({
      feeds: [
        { id: 'eset-md5', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.md5) },
        { id: 'missing-source', list: 'deny', format: 'hash-list', path: join(bed.dir, 'does-not-exist.txt') },
      ],
    });
    server = await bed.start(config);
    url = server.url;
  });

  afterAll(async () => {
    await bed.close();
  });

  test('readyz returns 503', async () => {
    const reply = await getJson<ErrorBody>(url, '/readyz');
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.body).toEqual({ statusCode: 503, code: 'VERDICT_ERR_SERVICE_NOT_READY', message: NOT_READY });
  });

  test('bulk lookup returns 503', async () => {
    const reply = await lookupJson(url, [md5s[0]!]);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.body).toEqual({ statusCode: 503, code: 'VERDICT_ERR_SERVICE_NOT_READY', message: NOT_READY });
  });

  test('single lookup returns 503', async () => {
    const reply = await getJson<ErrorBody>(url, `/v1/lookup/${md5s[0]!}`);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('5');
    expect(reply.body).toEqual({ statusCode: 503, code: 'VERDICT_ERR_SERVICE_NOT_READY', message: NOT_READY });
  });

  test('healthz still returns ok', async () => {
    const reply = await getJson(url, '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  test('feeds show missing generation', async () => {
    const reply = await getJson<{ feeds: Record<string, unknown>[] }>(url, '/v1/feeds');
    const missing = reply.body.feeds.find((feed) => feed['id'] === 'missing-source')!;
    const present = reply.body.feeds.find((feed) => feed['id'] === 'eset-md5')!;
    expect(reply.status).toBe(200);
    expect(missing['generation']).toBeUndefined();
    expect(missing['keys']).toBeUndefined();
    expect(present['keys']).toBe(555);
  });
});

describe('README error table', () => {
  const readmePath = join(PROJECT_ROOT, 'README.md');

  test('lists every catalogue code', () => {
    expect(existsSync(readmePath), `${readmePath} is missing`).toBe(true);
    const rows = readFileSync(readmePath, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `VERDICT_ERR_'));
    const documented = rows.map((line) => /^\| `(VERDICT_ERR_[A-Z0-9_]+)`/.exec(line)![1]!);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(ERRORS).sort());
  });
});
