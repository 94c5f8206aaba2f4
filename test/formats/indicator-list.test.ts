import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { guessIndicatorType, indicatorListFormat } from '../../src/feeds/formats/indicator-list.js';
import { corpusFile, makeTempDir, utf16le, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

// The special ranges of src/indicators/ip.ts (IANA special-purpose registries), used by the
// Python checks below to count what the default policy filters as reserved:
//   SPECIAL = [ipaddress.ip_network(n) for n in '0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8
//     169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.0.2.0/24 192.31.196.0/24 192.52.193.0/24
//     192.88.99.0/24 192.168.0.0/16 192.175.48.0/24 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24
//     224.0.0.0/4 240.0.0.0/4 255.255.255.255/32'.split()]
//   nets = [ipaddress.ip_network(l.strip()) for l in open(F) if l.strip() and not l.startswith('#')]
//   wide = [n for n in nets if n.prefixlen < 8]
//   reserved = [n for n in nets if n.prefixlen >= 8 and any(n.subnet_of(s) or s.subnet_of(n) for s in SPECIAL)]
describe('indicator-list on FireHOL firehol_level1.netset', () => {
  const file = corpusFile('ips/firehol_firehol_level1.netset');

  test.each([{ type: 'auto' }, { type: 'ip' }])('type $type, default policy', async ({ type }) => {
    const sink = await parseIndicators(indicatorListFormat, file, { type });
    // grep -vc '^#' ips/firehol_firehol_level1.netset -> 2744 entries, all IPv4, no inline comments;
    // 2744 - 12 reserved - 1 too wide = 2731
    expect(sink.countByType()).toEqual({ ipv4: 2731 });
    // len(set(nets)) -> 2744 (strict ip_network accepts every entry, so none has host bits set)
    expect(sink.distinctByType()).toEqual({ ipv4: 2731 });
    // len(reserved) -> 12: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24,
    // 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24
    expect(sink.filteredByReason).toEqual({ reserved: 12 });
    // len(wide) -> 1: 224.0.0.0/3
    expect(sink.badByReason).toEqual({ 'range-too-wide': 1 });
    expect(sink.badSamples[0]?.line).toBe(2777); // grep -n '^224.0.0.0/3$' -> 2777
  });

  test('reserved space and /3 kept on request', async () => {
    const sink = await parseIndicators(indicatorListFormat, file, {}, { reserved: true, minPrefixLength: { ipv4: 3 } });
    // grep -vc '^#' ips/firehol_firehol_level1.netset
    expect(sink.countByType()).toEqual({ ipv4: 2744 });
    expect(sink.filteredTotal).toBe(0);
    expect(sink.badTotal).toBe(0);
    expect(sink.recordsOf('10.0.0.0/8')).toHaveLength(1);
    expect(sink.recordsOf('224.0.0.0/3')).toHaveLength(1);
  });
});

describe('indicator-list on FireHOL feodo.ipset', () => {
  // grep -vc '^#' ips/firehol_feodo.ipset -> 0: a header and no entries, a valid empty feed
  test.each([{ type: 'auto' }, { type: 'ip' }])('type $type', async ({ type }) => {
    const sink = await parseIndicators(indicatorListFormat, corpusFile('ips/firehol_feodo.ipset'), { type });
    expect(sink.records).toBe(0);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });
});

// Expressions counted with Python, outside the parser:
//   urls = [l.strip() for l in open('urls/openphish_feed_2026-07.txt') if l.strip()]
//   expr(u) = host.lower() + path (with "/" when empty) + query, after removing the scheme and "#..."
describe('indicator-list on OpenPhish feed.txt', () => {
  const file = corpusFile('urls/openphish_feed_2026-07.txt');

  test.each([{ type: 'url' }, { type: 'auto' }])('type $type', async ({ type }) => {
    const sink = await parseIndicators(indicatorListFormat, file, { type });
    // len(urls) -> 300 (grep -c '' -> 300, grep -c '^\s*$' -> 0, grep -cvE '^https?://' -> 0)
    expect(sink.countByType()).toEqual({ url: 300 });
    // len({expr(u) for u in urls}) -> 300
    expect(sink.distinctByType()).toEqual({ url: 300 });
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test.each([
    // line 6: a fragment without white space before it is part of the URL, then dropped by canonicalization
    { line: 6, expression: 'arsrv239c1d0e77d1.s3.us-east-1.amazonaws.com/index.html' },
    // line 96: "?gad_source&#61" keeps its dangling "&"
    { line: 96, expression: 'limpandoagora.shop/inicio/?gad_source&' },
    // line 1: "?ExportExtend&Expire="
    { line: 1, expression: 'china-wendingonline.com/?ExportExtend&Expire=' },
    // line 108: "?a&l"
    { line: 108, expression: 'facebooks.com.vn/kien-thuc-ngu-phap-thi-thpt-dgnl?a&l' },
  ])('line $line', async ({ expression }) => {
    const sink = await parseIndicators(indicatorListFormat, file, { type: 'url' });
    expect(sink.recordsOf(expression)).toHaveLength(1);
  });
});

describe('indicator-list on generated lists', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { name: 'empty file', text: '', records: {}, bad: {}, filtered: {} },
    { name: 'comments only', text: '# a\n; b\n! c\n   # d\n\n  \n', records: {}, bad: {}, filtered: {} },
    {
      name: 'one of each type',
      text: `198.51.99.7\n203.0.114.0/24\n2a00:1450::/32\nevil.example.com\n*.evil.example.net\nhttp://evil.example.org/a\nevil.example.org/b?c\n${MD5_ABC}\n${SHA256_ABC}\n`,
      records: { ipv4: 2, ipv6: 1, domain: 2, url: 2, md5: 1, sha256: 1 },
      bad: {},
      filtered: {},
    },
    {
      name: 'inline comments',
      text: '198.51.99.7 # seen 2026-01-01\nevil.example.com\t; phishing\nhttp://evil.example.org/a#frag\nhttp://evil.example.org/b #note\n',
      records: { ipv4: 1, domain: 1, url: 2 },
      bad: {},
      filtered: {},
    },
    {
      name: 'reserved addresses',
      text: '10.1.2.3\n192.168.0.0/16\n::1\n198.51.99.7\n',
      records: { ipv4: 1 },
      bad: {},
      filtered: { reserved: 3 },
    },
    {
      name: 'invalid entries',
      text: '1.2.3.256\n10.0.0.0/33\n010.1.1.1\n0.0.0.0/0\nevil.example.com extra\nbad!name.com\ncom\n',
      records: {},
      bad: {
        'octet-out-of-range': 1,
        'invalid-prefix': 1,
        'ambiguous-octal': 1,
        'range-too-wide': 1,
        'unexpected-text': 1,
        'invalid-character': 1,
        'public-suffix': 1,
      },
      filtered: {},
    },
  ])('$name', async ({ text, records, bad, filtered }) => {
    const sink = await parseIndicators(indicatorListFormat, temp.file('list.txt', text));
    expect(sink.countByType()).toEqual(records);
    expect(sink.badByReason).toEqual(bad);
    expect(sink.filteredByReason).toEqual(filtered);
  });

  test('URL with a raw space', async () => {
    const sink = await parseIndicators(indicatorListFormat, temp.file('list.txt', 'http://evil.example.org/a b.html\n'));
    expect(sink.stored.map((record) => record.text)).toEqual(['evil.example.org/a%20b.html']);
  });

  test.each([
    { type: 'ip', text: 'evil.example.com\n', reason: 'not-an-ip' },
    { type: 'domain', text: '198.51.99.7\n', reason: 'ip-address' },
    { type: 'url', text: 'mailto:a@evil.example.com\n', reason: 'invalid-url' },
    { type: 'hash', text: 'abc\n', reason: 'bad-hash-length' },
  ])('type $type rejects $text', async ({ type, text, reason }) => {
    const sink = await parseIndicators(indicatorListFormat, temp.file('list.txt', text), { type });
    expect(sink.records).toBe(0);
    expect(sink.badByReason).toEqual({ [reason]: 1 });
    expect(sink.badSamples[0]?.line).toBe(1);
    expect(sink.badSamples[0]?.message).toContain(text.trim());
  });

  test.each([
    { name: 'CRLF', bytes: Buffer.from('# h\r\n198.51.99.7\r\nevil.example.com\r\n') },
    { name: 'BOM', bytes: utf8WithBom('198.51.99.7\nevil.example.com') },
    { name: 'UTF-16 with BOM', bytes: utf16le('198.51.99.7\r\nevil.example.com\r\n', true) },
  ])('$name', async ({ bytes }) => {
    const sink = await parseIndicators(indicatorListFormat, temp.file('list.txt', bytes));
    expect(sink.stored.map((record) => record.text)).toEqual(['198.51.99.7', 'evil.example.com']);
    expect(sink.badTotal).toBe(0);
  });

  test('bad line numbers', async () => {
    const sink = await parseIndicators(indicatorListFormat, temp.file('list.txt', '# h\r\n\r\n1.2.3.256\r\n'));
    expect(sink.badSamples).toEqual([
      { line: 3, reason: 'octet-out-of-range', content: '1.2.3.256', message: '"1.2.3.256": IPv4 octet 256 is out of range (0..255)' },
    ]);
  });
});

describe('guessIndicatorType', () => {
  test.each([
    { entry: '198.51.99.7', type: 'ip' },
    { entry: '198.51.99.0/24', type: 'ip' },
    { entry: '1.2.3.256', type: 'ip' },
    { entry: '10.0.0.0/33', type: 'ip' },
    { entry: '2a00:1450::1', type: 'ip' },
    { entry: '::ffff:198.51.99.7', type: 'ip' },
    { entry: '198.51.99.7/login.php', type: 'url' },
    { entry: 'evil.example.com/a', type: 'url' },
    { entry: 'hxxp://evil.example.com', type: 'url' },
    { entry: MD5_ABC, type: 'hash' },
    { entry: 'deadbeef', type: 'domain' },
    { entry: 'evil.example.com', type: 'domain' },
    { entry: '.evil.example.com', type: 'domain' },
  ])('$entry', ({ entry, type }) => {
    expect(guessIndicatorType(entry)).toBe(type);
  });
});
