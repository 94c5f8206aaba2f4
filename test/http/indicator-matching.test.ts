/**
 * IP, CIDR, domain and URL matching through the HTTP API. The test writes small `indicator-list`
 * feeds, real worker threads build them into LMDB stores, and a real server on 127.0.0.1 handles
 * the lookups the test sends with undici. Every case states the whole result: verdict, type,
 * canonical form and each match's feed, entry and matchedBy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import type { ItemType } from '../../src/indicators/classify.js';
import { MAX_RANGE_MATCHES, type LookupResult, type Match, type MatchKind, type Verdict, type VerdictCounts } from '../../src/lookup.js';
import { lookupJson, lookupMsgpack, lookupOne } from '../helpers/http.js';
import { ServedFeeds, feedStatus, lineNumberOf, type PolicyFeed } from '../helpers/served-feeds.js';
import { TestBed } from '../helpers/testbed.js';

const digestOf = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('hex');
const MD5 = digestOf('md5', 'verdict indicator matching');
const SHA1 = digestOf('sha1', 'verdict indicator matching');
const SHA256 = digestOf('sha256', 'verdict indicator matching');

/** Joins the lines of a feed file and ends it with a newline. */
const fileText = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

// Feed files. Addresses outside reserved space are real public ranges, which the test stores and never contacts.
const IP_DENY = fileText([
  '# Overlapping ranges that all contain 11.22.33.44; the /32 and the bare address are one key.',
  '11.0.0.0/8',
  '11.22.0.0/16',
  '11.22.33.0/24',
  '11.22.33.44/32',
  '11.22.33.44',
  '# Host bits set: stored as 12.0.0.0/8.',
  '12.1.2.3/8',
  '# Half of the cross-feed overlap around 45.67.89.10; ip-second lists the other half.',
  '45.0.0.0/8',
  '45.67.89.0/24',
  '2a02:6b8::/32',
  '2A02:06B8:0000:0001:0000:0000:0000:0005/128',
  '2a02:6b8:0:2::/64',
  '::ffff:41.42.43.44',
  '# Reserved space, filtered because this feed leaves `reserved` unset.',
  '10.0.0.0/8',
  '192.168.1.1',
  'fe80::1',
  '# Wider than the default limits of /8 (IPv4) and /16 (IPv6).',
  '0.0.0.0/0',
  '11.0.0.0/7',
  '2a00::/12',
]);
const IP_SECOND = fileText(['45.67.0.0/16', '45.67.89.10']);
const IP_ALLOW = fileText(['41.42.43.44', '8.8.8.0/24']);
const RESERVED_KEPT = fileText(['10.0.0.0/8', '192.168.1.1', 'fe80::1']);
const DOMAINS_BOTH = fileText([
  'higan.org',
  'HIGAN.ORG',
  '.dot-marker.net',
  '*.star-marker.net',
  'bücher.example',
  'xn--mnchen-3ya.example',
  'Upper-Case.Example.',
  'co.uk',
  'evil.co.uk',
]);
const DOMAINS_EXACT = fileText(['higan.org', '*.sub-only.org', '.both-marker.org']);
const DOMAINS_SUBDOMAINS = fileText(['higan.org']);
const DOMAINS_ALLOW = fileText(['safe.higan.org']);
const URLS = fileText(['evil.example/path/', 'http://evil.example/q.php?id=7', 'http://hostlevel.example/', 'http://11.22.33.44/drop.exe']);
const HASHES = fileText([MD5, SHA1, SHA256]);
/** One more address inside 77.1.0.0/16 than a range query reports (MAX_RANGE_MATCHES). */
const BULK_ALLOW = fileText(Array.from({ length: MAX_RANGE_MATCHES + 1 }, (_, index) => `77.1.${index >> 8}.${index & 0xff}`));
const LATE_DENY = fileText(['77.1.200.1']);

function feeds(bed: TestBed): PolicyFeed[] {
  const list = (name: string, text: string): string => bed.writeFile(name, text);
  return [
    { id: 'ip-deny', list: 'deny', format: 'indicator-list', path: list('ip-deny.txt', IP_DENY), category: 'scanner', options: { type: 'ip' }, maxBadLinePercent: 50 },
    { id: 'ip-second', list: 'deny', format: 'indicator-list', path: list('ip-second.txt', IP_SECOND), category: 'botnet', options: { type: 'ip' } },
    { id: 'ip-allow', list: 'allow', format: 'indicator-list', path: list('ip-allow.txt', IP_ALLOW), category: 'cdn', options: { type: 'ip' } },
    {
      id: 'reserved-kept',
      list: 'deny',
      format: 'indicator-list',
      path: list('reserved-kept.txt', RESERVED_KEPT),
      category: 'internal',
      options: { type: 'ip' },
      reserved: true,
    },
    {
      id: 'domains-both',
      list: 'deny',
      format: 'indicator-list',
      path: list('domains-both.txt', DOMAINS_BOTH),
      category: 'phishing',
      options: { type: 'domain' },
      maxBadLinePercent: 50,
    },
    { id: 'domains-exact', list: 'deny', format: 'indicator-list', path: list('domains-exact.txt', DOMAINS_EXACT), options: { type: 'domain' }, domainMatch: 'exact' },
    {
      id: 'domains-subdomains',
      list: 'deny',
      format: 'indicator-list',
      path: list('domains-subdomains.txt', DOMAINS_SUBDOMAINS),
      options: { type: 'domain' },
      domainMatch: 'subdomains',
    },
    { id: 'domains-allow', list: 'allow', format: 'indicator-list', path: list('domains-allow.txt', DOMAINS_ALLOW), options: { type: 'domain' } },
    { id: 'urls', list: 'deny', format: 'indicator-list', path: list('urls.txt', URLS), category: 'malware-url', options: { type: 'url' } },
    { id: 'hashes', list: 'deny', format: 'indicator-list', path: list('hashes.txt', HASHES), options: { type: 'hash' } },
    // Configured after bulk-allow, so a range scan reaches it only after bulk-allow's entries.
    { id: 'bulk-allow', list: 'allow', format: 'indicator-list', path: list('bulk-allow.txt', BULK_ALLOW), options: { type: 'ip' } },
    { id: 'late-deny', list: 'deny', format: 'indicator-list', path: list('late-deny.txt', LATE_DENY), options: { type: 'ip' } },
  ];
}

/** An expected match: the feed, then the entry and how it matched (both absent for hashes). */
type ExpectedMatch = readonly [feed: string, entry?: string, matchedBy?: MatchKind];

interface MatchCase {
  readonly name: string;
  readonly item: unknown;
  /** The `item` field of the result when it differs from the item sent. */
  readonly echo?: string;
  readonly type: ItemType;
  readonly canonical?: string;
  readonly verdict: Exclude<Verdict, 'invalid'>;
  readonly conflict?: true;
  readonly matches: readonly ExpectedMatch[];
}

interface InvalidCase {
  readonly name: string;
  readonly item: unknown;
  readonly echo?: string;
  readonly type?: ItemType;
  readonly code: ErrorCode;
  readonly error: string;
}

const bed = new TestBed();
let url: string;
let served: ServedFeeds;

beforeAll(async () => {
  const config = bed.configure({ feeds: feeds(bed) });
  url = (await bed.start(config)).url;
  served = new ServedFeeds(config);
});

afterAll(async () => {
  await bed.close();
});

function expectedMatches(matches: readonly ExpectedMatch[]): Match[] {
  return matches.map(([feed, entry, matchedBy]) => served.match(feed, entry, matchedBy));
}

function expectedResult(row: MatchCase): LookupResult {
  const echo = row.echo ?? (row.item as string);
  return {
    item: echo,
    type: row.type,
    ...(row.canonical === undefined ? {} : { canonical: row.canonical }),
    verdict: row.verdict,
    ...(row.conflict === undefined ? {} : { conflict: true }),
    matches: expectedMatches(row.matches),
  };
}

function expectedInvalid(row: InvalidCase): LookupResult {
  return {
    item: row.echo ?? (row.item as string),
    verdict: 'invalid',
    ...(row.type === undefined ? {} : { type: row.type }),
    code: row.code,
    error: row.error,
    matches: [],
  };
}

function countsOf(verdicts: readonly Verdict[]): VerdictCounts {
  const counts: VerdictCounts = { allow: 0, deny: 0, unknown: 0, invalid: 0 };
  for (const verdict of verdicts) counts[verdict]++;
  return counts;
}

/** Looks one case up in a batch of one and checks each part of its result on its own. */
async function expectCase(row: MatchCase): Promise<void> {
  const reply = await lookupJson(url, [row.item]);
  const result = reply.body.results[0]!;
  expect(reply.status).toBe(200);
  expect(result.verdict).toBe(row.verdict);
  expect(result.type).toBe(row.type);
  expect(result.canonical).toBe(row.canonical);
  expect(result.conflict).toBe(row.conflict);
  expect(result.matches).toEqual(expectedMatches(row.matches));
  expect(result).toEqual(expectedResult(row));
}

/** Sends a whole table in one batch and checks the results in order and the counts. */
async function expectBatch(rows: readonly MatchCase[]): Promise<void> {
  const reply = await lookupJson(url, rows.map((row) => row.item));
  expect(reply.status).toBe(200);
  expect(reply.body.results).toEqual(rows.map((row) => expectedResult(row)));
  expect(reply.body.counts).toEqual(countsOf(rows.map((row) => row.verdict)));
}

const ADDRESS_11_22_33_44: readonly ExpectedMatch[] = [
  ['ip-deny', '11.22.33.44', 'network'],
  ['ip-deny', '11.22.33.0/24', 'network'],
  ['ip-deny', '11.22.0.0/16', 'network'],
  ['ip-deny', '11.0.0.0/8', 'network'],
];
const ADDRESS_V6_5: readonly ExpectedMatch[] = [
  ['ip-deny', '2a02:6b8:0:1::5', 'network'],
  ['ip-deny', '2a02:6b8::/32', 'network'],
];
const RANGE_11_22: readonly ExpectedMatch[] = [
  ['ip-deny', '11.22.0.0/16', 'network'],
  ['ip-deny', '11.0.0.0/8', 'network'],
  ['ip-deny', '11.22.33.44', 'overlap'],
  ['ip-deny', '11.22.33.0/24', 'overlap'],
];

const IP_CASES: readonly MatchCase[] = [
  { name: 'IPv4 in four ranges', item: '11.22.33.44', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  {
    name: 'IPv4 in three ranges',
    item: '11.22.33.99',
    type: 'ipv4',
    canonical: '11.22.33.99',
    verdict: 'deny',
    matches: [
      ['ip-deny', '11.22.33.0/24', 'network'],
      ['ip-deny', '11.22.0.0/16', 'network'],
      ['ip-deny', '11.0.0.0/8', 'network'],
    ],
  },
  { name: 'IPv4 in one range', item: '11.99.1.1', type: 'ipv4', canonical: '11.99.1.1', verdict: 'deny', matches: [['ip-deny', '11.0.0.0/8', 'network']] },
  { name: 'surrounding white space', item: ' 11.22.33.44\t', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'mapped dotted form', item: '::ffff:11.22.33.44', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'mapped hex form', item: '::FFFF:B16:212C', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'mapped expanded form', item: '0:0:0:0:0:ffff:b16:212c', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'entry with host bits', item: '12.200.1.1', type: 'ipv4', canonical: '12.200.1.1', verdict: 'deny', matches: [['ip-deny', '12.0.0.0/8', 'network']] },
  {
    name: 'mapped entry conflicts',
    item: '41.42.43.44',
    type: 'ipv4',
    canonical: '41.42.43.44',
    verdict: 'deny',
    conflict: true,
    matches: [
      ['ip-deny', '41.42.43.44', 'network'],
      ['ip-allow', '41.42.43.44', 'network'],
    ],
  },
  { name: 'IPv6 compressed', item: '2a02:6b8:0:1::5', type: 'ipv6', canonical: '2a02:6b8:0:1::5', verdict: 'deny', matches: ADDRESS_V6_5 },
  { name: 'IPv6 upper case', item: '2A02:6B8:0:1::5', type: 'ipv6', canonical: '2a02:6b8:0:1::5', verdict: 'deny', matches: ADDRESS_V6_5 },
  { name: 'IPv6 expanded', item: '2a02:06b8:0000:0001:0000:0000:0000:0005', type: 'ipv6', canonical: '2a02:6b8:0:1::5', verdict: 'deny', matches: ADDRESS_V6_5 },
  { name: 'IPv6 zeros uncompressed', item: '2a02:6b8:0:1:0:0:0:5', type: 'ipv6', canonical: '2a02:6b8:0:1::5', verdict: 'deny', matches: ADDRESS_V6_5 },
  {
    name: 'IPv6 in /64',
    item: '2a02:6b8:0:2::abcd',
    type: 'ipv6',
    canonical: '2a02:6b8:0:2::abcd',
    verdict: 'deny',
    matches: [
      ['ip-deny', '2a02:6b8:0:2::/64', 'network'],
      ['ip-deny', '2a02:6b8::/32', 'network'],
    ],
  },
  { name: 'IPv6 in /32 only', item: '2a02:6b8:ffff::1', type: 'ipv6', canonical: '2a02:6b8:ffff::1', verdict: 'deny', matches: [['ip-deny', '2a02:6b8::/32', 'network']] },
  { name: 'allowed range', item: '8.8.8.8', type: 'ipv4', canonical: '8.8.8.8', verdict: 'allow', matches: [['ip-allow', '8.8.8.0/24', 'network']] },
  { name: 'unlisted IPv4', item: '13.1.1.1', type: 'ipv4', canonical: '13.1.1.1', verdict: 'unknown', matches: [] },
  { name: 'unlisted IPv6', item: '2a03::1', type: 'ipv6', canonical: '2a03::1', verdict: 'unknown', matches: [] },
  // ip-deny lists 10.0.0.0/8, 192.168.1.1 and fe80::1 too, but filters them as reserved.
  { name: 'private range kept', item: '10.1.2.3', type: 'ipv4', canonical: '10.1.2.3', verdict: 'deny', matches: [['reserved-kept', '10.0.0.0/8', 'network']] },
  { name: 'private address kept', item: '192.168.1.1', type: 'ipv4', canonical: '192.168.1.1', verdict: 'deny', matches: [['reserved-kept', '192.168.1.1', 'network']] },
  { name: 'link-local address kept', item: 'fe80::1', type: 'ipv6', canonical: 'fe80::1', verdict: 'deny', matches: [['reserved-kept', 'fe80::1', 'network']] },
];

const CIDR_CASES: readonly MatchCase[] = [
  { name: 'cidr prefix /16', item: 'cidr:11.22.0.0/16', type: 'cidr', canonical: '11.22.0.0/16', verdict: 'deny', matches: RANGE_11_22 },
  { name: 'bare /16', item: '11.22.0.0/16', type: 'cidr', canonical: '11.22.0.0/16', verdict: 'deny', matches: RANGE_11_22 },
  {
    name: 'bare /24',
    item: '11.22.33.0/24',
    type: 'cidr',
    canonical: '11.22.33.0/24',
    verdict: 'deny',
    matches: [
      ['ip-deny', '11.22.33.0/24', 'network'],
      ['ip-deny', '11.22.0.0/16', 'network'],
      ['ip-deny', '11.0.0.0/8', 'network'],
      ['ip-deny', '11.22.33.44', 'overlap'],
    ],
  },
  {
    name: 'query with host bits',
    item: 'cidr:11.22.33.44/20',
    type: 'cidr',
    canonical: '11.22.32.0/20',
    verdict: 'deny',
    matches: [
      ['ip-deny', '11.22.0.0/16', 'network'],
      ['ip-deny', '11.0.0.0/8', 'network'],
      ['ip-deny', '11.22.33.44', 'overlap'],
      ['ip-deny', '11.22.33.0/24', 'overlap'],
    ],
  },
  { name: 'single-address range', item: '11.22.33.44/32', type: 'cidr', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'mapped IPv6 range', item: '::ffff:11.22.0.0/112', type: 'cidr', canonical: '11.22.0.0/16', verdict: 'deny', matches: RANGE_11_22 },
  {
    name: 'IPv6 covering range',
    item: 'cidr:2a02:6b8::/32',
    type: 'cidr',
    canonical: '2a02:6b8::/32',
    verdict: 'deny',
    matches: [
      ['ip-deny', '2a02:6b8::/32', 'network'],
      ['ip-deny', '2a02:6b8:0:1::5', 'overlap'],
      ['ip-deny', '2a02:6b8:0:2::/64', 'overlap'],
    ],
  },
  {
    name: 'IPv6 wider range',
    item: '2a02:6b8::/31',
    type: 'cidr',
    canonical: '2a02:6b8::/31',
    verdict: 'deny',
    matches: [
      ['ip-deny', '2a02:6b8:0:1::5', 'overlap'],
      ['ip-deny', '2a02:6b8:0:2::/64', 'overlap'],
      ['ip-deny', '2a02:6b8::/32', 'overlap'],
    ],
  },
  {
    name: 'IPv6 range inside /64',
    item: 'cidr:2a02:6b8:0:2::/96',
    type: 'cidr',
    canonical: '2a02:6b8:0:2::/96',
    verdict: 'deny',
    matches: [
      ['ip-deny', '2a02:6b8:0:2::/64', 'network'],
      ['ip-deny', '2a02:6b8::/32', 'network'],
    ],
  },
  { name: 'allowed entry inside', item: 'cidr:8.8.0.0/16', type: 'cidr', canonical: '8.8.0.0/16', verdict: 'allow', matches: [['ip-allow', '8.8.8.0/24', 'overlap']] },
  { name: 'unlisted range', item: '13.0.0.0/8', type: 'cidr', canonical: '13.0.0.0/8', verdict: 'unknown', matches: [] },
];

const BOTH_AND_SUBDOMAINS_HIGAN: readonly ExpectedMatch[] = [
  ['domains-both', 'higan.org', 'subdomain'],
  ['domains-subdomains', 'higan.org', 'subdomain'],
];

const DOMAIN_CASES: readonly MatchCase[] = [
  {
    name: 'exact entry',
    item: 'higan.org',
    type: 'domain',
    canonical: 'higan.org',
    verdict: 'deny',
    matches: [
      ['domains-both', 'higan.org', 'exact'],
      ['domains-exact', 'higan.org', 'exact'],
    ],
  },
  { name: 'subdomain of entry', item: 'a.higan.org', type: 'domain', canonical: 'a.higan.org', verdict: 'deny', matches: BOTH_AND_SUBDOMAINS_HIGAN },
  { name: 'deep subdomain', item: 'x.y.a.higan.org', type: 'domain', canonical: 'x.y.a.higan.org', verdict: 'deny', matches: BOTH_AND_SUBDOMAINS_HIGAN },
  { name: 'upper case, trailing dot', item: 'A.HIGAN.ORG.', type: 'domain', canonical: 'a.higan.org', verdict: 'deny', matches: BOTH_AND_SUBDOMAINS_HIGAN },
  { name: 'label boundary respected', item: 'michigan.org', type: 'domain', canonical: 'michigan.org', verdict: 'unknown', matches: [] },
  { name: 'subdomain across boundary', item: 'a.michigan.org', type: 'domain', canonical: 'a.michigan.org', verdict: 'unknown', matches: [] },
  { name: 'entry inside longer name', item: 'higan.org.example.net', type: 'domain', canonical: 'higan.org.example.net', verdict: 'unknown', matches: [] },
  {
    name: 'allowed name conflicts',
    item: 'safe.higan.org',
    type: 'domain',
    canonical: 'safe.higan.org',
    verdict: 'deny',
    conflict: true,
    matches: [['domains-allow', 'safe.higan.org', 'exact'], ...BOTH_AND_SUBDOMAINS_HIGAN],
  },
  { name: 'Unicode query, Unicode entry', item: 'bücher.example', type: 'domain', canonical: 'xn--bcher-kva.example', verdict: 'deny', matches: [['domains-both', 'xn--bcher-kva.example', 'exact']] },
  {
    name: 'punycode query, Unicode entry',
    item: 'xn--bcher-kva.example',
    type: 'domain',
    canonical: 'xn--bcher-kva.example',
    verdict: 'deny',
    matches: [['domains-both', 'xn--bcher-kva.example', 'exact']],
  },
  {
    name: 'Unicode subdomain',
    item: 'www.bücher.example',
    type: 'domain',
    canonical: 'www.xn--bcher-kva.example',
    verdict: 'deny',
    matches: [['domains-both', 'xn--bcher-kva.example', 'subdomain']],
  },
  {
    name: 'Unicode query, punycode entry',
    item: 'münchen.example',
    type: 'domain',
    canonical: 'xn--mnchen-3ya.example',
    verdict: 'deny',
    matches: [['domains-both', 'xn--mnchen-3ya.example', 'exact']],
  },
  {
    name: 'upper-case Unicode query',
    item: 'MÜNCHEN.EXAMPLE',
    type: 'domain',
    canonical: 'xn--mnchen-3ya.example',
    verdict: 'deny',
    matches: [['domains-both', 'xn--mnchen-3ya.example', 'exact']],
  },
  { name: 'entry with trailing dot', item: 'upper-case.example', type: 'domain', canonical: 'upper-case.example', verdict: 'deny', matches: [['domains-both', 'upper-case.example', 'exact']] },
  { name: 'dot marker exact', item: 'dot-marker.net', type: 'domain', canonical: 'dot-marker.net', verdict: 'deny', matches: [['domains-both', 'dot-marker.net', 'exact']] },
  { name: 'dot marker subdomain', item: 'a.dot-marker.net', type: 'domain', canonical: 'a.dot-marker.net', verdict: 'deny', matches: [['domains-both', 'dot-marker.net', 'subdomain']] },
  { name: 'star marker skips name', item: 'star-marker.net', type: 'domain', canonical: 'star-marker.net', verdict: 'unknown', matches: [] },
  { name: 'star marker subdomain', item: 'a.star-marker.net', type: 'domain', canonical: 'a.star-marker.net', verdict: 'deny', matches: [['domains-both', 'star-marker.net', 'subdomain']] },
  { name: 'star marker in exact feed', item: 'a.sub-only.org', type: 'domain', canonical: 'a.sub-only.org', verdict: 'deny', matches: [['domains-exact', 'sub-only.org', 'subdomain']] },
  { name: 'star marker name unmatched', item: 'sub-only.org', type: 'domain', canonical: 'sub-only.org', verdict: 'unknown', matches: [] },
  { name: 'dot marker in exact feed', item: 'both-marker.org', type: 'domain', canonical: 'both-marker.org', verdict: 'deny', matches: [['domains-exact', 'both-marker.org', 'exact']] },
  {
    name: 'dot marker subdomain, exact feed',
    item: 'b.both-marker.org',
    type: 'domain',
    canonical: 'b.both-marker.org',
    verdict: 'deny',
    matches: [['domains-exact', 'both-marker.org', 'subdomain']],
  },
  { name: 'public suffix query', item: 'co.uk', type: 'domain', canonical: 'co.uk', verdict: 'unknown', matches: [] },
  { name: 'name under rejected suffix', item: 'other.co.uk', type: 'domain', canonical: 'other.co.uk', verdict: 'unknown', matches: [] },
  { name: 'entry under public suffix', item: 'x.evil.co.uk', type: 'domain', canonical: 'x.evil.co.uk', verdict: 'deny', matches: [['domains-both', 'evil.co.uk', 'subdomain']] },
  { name: 'host-level URL entry', item: 'hostlevel.example', type: 'domain', canonical: 'hostlevel.example', verdict: 'deny', matches: [['urls', 'hostlevel.example/', 'url-expression']] },
  {
    name: 'subdomain of URL entry',
    item: 'a.hostlevel.example',
    type: 'domain',
    canonical: 'a.hostlevel.example',
    verdict: 'deny',
    matches: [['urls', 'hostlevel.example/', 'url-expression']],
  },
  { name: 'host of path entries', item: 'evil.example', type: 'domain', canonical: 'evil.example', verdict: 'unknown', matches: [] },
];

const EVIL_PATH: readonly ExpectedMatch[] = [['urls', 'evil.example/path/', 'url-expression']];

const URL_CASES: readonly MatchCase[] = [
  { name: 'path prefix with query', item: 'http://evil.example/path/x.html?q=1', type: 'url', canonical: 'http://evil.example/path/x.html?q=1', verdict: 'deny', matches: EVIL_PATH },
  { name: 'subdomain host', item: 'http://sub.evil.example/path/', type: 'url', canonical: 'http://sub.evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'upper-case scheme and host', item: 'HTTP://EVIL.EXAMPLE/path/', type: 'url', canonical: 'http://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'dot segments resolved', item: 'http://evil.example/a/../path/./x', type: 'url', canonical: 'http://evil.example/path/x', verdict: 'deny', matches: EVIL_PATH },
  { name: 'fragment removed', item: 'https://evil.example/path/#top', type: 'url', canonical: 'https://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'URL without scheme', item: 'evil.example/path/x', type: 'url', canonical: 'http://evil.example/path/x', verdict: 'deny', matches: EVIL_PATH },
  { name: 'host with trailing dot', item: 'http://evil.example./path/', type: 'url', canonical: 'http://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'escaped path', item: 'http://evil.example/%70ath/', type: 'url', canonical: 'http://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'repeated slashes', item: 'http://evil.example//path//x', type: 'url', canonical: 'http://evil.example/path/x', verdict: 'deny', matches: EVIL_PATH },
  { name: 'port dropped', item: 'HTTP://EVIL.EXAMPLE:8080/path/x', type: 'url', canonical: 'http://evil.example/path/x', verdict: 'deny', matches: EVIL_PATH },
  { name: 'directory without slash', item: 'http://evil.example/path', type: 'url', canonical: 'http://evil.example/path', verdict: 'unknown', matches: [] },
  { name: 'other path', item: 'http://evil.example/other/', type: 'url', canonical: 'http://evil.example/other/', verdict: 'unknown', matches: [] },
  { name: 'path case kept', item: 'http://evil.example/PATH/', type: 'url', canonical: 'http://evil.example/PATH/', verdict: 'unknown', matches: [] },
  {
    name: 'entry with query',
    item: 'http://evil.example/q.php?id=7',
    type: 'url',
    canonical: 'http://evil.example/q.php?id=7',
    verdict: 'deny',
    matches: [['urls', 'evil.example/q.php?id=7', 'url-expression']],
  },
  { name: 'other query', item: 'http://evil.example/q.php?id=8', type: 'url', canonical: 'http://evil.example/q.php?id=8', verdict: 'unknown', matches: [] },
  { name: 'query missing', item: 'http://evil.example/q.php', type: 'url', canonical: 'http://evil.example/q.php', verdict: 'unknown', matches: [] },
  {
    name: 'host-level entry',
    item: 'https://www.hostlevel.example/any/page.html',
    type: 'url',
    canonical: 'https://www.hostlevel.example/any/page.html',
    verdict: 'deny',
    matches: [['urls', 'hostlevel.example/', 'url-expression']],
  },
  { name: 'host in subdomain feeds', item: 'http://a.higan.org/x', type: 'url', canonical: 'http://a.higan.org/x', verdict: 'deny', matches: [
    ['domains-both', 'higan.org', 'url-host'],
    ['domains-subdomains', 'higan.org', 'url-host'],
  ] },
  {
    name: 'host in exact feeds',
    item: 'http://higan.org/',
    type: 'url',
    canonical: 'http://higan.org/',
    verdict: 'deny',
    matches: [
      ['domains-both', 'higan.org', 'url-host'],
      ['domains-exact', 'higan.org', 'url-host'],
    ],
  },
  {
    name: 'Unicode host',
    item: 'http://bücher.example/',
    type: 'url',
    canonical: 'http://xn--bcher-kva.example/',
    verdict: 'deny',
    matches: [['domains-both', 'xn--bcher-kva.example', 'url-host']],
  },
  {
    name: 'IPv4 host',
    item: 'http://11.22.33.44/x',
    type: 'url',
    canonical: 'http://11.22.33.44/x',
    verdict: 'deny',
    matches: ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  {
    name: 'userinfo and port dropped',
    item: 'http://user@11.22.33.44:8080/x',
    type: 'url',
    canonical: 'http://11.22.33.44/x',
    verdict: 'deny',
    matches: ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  {
    name: 'hex octet host',
    item: 'http://0x0b.22.33.44/',
    type: 'url',
    canonical: 'http://11.22.33.44/',
    verdict: 'deny',
    matches: ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  {
    name: 'decimal integer host',
    item: 'http://185999660/',
    type: 'url',
    canonical: 'http://11.22.33.44/',
    verdict: 'deny',
    matches: ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  {
    name: 'IPv6 host',
    item: 'http://[2a02:6b8:0:1::5]/x',
    type: 'url',
    canonical: 'http://[2a02:6b8:0:1::5]/x',
    verdict: 'deny',
    matches: ADDRESS_V6_5.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  {
    // As for a named host: the URL's own entry first, then the entries of its host.
    name: 'URL entry on IP host',
    item: 'http://11.22.33.44/drop.exe',
    type: 'url',
    canonical: 'http://11.22.33.44/drop.exe',
    verdict: 'deny',
    matches: [['urls', '11.22.33.44/drop.exe', 'url-expression'], ...ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const)],
  },
  { name: 'unlisted host', item: 'http://unlisted.example/path/', type: 'url', canonical: 'http://unlisted.example/path/', verdict: 'unknown', matches: [] },
];

const HASH_MATCH: readonly ExpectedMatch[] = [['hashes']];

const TYPE_CASES: readonly MatchCase[] = [
  { name: 'bare md5', item: MD5, type: 'md5', verdict: 'deny', matches: HASH_MATCH },
  { name: 'bare sha1', item: SHA1, type: 'sha1', verdict: 'deny', matches: HASH_MATCH },
  { name: 'bare sha256', item: SHA256, type: 'sha256', verdict: 'deny', matches: HASH_MATCH },
  { name: 'md5 prefix', item: `md5:${MD5}`, type: 'md5', verdict: 'deny', matches: HASH_MATCH },
  { name: 'sha1 prefix', item: `sha1:${SHA1}`, type: 'sha1', verdict: 'deny', matches: HASH_MATCH },
  { name: 'upper-case sha256 prefix', item: `SHA256:${SHA256.toUpperCase()}`, type: 'sha256', verdict: 'deny', matches: HASH_MATCH },
  { name: 'hash prefix', item: `hash:${SHA1}`, type: 'sha1', verdict: 'deny', matches: HASH_MATCH },
  { name: 'bare IPv4', item: '11.99.1.1', type: 'ipv4', canonical: '11.99.1.1', verdict: 'deny', matches: [['ip-deny', '11.0.0.0/8', 'network']] },
  { name: 'ip prefix IPv4', item: 'ip:11.99.1.1', type: 'ipv4', canonical: '11.99.1.1', verdict: 'deny', matches: [['ip-deny', '11.0.0.0/8', 'network']] },
  { name: 'ip prefix IPv6', item: 'IP:2a02:6b8:ffff::1', type: 'ipv6', canonical: '2a02:6b8:ffff::1', verdict: 'deny', matches: [['ip-deny', '2a02:6b8::/32', 'network']] },
  { name: 'bare IPv6', item: '2a02:6b8:ffff::1', type: 'ipv6', canonical: '2a02:6b8:ffff::1', verdict: 'deny', matches: [['ip-deny', '2a02:6b8::/32', 'network']] },
  { name: 'bare CIDR', item: '13.0.0.0/8', type: 'cidr', canonical: '13.0.0.0/8', verdict: 'unknown', matches: [] },
  { name: 'cidr prefix', item: 'cidr:13.0.0.0/8', type: 'cidr', canonical: '13.0.0.0/8', verdict: 'unknown', matches: [] },
  { name: 'bare domain', item: 'a.higan.org', type: 'domain', canonical: 'a.higan.org', verdict: 'deny', matches: BOTH_AND_SUBDOMAINS_HIGAN },
  { name: 'domain prefix', item: 'domain:a.higan.org', type: 'domain', canonical: 'a.higan.org', verdict: 'deny', matches: BOTH_AND_SUBDOMAINS_HIGAN },
  { name: 'bare URL', item: 'http://sub.evil.example/path/', type: 'url', canonical: 'http://sub.evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  { name: 'bare URL without scheme', item: 'evil.example/path/', type: 'url', canonical: 'http://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  {
    name: 'bare IP URL',
    item: '11.22.33.44/x',
    type: 'url',
    canonical: 'http://11.22.33.44/x',
    verdict: 'deny',
    matches: ADDRESS_11_22_33_44.map(([feed, entry]) => [feed, entry, 'url-host'] as const),
  },
  { name: 'url prefix with scheme', item: 'url:http://evil.example/path/', type: 'url', canonical: 'http://evil.example/path/', verdict: 'deny', matches: EVIL_PATH },
  {
    name: 'url prefix on host',
    item: 'url:hostlevel.example',
    type: 'url',
    canonical: 'http://hostlevel.example/',
    verdict: 'deny',
    matches: [['urls', 'hostlevel.example/', 'url-expression']],
  },
];

const TYPED_OBJECT_CASES: readonly MatchCase[] = [
  { name: 'ip object', item: { type: 'ip', value: '::ffff:11.22.33.44' }, echo: '::ffff:11.22.33.44', type: 'ipv4', canonical: '11.22.33.44', verdict: 'deny', matches: ADDRESS_11_22_33_44 },
  { name: 'upper-case type', item: { type: 'IP', value: '2a02:6b8:0:1::5' }, echo: '2a02:6b8:0:1::5', type: 'ipv6', canonical: '2a02:6b8:0:1::5', verdict: 'deny', matches: ADDRESS_V6_5 },
  { name: 'cidr object', item: { type: 'cidr', value: '11.22.0.0/16' }, echo: '11.22.0.0/16', type: 'cidr', canonical: '11.22.0.0/16', verdict: 'deny', matches: RANGE_11_22 },
  {
    name: 'domain object',
    item: { type: 'domain', value: 'BÜCHER.example' },
    echo: 'BÜCHER.example',
    type: 'domain',
    canonical: 'xn--bcher-kva.example',
    verdict: 'deny',
    matches: [['domains-both', 'xn--bcher-kva.example', 'exact']],
  },
  {
    name: 'url object',
    item: { type: 'url', value: 'http://sub.evil.example/path/' },
    echo: 'http://sub.evil.example/path/',
    type: 'url',
    canonical: 'http://sub.evil.example/path/',
    verdict: 'deny',
    matches: EVIL_PATH,
  },
  { name: 'md5 object', item: { type: 'md5', value: MD5 }, echo: MD5, type: 'md5', verdict: 'deny', matches: HASH_MATCH },
  { name: 'sha256 object', item: { type: 'sha256', value: SHA256 }, echo: SHA256, type: 'sha256', verdict: 'deny', matches: HASH_MATCH },
  { name: 'hash object', item: { type: 'hash', value: SHA1 }, echo: SHA1, type: 'sha1', verdict: 'deny', matches: HASH_MATCH },
  { name: 'unlisted domain object', item: { type: 'domain', value: 'unlisted.example' }, echo: 'unlisted.example', type: 'domain', canonical: 'unlisted.example', verdict: 'unknown', matches: [] },
];

const SUPPORTED_TYPES = 'use one of md5, sha1, sha256, hash, ip, cidr, domain, url';
const UNRECOGNIZED_HINT = 'is not a hash, IP address, CIDR range, domain or URL; prefix it with md5:, sha1:, sha256:, ip:, cidr:, domain: or url: to force a type';

const INVALID_CASES: readonly InvalidCase[] = [
  { name: 'unknown type', item: { type: 'asn', value: '64500' }, echo: '64500', code: 'VERDICT_ERR_ITEM_UNKNOWN_TYPE', error: `Item type "asn" is not supported; ${SUPPORTED_TYPES}` },
  { name: 'numeric type', item: { type: 7, value: 'x' }, echo: 'x', code: 'VERDICT_ERR_ITEM_UNKNOWN_TYPE', error: `Item type 7 is not supported; ${SUPPORTED_TYPES}` },
  {
    name: 'numeric value',
    item: { type: 'ip', value: 7 },
    echo: '{"type":"ip","value":7}',
    code: 'VERDICT_ERR_ITEM_NOT_STRING',
    error: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got number',
  },
  { name: 'words with space', item: 'foo bar', code: 'VERDICT_ERR_ITEM_UNRECOGNIZED', error: `Item "foo bar" ${UNRECOGNIZED_HINT}` },
  { name: 'punctuation only', item: '!!!', code: 'VERDICT_ERR_ITEM_UNRECOGNIZED', error: `Item "!!!" ${UNRECOGNIZED_HINT}` },
  { name: 'single label', item: 'localhost', code: 'VERDICT_ERR_ITEM_UNRECOGNIZED', error: `Item "localhost" ${UNRECOGNIZED_HINT}` },
  {
    name: 'three-part IPv4',
    item: '1.2.3',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "1.2.3": IPv4 address has 3 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  {
    name: 'address with port',
    item: '11.22.33.44:8080',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "11.22.33.44:8080" has a port after the address; remove the port',
  },
  {
    name: 'octal-looking octet',
    item: '010.1.1.1',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "010.1.1.1": IPv4 octet "010" has a leading zero, which some parsers read as octal; write it as 10 if decimal is meant',
  },
  {
    name: 'ip prefix, bad octet',
    item: 'ip:999.1.1.1',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "999.1.1.1": IPv4 octet 999 is out of range (0..255)',
  },
  {
    name: 'ip prefix, IPv4 range',
    item: 'ip:11.22.0.0/16',
    type: 'ipv4',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "11.22.0.0/16" is a CIDR range; use cidr: for ranges',
  },
  {
    name: 'ip prefix, IPv6 range',
    item: 'ip:2a02:6b8::/32',
    type: 'ipv6',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "2a02:6b8::/32" is a CIDR range; use cidr: for ranges',
  },
  {
    name: 'cidr prefix, bad length',
    item: 'cidr:11.22.33.44/33',
    type: 'cidr',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "11.22.33.44/33": prefix /33 is out of range; the maximum for IPv4 is 32',
  },
  {
    name: 'cidr prefix, not an IP',
    item: 'cidr:junk',
    type: 'cidr',
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: 'Invalid IP address or CIDR range: "junk" is not an IP address; expected a decimal dotted-quad IPv4 address (like 192.0.2.1) or an IPv6 address',
  },
  {
    name: 'domain prefix on IP',
    item: 'domain:11.22.33.44',
    type: 'domain',
    code: 'VERDICT_ERR_ITEM_INVALID_DOMAIN',
    error: 'Invalid domain name: Domain "11.22.33.44" is an IP address, not a domain name',
  },
  {
    name: 'domain prefix, bad hyphen',
    item: 'domain:-bad-.com',
    type: 'domain',
    code: 'VERDICT_ERR_ITEM_INVALID_DOMAIN',
    error: 'Invalid domain name: Domain "-bad-.com" has the label "-bad-", which starts or ends with a hyphen',
  },
  {
    name: 'domain prefix, one label',
    item: 'domain:com',
    type: 'domain',
    code: 'VERDICT_ERR_ITEM_INVALID_DOMAIN',
    error: 'Invalid domain name: Domain "com" has a single label, but a domain name needs at least two, as in example.com',
  },
  {
    name: 'empty label',
    item: 'a..b.com',
    type: 'domain',
    code: 'VERDICT_ERR_ITEM_INVALID_DOMAIN',
    error: 'Invalid domain name: Domain "a..b.com" has an empty label, because it starts with a dot, has two dots in a row or ends with more than one dot',
  },
  {
    name: 'url prefix, no host',
    item: 'url:javascript:alert(1)',
    type: 'url',
    code: 'VERDICT_ERR_ITEM_INVALID_URL',
    error: 'Invalid URL: URL "javascript:alert(1)" has scheme "javascript" but no "//" after it, so it has no host to match',
  },
  { name: 'URL with empty host', item: 'http://', type: 'url', code: 'VERDICT_ERR_ITEM_INVALID_URL', error: 'Invalid URL: URL "http://" has an empty host' },
  {
    name: 'unclosed IPv6 literal',
    item: 'url:http://[2a02:6b8::1/x',
    type: 'url',
    code: 'VERDICT_ERR_ITEM_INVALID_URL',
    error: 'Invalid URL: URL "http://[2a02:6b8::1/x" has an IPv6 literal without a closing "]"',
  },
  {
    name: 'md5 prefix on sha256',
    item: `md5:${SHA256}`,
    type: 'md5',
    code: 'VERDICT_ERR_ITEM_HASH_TYPE_MISMATCH',
    error: 'Hash forced as md5 has 64 hex digits; md5 takes 32',
  },
  {
    name: 'sha256 prefix on md5',
    item: `sha256:${MD5}`,
    type: 'sha256',
    code: 'VERDICT_ERR_ITEM_HASH_TYPE_MISMATCH',
    error: 'Hash forced as sha256 has 32 hex digits; sha256 takes 64',
  },
];

describe('IP addresses', () => {
  test.each(IP_CASES)('$name', expectCase);

  test('IP table in one batch', async () => {
    await expectBatch(IP_CASES);
  });
});

describe('CIDR queries', () => {
  test.each(CIDR_CASES)('$name', expectCase);

  test('CIDR table in one batch', async () => {
    await expectBatch(CIDR_CASES);
  });
});

describe('overlaps across feeds', () => {
  const byFeedAndEntry = (a: Match, b: Match): number => `${a.feed} ${a.entry}`.localeCompare(`${b.feed} ${b.entry}`);

  test('address matches every feed', async () => {
    const result = await lookupOne(url, '45.67.89.10');
    const expected = expectedMatches([
      ['ip-deny', '45.67.89.0/24', 'network'],
      ['ip-deny', '45.0.0.0/8', 'network'],
      ['ip-second', '45.67.89.10', 'network'],
      ['ip-second', '45.67.0.0/16', 'network'],
    ]);
    expect(result.verdict).toBe('deny');
    expect(result.matches).toHaveLength(4);
    expect([...result.matches].sort(byFeedAndEntry)).toEqual([...expected].sort(byFeedAndEntry));
  });

  test('most specific entry first', async () => {
    const result = await lookupOne(url, '45.67.89.10');
    expect(result.matches.map((match) => match.entry)).toEqual(['45.67.89.10', '45.67.89.0/24', '45.67.0.0/16', '45.0.0.0/8']);
    expect(result.matches.map((match) => match.feed)).toEqual(['ip-second', 'ip-deny', 'ip-second', 'ip-deny']);
  });

  test('range matches every feed', async () => {
    const result = await lookupOne(url, 'cidr:45.67.0.0/16');
    const expected = expectedMatches([
      ['ip-deny', '45.0.0.0/8', 'network'],
      ['ip-deny', '45.67.89.0/24', 'overlap'],
      ['ip-second', '45.67.0.0/16', 'network'],
      ['ip-second', '45.67.89.10', 'overlap'],
    ]);
    expect(result.verdict).toBe('deny');
    expect(result.canonical).toBe('45.67.0.0/16');
    expect(result.matches).toHaveLength(4);
    expect([...result.matches].sort(byFeedAndEntry)).toEqual([...expected].sort(byFeedAndEntry));
  });
});

describe('range match limit', () => {
  test('narrow range finds deny', async () => {
    const result = await lookupOne(url, 'cidr:77.1.200.0/24');
    expect(result.verdict).toBe('deny');
    expect(result.matches).toEqual([served.match('late-deny', '77.1.200.1', 'overlap')]);
  });

  test('limit keeps deny verdict', async () => {
    // bulk-allow alone has more entries inside the range than a reply lists.
    const result = await lookupOne(url, 'cidr:77.1.0.0/16');
    expect(result.verdict).toBe('deny');
    expect(result.conflict).toBe(true);
    expect(result.matches.filter((match) => match.feed === 'late-deny')).toEqual([served.match('late-deny', '77.1.200.1', 'overlap')]);
  });
});

describe('domains', () => {
  test.each(DOMAIN_CASES)('$name', expectCase);

  test('domain table in one batch', async () => {
    await expectBatch(DOMAIN_CASES);
  });
});

describe('URLs', () => {
  test.each(URL_CASES)('$name', expectCase);

  test('URL table in one batch', async () => {
    await expectBatch(URL_CASES);
  });
});

describe('type detection', () => {
  test.each(TYPE_CASES)('$name', expectCase);

  test('type table in one batch', async () => {
    await expectBatch(TYPE_CASES);
  });
});

describe('typed objects', () => {
  test.each(TYPED_OBJECT_CASES)('$name', expectCase);

  test('typed objects in JSON', async () => {
    await expectBatch(TYPED_OBJECT_CASES);
  });

  test('typed objects in MessagePack', async () => {
    const reply = await lookupMsgpack(url, TYPED_OBJECT_CASES.map((row) => row.item));
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual(TYPED_OBJECT_CASES.map((row) => expectedResult(row)));
    expect(reply.body.counts).toEqual(countsOf(TYPED_OBJECT_CASES.map((row) => row.verdict)));
  });
});

describe('invalid items', () => {
  test.each(INVALID_CASES)('$name', async (row) => {
    const reply = await lookupJson(url, [row.item]);
    const result = reply.body.results[0]!;
    expect(reply.status).toBe(200);
    expect(result.verdict).toBe('invalid');
    expect(result.code).toBe(row.code);
    expect(result.error).toBe(row.error);
    expect(result.type).toBe(row.type);
    expect(result).toEqual(expectedInvalid(row));
  });

  test('invalid table in MessagePack', async () => {
    const reply = await lookupMsgpack(url, INVALID_CASES.map((row) => row.item));
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual(INVALID_CASES.map((row) => expectedInvalid(row)));
    expect(reply.body.counts).toEqual({ allow: 0, deny: 0, unknown: 0, invalid: INVALID_CASES.length });
  });
});

describe('feed status', () => {
  const NO_BAD_LINES = { total: 0, byReason: {}, samples: [] };
  const NOTHING_FILTERED = { total: 0, byReason: {} };
  const tooWide = (text: string, entry: string, message: string) => ({ line: lineNumberOf(text, entry), reason: 'range-too-wide', content: entry, message });

  test.each([
    {
      id: 'ip-deny',
      keys: 11,
      keysByType: { ipv4: 8, ipv6: 3 },
      records: 12,
      duplicates: 1,
      badLines: {
        total: 3,
        byReason: { 'range-too-wide': 3 },
        samples: [
          tooWide(IP_DENY, '0.0.0.0/0', "0.0.0.0/0 is a /0, wider than the feed's limit of /8; lower minPrefixLength.ipv4 to 0 to keep it"),
          tooWide(IP_DENY, '11.0.0.0/7', "11.0.0.0/7 is a /7, wider than the feed's limit of /8; lower minPrefixLength.ipv4 to 7 to keep it"),
          tooWide(IP_DENY, '2a00::/12', "2a00::/12 is a /12, wider than the feed's limit of /16; lower minPrefixLength.ipv6 to 12 to keep it"),
        ],
      },
      filtered: { total: 3, byReason: { reserved: 3 } },
    },
    { id: 'ip-second', keys: 2, keysByType: { ipv4: 2 }, records: 2, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    { id: 'ip-allow', keys: 2, keysByType: { ipv4: 2 }, records: 2, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    { id: 'reserved-kept', keys: 3, keysByType: { ipv4: 2, ipv6: 1 }, records: 3, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    {
      id: 'domains-both',
      keys: 7,
      keysByType: { domain: 7 },
      records: 8,
      duplicates: 1,
      badLines: {
        total: 1,
        byReason: { 'public-suffix': 1 },
        samples: [
          {
            line: lineNumberOf(DOMAINS_BOTH, 'co.uk'),
            reason: 'public-suffix',
            content: 'co.uk',
            message: 'Domain entry "co.uk" is the public suffix "co.uk", which would match every domain registered under it. List a domain below it, such as example.co.uk',
          },
        ],
      },
      filtered: NOTHING_FILTERED,
    },
    { id: 'domains-exact', keys: 3, keysByType: { domain: 3 }, records: 3, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    { id: 'domains-subdomains', keys: 1, keysByType: { domain: 1 }, records: 1, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    { id: 'urls', keys: 4, keysByType: { url: 4 }, records: 4, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
    { id: 'hashes', keys: 3, keysByType: { md5: 1, sha1: 1, sha256: 1 }, records: 3, duplicates: 0, badLines: NO_BAD_LINES, filtered: NOTHING_FILTERED },
  ])('$id counts', async ({ id, keys, keysByType, records, duplicates, badLines, filtered }) => {
    const status = await feedStatus(url, id);
    expect(status['generation']).toBe(served.generation(id));
    expect(status['keys']).toBe(keys);
    expect(status['keysByType']).toEqual(keysByType);
    expect(status['records']).toBe(records);
    expect(status['duplicates']).toBe(duplicates);
    expect(status['badLines']).toEqual(badLines);
    expect(status['filtered']).toEqual(filtered);
    expect(status['lastError']).toBeUndefined();
  });

  test.each([
    { id: 'ip-deny', hostBitsCleared: 1 },
    { id: 'ip-second', hostBitsCleared: 0 },
    { id: 'reserved-kept', hostBitsCleared: 0 },
  ])('$id host bits cleared', ({ id, hostBitsCleared }) => {
    expect(served.manifest(id).hostBitsCleared).toBe(hostBitsCleared);
  });

  test('prefix lengths probed', () => {
    expect(served.manifest('ip-deny').prefixLengths).toEqual({ ipv4: [32, 24, 16, 8], ipv6: [128, 64, 32] });
  });
});

/**
 * Range limits on a server of their own, because a kept /0 entry matches every address and would
 * add a match to every IP case above.
 */
describe('range limits', () => {
  const wideBed = new TestBed();
  let wideUrl: string;
  let wideFeeds: ServedFeeds;

  const ZERO_DEFAULT = fileText(['0.0.0.0/0', '::/0', '11.0.0.0/7', '2a02::/15', '31.0.0.0/8']);
  const ZERO_LIMIT_LOWERED = fileText(['0.0.0.0/0', '::/0', '32.0.0.0/7']);
  const ZERO_KEPT = fileText(['0.0.0.0/0', '::/0', '11.0.0.0/7']);

  beforeAll(async () => {
    const wideFeedList: PolicyFeed[] = [
      { id: 'zero-default', list: 'deny', format: 'indicator-list', path: wideBed.writeFile('zero-default.txt', ZERO_DEFAULT), options: { type: 'ip' }, maxBadLinePercent: 100 },
      {
        id: 'zero-limit-lowered',
        list: 'deny',
        format: 'indicator-list',
        path: wideBed.writeFile('zero-limit-lowered.txt', ZERO_LIMIT_LOWERED),
        options: { type: 'ip' },
        minPrefixLength: { ipv4: 0, ipv6: 0 },
      },
      {
        id: 'zero-kept',
        list: 'deny',
        format: 'indicator-list',
        path: wideBed.writeFile('zero-kept.txt', ZERO_KEPT),
        options: { type: 'ip' },
        minPrefixLength: { ipv4: 0, ipv6: 0 },
        reserved: true,
      },
    ];
    const config = wideBed.configure({ feeds: wideFeedList });
    wideUrl = (await wideBed.start(config)).url;
    wideFeeds = new ServedFeeds(config);
  });

  afterAll(async () => {
    await wideBed.close();
  });

  const rangeTooWide = (entry: string, message: string) => ({ line: lineNumberOf(ZERO_DEFAULT, entry), reason: 'range-too-wide', content: entry, message });

  test('/0 rejected by default', async () => {
    const status = await feedStatus(wideUrl, 'zero-default');
    expect(status['keys']).toBe(1);
    expect(status['filtered']).toEqual({ total: 0, byReason: {} });
    expect(status['badLines']).toEqual({
      total: 4,
      byReason: { 'range-too-wide': 4 },
      samples: [
        rangeTooWide('0.0.0.0/0', "0.0.0.0/0 is a /0, wider than the feed's limit of /8; lower minPrefixLength.ipv4 to 0 to keep it"),
        rangeTooWide('::/0', "::/0 is a /0, wider than the feed's limit of /16; lower minPrefixLength.ipv6 to 0 to keep it"),
        rangeTooWide('11.0.0.0/7', "11.0.0.0/7 is a /7, wider than the feed's limit of /8; lower minPrefixLength.ipv4 to 7 to keep it"),
        rangeTooWide('2a02::/15', "2a02::/15 is a /15, wider than the feed's limit of /16; lower minPrefixLength.ipv6 to 15 to keep it"),
      ],
    });
  });

  test('/0 alone is reserved', async () => {
    // With the limit lowered, /0 passes the width check but contains reserved space.
    const status = await feedStatus(wideUrl, 'zero-limit-lowered');
    expect(status['keys']).toBe(1);
    expect(status['badLines']).toEqual({ total: 0, byReason: {}, samples: [] });
    expect(status['filtered']).toEqual({ total: 2, byReason: { reserved: 2 } });
  });

  test('/0 kept with both options', async () => {
    const status = await feedStatus(wideUrl, 'zero-kept');
    expect(status['keys']).toBe(3);
    expect(status['keysByType']).toEqual({ ipv4: 2, ipv6: 1 });
    expect(status['badLines']).toEqual({ total: 0, byReason: {}, samples: [] });
    expect(status['filtered']).toEqual({ total: 0, byReason: {} });
    expect(wideFeeds.manifest('zero-kept').hostBitsCleared).toBe(1);
  });

  test.each([
    {
      name: 'address under /8 and /0',
      item: '31.1.1.1',
      type: 'ipv4',
      canonical: '31.1.1.1',
      matches: [
        ['zero-default', '31.0.0.0/8', 'network'],
        ['zero-kept', '0.0.0.0/0', 'network'],
      ],
    },
    {
      name: 'address under lowered /7',
      item: '33.1.1.1',
      type: 'ipv4',
      canonical: '33.1.1.1',
      matches: [
        ['zero-limit-lowered', '32.0.0.0/7', 'network'],
        ['zero-kept', '0.0.0.0/0', 'network'],
      ],
    },
    {
      name: 'private address under /7',
      item: '10.9.9.9',
      type: 'ipv4',
      canonical: '10.9.9.9',
      matches: [
        ['zero-kept', '10.0.0.0/7', 'network'],
        ['zero-kept', '0.0.0.0/0', 'network'],
      ],
    },
    { name: 'IPv6 under ::/0', item: '2a03::1', type: 'ipv6', canonical: '2a03::1', matches: [['zero-kept', '::/0', 'network']] },
    {
      name: 'whole IPv4 space query',
      item: 'cidr:0.0.0.0/0',
      type: 'cidr',
      canonical: '0.0.0.0/0',
      matches: [
        ['zero-kept', '0.0.0.0/0', 'network'],
        ['zero-default', '31.0.0.0/8', 'overlap'],
        ['zero-limit-lowered', '32.0.0.0/7', 'overlap'],
        ['zero-kept', '10.0.0.0/7', 'overlap'],
      ],
    },
  ] as const)('$name', async ({ item, type, canonical, matches }) => {
    const result = await lookupOne(wideUrl, item);
    const expected = matches.map(([feed, entry, matchedBy]) => wideFeeds.match(feed, entry, matchedBy));
    expect(result.verdict).toBe('deny');
    expect(result.type).toBe(type);
    expect(result.canonical).toBe(canonical);
    expect(result.matches).toEqual(expected);
    expect(result).toEqual({ item, type, canonical, verdict: 'deny', matches: expected });
  });
});
