/**
 * Crafted input from the security review, each case sent to a real server on 127.0.0.1 or to the
 * compiled `verdict` command. The cases cover the per-batch budget of range matches, the admin token
 * check at start, generation names given to `verdict publish`, and router errors in the catalogue's
 * shape. They also cover deeply nested items, clipped binary echoes, and URL hosts found before
 * unescaping, as browsers find them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Unpackr } from 'msgpackr';
import type { VerdictConfig } from '../../src/config.js';
import type { ErrorCode } from '../../src/errors.js';
import { MAX_RANGE_MATCHES, MAX_RANGE_MATCHES_PER_BATCH, type BatchResult, type LookupResult, type Match } from '../../src/lookup.js';
import { CURRENT_FILE, feedDirectory } from '../../src/store/layout.js';
import { runCli } from '../helpers/cli.js';
import { getJson, lookupJson, lookupMsgpack, send, type Reply } from '../helpers/http.js';
import { ServedFeeds, type PolicyFeed } from '../helpers/served-feeds.js';
import { TestBed, inspectFeedFolder } from '../helpers/testbed.js';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
}

/** Joins the lines of a feed file and ends it with a newline. */
const fileText = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

function expectError(reply: Reply, status: number, code: ErrorCode, message: string): void {
  expect(reply.status).toBe(status);
  expect(reply.contentType).toBe('application/json; charset=utf-8');
  expect((reply.body as ErrorBody).statusCode).toBe(status);
  expect((reply.body as ErrorBody).code).toBe(code);
  expect((reply.body as ErrorBody).message).toBe(message);
}

/** POSTs a raw JSON body to /v1/lookup, for bodies that JSON.stringify cannot produce from a value. */
function postJsonText(baseUrl: string, body: string): Promise<Reply<BatchResult>> {
  return send<BatchResult>(baseUrl, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/json' }, body });
}

describe('range budget per batch', () => {
  const bed = new TestBed();
  let url: string;
  let served: ServedFeeds;

  /** Addresses inside 23.0.0.0/8 per bulk feed: more than one range query reports per feed. */
  const BULK_SIZE = MAX_RANGE_MATCHES + 100;
  const bulkAddresses = (second: number): string[] => Array.from({ length: BULK_SIZE }, (_, i) => `23.${second}.${i >> 8}.${i & 0xff}`);
  const BULK_ALLOW = bulkAddresses(0);
  const BULK_DENY = bulkAddresses(1);
  /** Feeds a range scan visits, in configuration order, with their entry count inside 0.0.0.0/0. */
  const SCANNED = [
    { feed: 'bulk-allow', inside: BULK_SIZE },
    { feed: 'bulk-deny', inside: BULK_SIZE },
  ] as const;
  const BATCH_SIZE = 30;
  const WHOLE_SPACE = '0.0.0.0/0';

  /**
   * Overlap matches each item of a batch of /0 queries reports per scanned feed: at most
   * MAX_RANGE_MATCHES per feed, taken in order from what the batch budget has left.
   */
  function plannedOverlaps(items: number): number[][] {
    let budget = MAX_RANGE_MATCHES_PER_BATCH;
    return Array.from({ length: items }, () =>
      SCANNED.map(({ feed, inside }) => {
        // Past the budget a deny feed still reports its first entry, so its verdict stays visible.
        const reported = budget > 0 ? Math.min(inside, MAX_RANGE_MATCHES, budget) : feed === 'bulk-deny' ? 1 : 0;
        budget -= reported;
        return reported;
      }),
    );
  }

  function overlapCounts(result: LookupResult): number[] {
    return SCANNED.map(({ feed }) => result.matches.filter((match) => match.feed === feed && match.matchedBy === 'overlap').length);
  }

  const planned = plannedOverlaps(BATCH_SIZE);
  /** Number of items whose share of the budget reached the deny feed. */
  const denyItems = planned.filter((counts) => counts[1]! > 0).length;
  let batch: BatchResult;
  let coverMatch: Match;

  beforeAll(async () => {
    const feeds: PolicyFeed[] = [
      // 0.0.0.0/0 covers every query, so each item has a match that no range scan counts.
      {
        id: 'cover-all',
        list: 'allow',
        format: 'indicator-list',
        path: bed.writeFile('cover-all.txt', fileText([WHOLE_SPACE])),
        options: { type: 'ip' },
        minPrefixLength: { ipv4: 0 },
        reserved: true,
      },
      { id: 'bulk-allow', list: 'allow', format: 'indicator-list', path: bed.writeFile('bulk-allow.txt', fileText(BULK_ALLOW)), options: { type: 'ip' } },
      { id: 'bulk-deny', list: 'deny', format: 'indicator-list', path: bed.writeFile('bulk-deny.txt', fileText(BULK_DENY)), options: { type: 'ip' } },
    ];
    const config = bed.configure({ feeds });
    url = (await bed.start(config)).url;
    served = new ServedFeeds(config);
    coverMatch = served.match('cover-all', WHOLE_SPACE, 'network');
    const reply = await lookupJson(url, Array.from({ length: BATCH_SIZE }, () => WHOLE_SPACE));
    if (reply.status !== 200) throw new Error(`batch of ${WHOLE_SPACE} returned ${reply.status}: ${JSON.stringify(reply.body)}`);
    batch = reply.body;
  });

  afterAll(async () => {
    await bed.close();
  });

  test('plan spends whole budget', () => {
    // The batch requests more matches than the budget allows, so the budget runs out before the last
    // item, and from then on only the deny feed's first entry is reported.
    const withinBudget = MAX_RANGE_MATCHES_PER_BATCH / (2 * MAX_RANGE_MATCHES);
    expect(planned.flat().reduce((sum, count) => sum + count, 0)).toBe(MAX_RANGE_MATCHES_PER_BATCH + BATCH_SIZE - withinBudget);
    expect(planned[BATCH_SIZE - 1]).toEqual([0, 1]);
  });

  test('every item gets a result', () => {
    expect(batch.results).toHaveLength(BATCH_SIZE);
    expect(batch.results.map((result) => result.type)).toEqual(Array(BATCH_SIZE).fill('cidr'));
    expect(batch.results.map((result) => result.canonical)).toEqual(Array(BATCH_SIZE).fill(WHOLE_SPACE));
  });

  test('overlaps per item and feed', () => {
    expect(batch.results.map(overlapCounts)).toEqual(planned);
  });

  test('per-feed limit per item', () => {
    expect(Math.max(...batch.results.flatMap(overlapCounts))).toBe(MAX_RANGE_MATCHES);
  });

  test('batch total within budget', () => {
    const total = batch.results.reduce((sum, result) => sum + result.matches.filter((match) => match.matchedBy === 'overlap').length, 0);
    const beyondBudget = planned.flat().reduce((sum, count) => sum + count, 0) - MAX_RANGE_MATCHES_PER_BATCH;
    expect(total).toBe(MAX_RANGE_MATCHES_PER_BATCH + beyondBudget);
    // Only the deny feed's one entry per item goes past the budget.
    expect(beyondBudget).toBe(planned.filter((counts) => counts[0] === 0 && counts[1] === 1).length);
  });

  test('every item truncated', () => {
    expect(batch.results.map((result) => result.truncated)).toEqual(Array(BATCH_SIZE).fill(true));
  });

  test('overlap entries come from their feed', () => {
    const first = batch.results[0]!;
    const allowEntries = first.matches.filter((match) => match.feed === 'bulk-allow').map((match) => match.entry!);
    const denyEntries = first.matches.filter((match) => match.feed === 'bulk-deny').map((match) => match.entry!);
    expect(new Set(allowEntries).size).toBe(MAX_RANGE_MATCHES);
    expect(allowEntries.filter((entry) => !BULK_ALLOW.includes(entry))).toEqual([]);
    expect(new Set(denyEntries).size).toBe(MAX_RANGE_MATCHES);
    expect(denyEntries.filter((entry) => !BULK_DENY.includes(entry))).toEqual([]);
  });

  test('covering match listed first', () => {
    expect(batch.results.map((result) => result.matches[0])).toEqual(Array(BATCH_SIZE).fill(coverMatch));
  });

  test('every item stays deny', () => {
    expect(denyItems).toBe(BATCH_SIZE);
    expect(batch.results.map((result) => result.verdict)).toEqual(Array(BATCH_SIZE).fill('deny'));
    expect(batch.results.map((result) => result.conflict)).toEqual(Array(BATCH_SIZE).fill(true));
  });

  test('later items keep covering matches', () => {
    const withinBudget = MAX_RANGE_MATCHES_PER_BATCH / (2 * MAX_RANGE_MATCHES);
    for (const result of batch.results.slice(withinBudget)) {
      expect(result.matches[0]).toEqual(coverMatch);
      expect(result.matches.slice(1).map((match) => [match.feed, match.matchedBy])).toEqual([['bulk-deny', 'overlap']]);
      expect(result.truncated).toBe(true);
    }
  });

  test('batch counts', () => {
    expect(batch.counts).toEqual({ allow: BATCH_SIZE - denyItems, deny: denyItems, unknown: 0, invalid: 0 });
  });

  test('budget resets per request', async () => {
    const reply = await lookupJson(url, Array.from({ length: BATCH_SIZE }, () => WHOLE_SPACE));
    expect(reply.status).toBe(200);
    expect(reply.body.results.map(overlapCounts)).toEqual(planned);
  });

  test('deny after large allow reported', async () => {
    // bulk-allow alone fills the per-feed limit, and bulk-deny is scanned after it.
    const reply = await lookupJson(url, ['cidr:23.0.0.0/8']);
    const result = reply.body.results[0]!;
    expect(reply.status).toBe(200);
    expect(result.verdict).toBe('deny');
    expect(result.conflict).toBe(true);
    expect(result.truncated).toBe(true);
    expect(result.matches[0]).toEqual(coverMatch);
    expect(overlapCounts(result)).toEqual([MAX_RANGE_MATCHES, MAX_RANGE_MATCHES]);
  });
});

describe('admin token variable', () => {
  /** Unique to this file, so no other test or shell setting can supply it. */
  const TOKEN_VARIABLE = 'VERDICT_TEST_HARDENING_ADMIN_TOKEN';
  const TOKEN = 'hardening-token-7f3a';
  const UNAUTHORIZED =
    'Admin requests need the header Authorization: Bearer <token>, with the token from the variable named by server.adminTokenEnv';
  const saved = process.env[TOKEN_VARIABLE];

  function configureHashFeed(bed: TestBed): VerdictConfig {
    return bed.configure({
      server: { adminTokenEnv: TOKEN_VARIABLE },
      feeds: [{ id: 'hashes', list: 'deny', format: 'hash-list', path: bed.writeFile('hashes.txt', 'd41d8cd98f00b204e9800998ecf8427e\n') }],
    });
  }

  function restoreVariable(): void {
    if (saved === undefined) delete process.env[TOKEN_VARIABLE];
    else process.env[TOKEN_VARIABLE] = saved;
  }

  afterAll(() => {
    restoreVariable();
  });

  describe.each([
    { name: 'unset', value: undefined },
    { name: 'empty', value: '' },
  ])('$name variable', ({ value }) => {
    const bed = new TestBed();
    let startError: unknown;

    beforeAll(async () => {
      if (value === undefined) delete process.env[TOKEN_VARIABLE];
      else process.env[TOKEN_VARIABLE] = value;
      // The bed's own pool, so that the bed destroys it although the server never starts.
      const pool = bed.pool();
      try {
        await bed.start(configureHashFeed(bed), pool);
      } catch (error) {
        startError = error;
      } finally {
        restoreVariable();
      }
    });

    afterAll(async () => {
      await bed.close();
    });

    test('start rejected', () => {
      expect(startError).toBeInstanceOf(Error);
    });

    test('config invalid code', () => {
      expect((startError as { code?: string }).code).toBe('VERDICT_ERR_CONFIG_INVALID');
    });

    test('message names the variable', () => {
      expect((startError as Error).message).toBe(
        `Configuration ${bed.configPath} is invalid: server.adminTokenEnv names ${TOKEN_VARIABLE}, which is not set or empty; set it to the admin token`,
      );
    });
  });

  describe('set variable', () => {
    const bed = new TestBed();
    let url: string;
    let served: ServedFeeds;

    beforeAll(async () => {
      process.env[TOKEN_VARIABLE] = TOKEN;
      try {
        const config = configureHashFeed(bed);
        url = (await bed.start(config)).url;
        served = new ServedFeeds(config);
      } finally {
        restoreVariable();
      }
    });

    afterAll(async () => {
      await bed.close();
    });

    test.each<{ name: string; headers: Record<string, string> }>([
      { name: 'no header', headers: {} },
      { name: 'wrong token', headers: { authorization: 'Bearer wrong' } },
      { name: 'token with suffix', headers: { authorization: `Bearer ${TOKEN}x` } },
      { name: 'lower-case scheme', headers: { authorization: `bearer ${TOKEN}` } },
      { name: 'basic scheme', headers: { authorization: `Basic ${TOKEN}` } },
      { name: 'token alone', headers: { authorization: TOKEN } },
    ])('$name gets 401', async ({ headers }) => {
      const reply = await send(url, 'POST', '/v1/admin/feeds/hashes/refresh', { headers });
      expectError(reply, 401, 'VERDICT_ERR_ADMIN_UNAUTHORIZED', UNAUTHORIZED);
    });

    test('right token refreshes', async () => {
      const reply = await send<Record<string, unknown>>(url, 'POST', '/v1/admin/feeds/hashes/refresh', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ feed: 'hashes', status: 'unchanged', generation: served.generation('hashes') });
    });
  });
});

describe('publish generation names', () => {
  const bed = new TestBed();
  let config: VerdictConfig;
  /** The target feed's generations, oldest first; the newest is CURRENT. */
  let targetGenerations: string[];
  let otherGeneration: string;
  let currentBefore: string;

  const currentFileOf = (feedId: string): string => join(feedDirectory(config.dataDir, feedId), CURRENT_FILE);
  const publish = (generation: string) =>
    runCli(['publish', '--config', bed.configPath, '--feed', 'target', '--generation', generation, '--force']);

  beforeAll(async () => {
    const hashes = bed.writeFile('hashes.txt', 'd41d8cd98f00b204e9800998ecf8427e\n');
    config = bed.configure({
      feeds: [
        { id: 'target', list: 'deny', format: 'hash-list', path: hashes },
        { id: 'other', list: 'deny', format: 'hash-list', path: hashes },
      ],
    });
    const pool = bed.pool();
    // Two builds give the target an older generation that a real publish can return to.
    await bed.build(config, 'target', pool);
    await bed.build(config, 'target', pool);
    await bed.build(config, 'other', pool);
    targetGenerations = inspectFeedFolder(config, 'target').generations;
    otherGeneration = inspectFeedFolder(config, 'other').current!;
    currentBefore = readFileSync(currentFileOf('target'), 'utf8');
  });

  afterAll(async () => {
    await bed.close();
  });

  test('target has two generations', () => {
    expect(targetGenerations).toHaveLength(2);
    expect(currentBefore).toBe(`${targetGenerations[1]}\n`);
  });

  test.each([
    { name: "other feed's generation", generation: () => `../other/${otherGeneration}` },
    { name: 'own generation through ..', generation: () => `../target/${targetGenerations[0]}` },
    { name: 'trailing slash', generation: () => `${targetGenerations[0]}/` },
    { name: 'leading ./', generation: () => `./${targetGenerations[0]}` },
    { name: 'CURRENT', generation: () => 'CURRENT' },
    { name: '..', generation: () => '..' },
    { name: '.', generation: () => '.' },
    { name: 'x', generation: () => 'x' },
  ])('$name rejected', async ({ generation }) => {
    const name = generation();
    const run = await publish(name);
    const message = `Feed target: generation ${name} not found (available: ${targetGenerations.join(', ')})`;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`verdict: ${message} (VERDICT_ERR_GENERATION_NOT_FOUND)\n`);
    expect(run.stdout).toBe('');
    expect(readFileSync(currentFileOf('target'), 'utf8')).toBe(currentBefore);
  });

  // Last in this group, because it moves CURRENT.
  test('real name still publishes', async () => {
    const [older, newer] = targetGenerations as [string, string];
    const run = await publish(older);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`target: published ${older} (was ${newer})\n`);
    expect(readFileSync(currentFileOf('target'), 'utf8')).toBe(`${older}\n`);
  });
});

/** Router errors, nested items and URL hosts share one server with a small allow and deny feed. */
describe('crafted requests', () => {
  const bed = new TestBed();
  let url: string;
  let served: ServedFeeds;

  beforeAll(async () => {
    const feeds: PolicyFeed[] = [
      { id: 'allow-domains', list: 'allow', format: 'indicator-list', path: bed.writeFile('allow.txt', fileText(['google.com'])), options: { type: 'domain' } },
      { id: 'deny-domains', list: 'deny', format: 'indicator-list', path: bed.writeFile('deny.txt', fileText(['bardubar.example'])), options: { type: 'domain' } },
    ];
    const config = bed.configure({ feeds });
    url = (await bed.start(config)).url;
    served = new ServedFeeds(config);
  });

  afterAll(async () => {
    await bed.close();
  });

  describe('router errors', () => {
    /** The message of a router error whose Fastify detail is "'<path>' is not a valid url component". */
    const invalidUrl = (detail: string): string => `Request URL is invalid: ${detail}; percent-encode the value in the path`;
    const LONG_VALUE = 'a'.repeat(4097);

    test.each([
      {
        name: 'undecodable escape',
        method: 'GET' as const,
        path: '/v1/lookup/%E0%A4%A',
        message: invalidUrl("'/v1/lookup/%E0%A4%A' is not a valid url component"),
      },
      {
        name: 'undecodable escape with query',
        method: 'GET' as const,
        path: '/v1/lookup/%E0%A4%A?x=1',
        message: invalidUrl("'/v1/lookup/%E0%A4%A?x=1' is not a valid url component"),
      },
      {
        name: 'undecodable admin feed id',
        method: 'POST' as const,
        path: '/v1/admin/feeds/%E0%A4%A/refresh',
        message: invalidUrl("'/v1/admin/feeds/%E0%A4%A/refresh' is not a valid url component"),
      },
      {
        name: 'value over 4096 characters',
        method: 'GET' as const,
        path: `/v1/lookup/${LONG_VALUE}`,
        // The detail is cut after 200 characters: the quote, "/v1/lookup/" and 188 letters.
        message: invalidUrl(`'/v1/lookup/${'a'.repeat(188)}…`),
      },
      {
        name: 'long undecodable value',
        method: 'GET' as const,
        path: `/v1/lookup/${'a'.repeat(300)}%E0%A4%A`,
        message: invalidUrl(`'/v1/lookup/${'a'.repeat(188)}…`),
      },
    ])('$name', async ({ method, path, message }) => {
      const reply = await send(url, method, path);
      expectError(reply, 400, 'VERDICT_ERR_REQUEST_INVALID_URL', message);
    });

    test('clipped message length', async () => {
      const reply = await send<ErrorBody>(url, 'GET', `/v1/lookup/${LONG_VALUE}`);
      const frame = invalidUrl('').length;
      expect(reply.body.message).toHaveLength(frame + 201);
    });

    test('4096 characters still routed', async () => {
      const reply = await send<LookupResult>(url, 'GET', `/v1/lookup/${'a'.repeat(4096)}`);
      expect(reply.status).toBe(200);
      expect(reply.body.code).toBe('VERDICT_ERR_ITEM_BAD_LENGTH');
    });
  });

  describe('deeply nested items', () => {
    const DEPTH = 10_000;
    const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    const NOT_STRING = 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got';

    /** Returns the message msgpackr throws for `bytes`, decoded with the server's options. */
    function msgpackError(bytes: Buffer): string {
      try {
        new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(bytes);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('the body decodes without an error');
    }

    // JSON.stringify overflows the stack between 4,000 and 5,000 levels (measured on Node.js 20.20),
    // so the echo names the kind instead of quoting the item.
    test.each([
      {
        name: 'array in array',
        body: `{"items":[${deepArray}]}`,
        expected: { item: '(array)', verdict: 'invalid', code: 'VERDICT_ERR_ITEM_NOT_STRING', error: `${NOT_STRING} array`, matches: [] },
      },
      {
        name: 'array as type',
        body: `{"items":[{"type":${deepArray},"value":"x"}]}`,
        expected: {
          item: 'x',
          verdict: 'invalid',
          code: 'VERDICT_ERR_ITEM_UNKNOWN_TYPE',
          error: 'Item type (array) is not supported; use one of md5, sha1, sha256, hash, ip, cidr, domain, url',
          matches: [],
        },
      },
      {
        name: 'object in object',
        body: `{"items":[${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}]}`,
        expected: { item: '(object)', verdict: 'invalid', code: 'VERDICT_ERR_ITEM_NOT_STRING', error: `${NOT_STRING} object`, matches: [] },
      },
    ])('$name', async ({ body, expected }) => {
      const reply = await postJsonText(url, body);
      const result = reply.body.results[0]!;
      expect(reply.status).toBe(200);
      expect(reply.body.results).toHaveLength(1);
      expect(result.item).toBe(expected.item);
      expect(result.code).toBe(expected.code);
      expect(result.error).toBe(expected.error);
      expect(result).toEqual(expected);
      expect(reply.body.counts).toEqual({ allow: 0, deny: 0, unknown: 0, invalid: 1 });
    });

    test('nested MessagePack rejected', async () => {
      // {"items": [[[…]]]} with DEPTH arrays of one element around an empty one.
      const body = Buffer.concat([Buffer.from([0x81, 0xa5]), Buffer.from('items'), Buffer.alloc(DEPTH + 1, 0x91), Buffer.from([0x90])]);
      const reply = await send(url, 'POST', '/v1/lookup', { headers: { 'content-type': 'application/msgpack' }, body });
      expectError(reply, 400, 'VERDICT_ERR_REQUEST_MALFORMED_MSGPACK', `Request body is not valid MessagePack: ${msgpackError(body)}`);
    });

    test('server answers afterwards', async () => {
      await postJsonText(url, `{"items":[${deepArray}]}`);
      const health = await getJson(url, '/healthz');
      const lookup = await lookupJson(url, ['bardubar.example']);
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      expect(lookup.status).toBe(200);
      expect(lookup.body.results[0]!.verdict).toBe('deny');
    });

    test('binary echo clipped', async () => {
      const digest = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < digest.length; i++) digest[i] = i & 0xff;
      const reply = await lookupMsgpack(url, [digest]);
      const result = reply.body.results[0]!;
      expect(reply.status).toBe(200);
      expect(result.item).toHaveLength(257);
      expect(result.item).toBe(`${digest.subarray(0, 128).toString('hex')}…`);
      expect(result.code).toBe('VERDICT_ERR_ITEM_BAD_DIGEST_LENGTH');
      expect(result.error).toBe('Binary digest has 1048576 bytes; expected 16 (MD5), 20 (SHA-1) or 32 (SHA-256)');
    });
  });

  describe('URL authority', () => {
    const denyHost = (): Match[] => [served.match('deny-domains', 'bardubar.example', 'url-host')];
    const allowHost = (): Match[] => [served.match('allow-domains', 'google.com', 'url-host')];

    // A browser ends the authority at the first "/", "?" or "\" as written and drops user info up
    // to the last "@", so every item below goes to the host after "@" or before "\".
    test.each([
      { name: 'escaped slash in user info', item: 'http://google.com%2f@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'upper-case escaped slash', item: 'http://google.com%2F@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'escaped question mark', item: 'http://google.com%3f@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'escaped backslash', item: 'http://google.com%5c@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'double-escaped slash', item: 'http://google.com%252f@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'backslash ends host', item: 'http://bardubar.example\\@google.com/', canonical: 'http://bardubar.example/@google.com/', verdict: 'deny', matches: denyHost },
      { name: 'escaped slash, allowed host', item: 'http://bardubar.example%2f@google.com/', canonical: 'http://google.com/', verdict: 'allow', matches: allowHost },
      { name: 'plain user info', item: 'http://user@google.com/', canonical: 'http://google.com/', verdict: 'allow', matches: allowHost },
      // Without a scheme the text is read as http://, so the same authority rules apply.
      { name: 'no scheme, escaped slash', item: 'url:google.com%2f@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'no scheme, escaped question mark', item: 'url:google.com%3f@bardubar.example/', canonical: 'http://bardubar.example/', verdict: 'deny', matches: denyHost },
      { name: 'no scheme, backslash', item: 'url:bardubar.example\\@google.com/', canonical: 'http://bardubar.example/@google.com/', verdict: 'deny', matches: denyHost },
      { name: 'no scheme, allowed host', item: 'url:bardubar.example%2f@google.com/', canonical: 'http://google.com/', verdict: 'allow', matches: allowHost },
    ] as const)('$name', async ({ item, canonical, verdict, matches }) => {
      const reply = await lookupJson(url, [item]);
      const result = reply.body.results[0]!;
      expect(reply.status).toBe(200);
      expect(result.verdict).toBe(verdict);
      expect(result.canonical).toBe(canonical);
      expect(result.matches).toEqual(matches());
      expect(result).toEqual({ item, type: 'url', canonical, verdict, matches: matches() });
    });

    test.each([
      { name: 'escaped @ in host', item: 'http://a%40b.com/', url: 'http://a%40b.com/' },
      { name: 'escaped slash in host', item: 'http://google.com%2fbardubar.example/', url: 'http://google.com%2fbardubar.example/' },
      { name: 'escaped backslash in host', item: 'http://bardubar.example%5c/', url: 'http://bardubar.example%5c/' },
      { name: 'no scheme, escaped @', item: 'url:a%40b.com/', url: 'a%40b.com/' },
    ])('$name invalid', async ({ item, url: written }) => {
      const reply = await lookupJson(url, [item]);
      const result = reply.body.results[0]!;
      const error = `Invalid URL: URL ${JSON.stringify(written)} has a host that decodes to a "/", "?", "@" or "\\"; no browser reaches such a host`;
      expect(reply.status).toBe(200);
      expect(result.verdict).toBe('invalid');
      expect(result.code).toBe('VERDICT_ERR_ITEM_INVALID_URL');
      expect(result.error).toBe(error);
      expect(result).toEqual({ item, type: 'url', verdict: 'invalid', code: 'VERDICT_ERR_ITEM_INVALID_URL', error, matches: [] });
    });
  });
});
