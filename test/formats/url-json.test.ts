import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { urlJsonFormat } from '../../src/feeds/formats/url-json.js';
import { makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// Bing's malicious-URL feed is not public, so the inputs are generated: a Bing-like layout
// ({"Url", "Ip", "ThreatType", "FirstSeen", "LastSeen"}) and the layout of IntelMQ's Bing MURL test
// data. Hosts are made up or in example domains; none is contacted.

const BING_FIELDS = { url: 'Url', ip: 'Ip', threatType: 'ThreatType', firstSeen: 'FirstSeen', lastSeen: 'LastSeen' };

const RECORDS: readonly unknown[] = [
  {
    Url: 'http://evil.example.com/login.php?user=1',
    Ip: '31.41.59.26',
    ThreatType: 'Phishing',
    FirstSeen: '2023-11-14T21:33:19Z',
    LastSeen: '11/15/2023 8:00:00 AM',
    Unmapped: { anything: true },
  },
  { Url: 'https://EXAMPLE.org/a/../b/', ThreatType: 'Malware', FirstSeen: '/Date(1699997599000)/', LastSeen: 'soon' },
  { Url: 'http://81.2.69.160/payload.exe', Ip: '81.2.69.160', ThreatType: 'Malware' },
  // The same URL again, hosted on an address the default policy leaves out.
  { Url: 'http://evil.example.com/login.php?user=1', Ip: '0.0.0.0' },
  { Url: 'http://evil.example.net/', Ip: '999.1.1.1' },
  { Url: '', Ip: '31.41.59.27' },
  { Ip: '31.41.59.28' },
  { Url: { href: 'http://evil.example.org/' } },
  { Url: 'http://' },
  [1, 2],
];

/** What RECORDS add, counted by hand from the list above. */
const EXPECTED = {
  // records 1, 2, 3, 4 and 5 add a URL; records 1 and 3 add an IP
  countByType: { url: 5, ipv4: 2 },
  // record 4 repeats record 1's URL
  distinctByType: { url: 4, ipv4: 2 },
  filteredByReason: { reserved: 1 },
  badByReason: { 'octet-out-of-range': 1, 'missing-url': 3, 'empty-host': 1, 'record-not-object': 1 },
};

describe('url-json', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { form: 'JSON array', text: () => JSON.stringify(RECORDS, null, 1) },
    { form: 'NDJSON', text: () => RECORDS.map((record) => JSON.stringify(record)).join('\n') },
    { form: 'NDJSON with CRLF and BOM', text: () => utf8WithBom(`${RECORDS.map((record) => JSON.stringify(record)).join('\r\n')}\r\n`) },
  ])('counts from $form', async ({ text }) => {
    const sink = await parseIndicators(urlJsonFormat, temp.file('urls.json', text()), { fields: BING_FIELDS });
    expect(sink.countByType()).toEqual(EXPECTED.countByType);
    expect(sink.distinctByType()).toEqual(EXPECTED.distinctByType);
    expect(sink.filteredByReason).toEqual(EXPECTED.filteredByReason);
    expect(sink.badByReason).toEqual(EXPECTED.badByReason);
  });

  test('entries and attributes', async () => {
    const sink = await parseIndicators(urlJsonFormat, temp.file('urls.json', JSON.stringify(RECORDS)), { fields: BING_FIELDS });
    const first = { threatType: 'Phishing', firstSeen: '2023-11-14T21:33:19.000Z', lastSeen: '2023-11-15T08:00:00.000Z' };
    expect(sink.stored.map((record) => [record.type, record.text, record.attributes])).toEqual([
      ['url', 'evil.example.com/login.php?user=1', first],
      ['ipv4', '31.41.59.26', first],
      ['url', 'example.org/b/', { threatType: 'Malware', firstSeen: '2023-11-14T21:33:19.000Z', lastSeenRaw: 'soon' }],
      ['url', '81.2.69.160/payload.exe', { threatType: 'Malware' }],
      ['ipv4', '81.2.69.160', { threatType: 'Malware' }],
      ['url', 'evil.example.com/login.php?user=1', {}],
      ['url', 'evil.example.net/', {}],
    ]);
  });

  test('bad-line samples', async () => {
    const text = RECORDS.map((record) => JSON.stringify(record)).join('\n');
    const sink = await parseIndicators(urlJsonFormat, temp.file('urls.ndjson', text), { fields: BING_FIELDS });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.message])).toEqual([
      [5, 'octet-out-of-range', 'Ip: "999.1.1.1": IPv4 octet 999 is out of range (0..255)'],
      [6, 'missing-url', '"Url" is "", not a URL'],
      [7, 'missing-url', 'record has no "Url" field'],
      [8, 'missing-url', '"Url" is {"href":"http://evil.example.org/"}, not a URL'],
      [9, 'empty-host', 'Url: URL "http://" has an empty host'],
      [10, 'record-not-object', 'record is an array, not a JSON object'],
    ]);
  });

  test('Bing MURL layout with dotted paths', async () => {
    const records = [
      {
        Description: 'Malicious website',
        FirstReportedDateTime: '2018-05-28T07:00:00Z',
        LastReportedDateTime: '2018-05-28T07:00:00Z',
        IndicatorThreatType: 'MaliciousUrl',
        NetworkDestinationAsn: 64510,
        NetworkDestinationIPv4: '81.2.69.163',
        Tags: ['org'],
        Provider: { Name: 'Bing', Product: 'Forefront' },
        TLPLevel: 'Amber',
        Url: 'http://010302.example.org/',
      },
    ];
    const sink = await parseIndicators(urlJsonFormat, temp.file('bing.json', JSON.stringify(records)), {
      fields: {
        url: 'Url',
        ip: 'NetworkDestinationIPv4',
        asn: 'NetworkDestinationAsn',
        threatType: 'IndicatorThreatType',
        firstSeen: 'FirstReportedDateTime',
        lastSeen: 'LastReportedDateTime',
        attributes: { Tags: 'tags', 'Provider.Name': 'provider', TLPLevel: 'tlp', Description: 'description', 'Provider.Missing': 'unused' },
      },
    });
    const attributes = {
      threatType: 'MaliciousUrl',
      firstSeen: '2018-05-28T07:00:00.000Z',
      lastSeen: '2018-05-28T07:00:00.000Z',
      asn: 64510,
      tags: ['org'],
      provider: 'Bing',
      tlp: 'Amber',
      description: 'Malicious website',
    };
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['010302.example.org/', attributes],
      ['81.2.69.163', attributes],
    ]);
  });

  test('a key with dots wins over the path', async () => {
    const record = { 'a.b': 'http://key.example.com/', a: { b: 'http://path.example.com/' } };
    const sink = await parseIndicators(urlJsonFormat, temp.file('dots.json', JSON.stringify([record])), { fields: { url: 'a.b' } });
    expect(sink.stored.map((entry) => entry.text)).toEqual(['key.example.com/']);
  });

  test('tailored by ASN and country', async () => {
    const records = [
      { Url: 'http://81.2.69.160/a', Ip: '81.2.69.160', Asn: 'AS64500', Country: 'de' },
      { Url: 'http://81.2.69.161/b', Ip: '81.2.69.161', Asn: 64999, Country: 'NZ' },
      { Url: 'http://81.2.69.162/c', Ip: '81.2.69.162', Asn: 64999, Country: 'US' },
      // A URL on a domain is tailored by top-level domain only, which this constituency does not set.
      { Url: 'http://evil.example.com/d', Asn: 64999, Country: 'US' },
    ];
    const sink = await parseIndicators(
      urlJsonFormat,
      temp.file('tailored.ndjson', records.map((record) => JSON.stringify(record)).join('\n')),
      { fields: { url: 'Url', ip: 'Ip', asn: 'Asn', country: 'Country' } },
      { constituency: { asns: [64500], countries: ['NZ'] } },
    );
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['81.2.69.160/a', { asn: 64500, countryCode: 'DE' }],
      ['81.2.69.160', { asn: 64500, countryCode: 'DE' }],
      ['81.2.69.161/b', { asn: 64999, countryCode: 'NZ' }],
      ['81.2.69.161', { asn: 64999, countryCode: 'NZ' }],
      ['evil.example.com/d', { asn: 64999, countryCode: 'US' }],
    ]);
    expect(sink.filteredByReason).toEqual({ 'outside-constituency': 2 });
  });

  test('empty file has no records', async () => {
    const sink = await parseIndicators(urlJsonFormat, temp.file('empty.json', ''), { fields: BING_FIELDS });
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
  });
});
