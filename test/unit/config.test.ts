import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config.js';

const SOURCE = '/etc/verdict/verdict.json';
const FEED = { id: 'eset', list: 'deny', format: 'hash-list', path: 'feeds/eset.txt' };

function problemOf(raw: unknown): string {
  try {
    parseConfig(raw, SOURCE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration validation', () => {
  test.each([
    { name: 'missing feeds', raw: { dataDir: 'store' }, detail: '(root): is missing required field "feeds"' },
    { name: 'unknown field', raw: { dataDir: 'store', feeds: [FEED], colour: 'red' }, detail: '(root): has unknown field "colour"' },
    {
      name: 'bad list',
      raw: { dataDir: 'store', feeds: [{ ...FEED, list: 'block' }] },
      detail: 'feeds[0].list: must be equal to one of the allowed values (allow, deny)',
    },
    {
      name: 'unknown format',
      raw: { dataDir: 'store', feeds: [{ ...FEED, format: 'yaml' }] },
      detail:
        'feeds[0].format: unknown format "yaml" (known: hash-list, checksums, csv, nsrl-rds2, nsrl-rds3, winbindex, indicator-list, spamhaus-drop, ipsum, feodo-csv, hosts, adblock, maltrail, urlhaus-csv, phishtank, misp-warninglist, ctip, url-json)',
    },
    {
      name: 'duplicate ids',
      raw: { dataDir: 'store', feeds: [FEED, FEED] },
      detail: 'feeds[1].id: duplicate feed id "eset"',
    },
    {
      name: 'bad format option',
      raw: { dataDir: 'store', feeds: [{ ...FEED, options: { descriptionAttribute: 7 } }] },
      detail: 'feeds[0].options.descriptionAttribute: must be string',
    },
    {
      name: 'constituency CIDRs',
      raw: { dataDir: 'store', feeds: [{ ...FEED, constituency: { cidrs: ['1.2.3.4/8', 'banana'] } }] },
      detail:
        'feeds[0].constituency: CIDR "1.2.3.4/8" has host bits set; write its network, 1.0.0.0/8; CIDR "banana" is invalid: "banana" is not an IP address; expected a decimal dotted-quad IPv4 address (like 192.0.2.1) or an IPv6 address',
    },
  ])('$name rejected', ({ raw, detail }) => {
    expect(problemOf(raw)).toBe(`Configuration ${SOURCE} is invalid: ${detail}`);
  });

  test('defaults applied and frozen', () => {
    const config = parseConfig({ dataDir: 'store', feeds: [FEED] }, SOURCE);
    const feed = config.feeds[0]!;
    expect(config.dataDir).toBe('/etc/verdict/store');
    expect(feed.path).toBe('/etc/verdict/feeds/eset.txt');
    expect(feed.shards).toBe(4);
    expect(feed.refresh.intervalSeconds).toBe(6 * 3600);
    expect(feed.guards).toEqual({ allowEmpty: false, maxShrinkPercent: 50, rejectOlder: true });
    expect(config.server.port).toBe(8080);
    expect(Object.isFrozen(feed)).toBe(true);
  });

  test('kind sets the refresh interval', () => {
    const config = parseConfig({ dataDir: 'store', feeds: [{ ...FEED, kind: 'botnet' }] }, SOURCE);
    expect(config.feeds[0]!.refresh.intervalSeconds).toBe(3600);
  });
});
