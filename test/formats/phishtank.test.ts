import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { phishtankFormat } from '../../src/feeds/formats/phishtank.js';
import { makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// PhishTank's files are not in the corpus (their terms forbid redistribution): these are written in the
// layout of online-valid.csv and online-valid.json. Hosts are example.com names, never real phishing sites.
const HEADER = 'phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target';

interface Phish {
  readonly id: number;
  readonly url: string;
  readonly verified?: string;
  readonly online?: string;
  readonly target?: string;
}

const PHISHES: readonly Phish[] = [
  { id: 9001, url: 'https://login.example.com/secure/index.php?acct=1', target: 'Other' },
  { id: 9002, url: 'http://Bank.Example.NET/verify/' , target: 'Example Bank' },
  { id: 9003, url: 'http://unverified.example.org/', verified: 'no' },
  { id: 9004, url: 'http://gone.example.org/', online: 'no' },
  { id: 9005, url: 'http://', target: 'Other' },
];

function detailUrl(id: number): string {
  return `https://www.phishtank.com/phish_detail.php?phish_id=${id}`;
}

function csvRow(phish: Phish): string {
  const fields = [
    String(phish.id),
    phish.url,
    detailUrl(phish.id),
    '2026-01-27T10:00:00+00:00',
    phish.verified ?? 'yes',
    '2026-01-27T11:30:00+01:00',
    phish.online ?? 'yes',
    phish.target ?? 'Other',
  ];
  return fields.map((field) => (field.includes(',') ? `"${field}"` : field)).join(',');
}

function jsonRecord(phish: Phish): Record<string, unknown> {
  return {
    phish_id: phish.id,
    url: phish.url,
    phish_detail_url: detailUrl(phish.id),
    submission_time: '2026-01-27T10:00:00+00:00',
    verified: phish.verified ?? 'yes',
    verification_time: '2026-01-27T11:30:00+01:00',
    online: phish.online ?? 'yes',
    target: phish.target ?? 'Other',
    details: [{ ip_address: '1.2.3.4', cidr_block: '1.2.3.0/24', announcing_network: '64500', rir: 'ripencc', country: 'DE', detail_time: '2026-01-27T10:01:00+00:00' }],
  };
}

const CSV = [HEADER, ...PHISHES.map(csvRow)].join('\n');
const JSON_ARRAY = JSON.stringify(PHISHES.map(jsonRecord), null, 2);

const FIRST_ATTRIBUTES = {
  phishId: '9001',
  reference: detailUrl(9001),
  submittedAt: '2026-01-27T10:00:00.000Z',
  verifiedAt: '2026-01-27T10:30:00.000Z',
  target: 'Other',
};

describe('phishtank on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { form: 'csv', content: CSV, badLine: 6 },
    { form: 'json', content: JSON_ARRAY, badLine: 5 },
  ])('$form form', async ({ content, badLine }) => {
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid', content));
    expect(sink.stored.map((record) => [record.type, record.text])).toEqual([
      ['url', 'login.example.com/secure/index.php?acct=1'],
      ['url', 'bank.example.net/verify/'],
    ]);
    expect(sink.stored[0]?.attributes).toEqual(FIRST_ATTRIBUTES);
    expect(sink.stored[1]?.attributes?.['target']).toBe('Example Bank');
    expect(sink.filteredByReason).toEqual({ unverified: 1, offline: 1 });
    // the CSV line number, or the position of the element in the JSON array
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason])).toEqual([[badLine, 'empty-host']]);
  });

  test.each([
    { name: 'includeUnverified', options: { includeUnverified: true }, texts: ['unverified.example.org/'], filtered: { offline: 1 } },
    { name: 'includeOffline', options: { includeOffline: true }, texts: ['gone.example.org/'], filtered: { unverified: 1 } },
  ])('$name', async ({ options, texts, filtered }) => {
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid.csv', CSV), options);
    expect(sink.stored.map((record) => record.text).slice(2)).toEqual(texts);
    expect(sink.filteredByReason).toEqual(filtered);
  });

  test.each([
    { name: 'in the ASN', constituency: { asns: [64500] }, stored: 1, filtered: {} },
    { name: 'in the country', constituency: { countries: ['de'] }, stored: 1, filtered: {} },
    { name: 'outside', constituency: { countries: ['FR'], asns: [64501] }, stored: 0, filtered: { 'outside-constituency': 1 } },
  ])('json details tailor an IP host: $name', async ({ constituency, stored, filtered }) => {
    const content = JSON.stringify([{ ...jsonRecord(PHISHES[0]!), url: 'http://1.2.3.4/login' }]);
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid.json', content), {}, { constituency });
    expect(sink.stored).toHaveLength(stored);
    expect(sink.filteredByReason).toEqual(filtered);
  });

  test.each([
    { name: 'form csv', options: { form: 'csv' }, content: `  ${CSV}` },
    { name: 'form json', options: { form: 'json' }, content: JSON_ARRAY },
    { name: 'auto after white space and BOM', options: {}, content: utf8WithBom(`\n\t ${JSON_ARRAY}`) },
    { name: 'CRLF', options: {}, content: CSV.replaceAll('\n', '\r\n') },
  ])('$name', async ({ options, content }) => {
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid', content), options);
    expect(sink.stored.map((record) => record.text)).toEqual(['login.example.com/secure/index.php?acct=1', 'bank.example.net/verify/']);
  });

  test('json elements that are not records', async () => {
    const content = JSON.stringify([jsonRecord(PHISHES[0]!), 'text', { phish_id: 1 }, { url: 7 }, null]);
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid.json', content));
    expect(sink.stored).toHaveLength(1);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [2, 'record-not-object', '"text"'],
      [3, 'missing-url', '{"phish_id":1}'],
      [4, 'missing-url', '{"url":7}'],
      [5, 'record-not-object', 'null'],
    ]);
  });

  test('json that is not an array fails the parse', async () => {
    const path = temp.file('online-valid.json', '{"url": "http://a.example.com/"}');
    await expect(parseIndicators(phishtankFormat, path, { form: 'json' })).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
  });

  test('truncated json fails the parse', async () => {
    const path = temp.file('online-valid.json', JSON_ARRAY.slice(0, 200));
    await expect(parseIndicators(phishtankFormat, path)).rejects.toThrow(`Feed test-feed: ${path} is not a PhishTank JSON array: `);
  });

  test('csv without a url column fails the parse', async () => {
    const path = temp.file('online-valid.csv', 'phish_id,link\n1,http://a.example.com/\n');
    await expect(parseIndicators(phishtankFormat, path)).rejects.toThrow(
      `Feed test-feed: ${path}: no "url" column in the header; the header has columns "phish_id", "link"`,
    );
  });

  test('UTF-16 without BOM fails the parse', async () => {
    const path = temp.file('online-valid.csv', Buffer.from(CSV, 'utf16le'));
    await expect(parseIndicators(phishtankFormat, path)).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_ENCODING' });
  });

  test('empty file is an empty CSV', async () => {
    const path = temp.file('online-valid.csv', '');
    await expect(parseIndicators(phishtankFormat, path)).rejects.toThrow(`Feed test-feed: ${path} is empty; expected a CSV header row naming the columns`);
  });

  test('empty json array', async () => {
    const sink = await parseIndicators(phishtankFormat, temp.file('online-valid.json', '[]'));
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
  });
});
