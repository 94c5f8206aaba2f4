/**
 * The lookup path of one item:
 *
 *   item ──classify──> hash | IP | CIDR | domain | URL ──normalize──> probe keys
 *     hash     one key: tag + digest
 *     IP       one key per prefix length the feed contains, longest first (address masked to it)
 *     CIDR     covering entries as for an IP, plus entries inside the range (LMDB range scan)
 *     domain   one key per name on label boundaries (a.b.c, b.c, c), each checked for its mode
 *     URL      up to 5 hosts x 6 paths Safe Browsing expressions, plus its host as a domain or IP
 *   for each serving feed that holds keys of that type, for each probe key:
 *     bloom.has(probe)?  no  -> next                  (tens of nanoseconds)
 *                        yes -> LMDB get(key)         (about 2 µs on a large store)
 *                               found -> match {feed, list, category, entry, attributes}
 *   verdict = deny if any deny match, else allow if any allow match, else unknown
 *
 * Everything here is synchronous and has no knowledge of HTTP. Scratch buffers are reused, so a
 * Matcher serves one thread.
 */
import { DIGEST_BYTES, KeyTag, decodeHexInto, hashTypeOfDigestLength, hashTypeOfHexLength, type HashType } from './indicators/hash.js';
import { BLOOM_PROBE_OFFSET, PROBE_BYTES, probeOf, shardOfProbe } from './indicators/keys.js';
import { digestStringInto } from './indicators/digest.js';
import { classifyItem, type ItemType } from './indicators/classify.js';
import { formatNetwork, maskInto, parseIpv4Into, parseIpv6Into, type IpNetwork } from './indicators/ip.js';
import { parentNames } from './indicators/domain.js';
import { lookupExpressions, type CanonicalUrl } from './indicators/url.js';
import { formatMessage, type ErrorCode, type ErrorParams } from './errors.js';
import { ValueFlag, valueAttributes, valueFlags, valueList, valueSeen, valueTextEquals } from './store/value.js';
import type { Attributes, ListKind } from './build/types.js';
import type { Catalog, OpenGeneration, OpenShard } from './store/catalog.js';
import { expressionHost } from './store/host-filter.js';

export type Verdict = 'allow' | 'deny' | 'unknown' | 'invalid';

/** The relation between item and entry: the item itself, a parent domain, a URL expression, a URL's host, or a range. */
export type MatchKind = 'exact' | 'subdomain' | 'network' | 'url-expression' | 'url-host' | 'overlap';

export interface Match {
  readonly feed: string;
  readonly list: ListKind;
  readonly category?: string;
  readonly generation: string;
  /** The feed entry that matched, for IP, domain and URL entries: "10.0.0.0/8", "example.com", "evil.com/a/". */
  readonly entry?: string;
  readonly matchedBy?: MatchKind;
  /** Delta feeds: when the entry was first and last seen in the feed's files (ISO 8601). */
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly attributes?: Attributes;
}

export interface LookupResult {
  readonly item: string;
  readonly type?: ItemType;
  /** The normalized form the lookup used, for IPs, CIDR ranges, domains and URLs. */
  readonly canonical?: string;
  readonly verdict: Verdict;
  readonly conflict?: true;
  /** A CIDR query matched more entries than a reply lists (MAX_RANGE_MATCHES per feed). */
  readonly truncated?: true;
  readonly code?: ErrorCode;
  readonly error?: string;
  readonly matches: Match[];
}

export interface VerdictCounts {
  allow: number;
  deny: number;
  unknown: number;
  invalid: number;
}

export interface BatchResult {
  readonly results: LookupResult[];
  readonly counts: VerdictCounts;
}

/** Shared by every result without matches, so a miss allocates no array; frozen so no caller can fill it. */
const NO_MATCHES: Match[] = Object.freeze([]) as unknown as Match[];
const MAX_ECHO_CHARACTERS = 256;
/** Entries inside a queried CIDR range reported per feed, at most; a /8 against a large feed could list millions. */
export const MAX_RANGE_MATCHES = 1000;
/**
 * Maximum entries inside queried ranges reported per batch. Without it a request of a few thousand
 * `0.0.0.0/0` items would build a reply of millions of matches, so later range items are cut.
 */
export const MAX_RANGE_MATCHES_PER_BATCH = 10_000;

/** The serving generations grouped by the key types they hold, rebuilt when the catalog swaps. */
interface FeedIndex {
  readonly serving: readonly OpenGeneration[];
  readonly hash: readonly OpenGeneration[];
  readonly ipv4: readonly OpenGeneration[];
  readonly ipv6: readonly OpenGeneration[];
  readonly domain: readonly OpenGeneration[];
  readonly url: readonly OpenGeneration[];
}

function holds(generation: OpenGeneration, ...types: string[]): boolean {
  return types.some((type) => (generation.manifest.keysByType[type] ?? 0) > 0);
}

function indexFeeds(serving: readonly OpenGeneration[]): FeedIndex {
  return {
    serving,
    hash: serving.filter((generation) => holds(generation, 'md5', 'sha1', 'sha256')),
    ipv4: serving.filter((generation) => holds(generation, 'ipv4')),
    ipv6: serving.filter((generation) => holds(generation, 'ipv6')),
    domain: serving.filter((generation) => holds(generation, 'domain')),
    url: serving.filter((generation) => holds(generation, 'url')),
  };
}

function invalid(item: string, code: ErrorCode, params: ErrorParams = {}, type?: ItemType): LookupResult {
  const result: LookupResult = { item, verdict: 'invalid', code, error: formatMessage(code, params), matches: [] };
  return type === undefined ? result : { ...result, type };
}

/** Renders an item that is not a string for the result's `item` field. */
function describeItem(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep to serialize (or a cycle): name the kind instead.
    text = `(${kindOf(value)})`;
  }
  return text.length > MAX_ECHO_CHARACTERS ? `${text.slice(0, MAX_ECHO_CHARACTERS)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return `${value.length}-byte binary`;
  return typeof value;
}

function echoOf(item: string): string {
  return item.length > MAX_ECHO_CHARACTERS ? `${item.slice(0, MAX_ECHO_CHARACTERS)}…` : item;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Collects matches and the verdict flags of one item. */
class MatchCollector {
  matches: Match[] = NO_MATCHES;
  allow = false;
  deny = false;
  /** A CIDR query's entries were cut at MAX_RANGE_MATCHES for some feed. */
  truncated = false;
  /** Prefix length of each IP match, parallel to `matches`, for ordering across feeds. */
  private specificity: number[] | undefined;

  /** Orders IP matches most specific first across feeds (stable within one prefix length). */
  sortBySpecificity(): void {
    const specificity = this.specificity;
    if (specificity === undefined || this.matches.length < 2) return;
    const order = this.matches.map((_, index) => index).sort((a, b) => specificity[b]! - specificity[a]! || a - b);
    this.matches = order.map((index) => this.matches[index]!);
    this.specificity = order.map((index) => specificity[index]!);
  }

  add(generation: OpenGeneration, value: Uint8Array, entry?: string, matchedBy?: MatchKind, prefix?: number): void {
    if (prefix !== undefined) (this.specificity ??= new Array<number>(this.matches.length).fill(Number.POSITIVE_INFINITY)).push(prefix);
    else this.specificity?.push(-1);
    // The value buffer is only valid until the next get, so it is decoded now.
    const list = valueList(value) ?? generation.feed.list;
    const attributes = valueAttributes(value);
    const seen = valueSeen(value);
    // Built by assignment rather than conditional spreads: spreads cost a few hundred ns per match.
    const match: Mutable<Match> = { feed: generation.feed.id, list, generation: generation.name };
    if (generation.feed.category !== undefined) match.category = generation.feed.category;
    if (entry !== undefined) match.entry = entry;
    if (matchedBy !== undefined) match.matchedBy = matchedBy;
    if (seen !== undefined) {
      match.firstSeen = new Date(seen.first * 1000).toISOString();
      match.lastSeen = new Date(seen.last * 1000).toISOString();
    }
    if (attributes !== undefined) match.attributes = attributes;
    if (this.matches === NO_MATCHES) this.matches = [];
    this.matches.push(match);
    if (list === 'deny') this.deny = true;
    else this.allow = true;
  }

  result(item: string, type: ItemType, canonical?: string): LookupResult {
    let verdict: Verdict = 'unknown';
    if (this.deny) verdict = 'deny';
    else if (this.allow) verdict = 'allow';
    const result: LookupResult =
      canonical === undefined ? { item, type, verdict, matches: this.matches } : { item, type, canonical, verdict, matches: this.matches };
    const withConflict = this.deny && this.allow ? { ...result, conflict: true as const } : result;
    return this.truncated ? { ...withConflict, truncated: true } : withConflict;
  }
}

export class Matcher {
  /** Scratch keys, one per digest length, reused by every lookup on this thread. */
  private readonly hashKeys: Record<HashType, Buffer> = {
    md5: Buffer.alloc(1 + DIGEST_BYTES.md5),
    sha1: Buffer.alloc(1 + DIGEST_BYTES.sha1),
    sha256: Buffer.alloc(1 + DIGEST_BYTES.sha256),
  };
  private readonly ipv4Key = Buffer.alloc(6);
  private readonly ipv6Key = Buffer.alloc(18);
  private readonly digestKey = Buffer.alloc(17);
  private readonly probe = new Uint8Array(PROBE_BYTES);
  /** The IPv4 fast path's address, rewritten by each lookup. */
  private readonly ipv4Address: IpNetwork = { family: 4, bytes: new Uint8Array(4), prefix: 32 };
  private readonly ipv6Address: IpNetwork = { family: 6, bytes: new Uint8Array(16), prefix: 128 };
  private index: FeedIndex = indexFeeds([]);
  /** Range matches the current batch may still report (see MAX_RANGE_MATCHES_PER_BATCH). */
  private rangeBudget = MAX_RANGE_MATCHES_PER_BATCH;

  constructor(private readonly catalog: Catalog) {}

  /** Looks up each item in order; invalid items get their own result and never fail the batch. */
  lookupMany(items: readonly unknown[]): BatchResult {
    const index = this.currentIndex();
    this.rangeBudget = MAX_RANGE_MATCHES_PER_BATCH;
    const counts: VerdictCounts = { allow: 0, deny: 0, unknown: 0, invalid: 0 };
    const results: LookupResult[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const result = this.lookupWith(index, items[i]);
      counts[result.verdict]++;
      results[i] = result;
    }
    return { results, counts };
  }

  lookup(item: unknown): LookupResult {
    this.rangeBudget = MAX_RANGE_MATCHES_PER_BATCH;
    return this.lookupWith(this.currentIndex(), item);
  }

  private currentIndex(): FeedIndex {
    const serving = this.catalog.serving;
    if (this.index.serving !== serving) this.index = indexFeeds(serving);
    return this.index;
  }

  private lookupWith(index: FeedIndex, item: unknown): LookupResult {
    if (typeof item === 'string') {
      // Fast path: exact-length hex, the bulk of forensic and allow-listing traffic.
      const type = hashTypeOfHexLength(item.length);
      if (type !== undefined && decodeHexInto(item, this.hashKeys[type], 1)) {
        const key = this.hashKeys[type];
        key[0] = KeyTag[type];
        return this.lookupHash(index, echoOf(item), type, key);
      }
      // Fast path: a plain dotted quad, the bulk of firewall traffic, parsed without allocating.
      const first = item.charCodeAt(0);
      if (first >= 0x30 && first <= 0x39 && item.length <= 15 && parseIpv4Into(item, this.ipv4Address.bytes, 0)) {
        const collector = new MatchCollector();
        this.matchAddress(index, this.ipv4Address, collector, 'network');
        return collector.result(item, 'ipv4', item);
      }
      if (item.length <= 39 && item.includes(':') && parseIpv6Into(item, this.ipv6Address.bytes, 0)) {
        const collector = new MatchCollector();
        this.matchAddress(index, this.ipv6Address, collector, 'network');
        return collector.result(item, 'ipv6', formatNetwork(this.ipv6Address));
      }
      return this.lookupClassified(index, echoOf(item), classifyItem(item));
    }
    if (item instanceof Uint8Array) {
      const type = hashTypeOfDigestLength(item.length);
      const echo = echoOf(Buffer.from(item.buffer, item.byteOffset, Math.min(item.byteLength, MAX_ECHO_CHARACTERS)).toString('hex'));
      if (type === undefined) return invalid(echo, 'VERDICT_ERR_ITEM_BAD_DIGEST_LENGTH', { length: item.length });
      const key = this.hashKeys[type];
      key[0] = KeyTag[type];
      key.set(item, 1);
      return this.lookupHash(index, echo, type, key);
    }
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && 'type' in item) {
      const typed = item as { type: unknown; value: unknown };
      const echo = typeof typed.value === 'string' ? echoOf(typed.value) : describeItem(item);
      return this.lookupClassified(index, echo, classifyItem(typed));
    }
    return invalid(describeItem(item), 'VERDICT_ERR_ITEM_NOT_STRING', { kind: kindOf(item) });
  }

  private lookupClassified(index: FeedIndex, echo: string, classified: ReturnType<typeof classifyItem>): LookupResult {
    switch (classified.kind) {
      case 'invalid':
        return invalid(echo, classified.code, classified.params, classified.type);
      case 'hash': {
        const key = this.hashKeys[classified.type];
        key.set(classified.key);
        return this.lookupHash(index, echo, classified.type, key);
      }
      case 'ip': {
        const collector = new MatchCollector();
        this.matchAddress(index, classified.network, collector, 'network');
        return collector.result(echo, classified.type, formatNetwork(classified.network));
      }
      case 'cidr': {
        const collector = new MatchCollector();
        this.matchRange(index, classified.network, collector);
        return collector.result(echo, 'cidr', formatNetwork(classified.network));
      }
      case 'domain': {
        const collector = new MatchCollector();
        this.matchDomain(index, classified.name, collector);
        return collector.result(echo, 'domain', classified.name);
      }
      case 'url':
        return this.lookupUrl(index, echo, classified);
    }
  }

  private lookupHash(index: FeedIndex, echo: string, type: HashType, key: Buffer): LookupResult {
    const feeds = index.hash;
    let collector: MatchCollector | undefined;
    for (let f = 0; f < feeds.length; f++) {
      const generation = feeds[f]!;
      const value = this.get(generation, key, key);
      if (value === undefined) continue;
      collector ??= new MatchCollector();
      collector.add(generation, value);
    }
    if (collector === undefined) return { item: echo, type, verdict: 'unknown', matches: NO_MATCHES };
    return collector.result(echo, type);
  }

  /** Reads `key` from the generation's shard when its bloom filter allows; `probe` selects the shard. */
  private get(generation: OpenGeneration, key: Buffer, probe: Uint8Array): Uint8Array | undefined {
    const shard: OpenShard = generation.shards[shardOfProbe(probe, generation.shards.length)]!;
    if (!shard.bloom.has(probe, BLOOM_PROBE_OFFSET)) return undefined;
    return shard.db.getBinaryFast(key);
  }

  /** Adds every entry containing `network` (an address, or a range's covering side), most specific first. */
  private matchAddress(index: FeedIndex, network: IpNetwork, collector: MatchCollector, matchedBy: MatchKind): void {
    const v4 = network.family === 4;
    const feeds = v4 ? index.ipv4 : index.ipv6;
    const key = v4 ? this.ipv4Key : this.ipv6Key;
    key[0] = v4 ? KeyTag.ipv4 : KeyTag.ipv6;
    for (let f = 0; f < feeds.length; f++) {
      const generation = feeds[f]!;
      const lengths = v4 ? generation.manifest.prefixLengths.ipv4 : generation.manifest.prefixLengths.ipv6;
      for (let l = 0; l < lengths.length; l++) {
        const prefix = lengths[l]!;
        if (prefix > network.prefix) continue;
        key[1] = prefix;
        maskInto(network.bytes, prefix, key, 2);
        if (generation.prefixFilter !== undefined && !generation.prefixFilter.mayContain(network.family, key, 2, prefix)) continue;
        const value = this.get(generation, key, probeOf(key, key.length, this.probe));
        if (value === undefined) continue;
        const entry = formatNetwork({ family: network.family, bytes: key.subarray(2), prefix });
        collector.add(generation, value, entry, matchedBy, prefix);
      }
    }
    collector.sortBySpecificity();
  }

  /** Matches a CIDR query: entries covering the range, then entries inside it (range scans over every shard). */
  private matchRange(index: FeedIndex, network: IpNetwork, collector: MatchCollector): void {
    this.matchAddress(index, network, collector, 'network');
    const v4 = network.family === 4;
    const feeds = v4 ? index.ipv4 : index.ipv6;
    const tag = v4 ? KeyTag.ipv4 : KeyTag.ipv6;
    const width = v4 ? 4 : 16;
    const last = Uint8Array.from(network.bytes);
    for (let bit = network.prefix; bit < width * 8; bit++) last[bit >>> 3]! |= 0x80 >>> (bit & 7);
    // The limit applies per feed, so a large allow feed cannot use up a deny feed's share.
    for (const generation of feeds) {
      let reported = 0;
      const lengths = v4 ? generation.manifest.prefixLengths.ipv4 : generation.manifest.prefixLengths.ipv6;
      scan: for (const prefix of lengths) {
        if (prefix <= network.prefix) continue;
        const start = Buffer.from([tag, prefix, ...network.bytes]);
        const end = Buffer.from([tag, prefix, ...last]);
        for (const shard of generation.shards) {
          for (const { key, value } of shard.db.getRange({ start, end, inclusiveEnd: true })) {
            // Past the batch budget a deny feed still reports its first entry, so the verdict of a
            // range query never depends on how much of the batch went before it.
            const overBudget = this.rangeBudget <= 0 && !(reported === 0 && generation.feed.list === 'deny');
            if (reported >= MAX_RANGE_MATCHES || overBudget) {
              collector.truncated = true;
              break scan;
            }
            this.rangeBudget--;
            const entry = formatNetwork({ family: network.family, bytes: (key as Buffer).subarray(2), prefix });
            collector.add(generation, value as Buffer, entry, 'overlap');
            reported++;
          }
        }
      }
    }
  }

  /** Domain entries for `name` and its parents on label boundaries, each checked for its match mode. */
  private matchDomain(index: FeedIndex, name: string, collector: MatchCollector): void {
    if (index.domain.length === 0 && index.url.length === 0) return;
    const names = parentNames(name);
    const key = this.digestKey;
    for (let n = 0; n < names.length; n++) {
      const candidate = names[n]!;
      const isSelf = n === 0;
      const required = isSelf ? ValueFlag.domainExact : ValueFlag.domainSubdomains;

      if (index.domain.length > 0) {
        key[0] = KeyTag.domain;
        digestStringInto(candidate, key, 1);
        for (const generation of index.domain) {
          const value = this.get(generation, key, key);
          if (value === undefined || !valueTextEquals(value, candidate) || (valueFlags(value) & required) === 0) continue;
          collector.add(generation, value, candidate, isSelf ? 'exact' : 'subdomain');
        }
      }

      // A URL entry for a whole host ("evil.com/") covers the host and, as a Safe Browsing host
      // suffix, its subdomains.
      if (index.url.length > 0 && candidate.includes('.')) {
        const feeds = index.url.filter((generation) => generation.hostFilter === undefined || generation.hostFilter.mayContain(candidate));
        if (feeds.length > 0) this.matchUrlExpressionIn(feeds, `${candidate}/`, collector, 'url-expression');
      }
    }
  }

  private matchUrlExpressionIn(feeds: readonly OpenGeneration[], expression: string, collector: MatchCollector, matchedBy: MatchKind): void {
    const key = this.digestKey;
    key[0] = KeyTag.url;
    digestStringInto(expression, key, 1);
    for (const generation of feeds) {
      const value = this.get(generation, key, key);
      if (value === undefined || !valueTextEquals(value, expression)) continue;
      collector.add(generation, value, expression, matchedBy);
    }
  }

  private lookupUrl(index: FeedIndex, echo: string, classified: { url: CanonicalUrl }): LookupResult {
    const { url } = classified;
    const collector = new MatchCollector();
    if (index.url.length > 0) {
      // Expressions come grouped by host; a feed's host filter skips every path of a host it lacks.
      const expressions = lookupExpressions(url);
      let host = '';
      let feeds: OpenGeneration[] = [];
      for (const expression of expressions) {
        const expressionHostName = expressionHost(expression);
        if (expressionHostName !== host) {
          host = expressionHostName;
          feeds = index.url.filter((generation) => generation.hostFilter === undefined || generation.hostFilter.mayContain(host));
        }
        if (feeds.length > 0) this.matchUrlExpressionIn(feeds, expression, collector, 'url-expression');
      }
    }
    // The host is also looked up in domain and IP feeds.
    if (url.hostIsIp) {
      const host = classifyItem(`ip:${url.host}`);
      if (host.kind === 'ip') this.matchAddress(index, host.network, collector, 'url-host');
    } else if (index.domain.length > 0) {
      this.matchDomainOnly(index, url.host, collector);
    }
    return collector.result(echo, 'url', url.canonical);
  }

  /** Domain feeds only (URL feeds were already probed with the URL's own expressions). */
  private matchDomainOnly(index: FeedIndex, host: string, collector: MatchCollector): void {
    const names = parentNames(host);
    const key = this.digestKey;
    key[0] = KeyTag.domain;
    for (let n = 0; n < names.length; n++) {
      const candidate = names[n]!;
      const required = n === 0 ? ValueFlag.domainExact : ValueFlag.domainSubdomains;
      digestStringInto(candidate, key, 1);
      for (const generation of index.domain) {
        const value = this.get(generation, key, key);
        if (value === undefined || !valueTextEquals(value, candidate) || (valueFlags(value) & required) === 0) continue;
        collector.add(generation, value, candidate, 'url-host');
      }
    }
  }
}
