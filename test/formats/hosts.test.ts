import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { hostsFormat } from '../../src/feeds/formats/hosts.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// Expected numbers come from the shell, run in the corpus folder on domains/blocklistproject_ransomware_hosts.txt.
describe('hosts on blocklistproject ransomware', () => {
  const file = corpusFile('domains/blocklistproject_ransomware_hosts.txt');

  test('one domain entry per name', async () => {
    const sink = await parseIndicators(hostsFormat, file);
    // awk '/^0\.0\.0\.0 /{print $2}' | wc -l -> 1904; every such line has two fields (awk '!/^#/ && NF {print NF}' | sort -u -> 2)
    expect(sink.countByType()).toEqual({ domain: 1904 });
    // awk '/^0\.0\.0\.0 /{print tolower($2)}' | sort -u | wc -l -> 1904
    expect(sink.distinctByType()).toEqual({ domain: 1904 });
    // no name is malformed (grep -vE '^[a-z0-9.-]+$' on the names: none) or equals an ICANN rule of
    // /usr/share/publicsuffix/public_suffix_list.dat (checked with python3: none)
    expect(sink.badTotal).toBe(0);
    // no localhost, broadcasthost or other boilerplate names in the file
    expect(sink.filteredTotal).toBe(0);
  });

  test('sink address is not an indicator', async () => {
    const sink = await parseIndicators(hostsFormat, file);
    expect(sink.recordsOf('0.0.0.0')).toEqual([]);
    expect(sink.stored.every((record) => record.type === 'domain')).toBe(true);
  });

  test('first entry, default mode from the policy', async () => {
    const sink = await parseIndicators(hostsFormat, file, {}, { domainMatch: 'exact' });
    // line 14: 0.0.0.0 25z5g623wpqpdwis.onion.to
    expect(sink.stored[0]).toMatchObject({ type: 'domain', text: '25z5g623wpqpdwis.onion.to', mode: 'exact', attributes: undefined });
    expect(sink.stored.every((record) => record.mode === 'exact')).toBe(true);
  });
});

describe('hosts on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  const BOILERPLATE = [
    '127.0.0.1 localhost',
    '127.0.0.1 localhost.localdomain',
    '127.0.0.1 local',
    '255.255.255.255 broadcasthost',
    '::1 localhost ip6-localhost ip6-loopback',
    'fe80::1%lo0 localhost',
    'ff00::0 ip6-localnet',
    '0.0.0.0 0.0.0.0',
  ];

  test('boilerplate names are filtered', async () => {
    const text = [...BOILERPLATE, '0.0.0.0 evil.example.com', ''].join('\n');
    const sink = await parseIndicators(hostsFormat, temp.file('hosts', text));
    // 1 + 1 + 1 + 1 + 3 + 1 + 1 + 1 names in BOILERPLATE
    expect(sink.filteredByReason).toEqual({ 'hosts-boilerplate': 10 });
    expect(sink.stored.map((record) => record.text)).toEqual(['evil.example.com']);
    expect(sink.badTotal).toBe(0);
  });

  test('several names, case and inline comment', async () => {
    const text = ['# header', '127.0.0.1\ta.example.net   B.Example.NET', '0.0.0.0 Evil.Example.COM  # phishing kit', '  # indented comment', ''].join('\n');
    const sink = await parseIndicators(hostsFormat, temp.file('hosts', text));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['a.example.net', undefined],
      ['b.example.net', undefined],
      ['evil.example.com', { description: 'phishing kit' }],
    ]);
  });

  test('bad lines name the problem', async () => {
    const text = [
      'evil.example.org',
      '0.0.0.0',
      '0.0.0.0 com good.example.org',
      '0.0.0.0 -bad-.example.org',
      '0.0.0.0 1.2.3.4',
      '999.0.0.1 x.example.org',
    ].join('\n');
    const sink = await parseIndicators(hostsFormat, temp.file('hosts', text));
    expect(sink.stored.map((record) => record.text)).toEqual(['good.example.org']);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason])).toEqual([
      [1, 'hosts-missing-address'],
      [2, 'hosts-missing-name'],
      [3, 'public-suffix'],
      [4, 'label-hyphen'],
      [5, 'ip-address'],
      [6, 'hosts-missing-address'],
    ]);
    // The rest of the message is the IP parser's.
    expect(sink.badSamples[0]?.message).toMatch(/^expected an IP address before the names: "evil\.example\.org" is not an IP address/);
    expect(sink.badSamples[1]?.message).toBe('the address 0.0.0.0 has no name after it; expected ADDRESS NAME [NAME...]');
  });

  test.each([
    { name: 'CRLF', content: '# c\r\n0.0.0.0 a.example.com\r\n0.0.0.0 b.example.com # note\r\n' },
    { name: 'BOM', content: utf8WithBom('0.0.0.0 a.example.com\n0.0.0.0 b.example.com # note') },
  ])('$name', async ({ content }) => {
    const sink = await parseIndicators(hostsFormat, temp.file('hosts', content));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['a.example.com', undefined],
      ['b.example.com', { description: 'note' }],
    ]);
    expect(sink.badTotal).toBe(0);
  });

  test('empty file', async () => {
    const sink = await parseIndicators(hostsFormat, temp.file('hosts', ''));
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });
});
