/**
 * What a feed keeps of the IP, domain and URL entries its parser finds: range width limits,
 * reserved address space, the default domain match mode, and the constituency a tailored feed is
 * restricted to. The parser reports entries; this policy turns each into a store key or into a
 * counted rejection (a bad line) or a counted skip (filtered), never a silent drop.
 */
import { formatNetwork, networkContains, parseIpOrCidr, reservedRangeOf, type IpNetwork } from '../indicators/ip.js';
import { parseDomainEntry, topLevelDomain, type DomainMatchMode } from '../indicators/domain.js';
import { canonicalizeUrl, entryExpression } from '../indicators/url.js';
import { KeyTag, writeIpKey } from '../indicators/keys.js';
import { digestStringInto } from '../indicators/digest.js';
import { ValueFlag, encodeValue } from '../store/value.js';
import { HostSetBuilder, expressionHost } from '../store/host-filter.js';
import type { Attributes, ListKind } from './types.js';

/** Narrowest prefix lengths a feed may hold unless it raises them: a /7 IPv4 or /15 IPv6 entry is almost always a mistake. */
export const DEFAULT_MIN_PREFIX = { ipv4: 8, ipv6: 16 } as const;

export interface ConstituencyConfig {
  readonly cidrs?: readonly string[];
  readonly asns?: readonly number[];
  readonly countries?: readonly string[];
  readonly tlds?: readonly string[];
}

export interface IndicatorPolicyConfig {
  /** Keep entries in private, loopback, link-local, multicast and other reserved space. */
  readonly reserved?: boolean;
  readonly minPrefixLength?: { readonly ipv4?: number; readonly ipv6?: number };
  readonly domainMatch?: DomainMatchMode;
  readonly constituency?: ConstituencyConfig;
}

/** Fields of a record that tailoring can use: the ASN and country a feed reports for an IP. */
export interface IndicatorContext {
  readonly asn?: number;
  readonly country?: string;
}

/** A rejected entry: the bad-line reason and a message naming the value. */
export interface Rejection {
  readonly reason: string;
  readonly message: string;
}

/** Where accepted entries go: the partitioner's key and value intake. */
export interface KeySink {
  addRecord(key: Uint8Array, keyLength: number, value: Uint8Array | undefined): void;
  filtered(reason: string): void;
}

export class IndicatorPolicy {
  private readonly minPrefix: { readonly 4: number; readonly 6: number };
  private readonly keepReserved: boolean;
  private readonly domainMode: DomainMatchMode;
  private readonly networks: readonly IpNetwork[];
  private readonly asns: ReadonlySet<number>;
  private readonly countries: ReadonlySet<string>;
  private readonly tlds: ReadonlySet<string>;
  private readonly key = new Uint8Array(64);
  /** Entries whose host bits were set and were stored as their network, e.g. 10.1.2.3/8 as 10.0.0.0/8. */
  hostBitsCleared = 0;
  /** Hosts of the URL entries added, for the generation's host filter (see store/host-filter.ts). */
  readonly urlHosts = new HostSetBuilder();

  constructor(config: IndicatorPolicyConfig = {}) {
    this.minPrefix = {
      4: config.minPrefixLength?.ipv4 ?? DEFAULT_MIN_PREFIX.ipv4,
      6: config.minPrefixLength?.ipv6 ?? DEFAULT_MIN_PREFIX.ipv6,
    };
    this.keepReserved = config.reserved ?? false;
    this.domainMode = config.domainMatch ?? 'both';
    const networks: IpNetwork[] = [];
    const problems: string[] = [];
    for (const cidr of config.constituency?.cidrs ?? []) {
      const parsed = parseIpOrCidr(cidr);
      if (!parsed.ok) problems.push(`CIDR ${JSON.stringify(cidr)} is invalid: ${parsed.message}`);
      else if (parsed.hostBitsSet) problems.push(`CIDR ${JSON.stringify(cidr)} has host bits set; write its network, ${formatNetwork(parsed.network)}`);
      else networks.push(parsed.network);
    }
    // Every problem at once, so a configuration is fixed in one pass.
    if (problems.length > 0) throw new Error(problems.join('; '));
    this.networks = networks;
    this.asns = new Set(config.constituency?.asns ?? []);
    this.countries = new Set((config.constituency?.countries ?? []).map((country) => country.toUpperCase()));
    this.tlds = new Set((config.constituency?.tlds ?? []).map((tld) => tld.toLowerCase().replace(/^\./, '')));
  }

  private get tailorsIps(): boolean {
    return this.networks.length > 0 || this.asns.size > 0 || this.countries.size > 0;
  }

  private inConstituency(network: IpNetwork, context: IndicatorContext | undefined): boolean {
    if (!this.tailorsIps) return true;
    if (this.networks.some((outer) => outer.family === network.family && networkContains(outer, network))) return true;
    if (context?.asn !== undefined && this.asns.has(context.asn)) return true;
    if (context?.country !== undefined && this.countries.has(context.country.toUpperCase())) return true;
    return false;
  }

  private tldAllowed(name: string): boolean {
    return this.tlds.size === 0 || this.tlds.has(topLevelDomain(name));
  }

  /** Adds an IP address or CIDR entry. Returns the rejection, or undefined when added or filtered. */
  addIp(sink: KeySink, text: string, attributes: Attributes | undefined, list: ListKind | undefined, context?: IndicatorContext): Rejection | undefined {
    const parsed = parseIpOrCidr(text);
    if (!parsed.ok) return { reason: parsed.reason, message: parsed.message };
    const network = parsed.network;
    const minimum = this.minPrefix[network.family];
    if (network.prefix < minimum) {
      return {
        reason: 'range-too-wide',
        message: `${text.trim()} is a /${network.prefix}, wider than the feed's limit of /${minimum}; lower minPrefixLength.ipv${network.family} to ${network.prefix} to keep it`,
      };
    }
    if (!this.keepReserved && reservedRangeOf(network) !== undefined) {
      sink.filtered('reserved');
      return undefined;
    }
    if (!this.inConstituency(network, context)) {
      sink.filtered('outside-constituency');
      return undefined;
    }
    if (parsed.hostBitsSet) this.hostBitsCleared++;
    const length = writeIpKey(network.family, network.prefix, network.bytes, this.key);
    const value = attributes === undefined && list === undefined ? undefined : encodeValue({ list, attributes });
    sink.addRecord(this.key, length, value);
    return undefined;
  }

  /** Adds a domain entry; a leading `.` or `*.` sets its match mode (see indicators/domain.ts). */
  addDomain(sink: KeySink, text: string, attributes: Attributes | undefined, list: ListKind | undefined): Rejection | undefined {
    const parsed = parseDomainEntry(text, this.domainMode);
    if (!parsed.ok) return { reason: parsed.reason, message: parsed.message };
    if (!this.tldAllowed(parsed.name)) {
      sink.filtered('outside-constituency');
      return undefined;
    }
    const flags =
      (parsed.mode === 'subdomains' ? 0 : ValueFlag.domainExact) | (parsed.mode === 'exact' ? 0 : ValueFlag.domainSubdomains);
    this.key[0] = KeyTag.domain;
    digestStringInto(parsed.name, this.key, 1);
    sink.addRecord(this.key, 17, encodeValue({ list, flags, text: parsed.name, attributes }));
    return undefined;
  }

  /** Adds a URL entry under its Safe Browsing expression (host + path + query). */
  addUrl(sink: KeySink, text: string, attributes: Attributes | undefined, list: ListKind | undefined, context?: IndicatorContext): Rejection | undefined {
    const parsed = canonicalizeUrl(text);
    if (!parsed.ok) return { reason: parsed.reason, message: parsed.message };
    const url = parsed.url;
    if (url.hostIsIp) {
      const host = parseIpOrCidr(url.host);
      if (host.ok && !this.inConstituency(host.network, context)) {
        sink.filtered('outside-constituency');
        return undefined;
      }
    } else if (!this.tldAllowed(url.host)) {
      sink.filtered('outside-constituency');
      return undefined;
    }
    const expression = entryExpression(url);
    this.urlHosts.add(expressionHost(expression));
    this.key[0] = KeyTag.url;
    digestStringInto(expression, this.key, 1);
    sink.addRecord(this.key, 17, encodeValue({ list, text: expression, attributes }));
    return undefined;
  }
}
