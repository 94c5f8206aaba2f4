/**
 * A CTIP feed tailored to a constituency, end to end: the test writes CTIP records in the flat
 * layout (one JSON array file and one NDJSON file with the same records), the feeds keep only the
 * records inside the configured CIDR ranges, ASNs and countries, and lookups of the kept
 * addresses return each record's attributes. A domains feed tailored by top-level domain keeps
 * only names under those TLDs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ItemType } from '../../src/indicators/classify.js';
import type { Match } from '../../src/lookup.js';
import { lookupJson, lookupOne } from '../helpers/http.js';
import { ServedFeeds, feedStatus, type PolicyFeed } from '../helpers/served-feeds.js';
import { TestBed } from '../helpers/testbed.js';

const RECEIVED = '2026-03-01T10:00:00Z';
const RECEIVED_ISO = '2026-03-01T10:00:00.000Z';
const DATA_FEED = 'CTIP-Infected';

/** The fields every infected-device record shares. */
const COMMON = { DestinationIp: '45.67.89.10', TransportProtocol: 'TCP', ThreatConfidence: 'High', TLP: 'Amber', DateTimeReceivedUtc: RECEIVED };

interface DeviceRecord {
  readonly name: string;
  readonly fields: Record<string, unknown>;
  /** The attributes of the record's match, without `dataFeed` (only the NDJSON records carry DataFeed). */
  readonly attributes?: Record<string, unknown>;
}

const ATTRIBUTES_OF_COMMON = { transport: 'TCP', threatConfidence: 'High', tlp: 'Amber', firstSeen: RECEIVED_ISO, lastSeen: RECEIVED_ISO };

const KEPT: readonly DeviceRecord[] = [
  {
    name: 'kept by CIDR',
    fields: { SourceIp: '31.5.6.7', SourceIpAsnNumber: 1111, SourceIpCountryCode: 'DE', SourcePort: 49152, DestinationPort: 443, Malware: 'Emotet', ThreatCode: 'B106-Emotet' },
    attributes: { malwareFamily: 'Emotet', threatCode: 'B106-Emotet', sourcePort: 49152, destinationPort: 443, asn: 1111, countryCode: 'DE' },
  },
  {
    name: 'kept by ASN',
    fields: { SourceIp: '41.1.2.3', SourceIpAsnNumber: 64500, SourceIpCountryCode: 'FR', SourcePort: '50000', DestinationPort: '8080', Malware: 'Qakbot', ThreatCode: 'B106-Qakbot' },
    attributes: { malwareFamily: 'Qakbot', threatCode: 'B106-Qakbot', sourcePort: 50000, destinationPort: 8080, asn: 64500, countryCode: 'FR' },
  },
  {
    name: 'kept by ASN text',
    fields: { SourceIp: '91.1.2.3', SourceIpAsnNumber: 'AS64500', SourceIpCountryCode: 'US', SourcePort: 51000, DestinationPort: 443, Malware: 'Emotet', ThreatCode: 'B106-Emotet' },
    attributes: { malwareFamily: 'Emotet', threatCode: 'B106-Emotet', sourcePort: 51000, destinationPort: 443, asn: 64500, countryCode: 'US' },
  },
  {
    name: 'kept by country',
    fields: { SourceIp: '51.1.2.3', SourceIpAsnNumber: 2222, SourceIpCountryCode: 'NL', SourcePort: 52000, DestinationPort: 80, Malware: 'Zloader', ThreatCode: 'B106-Zloader' },
    attributes: { malwareFamily: 'Zloader', threatCode: 'B106-Zloader', sourcePort: 52000, destinationPort: 80, asn: 2222, countryCode: 'NL' },
  },
  {
    name: 'kept by lower-case country',
    fields: { SourceIp: '81.1.2.3', SourceIpAsnNumber: 3333, SourceIpCountryCode: 'nl', SourcePort: 53000, DestinationPort: 80, Malware: 'Zloader', ThreatCode: 'B106-Zloader' },
    attributes: { malwareFamily: 'Zloader', threatCode: 'B106-Zloader', sourcePort: 53000, destinationPort: 80, asn: 3333, countryCode: 'NL' },
  },
  {
    name: 'kept by IPv6 CIDR',
    fields: { SourceIp: '2a03:1::5', SourceIpAsnNumber: 4444, SourceIpCountryCode: 'JP', SourcePort: 54000, DestinationPort: 443, Malware: 'Emotet', ThreatCode: 'B106-Emotet' },
    attributes: { malwareFamily: 'Emotet', threatCode: 'B106-Emotet', sourcePort: 54000, destinationPort: 443, asn: 4444, countryCode: 'JP' },
  },
];

const OUTSIDE: readonly DeviceRecord[] = [
  { name: 'other ASN and country', fields: { SourceIp: '61.1.2.3', SourceIpAsnNumber: 5555, SourceIpCountryCode: 'US', Malware: 'Emotet' } },
  { name: 'no ASN or country', fields: { SourceIp: '71.1.2.3', Malware: 'Emotet' } },
  { name: 'IPv6 outside ranges', fields: { SourceIp: '2a04::9', SourceIpAsnNumber: 6666, SourceIpCountryCode: 'BR', Malware: 'Emotet' } },
];

/** Inside the constituency by ASN and country, but private: filtered as reserved first. */
const RESERVED_RECORD = { SourceIp: '10.1.1.1', SourceIpAsnNumber: 64500, SourceIpCountryCode: 'NL', Malware: 'Emotet' };
/** A second record for the first kept address: the store keeps the first record of a key. */
const REPEATED_RECORD = { ...KEPT[0]!.fields, Malware: 'Qakbot', ThreatCode: 'B106-Qakbot' };

const DEVICE_CONSTITUENCY = { cidrs: ['31.5.0.0/16', '2a03:1::/32'], asns: [64500], countries: ['NL'] };

function deviceRecords(withDataFeed: boolean): Record<string, unknown>[] {
  const records = [...KEPT.map((record) => record.fields), ...OUTSIDE.map((record) => record.fields), RESERVED_RECORD, REPEATED_RECORD];
  return records.map((fields) => ({ ...(withDataFeed ? { DataFeed: DATA_FEED } : {}), ...COMMON, ...fields }));
}

const DOMAIN_DATA_FEED = 'CTIP-Domains';

interface DomainRecord {
  readonly name: string;
  readonly fields: Record<string, unknown>;
  readonly domain: string;
}

const DOMAINS_KEPT: readonly DomainRecord[] = [
  { name: 'kept .nl domain', fields: { DestinationDomain: 'c2.evil-one.nl' }, domain: 'c2.evil-one.nl' },
  { name: 'kept .de domain', fields: { DestinationDomain: 'c2.evil-two.de' }, domain: 'c2.evil-two.de' },
  { name: 'kept upper-case domain', fields: { DestinationDomain: 'C2.EVIL-SIX.DE' }, domain: 'c2.evil-six.de' },
  { name: 'kept HttpHost with port', fields: { HttpHost: 'x.evil-five.nl:8080' }, domain: 'x.evil-five.nl' },
];
const DOMAINS_OUTSIDE: readonly DomainRecord[] = [
  { name: 'filtered .com domain', fields: { DestinationDomain: 'c2.evil-three.com' }, domain: 'c2.evil-three.com' },
  { name: 'filtered .ru domain', fields: { DestinationDomain: 'evil-four.ru' }, domain: 'evil-four.ru' },
];
const DOMAIN_COMMON = { DataFeed: DOMAIN_DATA_FEED, Malware: 'Emotet', TLP: 'Green', DestinationPort: 443, DateTimeReceivedUtc: RECEIVED };
const DOMAIN_ATTRIBUTES = { dataFeed: DOMAIN_DATA_FEED, malwareFamily: 'Emotet', tlp: 'Green', destinationPort: 443, firstSeen: RECEIVED_ISO, lastSeen: RECEIVED_ISO };

const bed = new TestBed();
let url: string;
let served: ServedFeeds;

beforeAll(async () => {
  const ndjson = deviceRecords(true)
    .map((record) => JSON.stringify(record))
    .join('\n');
  const domains = [...DOMAINS_KEPT, ...DOMAINS_OUTSIDE].map((record) => JSON.stringify({ ...DOMAIN_COMMON, ...record.fields })).join('\n');
  const feeds: PolicyFeed[] = [
    {
      id: 'ctip-array',
      list: 'deny',
      format: 'ctip',
      path: bed.writeFile('ctip-infected.json', JSON.stringify(deviceRecords(false), null, 2)),
      category: 'infected-device',
      options: { feed: 'infected-devices' },
      constituency: DEVICE_CONSTITUENCY,
    },
    {
      id: 'ctip-ndjson',
      list: 'deny',
      format: 'ctip',
      path: bed.writeFile('ctip-infected.ndjson', `${ndjson}\n`),
      category: 'infected-device',
      constituency: DEVICE_CONSTITUENCY,
    },
    {
      id: 'ctip-domains',
      list: 'deny',
      format: 'ctip',
      path: bed.writeFile('ctip-domains.ndjson', `${domains}\n`),
      category: 'botnet-domain',
      constituency: { tlds: ['nl', '.DE'] },
    },
  ];
  const config = bed.configure({ feeds });
  url = (await bed.start(config)).url;
  served = new ServedFeeds(config);
});

afterAll(async () => {
  await bed.close();
});

function deviceMatches(record: DeviceRecord, canonical: string): Match[] {
  const attributes = { ...ATTRIBUTES_OF_COMMON, ...record.attributes };
  return [
    served.match('ctip-array', canonical, 'network', attributes),
    served.match('ctip-ndjson', canonical, 'network', { dataFeed: DATA_FEED, ...attributes }),
  ];
}

const typeOf = (address: string): ItemType => (address.includes(':') ? 'ipv6' : 'ipv4');

describe('infected devices in constituency', () => {
  test.each(KEPT)('$name', async (record) => {
    const address = record.fields['SourceIp'] as string;
    const result = await lookupOne(url, address);
    const matches = deviceMatches(record, address);
    expect(result.verdict).toBe('deny');
    expect(result.type).toBe(typeOf(address));
    expect(result.canonical).toBe(address);
    expect(result.matches).toEqual(matches);
    expect(result).toEqual({ item: address, type: typeOf(address), canonical: address, verdict: 'deny', matches });
  });

  test('first record of address kept', async () => {
    const result = await lookupOne(url, KEPT[0]!.fields['SourceIp'] as string);
    expect(result.matches.map((match) => match.attributes?.['malwareFamily'])).toEqual(['Emotet', 'Emotet']);
    expect(result.matches.map((match) => match.attributes?.['threatCode'])).toEqual(['B106-Emotet', 'B106-Emotet']);
  });
});

describe('infected devices outside', () => {
  test.each([...OUTSIDE, { name: 'reserved address', fields: RESERVED_RECORD }])('$name unknown', async (record) => {
    const address = record.fields['SourceIp'] as string;
    const result = await lookupOne(url, address);
    expect(result.verdict).toBe('unknown');
    expect(result.matches).toEqual([]);
    expect(result).toEqual({ item: address, type: typeOf(address), canonical: address, verdict: 'unknown', matches: [] });
  });

  test('batch counts exact', async () => {
    const items = [...KEPT, ...OUTSIDE].map((record) => record.fields['SourceIp'] as string);
    const reply = await lookupJson(url, items);
    expect(reply.status).toBe(200);
    expect(reply.body.counts).toEqual({ allow: 0, deny: KEPT.length, unknown: OUTSIDE.length, invalid: 0 });
  });
});

describe('domains by TLD', () => {
  test.each(DOMAINS_KEPT)('$name', async ({ domain }) => {
    const result = await lookupOne(url, domain);
    const matches = [served.match('ctip-domains', domain, 'exact', DOMAIN_ATTRIBUTES)];
    expect(result.verdict).toBe('deny');
    expect(result.matches).toEqual(matches);
    expect(result).toEqual({ item: domain, type: 'domain', canonical: domain, verdict: 'deny', matches });
  });

  test('subdomain of kept domain', async () => {
    const result = await lookupOne(url, 'www.c2.evil-one.nl');
    expect(result.verdict).toBe('deny');
    expect(result.matches).toEqual([served.match('ctip-domains', 'c2.evil-one.nl', 'subdomain', DOMAIN_ATTRIBUTES)]);
  });

  test.each(DOMAINS_OUTSIDE)('$name', async ({ domain }) => {
    const result = await lookupOne(url, domain);
    expect(result.verdict).toBe('unknown');
    expect(result).toEqual({ item: domain, type: 'domain', canonical: domain, verdict: 'unknown', matches: [] });
  });
});

describe('feed status', () => {
  const NO_BAD_LINES = { total: 0, byReason: {}, samples: [] };

  test.each([
    { id: 'ctip-array', keys: 6, keysByType: { ipv4: 5, ipv6: 1 }, records: 7, duplicates: 1, filtered: { total: 4, byReason: { 'outside-constituency': 3, reserved: 1 } } },
    { id: 'ctip-ndjson', keys: 6, keysByType: { ipv4: 5, ipv6: 1 }, records: 7, duplicates: 1, filtered: { total: 4, byReason: { 'outside-constituency': 3, reserved: 1 } } },
    { id: 'ctip-domains', keys: 4, keysByType: { domain: 4 }, records: 4, duplicates: 0, filtered: { total: 2, byReason: { 'outside-constituency': 2 } } },
  ])('$id counts', async ({ id, keys, keysByType, records, duplicates, filtered }) => {
    const status = await feedStatus(url, id);
    expect(status['generation']).toBe(served.generation(id));
    expect(status['keys']).toBe(keys);
    expect(status['keysByType']).toEqual(keysByType);
    expect(status['records']).toBe(records);
    expect(status['duplicates']).toBe(duplicates);
    expect(status['badLines']).toEqual(NO_BAD_LINES);
    expect(status['filtered']).toEqual(filtered);
    expect(status['lastError']).toBeUndefined();
  });
});
