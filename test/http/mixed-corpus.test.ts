/**
 * One server over real corpus feeds of every indicator type, read in place: hashes, IP ranges and
 * C2 addresses, domain blocklists, URL feeds and Microsoft's mixed indicator CSV, plus the Tranco
 * warning list as an allow feed. A mixed batch of items taken from those files must get the
 * verdict, entries, categories and attributes that an independent reading of the files
 * (test/helpers/indicator-reference.ts) predicts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import type { ItemType } from '../../src/indicators/classify.js';
import type { BatchResult, LookupResult, Match, MatchKind, Verdict } from '../../src/lookup.js';
import { corpusFile, readLines } from '../helpers/corpus.js';
import { lookupJson, lookupMsgpack, type Reply } from '../helpers/http.js';
import {
  FEODO_FILE,
  FIREHOL_LEVEL1_FILE,
  MALTRAIL_EMOTET_FILE,
  MSTIC_FILE,
  OPENPHISH_FILE,
  RANSOMWARE_HOSTS_FILE,
  SPAMHAUS_DROP_FILE,
  TRANCO_WARNINGLIST_FILE,
  URLHAUS_FILE,
  canonicalOf,
  expressionOf,
  ipv4NetworkCovers,
  lookupExpressionsOf,
  looseHostOf,
  parentNamesOf,
  parseIpv4,
  parseIpv4Network,
  parsePlainUrl,
  readFeodo,
  readHostsNames,
  readMaltrail,
  readMstic,
  readNetset,
  readOpenphish,
  readSpamhausDrop,
  readUrlhaus,
  readWarninglist,
  type Ipv4Network,
} from '../helpers/indicator-reference.js';
import { ESET_FILES } from '../helpers/reference.js';
import { ServedFeeds, feedStatus, lineNumberOf, type PolicyFeed } from '../helpers/served-feeds.js';
import { TestBed } from '../helpers/testbed.js';

type Attributes = Record<string, unknown>;

const MSTIC_OPTIONS = {
  typeColumn: { column: 'IoC_Type', valueColumn: 'IoC', types: { sha256: 'sha256', domainname: 'domain', ip: 'ip', url: 'url' } },
  attributes: { ActivityGroupNames: 'activityGroup', ThreatType: 'threatType', TrafficLightProtocolLevel: 'tlp', Description: 'description' },
  dateAttributes: { TimeGenerated: 'firstSeen', ExpirationDateTime: 'expiresAt' },
};
const MALTRAIL_FAMILY = 'Emotet';

const FEEDS: PolicyFeed[] = [
  { id: 'eset-sha256', list: 'deny', format: 'hash-list', path: corpusFile(ESET_FILES.sha256), category: 'malware' },
  { id: 'spamhaus-drop', list: 'deny', format: 'spamhaus-drop', path: corpusFile(SPAMHAUS_DROP_FILE), category: 'hijacked-network' },
  { id: 'feodo', list: 'deny', format: 'feodo-csv', path: corpusFile(FEODO_FILE), category: 'botnet-c2' },
  { id: 'firehol-level1', list: 'deny', format: 'indicator-list', path: corpusFile(FIREHOL_LEVEL1_FILE), category: 'bad-reputation', options: { type: 'ip' } },
  { id: 'maltrail-emotet', list: 'deny', format: 'maltrail', path: corpusFile(MALTRAIL_EMOTET_FILE), category: 'malware', options: { malwareFamily: MALTRAIL_FAMILY } },
  { id: 'ransomware-hosts', list: 'deny', format: 'hosts', path: corpusFile(RANSOMWARE_HOSTS_FILE), category: 'ransomware' },
  { id: 'urlhaus', list: 'deny', format: 'urlhaus-csv', path: corpusFile(URLHAUS_FILE), category: 'malware-url' },
  { id: 'openphish', list: 'deny', format: 'indicator-list', path: corpusFile(OPENPHISH_FILE), category: 'phishing', options: { type: 'url' } },
  { id: 'mstic', list: 'deny', format: 'csv', path: corpusFile(MSTIC_FILE), category: 'threat-intel', options: MSTIC_OPTIONS },
  { id: 'tranco', list: 'allow', format: 'misp-warninglist', path: corpusFile(TRANCO_WARNINGLIST_FILE), category: 'popular-site' },
];

// Independent readings of the corpus, made once.
const eset = readLines(corpusFile(ESET_FILES.sha256)).map((hash) => hash.toLowerCase());
const spamhaus = readSpamhausDrop();
const feodo = readFeodo();
const netset = readNetset();
const maltrail = readMaltrail();
const hostsNames = readHostsNames();
const urlhaus = readUrlhaus();
const openphish = readOpenphish();
const mstic = readMstic();
const tranco = readWarninglist();

/** Reads `M/D/YYYY` as an ISO 8601 date. */
function isoDateOf(text: string): string {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (match === null) throw new Error(`unexpected date ${text}`);
  return `${match[3]}-${match[1]!.padStart(2, '0')}-${match[2]!.padStart(2, '0')}`;
}

/** Reads a URLhaus time (`2026-01-27 17:53:08`, UTC without a zone) as ISO 8601. */
function isoTimeOf(text: string): string {
  return new Date(`${text.replace(' ', 'T')}Z`).toISOString();
}

/** Leaves out the attributes whose value is empty or undefined. */
function present(attributes: Record<string, unknown>): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined && value !== ''));
}

function msticAttributes(row: Record<string, string>): Attributes {
  return present({
    activityGroup: row['ActivityGroupNames']!.trim(),
    threatType: row['ThreatType']!.trim(),
    tlp: row['TrafficLightProtocolLevel']!.trim(),
    description: row['Description']!.trim(),
    firstSeen: isoDateOf(row['TimeGenerated']!.trim()),
    expiresAt: isoDateOf(row['ExpirationDateTime']!.trim()),
  });
}

function urlhausAttributes(row: (typeof urlhaus)[number]): Attributes {
  return present({
    urlhausId: row.id,
    dateAdded: row.dateAdded === '' ? undefined : isoTimeOf(row.dateAdded),
    status: row.status,
    lastOnline: row.lastOnline === '' ? undefined : isoTimeOf(row.lastOnline),
    threatType: row.threat,
    tags: row.tags === 'None' || row.tags === '' ? undefined : row.tags.split(',').map((tag) => tag.trim()),
    reference: row.link,
    reporter: row.reporter,
  });
}

function maltrailAttributes(trail: (typeof maltrail)[number]): Attributes {
  return present({
    malwareFamily: MALTRAIL_FAMILY,
    aliases: trail.aliases,
    reference: trail.reference,
    port: trail.kind === 'url' ? undefined : trail.port,
  });
}

/**
 * IPv4 ranges of the IANA special-purpose address registry. A feed without `reserved: true` filters
 * the entries inside them or containing them.
 */
const SPECIAL_IPV4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.31.196.0/24', '192.52.193.0/24', '192.88.99.0/24', '192.168.0.0/16', '192.175.48.0/24', '198.18.0.0/15', '198.51.100.0/24',
  '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32',
].map((cidr) => parseIpv4Network(cidr)!);

function isReserved(network: Ipv4Network): boolean {
  return SPECIAL_IPV4.some((special) => ipv4NetworkCovers(special, network) || ipv4NetworkCovers(network, special));
}

/** A match as the reference predicts it, before the generation is known. */
interface Predicted {
  readonly feed: string;
  readonly entry?: string;
  readonly matchedBy?: MatchKind;
  readonly attributes?: Attributes;
}

interface IpEntry {
  readonly feed: string;
  readonly network: Ipv4Network;
  readonly entry: string;
  readonly attributes?: Attributes;
}

/** Keeps the first value for each key, as the store keeps the first record of a repeated key. */
function firstOf<T>(map: Map<string, T>, key: string, value: T): void {
  if (!map.has(key)) map.set(key, value);
}

/**
 * The entries of each feed, keyed as lookups probe them, and the matches a lookup must find. An
 * address or range is checked against every IPv4 entry. A domain and its parents are checked
 * against every domain entry and host-level URL entry. A URL's Safe Browsing expressions are
 * checked against every URL entry.
 */
class CorpusReference {
  private readonly ipEntries: IpEntry[] = [];
  private readonly domainFeeds: { feed: string; names: Map<string, Attributes | undefined> }[] = [];
  private readonly urlFeeds: { feed: string; expressions: Map<string, Attributes | undefined>; otherHosts: Set<string> }[] = [];
  private readonly hashes = new Map<string, Predicted[]>();

  constructor() {
    for (const hash of eset) this.addHash(hash, { feed: 'eset-sha256' });
    this.readIpFeeds();
    this.readDomainFeeds();
    this.readUrlFeeds();
  }

  private addHash(hash: string, match: Predicted): void {
    const matches = this.hashes.get(hash) ?? [];
    if (!matches.some((existing) => existing.feed === match.feed)) matches.push(match);
    this.hashes.set(hash, matches);
  }

  private addIp(feed: string, text: string, attributes?: Attributes): void {
    const network = parseIpv4Network(text);
    if (network === undefined) throw new Error(`${feed}: the reference reads only canonical IPv4 entries, not ${text}`);
    if (network.prefix < 8 || isReserved(network)) return;
    const entry = network.prefix === 32 ? text.split('/')[0]! : text;
    if (this.ipEntries.some((existing) => existing.feed === feed && existing.entry === entry)) return;
    this.ipEntries.push({ feed, network, entry, ...(attributes === undefined ? {} : { attributes }) });
  }

  private readIpFeeds(): void {
    for (const { cidr, sblId } of spamhaus) this.addIp('spamhaus-drop', cidr, { sblId, reference: `https://www.spamhaus.org/sbl/query/${sblId}` });
    for (const row of feodo) {
      const [date, time] = row.firstSeenUtc.split(' ');
      this.addIp('feodo', row.ip, present({ firstSeen: `${date}T${time}Z`, port: Number(row.port), status: row.status, lastOnline: row.lastOnline, malwareFamily: row.malware }));
    }
    for (const entry of netset) this.addIp('firehol-level1', entry);
    for (const trail of maltrail) if (trail.kind === 'ip') this.addIp('maltrail-emotet', trail.value, maltrailAttributes(trail));
    for (const row of mstic) {
      const type = row['IoC_Type']!.trim().toLowerCase();
      const value = row['IoC']!.trim();
      if (type === 'ip') this.addIp('mstic', value, msticAttributes(row));
      if (type === 'sha256') this.addHash(value.toLowerCase(), { feed: 'mstic', attributes: msticAttributes(row) });
    }
  }

  private readDomainFeeds(): void {
    const maltrailNames = new Map<string, Attributes | undefined>();
    for (const trail of maltrail) if (trail.kind === 'domain') firstOf(maltrailNames, trail.value, maltrailAttributes(trail));
    const hosts = new Map<string, Attributes | undefined>();
    for (const name of hostsNames) firstOf(hosts, name, undefined);
    const msticNames = new Map<string, Attributes | undefined>();
    for (const row of mstic) if (row['IoC_Type']!.trim().toLowerCase() === 'domainname') firstOf(msticNames, row['IoC']!.trim().toLowerCase(), msticAttributes(row));

    const trancoNames = new Map<string, Attributes | undefined>();
    for (const name of tranco.list) firstOf(trancoNames, name.toLowerCase(), { warninglist: tranco.name });

    this.domainFeeds.push(
      { feed: 'maltrail-emotet', names: maltrailNames },
      { feed: 'ransomware-hosts', names: hosts },
      { feed: 'mstic', names: msticNames },
      { feed: 'tranco', names: trancoNames },
    );
  }

  private readUrlFeeds(): void {
    const feed = (id: string, entries: readonly { text: string; attributes?: Attributes }[]) => {
      const expressions = new Map<string, Attributes | undefined>();
      const otherHosts = new Set<string>();
      for (const { text, attributes } of entries) {
        const url = parsePlainUrl(text);
        if (url === undefined) {
          const host = looseHostOf(text);
          if (host !== undefined) otherHosts.add(host);
          continue;
        }
        firstOf(expressions, expressionOf(url), attributes);
      }
      this.urlFeeds.push({ feed: id, expressions, otherHosts });
    };
    feed(
      'maltrail-emotet',
      maltrail.filter((trail) => trail.kind === 'url').map((trail) => ({ text: trail.value, attributes: maltrailAttributes(trail) })),
    );
    feed('urlhaus', urlhaus.map((row) => ({ text: row.url, attributes: urlhausAttributes(row) })));
    feed('openphish', openphish.map((text) => ({ text })));
    feed('mstic', mstic.filter((row) => row['IoC_Type']!.trim().toLowerCase() === 'url').map((row) => ({ text: row['IoC']!.trim(), attributes: msticAttributes(row) })));
  }

  hashMatches(hash: string): Predicted[] {
    return this.hashes.get(hash.toLowerCase()) ?? [];
  }

  /** Entries containing `address` (a dotted quad), reported as `matchedBy`. */
  addressMatches(address: string, matchedBy: MatchKind): Predicted[] {
    const value = parseIpv4(address);
    if (value === undefined) throw new Error(`the reference reads only dotted-quad addresses, not ${address}`);
    return this.rangeMatches({ base: value, prefix: 32 }).map((match) => ({ ...match, matchedBy }));
  }

  /** Entries covering `query` (network) and entries inside it (overlap). */
  rangeMatches(query: Ipv4Network): Predicted[] {
    const matches: Predicted[] = [];
    for (const entry of this.ipEntries) {
      const matchedBy = ipv4NetworkCovers(entry.network, query) ? 'network' : ipv4NetworkCovers(query, entry.network) ? 'overlap' : undefined;
      if (matchedBy !== undefined) matches.push({ feed: entry.feed, entry: entry.entry, matchedBy, ...(entry.attributes === undefined ? {} : { attributes: entry.attributes }) });
    }
    return matches;
  }

  private checkDescribable(hosts: readonly string[]): void {
    for (const { feed, otherHosts } of this.urlFeeds) {
      const host = hosts.find((candidate) => otherHosts.has(candidate));
      if (host !== undefined) throw new Error(`${feed} has a URL on ${host} that the reference cannot canonicalize; pick another item`);
    }
  }

  /** Domain entries for `name` and its parents, reported as `exactBy` or `subdomainBy`. */
  private domainEntryMatches(name: string, exactBy: MatchKind, subdomainBy: MatchKind): Predicted[] {
    const matches: Predicted[] = [];
    for (const candidate of parentNamesOf(name)) {
      for (const { feed, names } of this.domainFeeds) {
        if (!names.has(candidate)) continue;
        const attributes = names.get(candidate);
        matches.push({ feed, entry: candidate, matchedBy: candidate === name ? exactBy : subdomainBy, ...(attributes === undefined ? {} : { attributes }) });
      }
    }
    return matches;
  }

  /** Finds the domain entries of a lower-case ASCII name and its parents, and their host-level URL entries (`host/`). */
  domainMatches(name: string): Predicted[] {
    const parents = parentNamesOf(name);
    this.checkDescribable(parents);
    const matches = this.domainEntryMatches(name, 'exact', 'subdomain');
    for (const candidate of parents) {
      for (const { feed, expressions } of this.urlFeeds) {
        const expression = `${candidate}/`;
        if (!expressions.has(expression)) continue;
        const attributes = expressions.get(expression);
        matches.push({ feed, entry: expression, matchedBy: 'url-expression', ...(attributes === undefined ? {} : { attributes }) });
      }
    }
    return matches;
  }

  /** Canonicalizes a plain URL and finds its URL entries, then the entries of its host in the domain or IP feeds. */
  urlMatches(text: string): { canonical: string; matches: Predicted[] } {
    const url = parsePlainUrl(text);
    if (url === undefined) throw new Error(`the reference cannot canonicalize ${text}`);
    const expressions = lookupExpressionsOf(url);
    this.checkDescribable(url.hostIsIp ? [url.host] : parentNamesOf(url.host));

    const matches: Predicted[] = [];
    for (const { feed, expressions: stored } of this.urlFeeds) {
      for (const expression of expressions) {
        if (!stored.has(expression)) continue;
        const attributes = stored.get(expression);
        matches.push({ feed, entry: expression, matchedBy: 'url-expression', ...(attributes === undefined ? {} : { attributes }) });
      }
    }
    const hostMatches = url.hostIsIp ? this.addressMatches(url.host, 'url-host') : this.domainEntryMatches(url.host, 'url-host', 'url-host');
    return { canonical: canonicalOf(url), matches: [...matches, ...hostMatches] };
  }
}

const reference = new CorpusReference();

// Items picked from the files ---------------------------------------------------------------------

const msticOfType = (type: string): Record<string, string>[] => mstic.filter((row) => row['IoC_Type']!.trim().toLowerCase() === type);
const msticSha256 = msticOfType('sha256').map((row) => row['IoC']!.trim().toLowerCase());
const REPEATED_MSTIC_SHA256 = msticSha256.find((hash, index) => msticSha256.indexOf(hash) !== index)!;
const SPAMHAUS_FIRST = spamhaus[0]!;
const SPAMHAUS_ADDRESS = (() => {
  const network = parseIpv4Network(SPAMHAUS_FIRST.cidr)!;
  const value = network.base + 1;
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
})();
const FIREHOL_SINGLE = netset.find((entry) => !entry.includes('/') && !isReserved(parseIpv4Network(entry)!))!;
const MALTRAIL_ADDRESS = maltrail.find((trail) => trail.kind === 'ip')!.value;
const MALTRAIL_DOMAIN = maltrail.find((trail) => trail.kind === 'domain')!.value;
const MALTRAIL_URL = maltrail.find((trail) => trail.kind === 'url' && parsePlainUrl(trail.value) !== undefined)!.value;
const MSTIC_ADDRESS = msticOfType('ip')[0]!['IoC']!.trim();
const MSTIC_DOMAIN = msticOfType('domainname')[0]!['IoC']!.trim();
const MSTIC_URL = msticOfType('url')[0]!['IoC']!.trim();
const HOST_LEVEL_PHISH = openphish.find((line) => /^https?:\/\/[^/]+\/$/.test(line))!;
const PHISH_WITH_QUERY = openphish.find((line) => line.includes('?') && parsePlainUrl(line) !== undefined)!;
const URLHAUS_IP_ROW = urlhaus.find((row) => parsePlainUrl(row.url)?.hostIsIp === true)!;
const URLHAUS_NAME_ROW = urlhaus.find((row) => parsePlainUrl(row.url)?.hostIsIp === false)!;
const TRANCO_NAME = tranco.list[0]!.toLowerCase();
const trancoNames = new Set(tranco.list.map((name) => name.toLowerCase()));
/** OpenPhish URL on a shared hosting domain that the Tranco list allows, such as pages.dev. */
const PHISH_ON_TRANCO_HOST = openphish.find((line) => {
  const host = parsePlainUrl(line)?.host;
  return host !== undefined && parentNamesOf(host).slice(1).some((name) => trancoNames.has(name));
})!;
const sha256Of = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Pick {
  readonly name: string;
  readonly item: string;
  readonly type: ItemType;
  readonly verdict: Exclude<Verdict, 'invalid'>;
  readonly canonical?: string;
  readonly matches: readonly Predicted[];
}

interface InvalidPick {
  readonly name: string;
  readonly item: string;
  readonly code: ErrorCode;
  readonly error: string;
}

const hashPick = (name: string, item: string, verdict: Pick['verdict']): Pick => ({ name, item, type: 'sha256', verdict, matches: reference.hashMatches(item) });
const addressPick = (name: string, item: string, canonical: string, verdict: Pick['verdict']): Pick => ({
  name,
  item,
  type: 'ipv4',
  canonical,
  verdict,
  matches: reference.addressMatches(canonical, 'network'),
});
const rangePick = (name: string, item: string, cidr: string, verdict: Pick['verdict']): Pick => ({
  name,
  item,
  type: 'cidr',
  canonical: cidr,
  verdict,
  matches: reference.rangeMatches(parseIpv4Network(cidr)!),
});
const domainPick = (name: string, item: string, canonical: string, verdict: Pick['verdict']): Pick => ({
  name,
  item,
  type: 'domain',
  canonical,
  verdict,
  matches: reference.domainMatches(canonical),
});
const urlPick = (name: string, item: string, verdict: Pick['verdict']): Pick => {
  const { canonical, matches } = reference.urlMatches(item);
  return { name, item, type: 'url', canonical, verdict, matches };
};

const PICKS: readonly Pick[] = [
  hashPick('ESET sha256', eset[0]!, 'deny'),
  hashPick('MSTIC sha256', msticSha256[0]!, 'deny'),
  hashPick('MSTIC repeated sha256', REPEATED_MSTIC_SHA256, 'deny'),
  hashPick('unlisted sha256', sha256Of('no corpus feed lists this'), 'unknown'),
  addressPick('Spamhaus range address', SPAMHAUS_ADDRESS, SPAMHAUS_ADDRESS, 'deny'),
  addressPick('Feodo C2 address', feodo[0]!.ip, feodo[0]!.ip, 'deny'),
  addressPick('Feodo address, mapped', `::ffff:${feodo[0]!.ip}`, feodo[0]!.ip, 'deny'),
  addressPick('FireHOL single address', FIREHOL_SINGLE, FIREHOL_SINGLE, 'deny'),
  addressPick('Maltrail address', MALTRAIL_ADDRESS, MALTRAIL_ADDRESS, 'deny'),
  addressPick('MSTIC address', MSTIC_ADDRESS, MSTIC_ADDRESS, 'deny'),
  addressPick('private address', '10.1.2.3', '10.1.2.3', 'unknown'),
  addressPick('unlisted address', '11.11.11.11', '11.11.11.11', 'unknown'),
  rangePick('Spamhaus range', `cidr:${SPAMHAUS_FIRST.cidr}`, SPAMHAUS_FIRST.cidr, 'deny'),
  rangePick('bare Spamhaus range', spamhaus[1]!.cidr, spamhaus[1]!.cidr, 'deny'),
  domainPick('Maltrail domain', MALTRAIL_DOMAIN, MALTRAIL_DOMAIN, 'deny'),
  domainPick('Maltrail domain, upper case', `${MALTRAIL_DOMAIN.toUpperCase()}.`, MALTRAIL_DOMAIN, 'deny'),
  domainPick('hosts-file domain', hostsNames[0]!, hostsNames[0]!, 'deny'),
  domainPick('hosts-file subdomain', `www.${hostsNames[0]!}`, `www.${hostsNames[0]!}`, 'deny'),
  domainPick('MSTIC domain', MSTIC_DOMAIN, MSTIC_DOMAIN.toLowerCase(), 'deny'),
  domainPick('OpenPhish host entry', looseHostOf(HOST_LEVEL_PHISH)!, looseHostOf(HOST_LEVEL_PHISH)!, 'deny'),
  domainPick('Tranco domain', TRANCO_NAME, TRANCO_NAME, 'allow'),
  domainPick('Tranco subdomain', `www.${TRANCO_NAME}`, `www.${TRANCO_NAME}`, 'allow'),
  domainPick('phishing host on Tranco', looseHostOf(PHISH_ON_TRANCO_HOST)!, looseHostOf(PHISH_ON_TRANCO_HOST)!, 'deny'),
  domainPick('unlisted domain', 'unlisted-verdict-test.example', 'unlisted-verdict-test.example', 'unknown'),
  urlPick('URLhaus URL, IP host', URLHAUS_IP_ROW.url, 'deny'),
  urlPick('URLhaus URL, named host', URLHAUS_NAME_ROW.url, 'deny'),
  urlPick('OpenPhish URL with query', PHISH_WITH_QUERY, 'deny'),
  urlPick('page under OpenPhish host', `${HOST_LEVEL_PHISH}some/page.html`, 'deny'),
  urlPick('Maltrail URL trail', MALTRAIL_URL, 'deny'),
  urlPick('MSTIC URL', MSTIC_URL, 'deny'),
  urlPick('Feodo address in URL', `http://${feodo[0]!.ip}:${feodo[0]!.port}/`, 'deny'),
  urlPick('Maltrail domain in URL', `http://${MALTRAIL_DOMAIN}/index.php`, 'deny'),
  urlPick('phishing URL on Tranco', PHISH_ON_TRANCO_HOST, 'deny'),
  urlPick('unlisted URL', 'http://unlisted-verdict-test.example/x', 'unknown'),
];

const MSTIC_FILE_PATH = msticOfType('filepath')[0]!['IoC']!.trim();
const MSTIC_GUID = msticOfType('guid')[0]!['IoC']!.trim();
const UNRECOGNIZED_HINT = 'is not a hash, IP address, CIDR range, domain or URL; prefix it with md5:, sha1:, sha256:, ip:, cidr:, domain: or url: to force a type';

const INVALID_PICKS: readonly InvalidPick[] = [
  {
    name: 'MSTIC file path',
    item: MSTIC_FILE_PATH,
    // A dotted name is closest to a domain, so the domain error names what is wrong.
    code: 'VERDICT_ERR_ITEM_INVALID_DOMAIN',
    error: `Invalid domain name: Domain ${JSON.stringify(MSTIC_FILE_PATH)} contains the character ":" (U+003A) at position 2, which is not allowed in a domain name`,
  },
  { name: 'MSTIC GUID', item: MSTIC_GUID, code: 'VERDICT_ERR_ITEM_UNRECOGNIZED', error: `Item ${JSON.stringify(MSTIC_GUID)} ${UNRECOGNIZED_HINT}` },
  {
    name: 'Feodo address with port',
    item: `${feodo[0]!.ip}:${feodo[0]!.port}`,
    code: 'VERDICT_ERR_ITEM_INVALID_IP',
    error: `Invalid IP address or CIDR range: "${feodo[0]!.ip}:${feodo[0]!.port}" has a port after the address; remove the port`,
  },
];

const ITEMS: string[] = [...PICKS.map((pick) => pick.item), ...INVALID_PICKS.map((pick) => pick.item)];

const bed = new TestBed();
let url: string;
let served: ServedFeeds;
let json: Reply<BatchResult>;

beforeAll(async () => {
  const config = bed.configure({ feeds: FEEDS });
  url = (await bed.start(config)).url;
  served = new ServedFeeds(config);
  json = await lookupJson(url, ITEMS);
});

afterAll(async () => {
  await bed.close();
});

/** Sorts matches by feed, entry and kind, because indicator-matching.test.ts covers match order. */
function sorted(matches: readonly Match[]): Match[] {
  const key = (match: Match): string => `${match.feed}\u0000${match.entry ?? ''}\u0000${match.matchedBy ?? ''}`;
  return [...matches].sort((a, b) => key(a).localeCompare(key(b)));
}

function expectedMatches(pick: Pick): Match[] {
  return pick.matches.map((match) => served.match(match.feed, match.entry, match.matchedBy, match.attributes));
}

function resultOf(item: string): LookupResult {
  const index = ITEMS.indexOf(item);
  return json.body.results[index]!;
}

describe('mixed corpus batch', () => {
  test('batch reply status', () => {
    expect(json.status).toBe(200);
    expect(json.body.results).toHaveLength(ITEMS.length);
    expect(json.body.results.map((result) => result.item)).toEqual(ITEMS);
  });

  test.each(PICKS)('$name gets $verdict', (pick) => {
    const result = resultOf(pick.item);
    const matches = expectedMatches(pick);
    const deny = matches.some((match) => match.list === 'deny');
    const allow = matches.some((match) => match.list === 'allow');
    expect(result.verdict).toBe(pick.verdict);
    expect(result.type).toBe(pick.type);
    expect(result.canonical).toBe(pick.canonical);
    const conflict = deny && allow ? true : undefined;
    expect(result.conflict).toBe(conflict);
    expect(sorted(result.matches)).toEqual(sorted(matches));
  });

  test.each(INVALID_PICKS)('$name is invalid', (pick) => {
    const result = resultOf(pick.item);
    expect(result.verdict).toBe('invalid');
    expect(result.code).toBe(pick.code);
    expect(result.error).toBe(pick.error);
    expect(result.matches).toEqual([]);
  });

  test('counts are exact', () => {
    const counts = { allow: 0, deny: 0, unknown: 0, invalid: INVALID_PICKS.length };
    for (const pick of PICKS) counts[pick.verdict]++;
    expect(json.body.counts).toEqual(counts);
  });

  test('MessagePack agrees with JSON', async () => {
    const msgpack = await lookupMsgpack(url, ITEMS);
    expect(msgpack.status).toBe(200);
    expect(msgpack.contentType).toBe('application/msgpack');
    json.body.results.forEach((result, index) => {
      expect(msgpack.body.results[index], ITEMS[index]).toEqual(result);
    });
    expect(msgpack.body.counts).toEqual(json.body.counts);
  });
});

describe('match attributes', () => {
  const feodoRow = feodo[0]!;
  const attributeOf = (item: string, feed: string): Attributes | undefined => resultOf(item).matches.find((match) => match.feed === feed)?.attributes;

  test.each([
    { name: 'Spamhaus SBL id', item: SPAMHAUS_ADDRESS, feed: 'spamhaus-drop', attribute: 'sblId', value: SPAMHAUS_FIRST.sblId },
    { name: 'Feodo malware family', item: feodoRow.ip, feed: 'feodo', attribute: 'malwareFamily', value: feodoRow.malware },
    { name: 'Feodo port', item: feodoRow.ip, feed: 'feodo', attribute: 'port', value: Number(feodoRow.port) },
    { name: 'URLhaus threat type', item: URLHAUS_IP_ROW.url, feed: 'urlhaus', attribute: 'threatType', value: URLHAUS_IP_ROW.threat },
    { name: 'URLhaus tags', item: URLHAUS_IP_ROW.url, feed: 'urlhaus', attribute: 'tags', value: URLHAUS_IP_ROW.tags.split(',') },
    { name: 'URLhaus id', item: URLHAUS_IP_ROW.url, feed: 'urlhaus', attribute: 'urlhausId', value: URLHAUS_IP_ROW.id },
    { name: 'Maltrail family', item: MALTRAIL_DOMAIN, feed: 'maltrail-emotet', attribute: 'malwareFamily', value: MALTRAIL_FAMILY },
    { name: 'MSTIC activity group', item: MSTIC_DOMAIN, feed: 'mstic', attribute: 'activityGroup', value: msticOfType('domainname')[0]!['ActivityGroupNames'] },
    { name: 'MSTIC first seen', item: msticSha256[0]!, feed: 'mstic', attribute: 'firstSeen', value: isoDateOf(msticOfType('sha256')[0]!['TimeGenerated']!) },
  ])('$name', ({ item, feed, attribute, value }) => {
    const attributes = attributeOf(item, feed);
    expect(attributes).toBeDefined();
    expect(attributes![attribute]).toEqual(value);
  });

  test('category of each feed', () => {
    const categories = new Map(FEEDS.map((feed) => [feed.id, feed.category]));
    for (const result of json.body.results) {
      for (const match of result.matches) expect(match.category, `${result.item} ${match.feed}`).toBe(categories.get(match.feed));
    }
  });
});

describe('corpus feed status', () => {
  const msticTypes = mstic.map((row) => row['IoC_Type']!.trim().toLowerCase());
  const distinct = (values: readonly string[]): number => new Set(values).size;
  const msticValues = (type: string): string[] => msticOfType(type).map((row) => row['IoC']!.trim().toLowerCase());

  test.each([
    { id: 'eset-sha256', keys: eset.length, keysByType: { sha256: eset.length }, records: eset.length, filtered: { total: 0, byReason: {} } },
    {
      id: 'spamhaus-drop',
      keys: distinct(spamhaus.map((entry) => entry.cidr)),
      keysByType: { ipv4: distinct(spamhaus.map((entry) => entry.cidr)) },
      records: spamhaus.length,
      filtered: { total: 0, byReason: {} },
    },
    { id: 'feodo', keys: distinct(feodo.map((row) => row.ip)), keysByType: { ipv4: distinct(feodo.map((row) => row.ip)) }, records: feodo.length, filtered: { total: 0, byReason: {} } },
    {
      id: 'mstic',
      keys: distinct(msticValues('sha256')) + distinct(msticValues('domainname')) + distinct(msticValues('ip')) + distinct(msticValues('url')),
      keysByType: {
        sha256: distinct(msticValues('sha256')),
        domain: distinct(msticValues('domainname')),
        ipv4: distinct(msticValues('ip')),
        url: distinct(msticValues('url')),
      },
      records: msticTypes.filter((type) => ['sha256', 'domainname', 'ip', 'url'].includes(type)).length,
      filtered: {
        total: msticTypes.filter((type) => ['filepath', 'guid', 'commandline'].includes(type)).length,
        byReason: {
          'unsupported-type:filepath': msticOfType('filepath').length,
          'unsupported-type:guid': msticOfType('guid').length,
          'unsupported-type:commandline': msticOfType('commandline').length,
        },
      },
    },
  ])('$id counts', async ({ id, keys, keysByType, records, filtered }) => {
    const status = await feedStatus(url, id);
    expect(status['keys']).toBe(keys);
    expect(status['keysByType']).toEqual(keysByType);
    expect(status['records']).toBe(records);
    expect(status['duplicates']).toBe(records - keys);
    expect(status['badLines']).toEqual({ total: 0, byReason: {}, samples: [] });
    expect(status['filtered']).toEqual(filtered);
  });

  test('FireHOL /3 rejected', async () => {
    const status = await feedStatus(url, 'firehol-level1');
    const wide = netset.filter((entry) => (parseIpv4Network(entry)?.prefix ?? 32) < 8);
    expect(wide).toEqual(['224.0.0.0/3']);
    expect(status['badLines']).toEqual({
      total: 1,
      byReason: { 'range-too-wide': 1 },
      samples: [
        {
          line: lineNumberOf(readFileSync(corpusFile(FIREHOL_LEVEL1_FILE), 'utf8'), '224.0.0.0/3'),
          reason: 'range-too-wide',
          content: '224.0.0.0/3',
          message: "224.0.0.0/3 is a /3, wider than the feed's limit of /8; lower minPrefixLength.ipv4 to 3 to keep it",
        },
      ],
    });
  });

  test('every feed served', async () => {
    for (const feed of FEEDS) {
      const status = await feedStatus(url, feed.id);
      expect(status['generation'], feed.id).toBe(served.generation(feed.id));
      expect(status['lastError'], feed.id).toBeUndefined();
    }
  });
});
