import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { adblockFormat } from '../../src/feeds/formats/adblock.js';
import { makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

// No adblock list is in the corpus: these files are written in the Adblock Plus / uBlock Origin syntax.
const LIST = [
  '[Adblock Plus 2.0]',
  '! Title: verdict test list',
  '! Expires: 1 day',
  '# a uBlock Origin comment',
  '',
  '||ads.example.com^',
  '||Tracker.Example.NET^$third-party',
  '||cdn.example.org^$script, domain=news.example.com',
  '||*.wild.example.com^',
  '||plain.example.com',
  '||end.example.com^|',
  '||1.2.3.4^',
  '@@||allowed.example.com^',
  '@@||allowed.example.com^$document',
  '||cancelled.example.com^$badfilter',
  'example.com##.ad-banner',
  'example.com#@#.ad',
  '##.sponsored',
  'example.com#?#div:has(> .ad)',
  'example.com$$script[data-ad]',
  '||example.com/ads/*',
  '||example.com^*/banner/',
  '/banner[0-9]+/',
  '|https://evil.example.com/path|',
  '&ad_type=',
  '||shop.example.com^$removeparam=utm_source',
  "||news.example.com^$~third-party,csp=script-src 'none'",
  '||com^',
  '||-bad-.example.com^',
];

describe('adblock on a generated list', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('host rules become entries', async () => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', LIST.join('\n')));
    expect(sink.stored.map((record) => [record.type, record.text, record.mode, record.attributes])).toEqual([
      ['domain', 'ads.example.com', 'both', undefined],
      ['domain', 'tracker.example.net', 'both', { options: ['third-party'] }],
      ['domain', 'cdn.example.org', 'both', { options: ['script', 'domain=news.example.com'] }],
      ['domain', 'wild.example.com', 'subdomains', undefined],
      ['domain', 'plain.example.com', 'both', undefined],
      ['domain', 'end.example.com', 'both', undefined],
      ['ipv4', '1.2.3.4', undefined, undefined],
    ]);
  });

  test('exceptions and unsupported rules are filtered', async () => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', LIST.join('\n')));
    // two @@ rules and the $badfilter rule
    expect(sink.filteredByReason['exception-rule']).toBe(3);
    // lines 16 to 27: five cosmetic rules, two path rules, a regular expression, an address rule, a
    // substring and two rules whose options rewrite requests instead of blocking them
    expect(sink.filteredByReason['unsupported-rule']).toBe(12);
    expect(sink.filteredTotal).toBe(15);
  });

  test('invalid hosts are bad lines', async () => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', LIST.join('\n')));
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [28, 'public-suffix', '||com^'],
      [29, 'label-hyphen', '||-bad-.example.com^'],
    ]);
  });

  test('rule mode overrides the policy default', async () => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', '||ads.example.com^\n'), {}, { domainMatch: 'exact' });
    expect(sink.stored.map((record) => record.mode)).toEqual(['both']);
  });

  test('reserved addresses follow the policy', async () => {
    const path = temp.file('list.txt', '||192.168.1.1^\n||10.0.0.1^$important\n');
    const dropped = await parseIndicators(adblockFormat, path);
    expect(dropped.filteredByReason).toEqual({ reserved: 2 });
    const kept = await parseIndicators(adblockFormat, path, {}, { reserved: true });
    expect(kept.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['192.168.1.1', undefined],
      ['10.0.0.1', { options: ['important'] }],
    ]);
  });

  test.each([
    { name: 'CRLF', content: '[Adblock Plus 2.0]\r\n! c\r\n||a.example.com^\r\n||b.example.com^$third-party\r\n' },
    { name: 'BOM', content: utf8WithBom('[Adblock Plus 2.0]\n! c\n||a.example.com^\n||b.example.com^$third-party') },
  ])('$name', async ({ content }) => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', content));
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([
      ['a.example.com', undefined],
      ['b.example.com', { options: ['third-party'] }],
    ]);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test('empty file', async () => {
    const sink = await parseIndicators(adblockFormat, temp.file('list.txt', ''));
    expect(sink.stored).toEqual([]);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });
});
