import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { feodoCsvFormat } from '../../src/feeds/formats/feodo-csv.js';
import { isVerdictError } from '../../src/errors.js';
import { FEED_ID, corpusFile, makeTempDir, utf16le, utf8WithBom } from './helpers.js';
import { IndicatorSink, parseIndicators } from './indicator-sink.js';

const HEADER = '"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"';
const BANNER = '################################################################\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n#\n';

function row(ip: string, port: string, status = 'offline'): string {
  return `"2024-02-08 19:20:49","${ip}","${port}","${status}","2024-03-11","Pikabot"`;
}

describe('feodo-csv on ipblocklist.csv of 2024-04-04', () => {
  const file = corpusFile('ips/feodo_ipblocklist_2024-04-04.csv');

  test('counts', async () => {
    const sink = await parseIndicators(feodoCsvFormat, file);
    // grep -c '^"20' ips/feodo_ipblocklist_2024-04-04.csv -> 28 rows; the footer says "# END 28 entries"
    expect(sink.countByType()).toEqual({ ipv4: 28 });
    // grep '^"20' ... | cut -d'"' -f4 | sort -u | wc -l -> 28 (uniq -d prints nothing)
    expect(sink.distinctByType()).toEqual({ ipv4: 28 });
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test('attribute values', async () => {
    const sink = await parseIndicators(feodoCsvFormat, file);
    const count = (name: string, value: unknown): number => sink.stored.filter((record) => record.attributes?.[name] === value).length;
    // grep '^"20' ... | cut -d'"' -f8 | sort | uniq -c -> 24 offline, 4 online
    expect(count('status', 'online')).toBe(4);
    expect(count('status', 'offline')).toBe(24);
    // grep '^"20' ... | cut -d'"' -f12 | sort | uniq -c -> 28 Pikabot
    expect(count('malwareFamily', 'Pikabot')).toBe(28);
  });

  test.each([
    // line 10, the first row
    {
      ip: '192.9.135.73',
      attributes: { firstSeen: '2023-05-23T17:51:44Z', port: 1194, status: 'online', lastOnline: '2024-04-01', malwareFamily: 'Pikabot' },
    },
    // line 37, the last row, before the footer that has no final newline
    {
      ip: '172.233.221.61',
      attributes: { firstSeen: '2024-04-04T07:03:03Z', port: 5938, status: 'offline', lastOnline: '2024-04-04', malwareFamily: 'Pikabot' },
    },
  ])('$ip', async ({ ip, attributes }) => {
    const sink = await parseIndicators(feodoCsvFormat, file);
    expect(sink.recordsOf(ip).map((record) => record.attributes)).toEqual([attributes]);
  });
});

describe('feodo-csv on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('one address on two ports', async () => {
    const text = `${BANNER}${HEADER}\n${row('198.51.99.7', '443')}\n${row('198.51.99.7', '8080')}\n# END 2 entries`;
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', text));
    expect(sink.countByType()).toEqual({ ipv4: 2 });
    // The store keeps the first record of a key, so a match reports port 443.
    expect(sink.distinctByType()).toEqual({ ipv4: 1 });
    expect(sink.recordsOf('198.51.99.7').map((record) => record.attributes?.['port'])).toEqual([443, 8080]);
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    {
      name: 'footer count too high',
      footer: '# END 3 entries',
      bad: { line: 7, reason: 'record-count-mismatch', content: '# END 3 entries', message: 'the footer says 3 entries, but 2 rows were read' },
    },
    {
      name: 'footer count too low',
      footer: '# END 1 entries\n',
      bad: { line: 7, reason: 'record-count-mismatch', content: '# END 1 entries', message: 'the footer says 1 entries, but 2 rows were read' },
    },
    {
      name: 'no footer',
      footer: '',
      bad: {
        line: 7,
        reason: 'missing-footer',
        content: '',
        message: 'the file ends after 2 rows without the "# END N entries" line; the download may be truncated',
      },
    },
  ])('$name', async ({ footer, bad }) => {
    const text = `${BANNER}${HEADER}\n${row('198.51.99.7', '443')}\n${row('198.51.99.8', '443')}\n${footer}`;
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', text));
    expect(sink.records).toBe(2);
    expect(sink.badSamples).toEqual([bad]);
  });

  test('bad rows count toward the footer', async () => {
    const text = `${HEADER}\n${row('198.51.99.256', '443')}\n"2024-02-08 19:20:49","198.51.99.9"\n${row('198.51.99.7', '443')}\n# END 3 entries\n`;
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', text));
    expect(sink.records).toBe(1);
    expect(sink.badSamples).toEqual([
      { line: 2, reason: 'octet-out-of-range', content: row('198.51.99.256', '443'), message: '"198.51.99.256": IPv4 octet 256 is out of range (0..255)' },
      { line: 3, reason: 'csv-field-count', content: '"2024-02-08 19:20:49","198.51.99.9"' },
    ]);
  });

  test('values not in the expected form are left out', async () => {
    const text = `${HEADER}\n"23/05/2023","198.51.99.7","70000","","yesterday",""\n# END 1 entries\n`;
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', text));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([['198.51.99.7', undefined]]);
    expect(sink.badTotal).toBe(0);
  });

  test('header and footer only', async () => {
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', `${BANNER}${HEADER}\n# END 0 entries`));
    expect(sink.records).toBe(0);
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    { name: 'CRLF', bytes: Buffer.from(`${BANNER}${HEADER}\n${row('198.51.99.7', '443')}\n# END 1 entries`.replaceAll('\n', '\r\n')) },
    { name: 'CRLF with final newline', bytes: Buffer.from(`${BANNER}${HEADER}\n${row('198.51.99.7', '443')}\n# END 1 entries\n`.replaceAll('\n', '\r\n')) },
    { name: 'BOM', bytes: utf8WithBom(`${BANNER}${HEADER}\n${row('198.51.99.7', '443')}\n# END 1 entries`) },
    { name: 'UTF-16 with BOM', bytes: utf16le(`${BANNER}${HEADER}\r\n${row('198.51.99.7', '443')}\r\n# END 1 entries\r\n`, true) },
  ])('$name', async ({ bytes }) => {
    const sink = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', bytes));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['port']])).toEqual([['198.51.99.7', 443]]);
    expect(sink.badTotal).toBe(0);
  });

  test.each([1, 2, 3, 7, 64])('read in chunks of %i bytes', async (size) => {
    // The banner's lines end in LF and the rest in CRLF. Chunk boundaries fall inside comments,
    // between CR and LF, and at line starts. The footer on line 9 is off by one, to check its line number.
    const text = Buffer.from(`${BANNER}${HEADER}\r\n${row('198.51.99.7', '443')}\r\n# x\r\n#\r\n${row('198.51.99.8', '80')}\r\n# END 3 entries`);
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += size) chunks.push(text.subarray(at, at + size));
    const sink = new IndicatorSink();
    const source = { path: 'chunks.csv', openText: () => Readable.from(chunks) };
    await feodoCsvFormat.parse({ feedId: FEED_ID, source, options: {}, sink });
    expect(sink.stored.map((record) => [record.text, record.attributes?.['port']])).toEqual([
      ['198.51.99.7', 443],
      ['198.51.99.8', 80],
    ]);
    expect(sink.badSamples).toEqual([
      { line: 9, reason: 'record-count-mismatch', content: '# END 3 entries', message: 'the footer says 3 entries, but 2 rows were read' },
    ]);
  });

  test.each([
    { name: 'no dst_ip column', text: '"first_seen_utc","ip"\n"2024-02-08 19:20:49","198.51.99.7"\n', detail: 'column "dst_ip" not found in the header' },
    { name: 'commented header', text: `# ${HEADER}\n${row('198.51.99.7', '443')}\n`, detail: 'column "dst_ip" not found in the header' },
    { name: 'banner only', text: BANNER, detail: 'is empty; expected a CSV header row' },
  ])('$name', async ({ text, detail }) => {
    const error = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', text)).catch((caught: unknown) => caught);
    expect(isVerdictError(error)).toBe(true);
    expect((error as Error).message).toContain(detail);
  });

  test('UTF-16 without BOM', async () => {
    const error = await parseIndicators(feodoCsvFormat, temp.file('feodo.csv', utf16le(`${HEADER}\n${row('198.51.99.7', '443')}\n`, false))).catch(
      (caught: unknown) => caught,
    );
    expect(isVerdictError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('VERDICT_ERR_FEED_ENCODING');
  });
});
