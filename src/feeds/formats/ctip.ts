/**
 * `ctip`: records of Microsoft's Cyber Threat Intelligence Program (CTIP), the botnet data Microsoft's
 * Digital Crimes Unit shares with CERTs and agencies, as a JSON array or as NDJSON (see
 * json-records.ts). Microsoft's field reference is not public, so the layout here follows two public
 * readers of the data. Microsoft DCU's CTIP API samples (dcuctipapi2stix.py, 2025) read flat
 * records. IntelMQ's CTIP parser (certtools/intelmq parser_ctip.py) reads older Azure records that
 * nest fields in `SourceIpInfo`, `DestinationIpInfo`, `HttpInfo` and `CustomInfo`. Both are read: a
 * field is looked up at the top level first, then in those groups. Other fields are ignored.
 *
 * Four feeds, chosen by the `feed` option or else per record from `DataFeed`:
 *
 *   infected-devices   SourceIp, the infected device, with SourceIpAsnNumber and SourceIpCountryCode
 *   iot                the same fields as infected-devices
 *   c2                 DestinationIp, the command-and-control server, with DestinationIpAsnNumber and
 *                      DestinationIpCountryCode; also its domain (DestinationDomain, else HttpDomain)
 *   domains            the domain (DestinationDomain, else HttpDomain, else HttpHost), with the
 *                      DestinationIp* context
 *
 * IntelMQ's CTIP test data has the `DataFeed` values `CTIP-Infected` and `Microsoft.DCU.CTIP.Infected`. A value
 * is looked up in the `dataFeeds` option first, then matched by its words: `iot` gives iot, `c2` or
 * `cnc` gives c2, `domain` or `domains` gives domains, `infected` gives infected-devices. A record
 * whose value matches none is a bad line (`unknown-data-feed`).
 *
 * ASN and country go to the sink as the record's context, so a feed tailored to a constituency keeps
 * only its own devices. Attributes, each when present: `dataFeed`, `malwareFamily` (Malware),
 * `threatCode`, `threatConfidence`, `tlp`, `sourcePort`, `destinationPort`, `transport`
 * (TransportProtocol), `asn`, `countryCode`, and `firstSeen`/`lastSeen` from DateTimeReceivedUtc
 * (else DateTimeReceived, else DateTimeReceivedUtcTxt) in any form feed-timestamps.ts reads. A time that
 * does not parse is kept as written in `receivedAtRaw`, and the record still counts.
 */
import type { Attributes, FeedFormat, IndicatorContext, ParseContext, RecordSink } from '../../build/types.js';
import { parseIpAddress, splitHostPort } from '../../indicators/ip.js';
import { RECORD_NOT_OBJECT, isJsonObject, readJsonRecords, textOf, type JsonObject } from './json-records.js';
import { normalizeFeedTimestamp } from './feed-timestamps.js';

export const CTIP_FEEDS = ['infected-devices', 'c2', 'iot', 'domains'] as const;
export type CtipFeed = (typeof CTIP_FEEDS)[number];

export interface CtipOptions {
  readonly feed?: CtipFeed;
  /** Field (or dotted path) holding the domain of `domains` and `c2` records. */
  readonly domainField?: string;
  /** Feed of DataFeed values, compared trimmed and case-insensitively and checked before the word rules. */
  readonly dataFeeds?: Readonly<Record<string, CtipFeed>>;
}

/** Bad-line reasons of this format, besides those of IP and domain parsing. */
export const CTIP_REASONS = {
  missingDataFeed: 'missing-data-feed',
  unknownDataFeed: 'unknown-data-feed',
  missingSourceIp: 'missing-source-ip',
  missingDestinationIp: 'missing-destination-ip',
  missingDomain: 'missing-domain',
} as const;

/** Groups of the older Azure layout whose fields are read as if they were at the top level. */
const NESTED_GROUPS = ['SourceIpInfo', 'DestinationIpInfo', 'HttpInfo', 'CustomInfo'];

/** Time fields in order of preference. */
const TIME_FIELDS = ['DateTimeReceivedUtc', 'DateTimeReceived', 'DateTimeReceivedUtcTxt'];

/** Text fields copied as they are (trimmed), with the attribute each becomes. */
const TEXT_ATTRIBUTES: readonly (readonly [field: string, attribute: string])[] = [
  ['Malware', 'malwareFamily'],
  ['ThreatCode', 'threatCode'],
  ['ThreatConfidence', 'threatConfidence'],
  ['TLP', 'tlp'],
];

const C2_DOMAIN_FIELDS = ['DestinationDomain', 'HttpDomain'];
const DOMAINS_FEED_FIELDS = ['DestinationDomain', 'HttpDomain', 'HttpHost'];

/** Distinct DataFeed values remembered with their feed; a feed has a handful, so more means junk. */
const MAX_CACHED_DATA_FEEDS = 64;

const MAX_PORT = 65535;
const ASN_TEXT = /^(?:AS)?(\d{1,10})$/i;
const COUNTRY_CODE = /^[A-Za-z]{2}$/;

/** Looks a field up at the top level, then in the nested groups of the Azure layout. */
function fieldOf(record: JsonObject, name: string): unknown {
  const value = record[name];
  if (value !== undefined) return value;
  for (const group of NESTED_GROUPS) {
    const inner = record[group];
    if (isJsonObject(inner) && inner[name] !== undefined) return inner[name];
  }
  return undefined;
}

/** Looks up a field name, or a dotted path such as `HttpInfo.HttpHost` when no field has that name. */
function pathOf(record: JsonObject, path: string): unknown {
  const direct = fieldOf(record, path);
  if (direct !== undefined || !path.includes('.')) return direct;
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (!isJsonObject(value)) return undefined;
    value = value[part];
  }
  return value;
}


/** Reads a port from a number or digit string. Port 0 and out-of-range values count as absent. */
function portOf(value: unknown): number | undefined {
  const text = textOf(value);
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= MAX_PORT ? port : undefined;
}

/** Reads an AS number from a number or text such as `64500` or `AS64500`. AS 0 is never an origin (RFC 7607), so it counts as absent. */
function asnOf(value: unknown): number | undefined {
  const match = ASN_TEXT.exec(textOf(value) ?? '');
  if (match === null) return undefined;
  const asn = Number(match[1]);
  return asn >= 1 && asn <= 0xffffffff ? asn : undefined;
}

function countryOf(value: unknown): string | undefined {
  const text = textOf(value);
  return text !== undefined && COUNTRY_CODE.test(text) ? text.toUpperCase() : undefined;
}

/** Feed of a DataFeed value by its words (see the module comment), or undefined. */
export function feedOfDataFeed(value: string): CtipFeed | undefined {
  const words = new Set(value.toLowerCase().split(/[^a-z0-9]+/));
  if (words.has('iot')) return 'iot';
  if (words.has('c2') || words.has('cnc')) return 'c2';
  if (words.has('domain') || words.has('domains')) return 'domains';
  if (words.has('infected')) return 'infected-devices';
  return undefined;
}

/** Attributes and tailoring context shared by every entry of one record. */
function describeRecord(record: JsonObject, side: 'Source' | 'Destination', dataFeed: string | undefined): { attributes: Attributes; context: IndicatorContext } {
  const attributes: Attributes = {};
  if (dataFeed !== undefined) attributes['dataFeed'] = dataFeed;
  for (const [field, attribute] of TEXT_ATTRIBUTES) {
    const text = textOf(fieldOf(record, field));
    if (text !== undefined) attributes[attribute] = text;
  }
  const sourcePort = portOf(fieldOf(record, 'SourcePort'));
  if (sourcePort !== undefined) attributes['sourcePort'] = sourcePort;
  const destinationPort = portOf(fieldOf(record, 'DestinationPort'));
  if (destinationPort !== undefined) attributes['destinationPort'] = destinationPort;
  const transport = textOf(fieldOf(record, 'TransportProtocol'));
  if (transport !== undefined) attributes['transport'] = transport;

  const asn = asnOf(fieldOf(record, `${side}IpAsnNumber`));
  const country = countryOf(fieldOf(record, `${side}IpCountryCode`));
  if (asn !== undefined) attributes['asn'] = asn;
  if (country !== undefined) attributes['countryCode'] = country;

  // NOTE: the store keeps the first record of a duplicate key, so firstSeen and lastSeen are this
  // record's time, not the earliest and latest time of the indicator in the file.
  let rawTime: string | undefined;
  for (const field of TIME_FIELDS) {
    const value = fieldOf(record, field);
    const time = normalizeFeedTimestamp(value);
    if (time !== undefined) {
      attributes['firstSeen'] = time;
      attributes['lastSeen'] = time;
      rawTime = undefined;
      break;
    }
    rawTime ??= textOf(value);
  }
  if (rawTime !== undefined) attributes['receivedAtRaw'] = rawTime;

  return { attributes, context: { asn, country } };
}

/** A record's number and text, for bad-line samples. */
interface RecordPosition {
  readonly number: number;
  readonly text: string;
}

class CtipReader {
  private readonly dataFeedCache = new Map<string, CtipFeed | undefined>();
  private readonly dataFeedOption: ReadonlyMap<string, CtipFeed>;

  constructor(
    private readonly sink: RecordSink,
    private readonly options: CtipOptions,
  ) {
    this.dataFeedOption = new Map(Object.entries(options.dataFeeds ?? {}).map(([value, feed]) => [value.trim().toLowerCase(), feed]));
  }

  private feedOf(dataFeed: string): CtipFeed | undefined {
    if (this.dataFeedCache.has(dataFeed)) return this.dataFeedCache.get(dataFeed);
    const feed = this.dataFeedOption.get(dataFeed.toLowerCase()) ?? feedOfDataFeed(dataFeed);
    if (this.dataFeedCache.size < MAX_CACHED_DATA_FEEDS) this.dataFeedCache.set(dataFeed, feed);
    return feed;
  }

  handle(record: unknown, number: number, text: string): void {
    const { sink } = this;
    if (!isJsonObject(record)) {
      sink.bad(RECORD_NOT_OBJECT, number, text, `record is ${Array.isArray(record) ? 'an array' : JSON.stringify(record)}, not a JSON object`);
      return;
    }

    const dataFeed = textOf(record['DataFeed']);
    let feed = this.options.feed;
    if (feed === undefined) {
      if (dataFeed === undefined) {
        sink.bad(CTIP_REASONS.missingDataFeed, number, text, 'record has no DataFeed and the feed option is not set, so its feed is unknown');
        return;
      }
      feed = this.feedOf(dataFeed);
      if (feed === undefined) {
        sink.bad(
          CTIP_REASONS.unknownDataFeed,
          number,
          text,
          `DataFeed ${JSON.stringify(dataFeed)} names no known CTIP feed; map it in the dataFeeds option or set the feed option`,
        );
        return;
      }
    }

    const where: RecordPosition = { number, text };
    switch (feed) {
      case 'infected-devices':
      case 'iot':
        this.addSourceIp(record, where, dataFeed);
        return;
      case 'c2':
        this.addC2(record, where, dataFeed);
        return;
      case 'domains':
        this.addDomainRecord(record, where, dataFeed);
        return;
    }
  }

  private addSourceIp(record: JsonObject, where: RecordPosition, dataFeed: string | undefined): void {
    const ip = textOf(fieldOf(record, 'SourceIp'));
    if (ip === undefined) {
      this.sink.bad(CTIP_REASONS.missingSourceIp, where.number, where.text, 'record has no SourceIp, the infected device');
      return;
    }
    const { attributes, context } = describeRecord(record, 'Source', dataFeed);
    this.addAddress('SourceIp', ip, attributes, context, where);
  }

  private addC2(record: JsonObject, where: RecordPosition, dataFeed: string | undefined): void {
    const ip = textOf(fieldOf(record, 'DestinationIp'));
    const domain = this.domainOf(record, C2_DOMAIN_FIELDS);
    if (ip === undefined && domain === undefined) {
      this.sink.bad(
        CTIP_REASONS.missingDestinationIp,
        where.number,
        where.text,
        `record has no DestinationIp and no domain (${this.domainFieldNames(C2_DOMAIN_FIELDS)})`,
      );
      return;
    }
    const { attributes, context } = describeRecord(record, 'Destination', dataFeed);
    if (ip !== undefined) this.addAddress('DestinationIp', ip, attributes, context, where);
    // A domain field that repeats the address adds nothing.
    if (domain !== undefined && domain.value !== ip) this.addHost(domain.field, domain.value, attributes, context, where);
  }

  private addDomainRecord(record: JsonObject, where: RecordPosition, dataFeed: string | undefined): void {
    const domain = this.domainOf(record, DOMAINS_FEED_FIELDS);
    if (domain === undefined) {
      this.sink.bad(CTIP_REASONS.missingDomain, where.number, where.text, `record has no domain (${this.domainFieldNames(DOMAINS_FEED_FIELDS)})`);
      return;
    }
    const { attributes, context } = describeRecord(record, 'Destination', dataFeed);
    this.addHost(domain.field, domain.value, attributes, context, where);
  }

  private domainOf(record: JsonObject, defaults: readonly string[]): { field: string; value: string } | undefined {
    const fields = this.options.domainField === undefined ? defaults : [this.options.domainField];
    for (const field of fields) {
      const value = textOf(pathOf(record, field));
      if (value !== undefined) return { field, value };
    }
    return undefined;
  }

  private domainFieldNames(defaults: readonly string[]): string {
    return (this.options.domainField === undefined ? defaults : [this.options.domainField]).join(', ');
  }

  /** Adds a single IP address. A CIDR range is a bad line, because CTIP fields name one host. */
  private addAddress(field: string, address: string, attributes: Attributes, context: IndicatorContext, where: RecordPosition): void {
    if (address.includes('/')) {
      const parsed = parseIpAddress(address);
      if (!parsed.ok) {
        this.sink.bad(parsed.reason, where.number, where.text, `${field}: ${parsed.message}`);
        return;
      }
    }
    const rejection = this.sink.addIp(address, attributes, undefined, context);
    if (rejection !== undefined) this.sink.bad(rejection.reason, where.number, where.text, `${field}: ${rejection.message}`);
  }

  /**
   * Adds the host of a domain field: a port after the name is dropped (HttpHost may carry one), and
   * a host that is an IP address becomes an IP entry.
   */
  private addHost(field: string, value: string, attributes: Attributes, context: IndicatorContext, where: RecordPosition): void {
    const split = splitHostPort(value);
    // A value that does not split goes to addDomain whole, which names what is wrong with it.
    const host = 'host' in split ? split.host : value;
    const rejection = this.sink.addDomain(host, attributes);
    if (rejection === undefined) return;
    if (rejection.reason === 'ip-address') {
      this.addAddress(field, host, attributes, context, where);
      return;
    }
    this.sink.bad(rejection.reason, where.number, where.text, `${field}: ${rejection.message}`);
  }
}

export const ctipFormat: FeedFormat = {
  name: 'ctip',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      feed: {
        type: 'string',
        enum: [...CTIP_FEEDS],
        description:
          'CTIP feed of every record: infected-devices and iot add SourceIp, c2 adds DestinationIp and its domain, domains adds the domain. Default: each record\'s DataFeed decides.',
      },
      domainField: {
        type: 'string',
        minLength: 1,
        description:
          'Field (or dotted path) holding the domain of c2 and domains records. Default: DestinationDomain, else HttpDomain, and for domains records else HttpHost.',
      },
      dataFeeds: {
        type: 'object',
        additionalProperties: { type: 'string', enum: [...CTIP_FEEDS] },
        description:
          'Feed of DataFeed values, compared trimmed and case-insensitively and checked before the word rules (iot, c2 or cnc, domain or domains, infected).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const reader = new CtipReader(context.sink, context.options as CtipOptions);
    await readJsonRecords(context, (record, number, text) => reader.handle(record, number, text));
  },
};
