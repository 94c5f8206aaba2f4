import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { IndicatorPolicy, type IndicatorPolicyConfig } from '../../src/build/indicator-policy.js';
import { ShardPartitioner } from '../../src/build/partition.js';
import { ctipFormat, feedOfDataFeed } from '../../src/feeds/formats/ctip.js';
import { MAX_ELEMENT_BYTES } from '../../src/feeds/formats/json-records.js';
import { FileFeedSource } from '../../src/feeds/input.js';
import { FEED_ID, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// Real CTIP data is not public, so every input here is generated. The records follow the two
// layouts that public readers of CTIP use: the flat records of Microsoft DCU's CTIP API samples, and
// the older Azure records of IntelMQ's parser with fields in SourceIpInfo, DestinationIpInfo,
// HttpInfo and CustomInfo. Addresses outside reserved space are made up, and none is contacted.

type Json = Record<string, unknown>;

/** 2023-11-14T21:33:19Z in the forms the records below use. */
const TIME = '2023-11-14T21:33:19.000Z';

const INFECTED_FLAT: Json = {
  DataFeed: 'Microsoft.DCU.CTIP.Infected',
  SourcedFrom: 'SinkHoleMessage',
  DateTimeReceivedUtc: '2023-11-14T21:33:19.1234567Z',
  Malware: 'Emotet',
  ThreatCode: 'B77-GV',
  ThreatConfidence: 'High',
  TLP: 'Amber',
  SourceIp: '31.41.59.26',
  SourcePort: 49296,
  DestinationIp: '27.18.28.18',
  DestinationPort: 8080,
  TransportProtocol: 'TCP',
  SourceIpAsnNumber: 64501,
  SourceIpAsnOrgName: 'Example AS',
  SourceIpCountryCode: 'at',
  SourceIpRegion: 'Vienna',
  SourceIpCity: 'Vienna',
  SourceIpPostalCode: '1060',
  SourceIpLatitude: 48.2,
  SourceIpLongitude: 16.37,
  HttpHost: '',
  HttpRequest: '',
  HttpMethod: '',
  HttpReferrer: '',
  HttpUserAgent: '',
  HttpVersion: '',
  CustomField1: 'bot-id',
  CustomField2: '',
  Payload: 'eyJ0cyI6MH0=',
  FieldFromTheFuture: { nested: [1, 2] },
};

const INFECTED_AZURE: Json = {
  DataFeed: 'CTIP-Infected',
  SourcedFrom: 'SinkHoleMessage',
  DateTimeReceivedUtc: 132348339284870000,
  DateTimeReceivedUtcTxt: 'Sunday May 24 2020 22:45:28.4870',
  Malware: 'Avalanche',
  ThreatCode: 'B67-SS-TINBA',
  ThreatConfidence: 'Low',
  TotalEncounters: 3,
  TLP: 'Amber',
  SourceIp: '141.42.13.56',
  SourcePort: 65116,
  DestinationIp: '81.2.69.160',
  DestinationPort: 80,
  SourceIpInfo: {
    SourceIpAsnNumber: '64500',
    SourceIpAsnOrgName: 'Example AS 1',
    SourceIpCountryCode: 'NZ',
    SourceIpRegion: '',
    SourceIpLatitude: -41.3,
    SourceIpLongitude: 174.8,
    SourceIpMetroCode: 0,
    SourceIpConnectionType: '',
  },
  HttpInfo: { HttpHost: '', HttpRequest: '', HttpMethod: '', HttpReferrer: '', HttpUserAgent: '', HttpVersion: '' },
  CustomInfo: { CustomField1: 'tinba', CustomField2: '', CustomField3: '', CustomField4: '', CustomField5: '' },
  Payload: 'dGhpcyBpcyBqdXN0IHNvbWUgdGV4dA==',
};

const IOT: Json = { DataFeed: 'CTIP-IoT', DateTimeReceivedUtc: '/Date(1699997599000)/', Malware: 'Mirai', SourceIp: '2a0b:4d07::17' };

const C2: Json = {
  DataFeed: 'CTIP-C2',
  DateTimeReceivedUtc: '2023-11-14 21:33:19',
  Malware: 'Emotet',
  ThreatCode: 'B77-C2',
  ThreatConfidence: 'Medium',
  DestinationIp: '45.77.12.34',
  DestinationPort: 443,
  DestinationDomain: 'c2.example.net',
  DestinationIpAsnNumber: 'AS64502',
  DestinationIpCountryCode: 'DE',
  SourceIpAsnNumber: 64500,
  Signatures: { Sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
};

const RECORDS: readonly unknown[] = [
  INFECTED_FLAT,
  INFECTED_AZURE,
  IOT,
  C2,
  // HttpDomain, the C2 domain field of DCU's CTIP API sample, and no DestinationIp.
  { DataFeed: 'CTIP-C2', DateTimeReceivedUtc: '11/14/2023 9:33:19 PM', HttpDomain: 'panel.example.org' },
  // A domain field that repeats the address adds nothing more.
  { DataFeed: 'CTIP-C2', DestinationIp: '45.77.12.35', DestinationDomain: '45.77.12.35' },
  // Private address space: filtered by the default policy, while the domain is kept.
  { DataFeed: 'CTIP-C2', DestinationIp: '10.0.0.1', DestinationDomain: 'relay.example.org' },
  { DataFeed: 'CTIP-Domains', DateTimeReceivedUtcTxt: 'Tuesday November 14 2023 21:33:19.0000', HttpHost: 'Login.Example.COM:8080' },
  { DataFeed: 'CTIP-Domains', DestinationDomain: '81.2.69.161' },
  { DataFeed: 'CTIP-Infected', DateTimeReceivedUtc: 'yesterday', SourceIp: '31.41.59.27' },
  // The same device again, later: a second record of one key.
  { ...INFECTED_FLAT, DateTimeReceivedUtc: '2023-11-15T08:00:00Z' },
  { DataFeed: 'CTIP-Infected', DestinationIp: '27.18.28.18' },
  { DataFeed: 'CTIP-Infected', SourceIp: '300.1.2.3' },
  { DataFeed: 'CTIP-Infected', SourceIp: '31.41.59.0/24' },
  { DataFeed: 'CTIP-Weather', SourceIp: '31.41.59.28' },
  { SourceIp: '31.41.59.29' },
  { DataFeed: 'CTIP-C2', DestinationPort: 443 },
  { DataFeed: 'CTIP-Domains', HttpHost: '' },
  42,
  ['CTIP-Infected', '31.41.59.30'],
];

/** What RECORDS add, counted by hand from the list above. */
const EXPECTED = {
  // INFECTED_FLAT twice, INFECTED_AZURE, C2, 45.77.12.35, 81.2.69.161, 31.41.59.27
  countByType: { ipv4: 7, ipv6: 1, domain: 4 },
  // INFECTED_FLAT's second record repeats its key.
  distinctByType: { ipv4: 6, ipv6: 1, domain: 4 },
  filteredByReason: { reserved: 1 },
  badByReason: {
    'missing-source-ip': 1,
    'octet-out-of-range': 1,
    'cidr-not-allowed': 1,
    'unknown-data-feed': 1,
    'missing-data-feed': 1,
    'missing-destination-ip': 1,
    'missing-domain': 1,
    'record-not-object': 2,
  },
};

function ndjson(records: readonly unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n');
}

describe('ctip', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { form: 'JSON array', text: () => JSON.stringify(RECORDS) },
    { form: 'indented JSON array', text: () => `\n  ${JSON.stringify(RECORDS, null, 2)}\n` },
    { form: 'NDJSON', text: () => ndjson(RECORDS) },
    { form: 'NDJSON with CRLF, BOM and blank lines', text: () => utf8WithBom(`\r\n${RECORDS.map((record) => JSON.stringify(record)).join('\r\n\r\n')}\r\n`) },
  ])('counts from $form', async ({ text }) => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.json', text()));
    expect(sink.countByType()).toEqual(EXPECTED.countByType);
    expect(sink.distinctByType()).toEqual(EXPECTED.distinctByType);
    expect(sink.filteredByReason).toEqual(EXPECTED.filteredByReason);
    expect(sink.badByReason).toEqual(EXPECTED.badByReason);
  });

  test('entries in record order', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson(RECORDS)));
    expect(sink.stored.map((record) => [record.type, record.text])).toEqual([
      ['ipv4', '31.41.59.26'],
      ['ipv4', '141.42.13.56'],
      ['ipv6', '2a0b:4d07::17'],
      ['ipv4', '45.77.12.34'],
      ['domain', 'c2.example.net'],
      ['domain', 'panel.example.org'],
      ['ipv4', '45.77.12.35'],
      ['domain', 'relay.example.org'],
      ['domain', 'login.example.com'],
      ['ipv4', '81.2.69.161'],
      ['ipv4', '31.41.59.27'],
      ['ipv4', '31.41.59.26'],
    ]);
  });

  test('attributes of a flat infected record', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([INFECTED_FLAT])));
    expect(sink.stored[0]?.attributes).toEqual({
      dataFeed: 'Microsoft.DCU.CTIP.Infected',
      malwareFamily: 'Emotet',
      threatCode: 'B77-GV',
      threatConfidence: 'High',
      tlp: 'Amber',
      sourcePort: 49296,
      destinationPort: 8080,
      transport: 'TCP',
      asn: 64501,
      countryCode: 'AT',
      firstSeen: '2023-11-14T21:33:19.123Z',
      lastSeen: '2023-11-14T21:33:19.123Z',
    });
  });

  test('attributes of a nested Azure record', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([INFECTED_AZURE])));
    // FILETIME 132348339284870000 is 2020-05-24T22:45:28.487Z, the time its DateTimeReceivedUtcTxt shows.
    expect(sink.stored[0]?.attributes).toEqual({
      dataFeed: 'CTIP-Infected',
      malwareFamily: 'Avalanche',
      threatCode: 'B67-SS-TINBA',
      threatConfidence: 'Low',
      tlp: 'Amber',
      sourcePort: 65116,
      destinationPort: 80,
      asn: 64500,
      countryCode: 'NZ',
      firstSeen: '2020-05-24T22:45:28.487Z',
      lastSeen: '2020-05-24T22:45:28.487Z',
    });
  });

  test('c2 address and domain share the destination context', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([C2])));
    const expected = {
      dataFeed: 'CTIP-C2',
      malwareFamily: 'Emotet',
      threatCode: 'B77-C2',
      threatConfidence: 'Medium',
      destinationPort: 443,
      asn: 64502,
      countryCode: 'DE',
      firstSeen: TIME,
      lastSeen: TIME,
    };
    expect(sink.recordsOf('45.77.12.34')[0]?.attributes).toEqual(expected);
    expect(sink.recordsOf('c2.example.net')[0]?.attributes).toEqual(expected);
  });

  test('unparseable time kept raw', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([{ DataFeed: 'CTIP-Infected', DateTimeReceivedUtc: 'yesterday', SourceIp: '31.41.59.27' }])));
    expect(sink.stored[0]?.attributes).toEqual({ dataFeed: 'CTIP-Infected', receivedAtRaw: 'yesterday' });
  });

  test.each([
    { value: '2023-11-14T21:33:19Z', expected: TIME },
    { value: '2023-11-14T21:33:19.1234567Z', expected: '2023-11-14T21:33:19.123Z' },
    { value: '2023-11-14T21:33:19', expected: TIME },
    { value: '2023-11-14T22:33:19+01:00', expected: TIME },
    { value: '2023-11-14 21:33:19', expected: TIME },
    { value: '/Date(1699997599000)/', expected: TIME },
    { value: '11/14/2023 9:33:19 PM', expected: TIME },
    { value: 'Tuesday November 14 2023 21:33:19.0000', expected: TIME },
    { value: 133444711990000000, expected: TIME },
  ])('time $value', async ({ value, expected }) => {
    const record = { DataFeed: 'CTIP-Infected', DateTimeReceivedUtc: value, SourceIp: '31.41.59.26' };
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([record])));
    expect(sink.stored[0]?.attributes?.['firstSeen']).toBe(expected);
    expect(sink.stored[0]?.attributes?.['lastSeen']).toBe(expected);
  });

  test('time falls back to DateTimeReceived', async () => {
    const record = { DataFeed: 'CTIP-Infected', DateTimeReceivedUtc: 'not a time', DateTimeReceived: '11/14/2023 21:33:19', SourceIp: '31.41.59.26' };
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([record])));
    expect(sink.stored[0]?.attributes).toEqual({ dataFeed: 'CTIP-Infected', firstSeen: TIME, lastSeen: TIME });
  });

  test('bad-line samples of NDJSON', async () => {
    const lines = [JSON.stringify(INFECTED_FLAT), '', '{"DataFeed": "CTIP-Infected", "SourceIp": ', '{"DataFeed": "CTIP-Infected", "SourceIp": "300.1.2.3"}', '"text"'];
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', lines.join('\n')));
    expect(sink.countByType()).toEqual({ ipv4: 1 });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [3, 'invalid-json', '{"DataFeed": "CTIP-Infected", "SourceIp": '],
      [4, 'octet-out-of-range', '{"DataFeed": "CTIP-Infected", "SourceIp": "300.1.2.3"}'],
      [5, 'record-not-object', '"text"'],
    ]);
    expect(sink.badSamples[1]?.message).toBe('SourceIp: "300.1.2.3": IPv4 octet 300 is out of range (0..255)');
  });

  test('bad-line samples of an array are numbered by element', async () => {
    const records = [INFECTED_FLAT, null, { DataFeed: 'CTIP-Weather', SourceIp: '31.41.59.28' }];
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.json', JSON.stringify(records)));
    expect(sink.badSamples).toEqual([
      { line: 2, reason: 'record-not-object', content: 'null', message: 'record is null, not a JSON object' },
      {
        line: 3,
        reason: 'unknown-data-feed',
        content: '{"DataFeed":"CTIP-Weather","SourceIp":"31.41.59.28"}',
        message: 'DataFeed "CTIP-Weather" names no known CTIP feed; map it in the dataFeeds option or set the feed option',
      },
    ]);
  });

  test.each([
    { name: 'empty', text: '' },
    { name: 'blank lines', text: '\n \r\n\t\n' },
    { name: 'empty array', text: ' [ ] ' },
  ])('$name file has no records', async ({ text }) => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.json', text));
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test.each([
    {
      label: 'cut-off array',
      text: `[${JSON.stringify(INFECTED_FLAT)},{"DataFeed": "CTIP-Inf`,
      detail: 'the array is not closed: the source ends inside element 2, so it was most likely cut off; the parse stopped after 1 records',
    },
    {
      label: 'array without its bracket',
      text: `[${JSON.stringify(INFECTED_FLAT)}`,
      detail: 'the array is not closed: the source ends inside element 1, so it was most likely cut off; the parse stopped after 0 records',
    },
    { label: 'text after the array', text: '[]\n[]', detail: 'there is text after the end of the array, at byte 3; the parse stopped after 0 records' },
    { label: 'brace between elements', text: '[{}, }]', detail: 'unexpected "}" between elements, at byte 5; the parse stopped after 1 records' },
  ])('$label fails the parse', async ({ text, detail }) => {
    const path = temp.file('ctip.json', text);
    const promise = parseIndicators(ctipFormat, path);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(`Feed test-feed: ${path} is not a valid JSON array: ${detail}`);
  });

  test('oversized array element fails the parse', async () => {
    const path = temp.file('ctip.json', `[{"DataFeed": "${'a'.repeat(MAX_ELEMENT_BYTES + 10)}`);
    await expect(parseIndicators(ctipFormat, path)).rejects.toThrow(
      `Feed test-feed: ${path} is not a valid JSON array: element 1 is longer than 16777216 bytes, most likely because a string in it is never closed; the parse stopped after 0 records`,
    );
  });

  test('array elements with structural characters in strings', async () => {
    const text = [
      '[',
      '  {"DataFeed": "CTIP-Infected", "SourceIp": "31.41.59.26", "Malware": "a,b]}[{\\"c\\\\"},',
      '  "x,]",',
      '  {"DataFeed": CTIP-Infected},',
      '  ,',
      '  {"DataFeed": "CTIP-Infected", "SourceIp": "31.41.59.27"},',
      ']',
    ].join('\n');
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.json', text));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['malwareFamily']])).toEqual([
      ['31.41.59.26', 'a,b]}[{"c\\'],
      ['31.41.59.27', undefined],
    ]);
    // Element 3 is invalid JSON, element 4 is empty and element 6, after the last comma, is empty too.
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [2, 'record-not-object', '"x,]"'],
      [3, 'invalid-json', '{"DataFeed": CTIP-Infected}'],
      [4, 'invalid-json', ''],
      [6, 'invalid-json', ''],
    ]);
  });

  test('array elements across chunks', async () => {
    // About 3.4 MB, so elements and multi-byte characters cross the 1 MiB read chunks.
    const records = Array.from({ length: 20_000 }, (_, i) => ({
      DataFeed: 'CTIP-Infected',
      SourceIp: `31.41.${i >> 8}.${i & 255}`,
      Malware: 'Zloader-ü€😀',
      CustomField1: 'x'.repeat(100),
    }));
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.json', JSON.stringify(records)));
    expect(sink.countByType()).toEqual({ ipv4: 20_000 });
    expect(sink.distinctByType()).toEqual({ ipv4: 20_000 });
    expect(sink.stored.filter((record) => record.attributes?.['malwareFamily'] !== 'Zloader-ü€😀')).toEqual([]);
    expect(sink.badTotal).toBe(0);
  });

  test('feed option overrides DataFeed', async () => {
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([INFECTED_FLAT, { SourceIp: '31.41.59.29', DestinationIp: '81.2.69.162' }])), { feed: 'c2' });
    expect(sink.stored.map((record) => [record.text, record.attributes?.['asn']])).toEqual([
      // The destination side has no ASN or country fields in INFECTED_FLAT.
      ['27.18.28.18', undefined],
      ['81.2.69.162', undefined],
    ]);
    expect(sink.badTotal).toBe(0);
  });

  test('dataFeeds option maps other values', async () => {
    const records = [
      { DataFeed: 'DCU Sinkhole Stream', SourceIp: '31.41.59.26' },
      { DataFeed: ' dcu sinkhole stream ', SourceIp: '31.41.59.27' },
      { DataFeed: 'CTIP-Infected', DestinationIp: '81.2.69.162' },
    ];
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson(records)), {
      dataFeeds: { 'DCU Sinkhole Stream': 'infected-devices', 'ctip-infected': 'c2' },
    });
    // The option comes before the word rules, so it also remaps a known value.
    expect(sink.stored.map((record) => record.text)).toEqual(['31.41.59.26', '31.41.59.27', '81.2.69.162']);
  });

  test.each([
    { domainField: 'CustomField2', expected: ['custom.example.com'] },
    { domainField: 'CustomInfo.CustomField3', expected: ['nested.example.com'] },
    { domainField: 'Missing', expected: [] },
  ])('domainField $domainField', async ({ domainField, expected }) => {
    const record = {
      DataFeed: 'CTIP-Domains',
      DestinationDomain: 'default.example.com',
      CustomField2: 'custom.example.com',
      CustomInfo: { CustomField3: 'nested.example.com' },
    };
    const sink = await parseIndicators(ctipFormat, temp.file('ctip.ndjson', ndjson([record])), { domainField });
    expect(sink.stored.map((entry) => entry.text)).toEqual(expected);
    expect(sink.badTotal).toBe(expected.length === 0 ? 1 : 0);
  });

  test.each([
    { value: 'CTIP-Infected', feed: 'infected-devices' },
    { value: 'Microsoft.DCU.CTIP.Infected', feed: 'infected-devices' },
    { value: 'ctip-infected-summary', feed: 'infected-devices' },
    { value: 'CTIP-C2', feed: 'c2' },
    { value: 'Microsoft.DCU.CTIP.CnC', feed: 'c2' },
    { value: 'CTIP-IoT', feed: 'iot' },
    { value: 'CTIP-IoT-Infected', feed: 'iot' },
    { value: 'CTIP-Domains', feed: 'domains' },
    { value: 'CTIP', feed: undefined },
    { value: 'CTIP-C22', feed: undefined },
  ])('DataFeed $value', ({ value, feed }) => {
    expect(feedOfDataFeed(value)).toBe(feed);
  });
});

describe('ctip tailored to a constituency', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  const CONSTITUENCY = { cidrs: ['203.0.113.0/24'], asns: [64500], countries: ['NZ'] };
  const C2_IN_ASN: Json = { ...C2, DestinationIpAsnNumber: 64500, DestinationIpCountryCode: 'DE' };
  const RECORDS_TO_TAILOR: readonly Json[] = [
    // In the constituency's CIDR, which is also documentation space (RFC 5737).
    { DataFeed: 'CTIP-Infected', SourceIp: '203.0.113.5', SourceIpAsnNumber: 64999, SourceIpCountryCode: 'US' },
    // Its ASN.
    { DataFeed: 'CTIP-Infected', SourceIp: '31.41.59.26', SourceIpAsnNumber: 64500, SourceIpCountryCode: 'AT' },
    // Its country, in lower case.
    { DataFeed: 'CTIP-Infected', SourceIp: '141.42.13.56', SourceIpAsnNumber: 64999, SourceIpCountryCode: 'nz' },
    // Neither.
    { DataFeed: 'CTIP-Infected', SourceIp: '27.18.28.18', SourceIpAsnNumber: 64501, SourceIpCountryCode: 'AT' },
    // Its ASN as text in the nested Azure layout.
    INFECTED_AZURE,
    // A C2 server in the constituency's ASN: the address and the domain.
    C2_IN_ASN,
    // A C2 server outside it, contacted from inside: the destination side decides.
    { DataFeed: 'CTIP-C2', DestinationIp: '45.77.12.36', DestinationIpAsnNumber: 64999, SourceIpAsnNumber: 64500, SourceIpCountryCode: 'NZ' },
  ];

  async function parseTailored(config: IndicatorPolicyConfig): Promise<ShardPartitioner> {
    const sink = new ShardPartitioner(1, 0, new IndicatorPolicy(config));
    const path = temp.file('ctip.ndjson', ndjson(RECORDS_TO_TAILOR));
    await ctipFormat.parse({ feedId: FEED_ID, source: new FileFeedSource(FEED_ID, path), options: {}, sink });
    return sink;
  }

  test('constituency records kept', async () => {
    const sink = await parseTailored({ constituency: CONSTITUENCY });
    // 31.41.59.26, 141.42.13.56, INFECTED_AZURE's 141.42.13.56, 45.77.12.34 and c2.example.net
    expect(sink.records).toBe(5);
    // 203.0.113.5 is documentation space, left out before the constituency is checked.
    expect(sink.filteredByReason).toEqual({ reserved: 1, 'outside-constituency': 2 });
    expect(sink.badTotal).toBe(0);
  });

  test('reserved space kept on request', async () => {
    const sink = await parseTailored({ reserved: true, constituency: CONSTITUENCY });
    expect(sink.records).toBe(6);
    expect(sink.filteredByReason).toEqual({ 'outside-constituency': 2 });
  });

  test('kept entries', async () => {
    const path = temp.file('ctip.ndjson', ndjson(RECORDS_TO_TAILOR));
    const sink = await parseIndicators(ctipFormat, path, {}, { reserved: true, constituency: CONSTITUENCY });
    expect(sink.stored.map((record) => record.text)).toEqual(['203.0.113.5', '31.41.59.26', '141.42.13.56', '141.42.13.56', '45.77.12.34', 'c2.example.net']);
  });
});
