import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { mispWarninglistFormat } from '../../src/feeds/formats/misp-warninglist.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// Expected numbers come from Python, run in the corpus folder:
//   d = json.load(open('allow/misp-warninglist_<name>.json')); nets = [ipaddress.ip_network(x, strict=False) for x in d['list']]
describe('misp-warninglist on the corpus', () => {
  test('rfc1918 without reserved space', async () => {
    const sink = await parseIndicators(mispWarninglistFormat, corpusFile('allow/misp-warninglist_rfc1918.json'));
    expect(sink.stored).toEqual([]);
    // len(d['list']) -> 3, all private (n.is_private)
    expect(sink.filteredByReason).toEqual({ reserved: 3 });
    expect(sink.badTotal).toBe(0);
  });

  test('rfc1918 with reserved space', async () => {
    const sink = await parseIndicators(mispWarninglistFormat, corpusFile('allow/misp-warninglist_rfc1918.json'), {}, { reserved: true });
    // d['list'] and d['name']
    expect(sink.stored.map((record) => [record.type, record.text, record.attributes])).toEqual([
      ['ipv4', '10.0.0.0/8', { warninglist: 'List of RFC 1918 CIDR blocks' }],
      ['ipv4', '172.16.0.0/12', { warninglist: 'List of RFC 1918 CIDR blocks' }],
      ['ipv4', '192.168.0.0/16', { warninglist: 'List of RFC 1918 CIDR blocks' }],
    ]);
    expect(sink.filteredTotal).toBe(0);
  });

  test('microsoft-azure ranges', async () => {
    const sink = await parseIndicators(mispWarninglistFormat, corpusFile('allow/misp-warninglist_microsoft-azure.json'));
    // Counter(n.version for n in nets) -> 4: 1672, 6: 1011
    expect(sink.countByType()).toEqual({ ipv4: 1672, ipv6: 1011 });
    // len(set(nets)) -> 2683; no entry has host bits set
    expect(sink.distinctByType()).toEqual({ ipv4: 1672, ipv6: 1011 });
    // sum(1 for n in nets if n.is_private or n.is_reserved or n.is_multicast or n.is_link_local or n.is_loopback) -> 0
    expect(sink.filteredTotal).toBe(0);
    // the widest is a /12 (min(n.prefixlen) for IPv4 12, for IPv6 over 16)
    expect(sink.badTotal).toBe(0);
    expect(sink.hostBitsCleared).toBe(0);
    expect(sink.stored[0]).toMatchObject({ text: '102.133.0.0/18', attributes: { warninglist: 'List of known Microsoft Azure Datacenter IP Ranges' } });
  });

  test('microsoft-azure under a /16 limit', async () => {
    const sink = await parseIndicators(mispWarninglistFormat, corpusFile('allow/misp-warninglist_microsoft-azure.json'), {}, {
      minPrefixLength: { ipv4: 16 },
    });
    // sum(1 for n in nets if n.version == 4 and n.prefixlen < 16) -> 57 + 29 + 13 + 9 (/15, /14, /13, /12)
    expect(sink.badByReason).toEqual({ 'range-too-wide': 108 });
    // 1672 - 108
    expect(sink.countByType()).toEqual({ ipv4: 1564, ipv6: 1011 });
    // bad-line numbers are positions in the list: the first IPv4 value wider than /16 is d['list'][37], position 38
    expect(sink.badSamples[0]).toEqual({
      line: 38,
      reason: 'range-too-wide',
      content: '104.214.0.0/15',
      message: "104.214.0.0/15 is a /15, wider than the feed's limit of /16; lower minPrefixLength.ipv4 to 15 to keep it",
    });
  });

  test('tranco10k hostnames', async () => {
    const sink = await parseIndicators(mispWarninglistFormat, corpusFile('allow/misp-warninglist_tranco10k.json'), {}, { domainMatch: 'exact' });
    // len(d['list']) -> 10000, len({x.lower().rstrip('.') for x in d['list']}) -> 10000
    expect(sink.countByType()).toEqual({ domain: 10000 });
    expect(sink.distinctByType()).toEqual({ domain: 10000 });
    // no value equals an ICANN rule of /usr/share/publicsuffix/public_suffix_list.dat (checked with python3: none)
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
    expect(sink.stored[0]).toMatchObject({ text: '037hdmovie.com', mode: 'exact', attributes: { warninglist: 'Top 10K most-used sites from Tranco' } });
  });
});

function warninglist(type: unknown, list: unknown, name = 'test list'): string {
  return JSON.stringify({ description: 'generated', list, matching_attributes: ['ip-dst'], name, type, version: 1 }, null, 2);
}

describe('misp-warninglist on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';

  test('string values by their shape', async () => {
    const list = [
      MD5_ABC,
      '1.2.3.4',
      '5.6.0.0/16',
      '2a00:1450::/32',
      'https://cdn.example.com/lib.js',
      'static.example.com/assets/',
      'Example.COM',
      'Mozilla/5.0 (Windows NT 10.0)',
      'user@example.com',
      'localhost',
      'http://',
    ];
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', warninglist('string', list)));
    expect(sink.stored.map((record) => [record.type, record.text])).toEqual([
      ['md5', MD5_ABC],
      ['ipv4', '1.2.3.4'],
      ['ipv4', '5.6.0.0/16'],
      ['ipv6', '2a00:1450::/32'],
      ['url', 'cdn.example.com/lib.js'],
      ['url', 'static.example.com/assets/'],
      ['domain', 'example.com'],
    ]);
    // a user agent, an e-mail address and a single label
    expect(sink.filteredByReason).toEqual({ 'unsupported-string': 3 });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([[11, 'empty-host', 'http://']]);
  });

  test.each(['substring', 'regex'])('%s lists are unsupported', async (type) => {
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', warninglist(type, ['.example.com', '^a.*b$'])));
    expect(sink.stored).toEqual([]);
    expect(sink.filteredByReason).toEqual({ 'unsupported-type': 2 });
  });

  test('hostname list with an address and bad names', async () => {
    const list = ['.example.org', '*.example.net', 'Bücher.example', '1.2.3.4', 'com', 'bad_tld.exa_mple', 42];
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', warninglist('hostname', list)));
    expect(sink.stored.map((record) => [record.type, record.text, record.mode])).toEqual([
      ['domain', 'example.org', 'both'],
      ['domain', 'example.net', 'subdomains'],
      ['domain', 'xn--bcher-kva.example', 'both'],
      ['ipv4', '1.2.3.4', undefined],
    ]);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [5, 'public-suffix', 'com'],
      [6, 'invalid-tld', 'bad_tld.exa_mple'],
      [7, 'entry-not-string', '42'],
    ]);
    expect(sink.badSamples[2]?.message).toBe('list value 7 is 42, not a string');
  });

  test('type before list, nested list keys ignored', async () => {
    const content = JSON.stringify({ type: 'cidr', name: 'first', meta: { list: ['9.9.9.9'] }, list: ['8.8.8.0/24'] });
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', content));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([['8.8.8.0/24', { warninglist: 'first' }]]);
  });

  test('without a name there are no attributes', async () => {
    const content = JSON.stringify({ type: 'cidr', list: ['8.8.8.0/24'] });
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', content));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([['8.8.8.0/24', undefined]]);
  });

  test.each([
    { name: 'BOM', content: utf8WithBom(warninglist('cidr', ['8.8.8.0/24'])) },
    { name: 'CRLF', content: warninglist('cidr', ['8.8.8.0/24']).replaceAll('\n', '\r\n') },
    { name: 'empty list', content: warninglist('cidr', []) },
  ])('$name', async ({ name, content }) => {
    const sink = await parseIndicators(mispWarninglistFormat, temp.file('list.json', content));
    expect(sink.stored.map((record) => record.text)).toEqual(name === 'empty list' ? [] : ['8.8.8.0/24']);
    expect(sink.badTotal).toBe(0);
  });

  test.each([
    { name: 'no type', content: JSON.stringify({ name: 'x', list: [] }), detail: 'has no "type" field; a MISP warning list names its type (cidr, hostname, string, substring, regex)' },
    { name: 'unknown type', content: warninglist('asn', []), detail: 'has the type "asn", which is not one of cidr, hostname, string, substring, regex' },
    { name: 'no list', content: JSON.stringify({ name: 'x', type: 'cidr' }), detail: 'has no "list" field with the warning list\'s values' },
  ])('$name fails the parse', async ({ content, detail }) => {
    const path = temp.file('list.json', content);
    await expect(parseIndicators(mispWarninglistFormat, path)).rejects.toThrow(`Feed test-feed: ${path} ${detail}`);
  });

  test.each([
    { name: 'array document', content: '["8.8.8.8"]' },
    { name: 'list not an array', content: JSON.stringify({ type: 'cidr', list: { a: '8.8.8.8' } }) },
    { name: 'truncated', content: warninglist('cidr', ['8.8.8.0/24', '9.9.9.0/24']).slice(0, 60) },
    { name: 'empty file', content: '' },
  ])('$name fails the parse', async ({ content }) => {
    const path = temp.file('list.json', content);
    await expect(parseIndicators(mispWarninglistFormat, path)).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
  });
});
