import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { maltrailFormat } from '../../src/feeds/formats/maltrail.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators, type IndicatorSink } from './indicator-sink.js';

const ALIASES = ['Emotet', 'Heodo', 'Geodo'];

// Expected numbers come from Python, run in the corpus folder:
//   ent = [l.strip() for l in open('domains/maltrail_malware_emotet.txt') if l.strip() and not l.startswith('#')]
//   kind(e): 'path' if e starts with '/', 'url' if re.match(r'^[A-Za-z][A-Za-z0-9+.-]*://', e), 'hostpath' if '/' in e,
//            'ip' if re.fullmatch(r'\d+\.\d+\.\d+\.\d+(:\d+)?', e), else 'domain'
//   -> Counter: hostpath 4943, path 4737, ip 4704 (all with a port), url 418, domain 232; len(ent) 15034
//   def expr(u):  # the Safe Browsing entry expression, as far as these URLs need it
//       host, _, path = re.sub(r'^[a-z]+://', '', u, flags=re.I).partition('/')
//       b = ('/' + path).encode()
//       while (n := urllib.parse.unquote_to_bytes(b)) != b: b = n
//       b = re.sub(rb'/+', b'/', b)
//       return host.split(':')[0].lower() + ''.join('%%%02X' % c if c <= 32 or c >= 127 or c in b'#%' else chr(c) for c in b)
// The file repeats 1,740 distinct lines (grep -vE '^#|^$' | sort | uniq -d | wc -l), so keys are fewer than records.
describe('maltrail on the emotet trail', () => {
  const file = corpusFile('domains/maltrail_malware_emotet.txt');
  let sink: IndicatorSink;
  beforeAll(async () => {
    sink = await parseIndicators(maltrailFormat, file);
  });

  test('records per type', async () => {
    // ip 4704, domain 232, url 418 + hostpath 4943
    expect(sink.countByType()).toEqual({ ipv4: 4704, domain: 232, url: 5361 });
    expect(sink.badTotal).toBe(0);
    // path 4737
    expect(sink.filteredByReason).toEqual({ 'unsupported-path-only': 4737 });
  });

  test('distinct keys', async () => {
    // ipv4: len({e.split(':')[0] for ip entries}); domain: len({e.lower() for domain entries}) (top-grandwinners.life twice);
    // url: len({expr(e)}) over the url and hostpath entries
    expect(sink.distinctByType()).toEqual({ ipv4: 3027, domain: 231, url: 4773 });
  });

  test('port, reference and aliases', async () => {
    const reference = 'https://twitter.com/_lockhum/status/1221213324525867008';
    // lines 4, 6, 8 and 9
    expect(sink.recordsOf('66.210.228.178').map((record) => record.attributes)).toEqual([
      { aliases: ALIASES, reference, port: 443 },
      { aliases: ALIASES, reference, port: 80 },
    ]);
    // line 14, after the reference on line 11
    expect(sink.recordsOf('dvr.petcp.com')[0]?.attributes).toEqual({
      aliases: ALIASES,
      reference: 'https://twitter.com/_lockhum/status/1221245124707078144',
    });
    // line 17809 follows two reference lines (17806, 17807): the later one counts
    expect(sink.recordsOf('153.232.188.106/')[0]).toMatchObject({
      type: 'url',
      attributes: { aliases: ALIASES, reference: 'https://any.run/malware-trends/emotet/ (# 2025-10-18)' },
    });
    // the first reference (line 6) precedes the first entry (line 8), so every record has one
    expect(sink.stored.every((record) => typeof record.attributes?.['reference'] === 'string')).toBe(true);
  });

  test('urls keep the path case', async () => {
    // line 68: http://regionsnews.net/OEqhU8Lg5
    expect(sink.recordsOf('regionsnews.net/OEqhU8Lg5')).toHaveLength(1);
    // line 844: tamariaclinic.com/blog/po22/ (no scheme)
    expect(sink.recordsOf('tamariaclinic.com/blog/po22/')[0]?.attributes?.['reference']).toBe(
      'https://paste.cryptolaemus.com/emotet/2019/09/26/emotet-malware-IoCs_09-26-19.html',
    );
  });

  test('malwareFamily option', async () => {
    const sink = await parseIndicators(maltrailFormat, file, { malwareFamily: 'Emotet' });
    expect(sink.stored.every((record) => record.attributes?.['malwareFamily'] === 'Emotet')).toBe(true);
  });
});

describe('maltrail on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { trail: '1.2.3.4', type: 'ipv4', text: '1.2.3.4', attributes: undefined },
    { trail: '1.2.3.4:8080', type: 'ipv4', text: '1.2.3.4', attributes: { port: 8080 } },
    { trail: '5.6.7.0/24', type: 'ipv4', text: '5.6.7.0/24', attributes: undefined },
    { trail: '2a00:1450:4001::1', type: 'ipv6', text: '2a00:1450:4001::1', attributes: undefined },
    { trail: '[2a00:1450:4001::1]:443', type: 'ipv6', text: '2a00:1450:4001::1', attributes: { port: 443 } },
    { trail: 'Evil.Example.COM', type: 'domain', text: 'evil.example.com', attributes: undefined },
    { trail: 'evil.example.com:8443', type: 'domain', text: 'evil.example.com', attributes: { port: 8443 } },
    { trail: 'EVIL.example.com/Path/X', type: 'url', text: 'evil.example.com/Path/X', attributes: undefined },
    { trail: 'HTTPS://Evil.example.com:8443/a?b=c', type: 'url', text: 'evil.example.com/a?b=c', attributes: undefined },
    { trail: '1.2.3.4:8080/bin.sh', type: 'url', text: '1.2.3.4/bin.sh', attributes: undefined },
    { trail: 'evil.example.com # inline note', type: 'domain', text: 'evil.example.com', attributes: undefined },
  ])('$trail', async ({ trail, type, text, attributes }) => {
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', `${trail}\n`));
    expect(sink.stored.map((record) => [record.type, record.text, record.attributes])).toEqual([[type, text, attributes]]);
    expect(sink.badTotal).toBe(0);
  });

  test('bare paths are filtered', async () => {
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', '/wp-admin/x/\n/?user_auth=1\n'));
    expect(sink.stored).toEqual([]);
    expect(sink.filteredByReason).toEqual({ 'unsupported-path-only': 2 });
  });

  test('bad lines name the problem', async () => {
    const text = ['# Reference: r', 'evil.example.com:99999', '1.2.3.4:abc', '-bad-.example.com', 'http://', '1.2.3.999', 'ok.example.com'].join('\n');
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', text));
    expect(sink.stored.map((record) => record.text)).toEqual(['ok.example.com']);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason])).toEqual([
      [2, 'invalid-port'],
      [3, 'invalid-port'],
      [4, 'label-hyphen'],
      [5, 'empty-host'],
      [6, 'octet-out-of-range'],
    ]);
    expect(sink.badSamples[0]?.message).toBe('"evil.example.com:99999": port 99999 is out of range (0..65535)');
  });

  test('reference applies until the next one', async () => {
    const text = ['# Aliases: Alpha, Beta', '# Reference: first', 'a.example.com', '', '# note', 'b.example.com', '#Reference:second', 'c.example.com'].join('\n');
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', text));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['a.example.com', { aliases: ['Alpha', 'Beta'], reference: 'first' }],
      ['b.example.com', { aliases: ['Alpha', 'Beta'], reference: 'first' }],
      ['c.example.com', { aliases: ['Alpha', 'Beta'], reference: 'second' }],
    ]);
  });

  test.each([
    { name: 'CRLF', content: '# Reference: r\r\n1.2.3.4:80\r\nevil.example.com/a/\r\n' },
    { name: 'BOM', content: utf8WithBom('# Reference: r\n1.2.3.4:80\nevil.example.com/a/') },
  ])('$name', async ({ content }) => {
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', content));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['1.2.3.4', { reference: 'r', port: 80 }],
      ['evil.example.com/a/', { reference: 'r' }],
    ]);
  });

  test('empty file', async () => {
    const sink = await parseIndicators(maltrailFormat, temp.file('trail.txt', ''));
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });
});
