import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ipsumFormat } from '../../src/feeds/formats/ipsum.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// Distribution of the counts, from the corpus folder:
//   grep -v '^#' ips/ipsum_ipsum.txt.head30007 | cut -f2 | sort -n | uniq -c
//   -> 15783 x 2, 8863 x 3, 3941 x 4, 1095 x 5, 248 x 6, 47 x 7, 14 x 8, 6 x 9, 3 x 10
// grep -c '^#' -> 7 header lines; grep -vc '^#' -> 30000 entries, all `IPv4<TAB>count`
// (awk -F'\t' 'NF != 2' and grep -cvE '^([0-9]{1,3}\.){3}[0-9]{1,3}$' on column 1 print nothing);
// cut -f1 | sort -u | wc -l -> 30000 distinct; the special-range check of indicator-list.test.ts,
// run on column 1, finds no reserved address.
describe('ipsum on ipsum.txt (first 30,007 lines)', () => {
  const file = corpusFile('ips/ipsum_ipsum.txt.head30007');

  test.each([
    { minCount: undefined, records: 30000, filtered: {} },
    { minCount: 1, records: 30000, filtered: {} },
    { minCount: 2, records: 30000, filtered: {} },
    // 30000 - 15783
    { minCount: 3, records: 14217, filtered: { 'below-min-count': 15783 } },
    // 1095 + 248 + 47 + 14 + 6 + 3
    { minCount: 5, records: 1413, filtered: { 'below-min-count': 28587 } },
    { minCount: 10, records: 3, filtered: { 'below-min-count': 29997 } },
    { minCount: 11, records: 0, filtered: { 'below-min-count': 30000 } },
  ])('minCount $minCount', async ({ minCount, records, filtered }) => {
    const sink = await parseIndicators(ipsumFormat, file, minCount === undefined ? {} : { minCount });
    expect(sink.countByType()).toEqual(records === 0 ? {} : { ipv4: records });
    expect(sink.distinctByType()).toEqual(records === 0 ? {} : { ipv4: records });
    expect(sink.filteredByReason).toEqual(filtered);
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    // line 8, the first entry
    { address: '77.90.185.20', count: 10 },
    // the last line
    { address: '139.170.73.139', count: 2 },
  ])('$address', async ({ address, count }) => {
    const sink = await parseIndicators(ipsumFormat, file);
    expect(sink.recordsOf(address).map((record) => record.attributes)).toEqual([{ blocklistCount: count }]);
  });
});

describe('ipsum on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { name: 'no count', line: '198.51.99.7', reason: 'field-count', message: 'expected an IP address and a count separated by a tab, found 1 field' },
    { name: 'extra field', line: '198.51.99.7\t3\tx', reason: 'field-count', message: 'expected an IP address and a count separated by a tab, found 3 fields' },
    { name: 'count not a number', line: '198.51.99.7\tthree', reason: 'invalid-count', message: 'blocklist count "three" is not a whole number' },
    { name: 'negative count', line: '198.51.99.7\t-1', reason: 'invalid-count', message: 'blocklist count "-1" is not a whole number' },
    { name: 'invalid address', line: '198.51.99.256\t3', reason: 'octet-out-of-range', message: '"198.51.99.256": IPv4 octet 256 is out of range (0..255)' },
  ])('$name', async ({ line, reason, message }) => {
    const sink = await parseIndicators(ipsumFormat, temp.file('ipsum.txt', `# IP\tnumber of (black)lists\n${line}\n`));
    expect(sink.records).toBe(0);
    expect(sink.badSamples).toEqual([{ line: 2, reason, content: line, message }]);
  });

  test('reserved address', async () => {
    const sink = await parseIndicators(ipsumFormat, temp.file('ipsum.txt', '10.0.0.1\t3\n'));
    expect(sink.records).toBe(0);
    expect(sink.filteredByReason).toEqual({ reserved: 1 });
  });

  test('count filter comes first', async () => {
    const sink = await parseIndicators(ipsumFormat, temp.file('ipsum.txt', 'not-an-ip\t1\n'), { minCount: 2 });
    expect(sink.filteredByReason).toEqual({ 'below-min-count': 1 });
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    { name: 'CRLF', bytes: Buffer.from('# IPsum\r\n#\r\n198.51.99.7\t4\r\n2a00:1450::1\t2\r\n') },
    { name: 'BOM, spaces, no final newline', bytes: utf8WithBom('198.51.99.7 4\n\n2a00:1450::1  2') },
  ])('$name', async ({ bytes }) => {
    const sink = await parseIndicators(ipsumFormat, temp.file('ipsum.txt', bytes));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['blocklistCount']])).toEqual([
      ['198.51.99.7', 4],
      ['2a00:1450::1', 2],
    ]);
    expect(sink.badTotal).toBe(0);
  });

  test('empty file', async () => {
    const sink = await parseIndicators(ipsumFormat, temp.file('ipsum.txt', ''));
    expect(sink.records).toBe(0);
    expect(sink.badTotal).toBe(0);
  });
});
