import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { spamhausDropFormat } from '../../src/feeds/formats/spamhaus-drop.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

const SBL_QUERY = 'https://www.spamhaus.org/sbl/query/';

describe('spamhaus-drop on drop.txt of 2023-02-20', () => {
  const file = corpusFile('ips/spamhaus_drop_2023-02-20.txt');

  test('counts', async () => {
    const sink = await parseIndicators(spamhausDropFormat, file);
    // grep -vc '^;' ips/spamhaus_drop_2023-02-20.txt -> 936 (grep -c '^;' -> 4 comment lines)
    // grep -v '^;' ... | grep -cvE '^[0-9.]+/[0-9]+ ; SBL[0-9]+$' -> 0: every entry is IPv4 CIDR ; SBL id
    expect(sink.countByType()).toEqual({ ipv4: 936 });
    // grep -v '^;' ... | awk '{print $1}' | sort -u | wc -l -> 936
    expect(sink.distinctByType()).toEqual({ ipv4: 936 });
    // awk -F'[/ ]' '$2 < 8' -> none too wide; no entry lies in or covers a special range (the
    // Python check in indicator-list.test.ts, run on this file, finds 0)
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
    // grep -v '^;' ... | awk '{print $3}' | sort -u | wc -l -> 936 distinct SBL ids
    expect(new Set(sink.stored.map((record) => record.attributes?.['sblId'])).size).toBe(936);
  });

  test.each([
    // line 5, the first entry: 1.10.16.0/20 ; SBL256894
    { cidr: '1.10.16.0/20', sblId: 'SBL256894' },
    // the last line: 223.254.0.0/16 ; SBL212803
    { cidr: '223.254.0.0/16', sblId: 'SBL212803' },
  ])('$cidr', async ({ cidr, sblId }) => {
    const sink = await parseIndicators(spamhausDropFormat, file);
    expect(sink.recordsOf(cidr).map((record) => record.attributes)).toEqual([{ sblId, reference: `${SBL_QUERY}${sblId}` }]);
  });
});

function metadataLine(records: number): string {
  return JSON.stringify({ type: 'metadata', timestamp: 1700000000, size: 123, records, copyright: '(c) 2026 The Spamhaus Project SLU' });
}

const NDJSON_ENTRIES = [
  '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
  '{"cidr":"2a06:e480::/29","sblid":"SBL301771","rir":"ripencc"}',
  '{"cidr":"24.137.16.0/20","sblid":"SBL502541","rir":"arin"}',
];

describe('spamhaus-drop on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('NDJSON', async () => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.json', `${NDJSON_ENTRIES.join('\n')}\n${metadataLine(3)}\n`));
    expect(sink.countByType()).toEqual({ ipv4: 2, ipv6: 1 });
    expect(sink.badTotal).toBe(0);
    expect(sink.recordsOf('2a06:e480::/29')[0]?.attributes).toEqual({
      sblId: 'SBL301771',
      reference: `${SBL_QUERY}SBL301771`,
      rir: 'ripencc',
    });
  });

  test.each([
    {
      name: 'count too high',
      text: `${NDJSON_ENTRIES.join('\n')}\n${metadataLine(5)}`,
      records: 3,
      bad: { line: 4, reason: 'record-count-mismatch', content: metadataLine(5), message: 'the metadata says 5 records, but 3 entry lines were read' },
    },
    {
      name: 'count too low',
      text: `${NDJSON_ENTRIES.join('\n')}\n${metadataLine(2)}\n`,
      records: 3,
      bad: { line: 4, reason: 'record-count-mismatch', content: metadataLine(2), message: 'the metadata says 2 records, but 3 entry lines were read' },
    },
    {
      name: 'no metadata',
      text: `${NDJSON_ENTRIES.join('\n')}\n`,
      records: 3,
      bad: {
        line: 4,
        reason: 'missing-metadata',
        content: '',
        message: 'the file ends after 3 entries without the {"type":"metadata",...} record; the download may be truncated',
      },
    },
    {
      name: 'records not a number',
      text: `${NDJSON_ENTRIES[0]}\n{"type":"metadata","records":"1"}\n`,
      records: 1,
      bad: { line: 2, reason: 'invalid-metadata', content: '{"type":"metadata","records":"1"}', message: 'the metadata\'s "records" is "1", not a count' },
    },
    {
      name: 'no cidr',
      text: `{"sblid":"SBL1"}\n${metadataLine(1)}\n`,
      records: 0,
      bad: { line: 1, reason: 'missing-cidr', content: '{"sblid":"SBL1"}', message: 'the record has no "cidr" string (found nothing)' },
    },
    {
      name: 'an array',
      text: `${NDJSON_ENTRIES[0]}\n[1]\n${metadataLine(2)}\n`,
      records: 1,
      bad: { line: 2, reason: 'not-an-object', content: '[1]', message: 'expected a JSON object per line, found an array' },
    },
  ])('NDJSON $name', async ({ text, records, bad }) => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.json', text));
    expect(sink.records).toBe(records);
    expect(sink.badSamples).toEqual([bad]);
  });

  test('NDJSON broken line', async () => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.json', `${NDJSON_ENTRIES[0]}\n{"cidr":"1.19.0\n${metadataLine(2)}\n`));
    expect(sink.records).toBe(1);
    expect(sink.badByReason).toEqual({ 'invalid-json': 1 });
    expect(sink.badSamples[0]?.line).toBe(2);
  });

  test('NDJSON invalid CIDR', async () => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.json', `{"cidr":"1.10.16.0/40","sblid":"SBL1"}\n${metadataLine(1)}\n`));
    expect(sink.records).toBe(0);
    expect(sink.badByReason).toEqual({ 'invalid-prefix': 1 });
  });

  test.each([
    { name: 'CRLF', bytes: Buffer.from('; Spamhaus EDROP List\r\n\r\n1.10.16.0/20 ; SBL256894\r\n2a06:e480::/29 ; SBL301771\r\n') },
    { name: 'BOM, no final newline', bytes: utf8WithBom('; Spamhaus EDROP List\n1.10.16.0/20 ; SBL256894\n2a06:e480::/29 ; SBL301771') },
    { name: 'NDJSON, CRLF and BOM', bytes: utf8WithBom(`\r\n${NDJSON_ENTRIES.slice(0, 2).join('\r\n')}\r\n${metadataLine(2)}\r\n`) },
  ])('$name', async ({ bytes }) => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.txt', bytes));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['sblId']])).toEqual([
      ['1.10.16.0/20', 'SBL256894'],
      ['2a06:e480::/29', 'SBL301771'],
    ]);
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    { name: 'no comment', line: '1.10.16.0/20', attributes: undefined },
    { name: 'other comment', line: '1.10.16.0/20 ; hijacked', attributes: { description: 'hijacked' } },
  ])('text line with $name', async ({ line, attributes }) => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.txt', `${line}\n`));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([['1.10.16.0/20', attributes]]);
  });

  test('text line with an invalid CIDR', async () => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.txt', '; h\n1.10.16/20 ; SBL1\n'));
    expect(sink.records).toBe(0);
    expect(sink.badSamples).toEqual([
      {
        line: 2,
        reason: 'ipv4-part-count',
        content: '1.10.16/20 ; SBL1',
        message: '"1.10.16/20": IPv4 address has 3 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
      },
    ]);
  });

  test('empty file', async () => {
    const sink = await parseIndicators(spamhausDropFormat, temp.file('drop.txt', ''));
    expect(sink.records).toBe(0);
    expect(sink.badTotal).toBe(0);
  });
});
