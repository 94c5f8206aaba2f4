/**
 * The lookup API end to end: corpus feeds built by real worker threads into real LMDB stores, served
 * by a real server on 127.0.0.1, queried with undici in JSON and MessagePack. Expected verdicts come
 * from test/helpers/reference.ts, which reads the corpus files without the parsers under test.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Unpackr, pack } from 'msgpackr';
import { request } from 'undici';
import type { VerdictConfig } from '../../src/config.js';
import type { RunningServer } from '../../src/server.js';
import type { BatchResult, LookupResult, Verdict } from '../../src/lookup.js';
import { corpusFile, readLines } from '../helpers/corpus.js';
import { getJson, lookupJson, lookupMsgpack, lookupOne, send } from '../helpers/http.js';
import {
  ESET_FILES,
  LOLDRIVERS_FILE,
  LOLDRIVERS_OPTIONS,
  SIGNATURE_BASE_FILE,
  WINBINDEX_FILE,
  readLolDrivers,
  readSignatureBase,
  readWinbindex,
  type Attributes,
} from '../helpers/reference.js';
import { TestBed, inspectFeedFolder, type RawFeed } from '../helpers/testbed.js';

type HashType = 'md5' | 'sha1' | 'sha256';
const HASH_TYPES: readonly HashType[] = ['md5', 'sha1', 'sha256'];
const TYPE_OF_LENGTH: Record<number, HashType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

// Corpus readings, each made once.
const eset = {
  md5: readLines(corpusFile(ESET_FILES.md5)).map((hash) => hash.toLowerCase()),
  sha1: readLines(corpusFile(ESET_FILES.sha1)).map((hash) => hash.toLowerCase()),
  sha256: readLines(corpusFile(ESET_FILES.sha256)).map((hash) => hash.toLowerCase()),
};
const esetSets = { md5: new Set(eset.md5), sha1: new Set(eset.sha1), sha256: new Set(eset.sha256) };
const signatureBase = readSignatureBase();
const lolDrivers = readLolDrivers();
const winbindex = readWinbindex();

/** The ESET hash that the local allow list also carries: the conflict case. */
const CONFLICT_HASH = eset.sha256[0]!;
const LOCAL_ALLOW_HASHES = Array.from({ length: 19 }, (_, index) => sha256Of(`allowed-file-${index + 1}`));
/** Line 1 is a comment, lines 2 to 21 are hashes, line 22 is the one bad line. */
const LOCAL_ALLOW_TEXT = ['# allow list written by the test', CONFLICT_HASH, ...LOCAL_ALLOW_HASHES, 'not-a-hash', ''].join('\n');
const LOCAL_ALLOW_SET = new Set([CONFLICT_HASH, ...LOCAL_ALLOW_HASHES]);

function feeds(localAllowPath: string): RawFeed[] {
  return [
    { id: 'eset-sha256', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.sha256), category: 'malware' },
    { id: 'eset-sha1', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.sha1), category: 'malware' },
    { id: 'eset-md5', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.md5), category: 'malware' },
    { id: 'signature-base', list: 'deny', format: 'hash-list', path: corpusFile(SIGNATURE_BASE_FILE) },
    { id: 'loldrivers', list: 'deny', format: 'csv', path: corpusFile(LOLDRIVERS_FILE), category: 'driver', options: LOLDRIVERS_OPTIONS },
    { id: 'winbindex-user32', list: 'allow', format: 'winbindex', path: corpusFile(WINBINDEX_FILE), category: 'clean-file' },
    { id: 'local-allow', list: 'allow', format: 'hash-list', path: localAllowPath },
  ];
}
const FEED_IDS = feeds('').map((feed) => feed.id);

const bed = new TestBed();
let config: VerdictConfig;
let server: RunningServer;
let url: string;
/** The serving generation of each feed, read from its CURRENT file. */
const generations = new Map<string, string>();

beforeAll(async () => {
  config = bed.configure({ feeds: feeds(bed.writeFile('local-allow.txt', LOCAL_ALLOW_TEXT)) });
  server = await bed.start(config);
  url = server.url;
  for (const id of FEED_IDS) generations.set(id, inspectFeedFolder(config, id).current!);
});

afterAll(async () => {
  await bed.close();
});

interface ExpectedMatch {
  feed: string;
  list: 'allow' | 'deny';
  category?: string;
  generation: string;
  attributes?: unknown;
}

function matchOf(feed: string, list: 'allow' | 'deny', extra: { category?: string; attributes?: unknown } = {}): ExpectedMatch {
  return { feed, list, generation: generations.get(feed)!, ...extra };
}

/** Finds the first malicious LOLDrivers row that lists `hash` in its column of `type`. */
function lolDriversRowOf(hash: string, type: HashType): (typeof lolDrivers)[number] | undefined {
  return lolDrivers.find((row) => row.category.toLowerCase() === 'malicious' && row.hashes[type].includes(hash));
}

/** Finds the Winbindex entry keyed by a SHA-256, or the one with that MD5 or SHA-1 in its fileInfo. */
function winbindexEntryOf(hash: string, type: HashType): { fileInfo?: { version?: string; size?: number } } | undefined {
  if (type === 'sha256') return winbindex.get(hash);
  for (const entry of winbindex.values()) if (entry.fileInfo?.[type] === hash) return entry;
  return undefined;
}

/** Lists every match a lower-case hex hash must get, in configuration order. */
function expectedMatches(hash: string): ExpectedMatch[] {
  const type = TYPE_OF_LENGTH[hash.length]!;
  const matches: ExpectedMatch[] = [];
  if (esetSets[type].has(hash)) matches.push(matchOf(`eset-${type}`, 'deny', { category: 'malware' }));

  const signature = signatureBase.get(hash);
  if (signature !== undefined) {
    matches.push(matchOf('signature-base', 'deny', Object.keys(signature).length > 0 ? { attributes: signature } : {}));
  }

  const row = lolDriversRowOf(hash, type);
  if (row !== undefined) {
    const attributes: Attributes = row.tags.length > 0 ? { fileName: row.tags, category: row.category } : { category: row.category };
    matches.push(matchOf('loldrivers', 'deny', { category: 'driver', attributes }));
  }

  const entry = winbindexEntryOf(hash, type);
  if (entry !== undefined) {
    // The Winbindex parser's own tests cover every attribute, so only the size and version are checked here.
    const fileInfo = entry.fileInfo;
    const known: Attributes = {};
    if (fileInfo?.size !== undefined) known['size'] = fileInfo.size;
    if (fileInfo?.version !== undefined) known['version'] = fileInfo.version;
    matches.push(matchOf('winbindex-user32', 'allow', { category: 'clean-file', attributes: expect.objectContaining(known) }));
  }

  if (LOCAL_ALLOW_SET.has(hash)) matches.push(matchOf('local-allow', 'allow'));
  return matches;
}

/** Builds the whole result a lower-case hex hash must get when sent as `item`. */
function expectedResult(hash: string, item: string = hash): Partial<LookupResult> {
  const matches = expectedMatches(hash);
  const deny = matches.some((match) => match.list === 'deny');
  const allow = matches.some((match) => match.list === 'allow');
  let verdict: Verdict = 'unknown';
  if (allow) verdict = 'allow';
  if (deny) verdict = 'deny';
  const result = { item, type: TYPE_OF_LENGTH[hash.length]!, verdict, matches: matches as LookupResult['matches'] };
  return deny && allow ? { ...result, conflict: true } : result;
}

describe('service endpoints', () => {
  test('healthz returns ok', async () => {
    const reply = await getJson(url, '/healthz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
  });

  test('readyz lists every feed', async () => {
    const reply = await getJson(url, '/readyz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ready', feeds: FEED_IDS, stale: [] });
  });
});

describe('GET /v1/feeds', () => {
  const NO_BAD_LINES = { total: 0, byReason: {}, samples: [] };
  const NOTHING_FILTERED = { total: 0, byReason: {} };
  test.each([
    { id: 'eset-sha256', keys: 555, keysByType: { sha256: 555 }, records: 555, duplicates: 0, filtered: NOTHING_FILTERED },
    { id: 'eset-sha1', keys: 555, keysByType: { sha1: 555 }, records: 555, duplicates: 0, filtered: NOTHING_FILTERED },
    { id: 'eset-md5', keys: 555, keysByType: { md5: 555 }, records: 555, duplicates: 0, filtered: NOTHING_FILTERED },
    {
      id: 'signature-base',
      keys: 3053,
      keysByType: { md5: 986, sha1: 893, sha256: 1174 },
      records: 3224,
      duplicates: 171,
      filtered: NOTHING_FILTERED,
    },
    {
      id: 'loldrivers',
      keys: 926,
      keysByType: { md5: 306, sha1: 314, sha256: 306 },
      records: 989,
      duplicates: 63,
      filtered: { total: 546, byReason: { 'list-rule': 546 } },
    },
    {
      id: 'winbindex-user32',
      keys: 1674,
      keysByType: { md5: 583, sha1: 454, sha256: 637 },
      records: 1674,
      duplicates: 0,
      filtered: NOTHING_FILTERED,
    },
  ])('$id counts', async ({ id, keys, keysByType, records, duplicates, filtered }) => {
    const reply = await getJson<{ feeds: Record<string, unknown>[] }>(url, '/v1/feeds');
    const feed = reply.body.feeds.find((candidate) => candidate['id'] === id)!;
    expect(reply.status).toBe(200);
    expect(feed['generation']).toBe(generations.get(id));
    expect(feed['keys']).toBe(keys);
    expect(feed['keysByType']).toEqual(keysByType);
    expect(feed['records']).toBe(records);
    expect(feed['duplicates']).toBe(duplicates);
    expect(feed['badLines']).toEqual(NO_BAD_LINES);
    expect(feed['filtered']).toEqual(filtered);
    expect(feed['sourceSha256']).toBe(createHash('sha256').update(readFileSync(feed['source'] as string)).digest('hex'));
  });

  test('feeds listed in configuration order', async () => {
    const reply = await getJson<{ feeds: { id: string }[] }>(url, '/v1/feeds');
    expect(reply.body.feeds.map((feed) => feed.id)).toEqual(FEED_IDS);
  });

  test('feed reports its bad lines', async () => {
    const reply = await getJson<{ feeds: Record<string, unknown>[] }>(url, '/v1/feeds');
    const feed = reply.body.feeds.find((candidate) => candidate['id'] === 'local-allow')!;
    expect(feed['keys']).toBe(20);
    expect(feed['records']).toBe(20);
    expect(feed['badLines']).toEqual({
      total: 1,
      byReason: { 'non-hex-character': 1 },
      samples: [{ line: 22, reason: 'non-hex-character', content: 'not-a-hash' }],
    });
  });

  test('feed status describes its source', async () => {
    const reply = await getJson<{ feeds: Record<string, unknown>[] }>(url, '/v1/feeds');
    const feed = reply.body.feeds.find((candidate) => candidate['id'] === 'loldrivers')!;
    expect(feed['list']).toBe('deny');
    expect(feed['category']).toBe('driver');
    expect(feed['format']).toBe('csv');
    expect(feed['source']).toBe(corpusFile(LOLDRIVERS_FILE));
    expect(feed['lastError']).toBeUndefined();
  });
});

describe('corpus verdicts', () => {
  /** Items per request, below the default maximum of 10,000. */
  const BATCH_SIZE = 5_000;
  const firstSignatureOnly = (predicate: (attributes: Attributes) => boolean): string =>
    [...signatureBase].find(([hash, attributes]) => predicate(attributes) && expectedMatches(hash).length === 1)![0];
  const maliciousRow = lolDrivers.find((row) => row.category.toLowerCase() === 'malicious' && row.tags.length > 0 && row.hashes.sha256.length === 1)!;
  const vulnerableOnly = lolDrivers
    .filter((row) => row.category.toLowerCase() !== 'malicious')
    .flatMap((row) => row.hashes.sha256)
    .find((hash) => lolDriversRowOf(hash, 'sha256') === undefined && expectedMatches(hash).length === 0)!;

  test.each([
    { name: 'ESET md5', hash: eset.md5[1]!, verdict: 'deny' },
    { name: 'ESET sha1', hash: eset.sha1[1]!, verdict: 'deny' },
    { name: 'ESET sha256', hash: eset.sha256[1]!, verdict: 'deny' },
    { name: 'signature-base comment', hash: firstSignatureOnly((attributes) => attributes['score'] === undefined), verdict: 'deny' },
    { name: 'signature-base score', hash: firstSignatureOnly((attributes) => attributes['score'] !== undefined), verdict: 'deny' },
    { name: 'LOLDrivers malicious md5', hash: maliciousRow.hashes.md5[0]!, verdict: 'deny' },
    { name: 'LOLDrivers malicious sha256', hash: maliciousRow.hashes.sha256[0]!, verdict: 'deny' },
    { name: 'LOLDrivers vulnerable driver', hash: vulnerableOnly, verdict: 'unknown' },
    { name: 'local allow list', hash: LOCAL_ALLOW_HASHES[0]!, verdict: 'allow' },
    { name: 'unknown sha256', hash: sha256Of('no feed lists this'), verdict: 'unknown' },
    { name: 'unknown md5', hash: createHash('md5').update('no feed lists this').digest('hex'), verdict: 'unknown' },
  ])('$name gets $verdict', async ({ hash, verdict }) => {
    const result = await lookupOne(url, hash);
    expect(result.verdict).toBe(verdict);
    expect(result).toEqual(expectedResult(hash));
  });

  test('ESET hash also in signature-base', async () => {
    const hash = [...eset.md5, ...eset.sha1, ...eset.sha256].find((candidate) => signatureBase.has(candidate))!;
    const type = TYPE_OF_LENGTH[hash.length]!;
    const result = await lookupOne(url, hash);
    expect(result.verdict).toBe('deny');
    expect(result.matches.map((match) => match.feed)).toEqual([`eset-${type}`, 'signature-base']);
    expect(result.conflict).toBeUndefined();
  });

  test('LOLDrivers match carries row attributes', async () => {
    const result = await lookupOne(url, maliciousRow.hashes.sha256[0]!);
    const match = result.matches.find((candidate) => candidate.feed === 'loldrivers')!;
    expect(match.list).toBe('deny');
    expect(match.attributes).toEqual({ fileName: maliciousRow.tags, category: 'malicious' });
  });

  test('signature-base score attribute', async () => {
    const [hash, attributes] = [...signatureBase].find(([, candidate]) => candidate['score'] !== undefined)!;
    const result = await lookupOne(url, hash);
    const match = result.matches.find((candidate) => candidate.feed === 'signature-base')!;
    expect(match.attributes).toEqual(attributes);
    expect(typeof match.attributes!['score']).toBe('number');
  });

  test('every corpus hash matches reference', async () => {
    const hashes = new Set<string>([
      ...eset.md5,
      ...eset.sha1,
      ...eset.sha256,
      ...signatureBase.keys(),
      ...lolDrivers.flatMap((row) => HASH_TYPES.flatMap((type) => row.hashes[type])).filter((hash) => TYPE_OF_LENGTH[hash.length] !== undefined),
      ...[...winbindex].flatMap(([hash, entry]) => [hash, entry.fileInfo?.md5, entry.fileInfo?.sha1].filter((value): value is string => typeof value === 'string')),
      ...LOCAL_ALLOW_HASHES,
    ]);
    const items = [...hashes];
    expect(items.length).toBeGreaterThan(BATCH_SIZE);
    for (let start = 0; start < items.length; start += BATCH_SIZE) {
      const batch = items.slice(start, start + BATCH_SIZE);
      const reply = await lookupJson(url, batch);
      expect(reply.status).toBe(200);
      expect(reply.body.results).toHaveLength(batch.length);
      batch.forEach((hash, index) => {
        expect(reply.body.results[index], hash).toEqual(expectedResult(hash));
      });
    }
  });
});

describe('user32.dll from Winbindex', () => {
  const [sha256, entry] = [...winbindex].find(([, candidate]) => candidate.fileInfo?.version !== undefined && candidate.fileInfo.sha1 !== undefined)!;
  const fileInfo = entry.fileInfo!;
  const [bareSha256] = [...winbindex].find(([, candidate]) => candidate.fileInfo === undefined)!;

  test.each([
    { type: 'sha256', hash: sha256 },
    { type: 'md5', hash: fileInfo.md5! },
    { type: 'sha1', hash: fileInfo.sha1! },
  ])('$type gives version and size', async ({ hash }) => {
    const result = await lookupOne(url, hash);
    const match = result.matches.find((candidate) => candidate.feed === 'winbindex-user32')!;
    expect(result.verdict).toBe('allow');
    expect(match.list).toBe('allow');
    expect(match.attributes!['version']).toBe(fileInfo.version);
    expect(match.attributes!['size']).toBe(fileInfo.size);
    expect(match.attributes!['fileName']).toBe('user32.dll');
  });

  test('entry without fileInfo allowed', async () => {
    const result = await lookupOne(url, bareSha256);
    const match = result.matches.find((candidate) => candidate.feed === 'winbindex-user32')!;
    expect(result.verdict).toBe('allow');
    expect(match.attributes!['version']).toBeUndefined();
    expect(match.attributes!['size']).toBeUndefined();
  });
});

describe('conflict', () => {
  test('allow and deny give deny', async () => {
    const result = await lookupOne(url, CONFLICT_HASH);
    expect(result.verdict).toBe('deny');
    expect(result.conflict).toBe(true);
    expect(result.matches).toEqual([
      matchOf('eset-sha256', 'deny', { category: 'malware' }),
      matchOf('local-allow', 'allow'),
    ]);
  });
});

const INVALID_ITEMS = [
  { name: 'empty string', item: '', echo: '', code: 'VERDICT_ERR_ITEM_EMPTY', error: 'Item is empty' },
  { name: 'white space only', item: '  \t', echo: '  \t', code: 'VERDICT_ERR_ITEM_EMPTY', error: 'Item is empty' },
  {
    name: 'short hex',
    item: 'abc123',
    echo: 'abc123',
    code: 'VERDICT_ERR_ITEM_BAD_LENGTH',
    error: 'Hash has 6 characters; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits',
  },
  {
    name: 'hex prefix',
    item: `0x${'ab'.repeat(16)}`,
    echo: `0x${'ab'.repeat(16)}`,
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    error: 'Hash starts with a 0x prefix; send the hex digits alone',
  },
  {
    name: 'non-hex character',
    item: `abcdz${'0'.repeat(59)}`,
    echo: `abcdz${'0'.repeat(59)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    error: 'Hash contains the non-hex character "z" (U+007A) at position 5',
  },
  {
    // U+0161 has the low byte 0x61 ("a"), so a decoder that keeps only low bytes would read "aaa…".
    name: 'Latin letter with hex low byte',
    item: `\u0161${'a'.repeat(63)}`,
    echo: `\u0161${'a'.repeat(63)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    error: 'Hash contains the non-hex character "\u0161" (U+0161) at position 1',
  },
  {
    name: 'Cyrillic a in hash',
    item: `${'b'.repeat(40)}\u0430${'b'.repeat(23)}`,
    echo: `${'b'.repeat(40)}\u0430${'b'.repeat(23)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    error: 'Hash contains the non-hex character "\u0430" (U+0430) at position 41',
  },
  {
    name: 'full-width digit',
    item: `\uff10${'0'.repeat(31)}`,
    echo: `\uff10${'0'.repeat(31)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    error: 'Hash contains the non-hex character "\uff10" (U+FF10) at position 1',
  },
  {
    name: 'number',
    item: 42,
    echo: '42',
    code: 'VERDICT_ERR_ITEM_NOT_STRING',
    error: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got number',
  },
  {
    name: 'null',
    item: null,
    echo: 'null',
    code: 'VERDICT_ERR_ITEM_NOT_STRING',
    error: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got null',
  },
  {
    name: 'object',
    item: { sha256: 'x' },
    echo: '{"sha256":"x"}',
    code: 'VERDICT_ERR_ITEM_NOT_STRING',
    error: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got object',
  },
  {
    name: 'array',
    item: ['a'],
    echo: '["a"]',
    code: 'VERDICT_ERR_ITEM_NOT_STRING',
    error: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got array',
  },
];

describe('invalid items', () => {
  test.each(INVALID_ITEMS)('$name gets $code', async ({ item, echo, code, error }) => {
    const reply = await lookupJson(url, [item]);
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual([{ item: echo, verdict: 'invalid', code, error, matches: [] }]);
    expect(reply.body.counts).toEqual({ allow: 0, deny: 0, unknown: 0, invalid: 1 });
  });

  test('invalid item spares the batch', async () => {
    const reply = await lookupJson(url, ['nope', eset.md5[2]!]);
    expect(reply.status).toBe(200);
    expect(reply.body.results[0]!.verdict).toBe('invalid');
    expect(reply.body.results[1]!.verdict).toBe('deny');
  });

  test('surrounding white space accepted', async () => {
    const item = ` ${eset.sha1[3]!.toUpperCase()}\r\n`;
    const result = await lookupOne(url, item);
    expect(result).toEqual(expectedResult(eset.sha1[3]!, item));
  });

  test('upper-case hex matches', async () => {
    const item = eset.md5[4]!.toUpperCase();
    const result = await lookupOne(url, item);
    expect(result).toEqual(expectedResult(eset.md5[4]!, item));
  });

  test('long item echo is clipped', async () => {
    const item = 'g'.repeat(300);
    const result = await lookupOne(url, item);
    expect(result.item).toBe(`${'g'.repeat(256)}…`);
    expect(result.code).toBe('VERDICT_ERR_ITEM_UNRECOGNIZED');
  });
});

/** One item of each verdict, with duplicates, in a fixed order. */
const MIXED_ITEMS: string[] = [
  eset.sha256[5]!,
  sha256Of('unknown-a'),
  LOCAL_ALLOW_HASHES[1]!,
  'not-a-hash',
  eset.sha256[5]!,
  sha256Of('unknown-a'),
  CONFLICT_HASH,
  eset.md5[6]!,
];

describe('bulk lookup', () => {
  test('order and duplicates kept', async () => {
    const reply = await lookupJson(url, MIXED_ITEMS);
    expect(reply.status).toBe(200);
    expect(reply.body.results.map((result) => result.item)).toEqual(MIXED_ITEMS);
    expect(reply.body.results.map((result) => result.verdict)).toEqual(['deny', 'unknown', 'allow', 'invalid', 'deny', 'unknown', 'deny', 'deny']);
    expect(reply.body.results[4]).toEqual(reply.body.results[0]);
  });

  test('counts are exact', async () => {
    const reply = await lookupJson(url, MIXED_ITEMS);
    expect(reply.body.counts).toEqual({ allow: 1, deny: 4, unknown: 2, invalid: 1 });
  });

  test('empty batch', async () => {
    const reply = await lookupJson(url, []);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ results: [], counts: { allow: 0, deny: 0, unknown: 0, invalid: 0 } });
  });

  test('JSON reply content type', async () => {
    const reply = await lookupJson(url, MIXED_ITEMS);
    expect(reply.contentType).toBe('application/json; charset=utf-8');
  });
});

describe('MessagePack', () => {
  const items: unknown[] = [...MIXED_ITEMS, ...INVALID_ITEMS.map((entry) => entry.item)];

  test.each(['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'])('%s agrees with JSON', async (contentType) => {
    const json = await lookupJson(url, items);
    const msgpack = await lookupMsgpack(url, items, contentType);
    expect(msgpack.status).toBe(200);
    expect(msgpack.contentType).toBe('application/msgpack');
    expect(msgpack.body.results).toHaveLength(json.body.results.length);
    json.body.results.forEach((result, index) => {
      expect(msgpack.body.results[index], `item ${index}`).toEqual(result);
    });
    expect(msgpack.body.counts).toEqual(json.body.counts);
  });

  test.each([
    { type: 'md5', hash: eset.md5[7]!, bytes: 16 },
    { type: 'sha1', hash: eset.sha1[7]!, bytes: 20 },
    { type: 'sha256', hash: eset.sha256[7]!, bytes: 32 },
    { type: 'sha256', hash: LOCAL_ALLOW_HASHES[2]!, bytes: 32 },
    { type: 'sha256', hash: sha256Of('raw unknown'), bytes: 32 },
  ])('raw $bytes-byte digest $hash', async ({ hash, bytes }) => {
    const digest = Buffer.from(hash, 'hex');
    expect(digest.length).toBe(bytes);
    const reply = await lookupMsgpack(url, [digest]);
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual([expectedResult(hash)]);
  });

  test('raw and hex digests agree', async () => {
    const hashes = [eset.md5[8]!, eset.sha1[8]!, eset.sha256[8]!, CONFLICT_HASH, sha256Of('raw-b')];
    const raw = await lookupMsgpack(url, hashes.map((hash) => Buffer.from(hash, 'hex')));
    const hex = await lookupJson(url, hashes);
    hashes.forEach((hash, index) => {
      expect(raw.body.results[index], hash).toEqual(hex.body.results[index]);
    });
  });

  test('15-byte digest rejected', async () => {
    const digest = Buffer.alloc(15, 0xab);
    const reply = await lookupMsgpack(url, [digest, Buffer.from(eset.md5[9]!, 'hex')]);
    expect(reply.status).toBe(200);
    expect(reply.body.results[0]).toEqual({
      item: 'ab'.repeat(15),
      verdict: 'invalid',
      code: 'VERDICT_ERR_ITEM_BAD_DIGEST_LENGTH',
      error: 'Binary digest has 15 bytes; expected 16 (MD5), 20 (SHA-1) or 32 (SHA-256)',
      matches: [],
    });
    expect(reply.body.results[1]!.verdict).toBe('deny');
    expect(reply.body.counts).toEqual({ allow: 0, deny: 1, unknown: 0, invalid: 1 });
  });
});

describe('Accept negotiation', () => {
  test('JSON body, MessagePack reply', async () => {
    const json = await lookupJson(url, MIXED_ITEMS);
    const reply = await lookupJson(url, MIXED_ITEMS, { accept: 'application/msgpack' });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/msgpack');
    expect(reply.body).toEqual(json.body);
  });

  test('MessagePack body, JSON reply', async () => {
    const json = await lookupJson(url, MIXED_ITEMS);
    const reply = await lookupMsgpack(url, MIXED_ITEMS, 'application/msgpack', { accept: 'application/json' });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/json; charset=utf-8');
    expect(reply.body).toEqual(json.body);
  });

  test('quality values pick MessagePack', async () => {
    const reply = await lookupJson(url, MIXED_ITEMS, { accept: 'application/json;q=0.5, application/x-msgpack' });
    expect(reply.contentType).toBe('application/msgpack');
  });

  test('wildcard follows the body', async () => {
    const reply = await lookupMsgpack(url, MIXED_ITEMS, 'application/msgpack', { accept: '*/*' });
    expect(reply.contentType).toBe('application/msgpack');
  });

  test('text/html gets 406', async () => {
    const reply = await lookupJson(url, MIXED_ITEMS, { accept: 'text/html' });
    expect(reply.status).toBe(406);
    expect(reply.body).toEqual({
      statusCode: 406,
      code: 'VERDICT_ERR_REQUEST_NOT_ACCEPTABLE',
      message: 'None of the accepted media types (text/html) can be produced; accept application/json or application/msgpack',
    });
  });

  test('reply uses plain maps', async () => {
    // msgpackr's record extension would start the reply with 0xd4; other decoders need plain maps,
    // here a map16 header (0xde), which the server writes for every map because it packs faster.
    const response = await request(`${url}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: pack({ items: [eset.sha256[10]!] }),
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    const decoded = new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(bytes) as BatchResult;
    expect(bytes[0]).toBe(0xde);
    expect(decoded.results[0]!.verdict).toBe('deny');
    expect(decoded.counts).toEqual({ allow: 0, deny: 1, unknown: 0, invalid: 0 });
  });
});

describe('GET /v1/lookup/{hash}', () => {
  test.each([
    { name: 'denied sha256', hash: eset.sha256[11]! },
    { name: 'denied md5', hash: eset.md5[11]! },
    { name: 'allowed sha256', hash: LOCAL_ALLOW_HASHES[3]! },
    { name: 'conflict', hash: CONFLICT_HASH },
    { name: 'unknown', hash: sha256Of('single unknown') },
  ])('$name agrees with bulk', async ({ hash }) => {
    const reply = await getJson<LookupResult>(url, `/v1/lookup/${hash}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(expectedResult(hash));
  });

  test('invalid hash gets item error', async () => {
    const reply = await getJson<LookupResult>(url, '/v1/lookup/xyz');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      item: 'xyz',
      verdict: 'invalid',
      code: 'VERDICT_ERR_ITEM_UNRECOGNIZED',
      error:
        'Item "xyz" is not a hash, IP address, CIDR range, domain or URL; prefix it with md5:, sha1:, sha256:, ip:, cidr:, domain: or url: to force a type',
      matches: [],
    });
  });

  test('Accept MessagePack honoured', async () => {
    const reply = await send<LookupResult>(url, 'GET', `/v1/lookup/${eset.sha1[12]!}`, { headers: { accept: 'application/msgpack' } });
    expect(reply.contentType).toBe('application/msgpack');
    expect(reply.body).toEqual(expectedResult(eset.sha1[12]!));
  });
});
