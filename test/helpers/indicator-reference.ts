/**
 * Independent readings of the IP, domain and URL feeds of the corpus, written from each format's
 * published layout rather than from verdict's parsers, so the corpus tests can state what a lookup
 * must return. Each reader covers the shapes its file has. The address and URL helpers cover only
 * plain forms (dotted-quad IPv4, URLs without escapes or dot segments) and return undefined for
 * anything else, so a test picks items they can describe.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { corpusFile } from './corpus.js';

export const SPAMHAUS_DROP_FILE = 'ips/spamhaus_drop_2023-02-20.txt';
export const FEODO_FILE = 'ips/feodo_ipblocklist_2024-04-04.csv';
export const FIREHOL_LEVEL1_FILE = 'ips/firehol_firehol_level1.netset';
export const MALTRAIL_EMOTET_FILE = 'domains/maltrail_malware_emotet.txt';
export const RANSOMWARE_HOSTS_FILE = 'domains/blocklistproject_ransomware_hosts.txt';
export const URLHAUS_FILE = 'urls/urlhaus_csv_online_2026-01-27.head5009.csv';
export const OPENPHISH_FILE = 'urls/openphish_feed_2026-07.txt';
export const MSTIC_FILE = 'microsoft/mstic_RapidReleaseTI_Indicators.csv';
export const TRANCO_WARNINGLIST_FILE = 'allow/misp-warninglist_tranco10k.json';

const textOf = (relative: string): string => readFileSync(corpusFile(relative), 'utf8');

/** Lines of a file without their line breaks (LF or CRLF), blank lines included. */
const linesOf = (relative: string): string[] => textOf(relative).split(/\r?\n/);

// IPv4 ------------------------------------------------------------------------------------------

/** An IPv4 network as a 32-bit unsigned base address and a prefix length. */
export interface Ipv4Network {
  readonly base: number;
  readonly prefix: number;
}

/** Parses a decimal dotted quad without leading zeros, or returns undefined. */
export function parseIpv4(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  let value = 0;
  for (const part of match.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses `a.b.c.d` (a /32) or `a.b.c.d/n` whose host bits are zero, or returns undefined. */
export function parseIpv4Network(text: string): Ipv4Network | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const base = parseIpv4(address);
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  if (base % 2 ** (32 - prefix) !== 0) return undefined;
  return { base, prefix };
}

export function ipv4NetworkContains(network: Ipv4Network, address: number): boolean {
  const size = 2 ** (32 - network.prefix);
  return address >= network.base && address < network.base + size;
}

/** Checks whether `inner` lies inside `outer` or equals it. */
export function ipv4NetworkCovers(outer: Ipv4Network, inner: Ipv4Network): boolean {
  return outer.prefix <= inner.prefix && ipv4NetworkContains(outer, inner.base);
}

// URLs ------------------------------------------------------------------------------------------

/** A URL in the plain form the tests describe: lower-case scheme and host, no port, no fragment. */
export interface PlainUrl {
  readonly scheme: string;
  readonly host: string;
  readonly hostIsIp: boolean;
  /** Path, starting with "/". */
  readonly path: string;
  /** Query after "?": empty for a bare "?", undefined when the URL has none. */
  readonly query: string | undefined;
}

const PLAIN_URL = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?(?:\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]*))?$/;

/**
 * Parses a URL with a name or dotted-quad host, an optional port, and a path and query of
 * characters that need no escaping. Returns undefined for anything else: escapes, spaces, "#",
 * "//" or dot segments in the path, user info, IPv6 hosts.
 */
export function parsePlainUrl(text: string): PlainUrl | undefined {
  const match = PLAIN_URL.exec(text);
  if (match === null) return undefined;
  const [, scheme = 'http', rawHost, , path = '/', query] = match;
  if (/\/\/|\/\.\.?(?:\/|$)/.test(path)) return undefined;
  const host = rawHost!.toLowerCase();
  if (host.startsWith('.') || host.endsWith('.') || host.includes('..')) return undefined;
  const hostIsIp = parseIpv4(host) !== undefined;
  if (!hostIsIp && /^[0-9.]+$/.test(host)) return undefined;
  return { scheme: scheme.toLowerCase(), host, hostIsIp, path, query };
}

/** Returns the lower-case host of a URL-like text (scheme, user info and port removed), or undefined. */
export function looseHostOf(text: string): string | undefined {
  const afterScheme = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const authority = afterScheme.split(/[/?#]/, 1)[0]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '').toLowerCase();
  return host.length === 0 ? undefined : host;
}

export function canonicalOf(url: PlainUrl): string {
  return `${url.scheme}://${url.host}${url.path}${url.query === undefined ? '' : `?${url.query}`}`;
}

/** Returns the Safe Browsing expression a feed entry is stored under: host, path and query. */
export function expressionOf(url: PlainUrl): string {
  return `${url.host}${url.path}${url.query === undefined ? '' : `?${url.query}`}`;
}

/**
 * Lists the host suffixes a Safe Browsing lookup of `url` tries. They are the exact host, then up to
 * 4 suffixes built from its last 5 labels by dropping the leading label, never the top-level label
 * alone. An IP host is tried as is.
 */
export function lookupHosts(url: PlainUrl): string[] {
  if (url.hostIsIp) return [url.host];
  const labels = url.host.split('.');
  const hosts = [url.host];
  for (let start = Math.max(1, labels.length - 5); start <= labels.length - 2; start++) hosts.push(labels.slice(start).join('.'));
  return hosts;
}

/**
 * Lists the paths a Safe Browsing lookup of `url` tries, each once. They are the path with its
 * query, the path alone, and up to 4 prefixes from the root ("/", "/a/", "/a/b/", "/a/b/c/").
 */
export function lookupPaths(url: PlainUrl): string[] {
  const paths: string[] = [];
  if (url.query !== undefined) paths.push(`${url.path}?${url.query}`);
  paths.push(url.path);
  const segments = url.path.split('/').slice(1, -1);
  for (let count = 0; count <= Math.min(3, segments.length); count++) {
    const prefix = `/${segments.slice(0, count).map((segment) => `${segment}/`).join('')}`;
    if (!paths.includes(prefix)) paths.push(prefix);
  }
  return paths;
}

/** Lists every Safe Browsing expression of `url`: each host with each path. */
export function lookupExpressionsOf(url: PlainUrl): string[] {
  const paths = lookupPaths(url);
  return lookupHosts(url).flatMap((host) => paths.map((path) => `${host}${path}`));
}

/** Lists a domain name and its parents on label boundaries, the name first, down to two labels. */
export function parentNamesOf(name: string): string[] {
  const labels = name.split('.');
  const names: string[] = [];
  for (let start = 0; start <= labels.length - 2; start++) names.push(labels.slice(start).join('.'));
  return names;
}

// Feed readers ----------------------------------------------------------------------------------

export interface SpamhausEntry {
  readonly cidr: string;
  readonly sblId: string;
}

/** Reads `CIDR ; SBLnnn` lines and skips comment lines, which start with `;`. */
export function readSpamhausDrop(): SpamhausEntry[] {
  const entries: SpamhausEntry[] = [];
  for (const line of linesOf(SPAMHAUS_DROP_FILE)) {
    const text = line.trim();
    if (text.length === 0 || text.startsWith(';')) continue;
    const match = /^(\S+)\s*;\s*(SBL\d+)$/.exec(text);
    if (match === null) throw new Error(`unexpected Spamhaus DROP line: ${text}`);
    entries.push({ cidr: match[1]!, sblId: match[2]! });
  }
  return entries;
}

export interface FeodoRow {
  readonly firstSeenUtc: string;
  readonly ip: string;
  readonly port: string;
  readonly status: string;
  readonly lastOnline: string;
  readonly malware: string;
}

/** Reads the Feodo Tracker CSV: `#` banner and footer lines around a header row and quoted rows. */
export function readFeodo(): FeodoRow[] {
  const csv = linesOf(FEODO_FILE)
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  const records = parse(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((record) => ({
    firstSeenUtc: record['first_seen_utc']!,
    ip: record['dst_ip']!,
    port: record['dst_port']!,
    status: record['c2_status']!,
    lastOnline: record['last_online']!,
    malware: record['malware']!,
  }));
}

/** Reads a FireHOL netset: `#` comment lines, then one address or CIDR range per line. */
export function readNetset(): string[] {
  return linesOf(FIREHOL_LEVEL1_FILE)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

export interface MaltrailTrail {
  readonly kind: 'ip' | 'domain' | 'url' | 'path';
  /** The address, the lower-case domain, or the URL text as written. */
  readonly value: string;
  readonly port?: number;
  readonly reference?: string;
  readonly aliases?: string[];
}

/**
 * Reads a Maltrail trail file in order. `# Reference:` applies to the trails after it and
 * `# Aliases:` to the rest of the file. A trail with a `/` is a URL, except a leading `/` (a path
 * alone); `host:port` is split.
 */
export function readMaltrail(): MaltrailTrail[] {
  const trails: MaltrailTrail[] = [];
  let reference: string | undefined;
  let aliases: string[] | undefined;
  for (const line of linesOf(MALTRAIL_EMOTET_FILE)) {
    const text = line.trim();
    if (text.length === 0) continue;
    const referenceMatch = /^#\s*Reference:\s*(\S.*)$/.exec(text);
    if (referenceMatch !== null) reference = referenceMatch[1]!.trim();
    const aliasesMatch = /^#\s*Aliases:\s*(.*)$/.exec(text);
    if (aliasesMatch !== null) aliases = aliasesMatch[1]!.split(',').map((name) => name.trim());
    if (text.startsWith('#')) continue;

    const context = { ...(reference === undefined ? {} : { reference }), ...(aliases === undefined ? {} : { aliases }) };
    if (text.startsWith('/')) {
      trails.push({ kind: 'path', value: text, ...context });
      continue;
    }
    if (text.includes('/')) {
      trails.push({ kind: 'url', value: text, ...context });
      continue;
    }
    const [host, portText] = text.split(':');
    const port = portText === undefined ? {} : { port: Number(portText) };
    const kind = parseIpv4(host!) === undefined ? 'domain' : 'ip';
    trails.push({ kind, value: kind === 'domain' ? host!.toLowerCase() : host!, ...port, ...context });
  }
  return trails;
}

/** Reads the names of a hosts file (`0.0.0.0 name` lines), lower-cased, in order. */
export function readHostsNames(): string[] {
  const names: string[] = [];
  for (const line of linesOf(RANSOMWARE_HOSTS_FILE)) {
    const text = line.trim();
    if (text.length === 0 || text.startsWith('#')) continue;
    const match = /^0\.0\.0\.0\s+(\S+)$/.exec(text);
    if (match === null) throw new Error(`unexpected hosts line: ${text}`);
    names.push(match[1]!.toLowerCase());
  }
  return names;
}

export interface UrlhausRow {
  readonly id: string;
  readonly dateAdded: string;
  readonly url: string;
  readonly status: string;
  readonly lastOnline: string;
  readonly threat: string;
  readonly tags: string;
  readonly link: string;
  readonly reporter: string;
}

/** Reads the URLhaus CSV export: `#` banner lines, the last of which names the columns. */
export function readUrlhaus(): UrlhausRow[] {
  const lines = linesOf(URLHAUS_FILE);
  const header = lines.filter((line) => line.startsWith('# id,')).map((line) => line.slice(2).split(','));
  if (header.length !== 1) throw new Error('URLhaus file has no single "# id," header line');
  const body = lines.filter((line) => !line.startsWith('#')).join('\n');
  const records = parse(body, { columns: header[0], skip_empty_lines: true }) as Record<string, string>[];
  return records.map((record) => ({
    id: record['id']!,
    dateAdded: record['dateadded']!,
    url: record['url']!,
    status: record['url_status']!,
    lastOnline: record['last_online']!,
    threat: record['threat']!,
    tags: record['tags']!,
    link: record['urlhaus_link']!,
    reporter: record['reporter']!,
  }));
}

/** Reads one URL per line. */
export function readOpenphish(): string[] {
  return linesOf(OPENPHISH_FILE)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Reads the MSTIC indicator CSV (CRLF line breaks, a header row) into records keyed by column name. */
export function readMstic(): Record<string, string>[] {
  return parse(textOf(MSTIC_FILE), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

export interface Warninglist {
  readonly name: string;
  readonly type: string;
  readonly list: string[];
}

export function readWarninglist(): Warninglist {
  const document = JSON.parse(textOf(TRANCO_WARNINGLIST_FILE)) as Warninglist;
  return { name: document.name, type: document.type, list: document.list };
}
