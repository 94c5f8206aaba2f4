import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import {
  formatNetwork,
  maskInto,
  networkContains,
  parseIpAddress,
  parseIpOrCidr,
  parseIpv4Into,
  reservedRangeOf,
  splitHostPort,
  type IpNetwork,
  type IpParseReason,
} from '../../src/indicators/ip.js';

interface ValidCase {
  readonly input: string;
  /** formatNetwork of the result: the canonical network. */
  readonly expected: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly hostBitsSet: boolean;
  readonly mapped: boolean;
}

interface InvalidCase {
  readonly input: string;
  readonly reason: IpParseReason;
  readonly message: string;
}

function valid(input: string, expected: string, family: 4 | 6, prefix: number, hostBitsSet = false, mapped = false): ValidCase {
  return { input, expected, family, prefix, hostBitsSet, mapped };
}

/** Parses a test literal that must be valid. */
function network(text: string): IpNetwork {
  const parsed = parseIpOrCidr(text);
  if (!parsed.ok) throw new Error(`test literal ${text} is invalid: ${parsed.message}`);
  return parsed.network;
}

/** Computes the bytes of a canonical address with ipaddr.js, so that they do not depend on the module under test. */
function referenceBytes(formatted: string): number[] {
  const address = formatted.split('/')[0]!;
  return ipaddr.parse(address).toByteArray();
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function fromBigInt(value: bigint, length: number): number[] {
  const bytes: number[] = [];
  for (let i = length - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return bytes;
}

/** Reference mask: the top `prefix` bits of a `bits`-bit integer. */
function maskBigInt(value: bigint, prefix: number, bits: number): bigint {
  const hostBits = BigInt(bits - prefix);
  return (value >> hostBits) << hostBits;
}

const ipv4Cases: ValidCase[] = [
  valid('0.0.0.0', '0.0.0.0', 4, 32),
  valid('255.255.255.255', '255.255.255.255', 4, 32),
  valid('192.0.2.1', '192.0.2.1', 4, 32),
  valid('8.8.8.8', '8.8.8.8', 4, 32),
  valid('1.2.3.4', '1.2.3.4', 4, 32),
  valid('100.64.0.1', '100.64.0.1', 4, 32),
  valid('10.0.0.0/8', '10.0.0.0/8', 4, 8),
  valid('192.0.2.1/32', '192.0.2.1', 4, 32),
  valid('192.0.2.0/24', '192.0.2.0/24', 4, 24),
  valid('0.0.0.0/0', '0.0.0.0/0', 4, 0),
  valid('128.0.0.0/1', '128.0.0.0/1', 4, 1),
  valid('1.2.3.4/31', '1.2.3.4/31', 4, 31),
  valid('10.0.0.0/008', '10.0.0.0/8', 4, 8),
  valid('10.0.0.0/00', '0.0.0.0/0', 4, 0, true),
];

const ipv4HostBitCases: ValidCase[] = [
  valid('10.1.2.3/8', '10.0.0.0/8', 4, 8, true),
  valid('192.0.2.1/24', '192.0.2.0/24', 4, 24, true),
  valid('255.255.255.255/0', '0.0.0.0/0', 4, 0, true),
  valid('1.2.3.4/0', '0.0.0.0/0', 4, 0, true),
  valid('255.0.0.0/1', '128.0.0.0/1', 4, 1, true),
  valid('192.0.2.255/31', '192.0.2.254/31', 4, 31, true),
  valid('172.16.5.4/12', '172.16.0.0/12', 4, 12, true),
  valid('172.31.255.255/12', '172.16.0.0/12', 4, 12, true),
  valid('100.127.255.255/10', '100.64.0.0/10', 4, 10, true),
  valid('10.0.0.1/31', '10.0.0.0/31', 4, 31, true),
  valid('10.0.0.128/25', '10.0.0.128/25', 4, 25),
  valid('10.0.0.129/25', '10.0.0.128/25', 4, 25, true),
];

const ipv6Cases: ValidCase[] = [
  valid('::', '::', 6, 128),
  valid('::1', '::1', 6, 128),
  valid('::/0', '::/0', 6, 0),
  valid('2001:db8::1', '2001:db8::1', 6, 128),
  valid('2001:DB8::1', '2001:db8::1', 6, 128),
  valid('2001:Db8::aBcD', '2001:db8::abcd', 6, 128),
  valid('2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6, 128),
  valid('2001:db8:0:0:0:0:0:1', '2001:db8::1', 6, 128),
  valid('2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6, 128),
  valid('2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6, 128),
  valid('2001:0:0:1::1', '2001:0:0:1::1', 6, 128),
  valid('1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 6, 128),
  valid('1::', '1::', 6, 128),
  valid('1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 6, 128),
  valid('::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8', 6, 128),
  valid('FE80::ABCD', 'fe80::abcd', 6, 128),
  valid('ff02::1', 'ff02::1', 6, 128),
  valid('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, 128),
  valid('2001:db8::/32', '2001:db8::/32', 6, 32),
  valid('2001:db8::1/128', '2001:db8::1', 6, 128),
  valid('fe80::/10', 'fe80::/10', 6, 10),
  valid('fc00::/7', 'fc00::/7', 6, 7),
  valid('2001:db8::/0128', '2001:db8::', 6, 128),
];

const ipv6MixedCases: ValidCase[] = [
  valid('64:ff9b::192.0.2.33', '64:ff9b::c000:221', 6, 128),
  valid('2001:db8:1:2:3:4:1.2.3.4', '2001:db8:1:2:3:4:102:304', 6, 128),
  valid('::1.2.3.4', '::102:304', 6, 128),
  valid('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, 128),
  valid('::ffff:0:0:0/96', '::ffff:0:0:0/96', 6, 96),
  valid('::ffff:192.0.2.1/95', '::fffe:0:0/95', 6, 95, true),
  valid('::ffff:0:0/95', '::fffe:0:0/95', 6, 95, true),
];

const mappedCases: ValidCase[] = [
  valid('::ffff:192.0.2.1', '192.0.2.1', 4, 32, false, true),
  valid('::FFFF:192.0.2.1', '192.0.2.1', 4, 32, false, true),
  valid('0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1', 4, 32, false, true),
  valid('0000:0000:0000:0000:0000:FFFF:192.0.2.1', '192.0.2.1', 4, 32, false, true),
  valid('::ffff:c000:201', '192.0.2.1', 4, 32, false, true),
  valid('::ffff:192.0.2.1/128', '192.0.2.1', 4, 32, false, true),
  valid('::ffff:192.0.2.0/120', '192.0.2.0/24', 4, 24, false, true),
  valid('::ffff:192.0.2.1/120', '192.0.2.0/24', 4, 24, true, true),
  valid('::ffff:10.0.0.0/104', '10.0.0.0/8', 4, 8, false, true),
  valid('::ffff:0:0/96', '0.0.0.0/0', 4, 0, false, true),
  valid('::ffff:255.255.255.255/96', '0.0.0.0/0', 4, 0, true, true),
];

const whiteSpaceCases: ValidCase[] = [
  valid('  192.0.2.1  ', '192.0.2.1', 4, 32),
  valid('\t192.0.2.1\r\n', '192.0.2.1', 4, 32),
  valid('\ufeff192.0.2.1', '192.0.2.1', 4, 32),
  valid(' 10.0.0.0/8 ', '10.0.0.0/8', 4, 8),
  valid('\n::1\n', '::1', 6, 128),
  valid(' ::ffff:192.0.2.1\r', '192.0.2.1', 4, 32, false, true),
];

const allValidCases = [...ipv4Cases, ...ipv4HostBitCases, ...ipv6Cases, ...ipv6MixedCases, ...mappedCases, ...whiteSpaceCases];

const IPV4_FORM = 'is not an IP address; expected a decimal dotted-quad IPv4 address (like 192.0.2.1) or an IPv6 address';
const IPV6_GROUPS = 'invalid IPv6 address; expected 8 groups of up to 4 hex digits separated by ":", or fewer with one "::"';
const BRACKETS = 'square brackets and a port are not part of an IPv6 address; pass the address alone, like 2001:db8::1';

const invalidCases: InvalidCase[] = [
  { input: '', reason: 'empty', message: 'IP address "" is empty' },
  { input: '   ', reason: 'empty', message: 'IP address "   " is empty' },
  { input: '\t\r\n', reason: 'empty', message: 'IP address "\\t\\r\\n" is empty' },
  { input: '/8', reason: 'empty', message: '"/8" has no address before the "/"' },
  {
    input: 'a'.repeat(100),
    reason: 'too-long',
    message: `"${'a'.repeat(64)}"... (100 characters) is too long: an IP address or CIDR range has at most 64 characters`,
  },

  { input: 'hello', reason: 'not-an-ip', message: `"hello" ${IPV4_FORM}` },
  { input: 'example.com', reason: 'not-an-ip', message: `"example.com" ${IPV4_FORM}` },
  { input: '0x7f.0.0.1', reason: 'not-an-ip', message: `"0x7f.0.0.1" ${IPV4_FORM}` },
  { input: '1.2.3.4a', reason: 'not-an-ip', message: `"1.2.3.4a" ${IPV4_FORM}` },
  { input: '1.2.3.-4', reason: 'not-an-ip', message: `"1.2.3.-4" ${IPV4_FORM}` },
  { input: '1.2.3.4 5', reason: 'not-an-ip', message: `"1.2.3.4 5" ${IPV4_FORM}` },
  { input: '192.0.2.1\u00a0', reason: 'not-an-ip', message: `"192.0.2.1\u00a0" ${IPV4_FORM}` },
  { input: '\u0661.\u0662.\u0663.\u0664', reason: 'not-an-ip', message: `"\u0661.\u0662.\u0663.\u0664" ${IPV4_FORM}` },
  { input: 'a:b', reason: 'not-an-ip', message: '"a:b" is not an IP address; an IPv6 address has at least two colons' },
  { input: '1.2.3.4:80', reason: 'unexpected-port', message: '"1.2.3.4:80" has a port after the address; remove the port' },
  { input: 'example.com:80', reason: 'unexpected-port', message: '"example.com:80" has a port after the address; remove the port' },

  {
    input: '010.1.1.1',
    reason: 'ambiguous-octal',
    message: '"010.1.1.1": IPv4 octet "010" has a leading zero, which some parsers read as octal; write it as 10 if decimal is meant',
  },
  {
    input: '1.2.3.00',
    reason: 'ambiguous-octal',
    message: '"1.2.3.00": IPv4 octet "00" has a leading zero, which some parsers read as octal; write it as 0 if decimal is meant',
  },
  {
    input: '0300.0.0.1',
    reason: 'ambiguous-octal',
    message: '"0300.0.0.1": IPv4 octet "0300" has a leading zero, which some parsers read as octal; write it as 300 if decimal is meant',
  },
  {
    input: '1.2.3.09/32',
    reason: 'ambiguous-octal',
    message: '"1.2.3.09/32": IPv4 octet "09" has a leading zero, which some parsers read as octal; write it as 9 if decimal is meant',
  },
  { input: '256.0.0.1', reason: 'octet-out-of-range', message: '"256.0.0.1": IPv4 octet 256 is out of range (0..255)' },
  { input: '1.2.3.999', reason: 'octet-out-of-range', message: '"1.2.3.999": IPv4 octet 999 is out of range (0..255)' },
  {
    input: '1.2.3.4294967296',
    reason: 'octet-out-of-range',
    message: '"1.2.3.4294967296": IPv4 octet 4294967296 is out of range (0..255)',
  },
  {
    input: '1.2.3',
    reason: 'ipv4-part-count',
    message: '"1.2.3": IPv4 address has 3 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  {
    input: '1.2.3.4.5',
    reason: 'ipv4-part-count',
    message: '"1.2.3.4.5": IPv4 address has 5 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  {
    input: '2130706433',
    reason: 'ipv4-part-count',
    message: '"2130706433": IPv4 address has 1 part, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  {
    input: '1.2.3.4.',
    reason: 'ipv4-part-count',
    message: '"1.2.3.4.": IPv4 address has 5 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  { input: '1..2.3', reason: 'empty-octet', message: '"1..2.3": IPv4 octet 2 is empty' },
  { input: '.1.2.3', reason: 'empty-octet', message: '".1.2.3": IPv4 octet 1 is empty' },
  { input: '1.2.3.', reason: 'empty-octet', message: '"1.2.3.": IPv4 octet 4 is empty' },

  { input: '1.2.3.4/33', reason: 'invalid-prefix', message: '"1.2.3.4/33": prefix /33 is out of range; the maximum for IPv4 is 32' },
  { input: '10.0.0.0/128', reason: 'invalid-prefix', message: '"10.0.0.0/128": prefix /128 is out of range; the maximum for IPv4 is 32' },
  {
    input: '1.2.3.4/-1',
    reason: 'invalid-prefix',
    message: '"1.2.3.4/-1": prefix "-1" is not a decimal number; IPv4 prefixes are 0..32',
  },
  { input: '1.2.3.4/', reason: 'invalid-prefix', message: '"1.2.3.4/": prefix after "/" is empty; IPv4 prefixes are 0..32' },
  {
    input: '1.2.3.4/8/8',
    reason: 'invalid-prefix',
    message: '"1.2.3.4/8/8": prefix "8/8" is not a decimal number; IPv4 prefixes are 0..32',
  },
  {
    input: '1.2.3.4/ 8',
    reason: 'invalid-prefix',
    message: '"1.2.3.4/ 8": prefix " 8" is not a decimal number; IPv4 prefixes are 0..32',
  },
  {
    input: '1.2.3.4/0x8',
    reason: 'invalid-prefix',
    message: '"1.2.3.4/0x8": prefix "0x8" is not a decimal number; IPv4 prefixes are 0..32',
  },
  {
    input: '1.2.3.4/99999999999999999999',
    reason: 'invalid-prefix',
    message: '"1.2.3.4/99999999999999999999": prefix /99999999999999999999 is out of range; the maximum for IPv4 is 32',
  },
  { input: '::/129', reason: 'invalid-prefix', message: '"::/129": prefix /129 is out of range; the maximum for IPv6 is 128' },
  {
    input: '::1/abc',
    reason: 'invalid-prefix',
    message: '"::1/abc": prefix "abc" is not a decimal number; IPv6 prefixes are 0..128',
  },
  {
    input: '::ffff:1.2.3.4/129',
    reason: 'invalid-prefix',
    message: '"::ffff:1.2.3.4/129": prefix /129 is out of range; the maximum for IPv6 is 128',
  },
  { input: '2001:db8::/', reason: 'invalid-prefix', message: '"2001:db8::/": prefix after "/" is empty; IPv6 prefixes are 0..128' },

  {
    input: '2001:db8::g',
    reason: 'invalid-ipv6',
    message: '"2001:db8::g": IPv6 address contains "g" (U+0067); only hex digits, ":" and a final dotted quad are allowed',
  },
  {
    input: 'hello:world:x',
    reason: 'invalid-ipv6',
    message: '"hello:world:x": IPv6 address contains "h" (U+0068); only hex digits, ":" and a final dotted quad are allowed',
  },
  {
    input: '2001:db8:: 1',
    reason: 'invalid-ipv6',
    message: '"2001:db8:: 1": IPv6 address contains " " (U+0020); only hex digits, ":" and a final dotted quad are allowed',
  },
  { input: '1::2::3', reason: 'invalid-ipv6', message: '"1::2::3": IPv6 address uses "::" more than once' },
  { input: ':::', reason: 'invalid-ipv6', message: '":::": IPv6 address contains ":::"' },
  { input: '1:::2', reason: 'invalid-ipv6', message: '"1:::2": IPv6 address contains ":::"' },
  { input: '12345::', reason: 'invalid-ipv6', message: '"12345::": IPv6 group "12345" has more than 4 hex digits' },
  { input: '::00001', reason: 'invalid-ipv6', message: '"::00001": IPv6 group "00001" has more than 4 hex digits' },
  { input: '1:2:3:4:5:6:7:8:9', reason: 'invalid-ipv6', message: `"1:2:3:4:5:6:7:8:9": ${IPV6_GROUPS}` },
  { input: '1:2:3', reason: 'invalid-ipv6', message: `"1:2:3": ${IPV6_GROUPS}` },
  { input: ':1:2:3:4:5:6:7', reason: 'invalid-ipv6', message: `":1:2:3:4:5:6:7": ${IPV6_GROUPS}` },
  { input: '1:2:3:4:5:6:7:', reason: 'invalid-ipv6', message: `"1:2:3:4:5:6:7:": ${IPV6_GROUPS}` },
  { input: '1::2:3:4:5:6:7:8', reason: 'invalid-ipv6', message: `"1::2:3:4:5:6:7:8": ${IPV6_GROUPS}` },
  { input: '1:2:3:4:5:6:7:1.2.3.4', reason: 'invalid-ipv6', message: `"1:2:3:4:5:6:7:1.2.3.4": ${IPV6_GROUPS}` },
  { input: '[::1]', reason: 'invalid-ipv6', message: `"[::1]": ${BRACKETS}` },
  { input: '[2001:db8::1]:443', reason: 'invalid-ipv6', message: `"[2001:db8::1]:443": ${BRACKETS}` },
  {
    input: '1.2.3.4::',
    reason: 'invalid-ipv6',
    message: '"1.2.3.4::": an IPv4 part of an IPv6 address must come last, like ::ffff:192.0.2.1',
  },
  {
    input: '::1.2.3.4:5',
    reason: 'invalid-ipv6',
    message: '"::1.2.3.4:5": an IPv4 part of an IPv6 address must come last, like ::ffff:192.0.2.1',
  },
  {
    input: '::ffff:1.2.3.x',
    reason: 'invalid-ipv6',
    message: '"::ffff:1.2.3.x": embedded IPv4 part "1.2.3.x" is not a decimal dotted quad',
  },
  {
    input: '::ffff:0x7f.0.0.1',
    reason: 'invalid-ipv6',
    message: '"::ffff:0x7f.0.0.1": embedded IPv4 part "0x7f.0.0.1" is not a decimal dotted quad',
  },
  {
    input: '::ffff:010.1.1.1',
    reason: 'ambiguous-octal',
    message:
      '"::ffff:010.1.1.1": embedded IPv4 octet "010" has a leading zero, which some parsers read as octal; write it as 10 if decimal is meant',
  },
  {
    input: '::ffff:256.1.1.1',
    reason: 'octet-out-of-range',
    message: '"::ffff:256.1.1.1": embedded IPv4 octet 256 is out of range (0..255)',
  },
  {
    input: '::ffff:1.2.3',
    reason: 'ipv4-part-count',
    message: '"::ffff:1.2.3": embedded IPv4 address has 3 parts, but a dotted quad has exactly 4 (like 192.0.2.1)',
  },
  { input: '::ffff:1..2.3', reason: 'empty-octet', message: '"::ffff:1..2.3": embedded IPv4 octet 2 is empty' },

  {
    input: 'fe80::1%eth0',
    reason: 'zone-id',
    message: '"fe80::1%eth0": IPv6 zone id "%eth0" is not allowed, because it names an interface of one host; remove it',
  },
  {
    input: 'fe80::1%25eth0/64',
    reason: 'zone-id',
    message: '"fe80::1%25eth0/64": IPv6 zone id "%25eth0" is not allowed, because it names an interface of one host; remove it',
  },
  {
    input: 'FE80::1%1',
    reason: 'zone-id',
    message: '"FE80::1%1": IPv6 zone id "%1" is not allowed, because it names an interface of one host; remove it',
  },
];

describe('parseIpOrCidr', () => {
  test.each(ipv4Cases)('IPv4 form $input', (c) => expectValid(c));
  test.each(ipv4HostBitCases)('IPv4 host bits $input', (c) => expectValid(c));
  test.each(ipv6Cases)('IPv6 form $input', (c) => expectValid(c));
  test.each(ipv6MixedCases)('IPv6 mixed form $input', (c) => expectValid(c));
  test.each(mappedCases)('IPv4-mapped $input', (c) => expectValid(c));
  test.each(whiteSpaceCases)('white space %j', (c) => expectValid(c));
  test.each(invalidCases)('invalid $input', (c) => {
    expect(parseIpOrCidr(c.input)).toEqual({ ok: false, reason: c.reason, message: c.message });
  });

  test('table covers every reason', () => {
    const allReasons: IpParseReason[] = [
      'empty',
      'too-long',
      'not-an-ip',
      'unexpected-port',
      'ipv4-part-count',
      'empty-octet',
      'ambiguous-octal',
      'octet-out-of-range',
      'invalid-ipv6',
      'zone-id',
      'invalid-prefix',
    ];
    // 'cidr-not-allowed' comes only from parseIpAddress and has its own table below.
    expect(new Set(invalidCases.map((c) => c.reason))).toEqual(new Set(allReasons));
    for (const reason of allReasons) expect(reason).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  test('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFx.:/%[] \t') }), (text) => {
        const parsed = parseIpOrCidr(text);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(typeof parseIpOrCidr(text).ok).toBe('boolean');
        expect(typeof parseIpAddress(text).ok).toBe('boolean');
        expect(splitHostPort(text)).toBeTypeOf('object');
      }),
      { numRuns: 500 },
    );
  });

  test('accepts only what ipaddr.js accepts as IPv6', () => {
    // Hex-and-colon strings: whatever this module accepts, ipaddr.js must parse to the same bytes.
    const hexAndColons = fc.string({ unit: fc.constantFrom(...'0f:'), maxLength: 20 });
    fc.assert(
      fc.property(hexAndColons, (text) => {
        const parsed = parseIpOrCidr(text);
        let reference: number[] | undefined;
        try {
          reference = ipaddr.IPv6.parse(text).toByteArray();
        } catch {
          reference = undefined;
        }
        if (!parsed.ok) {
          expect(reference).toBeUndefined();
          return;
        }
        expect(reference).toBeDefined();
        const bytes = parsed.network.family === 6 ? Array.from(parsed.network.bytes) : [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...parsed.network.bytes];
        expect(bytes).toEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });
});

function expectValid(c: ValidCase): void {
  const parsed = parseIpOrCidr(c.input);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(c.input)} to parse, got ${parsed.reason}: ${parsed.message}`);
  expect(formatNetwork(parsed.network)).toBe(c.expected);
  expect(parsed.network.family).toBe(c.family);
  expect(parsed.network.prefix).toBe(c.prefix);
  expect(parsed.hostBitsSet).toBe(c.hostBitsSet);
  expect(parsed.mappedFromIpv6).toBe(c.mapped);
  expect(Array.from(parsed.network.bytes)).toEqual(referenceBytes(c.expected));
}

describe('parseIpAddress', () => {
  const addressCases: ValidCase[] = [...ipv4Cases, ...ipv6Cases, ...mappedCases, ...whiteSpaceCases].filter(
    (c) => !c.input.includes('/'),
  );

  test.each(addressCases)('address $input', (c) => {
    const parsed = parseIpAddress(c.input);
    expect(parsed).toEqual(parseIpOrCidr(c.input));
  });

  test.each([
    ['10.0.0.0/8', '"10.0.0.0/8" is a CIDR range, but a single IP address is expected here'],
    ['192.0.2.1/32', '"192.0.2.1/32" is a CIDR range, but a single IP address is expected here'],
    ['2001:db8::/32', '"2001:db8::/32" is a CIDR range, but a single IP address is expected here'],
    [' ::1/128 ', '"::1/128" is a CIDR range, but a single IP address is expected here'],
    ['/', '"/" is a CIDR range, but a single IP address is expected here'],
  ])('CIDR %j rejected', (input, message) => {
    expect(parseIpAddress(input)).toEqual({ ok: false, reason: 'cidr-not-allowed', message });
  });

  test.each(invalidCases.filter((c) => !c.input.includes('/')))('invalid $input', (c) => {
    expect(parseIpAddress(c.input)).toEqual({ ok: false, reason: c.reason, message: c.message });
  });
});

describe('splitHostPort', () => {
  test.each([
    { input: '1.2.3.4:80', expected: { host: '1.2.3.4', port: 80 } },
    { input: '1.2.3.4:8080', expected: { host: '1.2.3.4', port: 8080 } },
    { input: ' 1.2.3.4:8080\r\n', expected: { host: '1.2.3.4', port: 8080 } },
    { input: '1.2.3.4:0', expected: { host: '1.2.3.4', port: 0 } },
    { input: '1.2.3.4:65535', expected: { host: '1.2.3.4', port: 65535 } },
    { input: '1.2.3.4:080', expected: { host: '1.2.3.4', port: 80 } },
    { input: '1.2.3.4', expected: { host: '1.2.3.4' } },
    { input: '[::1]:443', expected: { host: '::1', port: 443 } },
    { input: '[2001:db8::1]:443', expected: { host: '2001:db8::1', port: 443 } },
    { input: '[::ffff:192.0.2.1]:25', expected: { host: '::ffff:192.0.2.1', port: 25 } },
    { input: '[::1]', expected: { host: '::1' } },
    { input: '::1', expected: { host: '::1' } },
    { input: '2001:db8::1', expected: { host: '2001:db8::1' } },
    { input: '2001:db8::1:443', expected: { host: '2001:db8::1:443' } },
    { input: 'example.com:80', expected: { host: 'example.com', port: 80 } },
  ])('splits $input', ({ input, expected }) => {
    expect(splitHostPort(input)).toEqual(expected);
  });

  test.each([
    ['1.2.3.4:99999', '"1.2.3.4:99999": port 99999 is out of range (0..65535)'],
    ['1.2.3.4:65536', '"1.2.3.4:65536": port 65536 is out of range (0..65535)'],
    ['1.2.3.4:', '"1.2.3.4:": port after ":" is empty'],
    ['1.2.3.4:http', '"1.2.3.4:http": port "http" is not a decimal number'],
    ['1.2.3.4:-1', '"1.2.3.4:-1": port "-1" is not a decimal number'],
    ['1.2.3.4: 80', '"1.2.3.4: 80": port " 80" is not a decimal number'],
    ['[::1', '"[::1": "[" has no matching "]"'],
    ['[::1]x', '"[::1]x": expected ":" and a port after "]", found "x"'],
    ['[::1]:', '"[::1]:": port after ":" is empty'],
    ['[::1]:443:1', '"[::1]:443:1": port "443:1" is not a decimal number'],
    ['[]:80', '"[]:80": the brackets contain no address'],
    ['[1.2.3.4]:80', '"[1.2.3.4]:80": square brackets are only for IPv6 addresses; write 1.2.3.4 without them'],
    [':80', '":80": host before ":" is empty'],
    ['', 'Host "" is empty'],
    ['  ', 'Host "  " is empty'],
  ])('rejects %j', (input, error) => {
    expect(splitHostPort(input)).toEqual({ error });
  });

  test('split host parses', () => {
    const split = splitHostPort('[::ffff:192.0.2.1]:443');
    if ('error' in split) throw new Error(split.error);
    const parsed = parseIpAddress(split.host);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(split.port).toBe(443);
    expect(formatNetwork(parsed.network)).toBe('192.0.2.1');
  });
});

describe('formatNetwork', () => {
  test.each([
    { bytes: [10, 0, 0, 0], prefix: 8, expected: '10.0.0.0/8' },
    { bytes: [1, 2, 3, 4], prefix: 32, expected: '1.2.3.4' },
    { bytes: [0, 0, 0, 0], prefix: 0, expected: '0.0.0.0/0' },
    { bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], prefix: 128, expected: '2001:db8::1' },
    { bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], prefix: 32, expected: '2001:db8::/32' },
    { bytes: new Array<number>(16).fill(0), prefix: 0, expected: '::/0' },
    { bytes: [...new Array<number>(15).fill(0), 1], prefix: 128, expected: '::1' },
    { bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], prefix: 128, expected: '2001:db8::1:0:0:1' },
    { bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], prefix: 128, expected: '2001:db8:0:1:1:1:1:1' },
    { bytes: [0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], prefix: 16, expected: 'abcd::/16' },
  ])('formats $expected', ({ bytes, prefix, expected }) => {
    const family = bytes.length === 4 ? 4 : 6;
    expect(formatNetwork({ family, bytes: Uint8Array.from(bytes), prefix })).toBe(expected);
  });
});

describe('reservedRangeOf', () => {
  test.each([
    ['10.0.0.0/8', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.0/12', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.1.1', 'linkLocal'],
    ['169.254.0.0/16', 'linkLocal'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.0.0.0/8', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['100.64.0.0/10', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['192.0.2.0/24', 'documentation'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.0/25', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.0.0.8', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.0/24', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.31.196.1', 'as112'],
    ['192.175.48.1', 'as112'],
    ['192.52.193.1', 'amt'],
    ['0.0.0.0/0', 'unspecified'],
    ['224.0.0.0/3', 'multicast'],
    ['192.0.0.0/16', 'reserved'],
    ['192.0.0.0/8', 'reserved'],
    ['172.0.0.0/8', 'private'],
    ['100.0.0.0/8', 'carrierGradeNat'],
    ['fc00::/7', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::/10', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['ff00::/8', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::/0', 'unspecified'],
    ['::/64', 'unspecified'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8::/32', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['2001::1', 'teredo'],
    ['2001:1::1', 'reserved'],
    ['2001::/16', 'reserved'],
    ['2002::1', '6to4'],
    ['64:ff9b::192.0.2.1', 'rfc6052'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['::ffff:0:0:1', 'rfc6145'],
    ['100::1', 'discard'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['5f00::1', 'segmentRouting'],
    ['2001:20::1', 'orchid2'],
    ['2001:4:112::1', 'as112v6'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:0:0/96', 'unspecified'],
  ])('%s is %s', (text, expected) => {
    expect(reservedRangeOf(network(text))).toBe(expected);
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '9.0.0.0/8',
    '100.128.0.0/10',
    '172.32.0.0',
    '192.0.3.0/24',
    '223.255.255.255',
    '2001:4860:4860::8888',
    '2606:4700::/32',
    '2001:db9::1',
    '::2',
  ])('%s is global unicast', (text) => {
    expect(reservedRangeOf(network(text))).toBeUndefined();
  });

  test('IPv4-mapped bytes kept as IPv6', () => {
    const mapped: IpNetwork = { family: 6, bytes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 8, 8, 8, 8]), prefix: 128 };
    expect(reservedRangeOf(mapped)).toBe('ipv4Mapped');
  });

  test('single addresses agree with ipaddr.js range()', () => {
    // ipaddr.js files documentation and benchmarking ranges under 'reserved'; this module names them.
    const documentation = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'].map((cidr) => ipaddr.parseCIDR(cidr));
    const benchmarking = [ipaddr.parseCIDR('198.18.0.0/15')];
    const within = (address: ipaddr.IPv4 | ipaddr.IPv6, ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][]): boolean =>
      ranges.some((range) => address.kind() === range[0].kind() && address.match(range));

    // Addresses are drawn near the starts of ipaddr.js's own special ranges so that small ranges are hit.
    const starts: number[][] = [];
    for (const prototype of [ipaddr.IPv4.prototype, ipaddr.IPv6.prototype]) {
      const table = (prototype as unknown as { SpecialRanges: Record<string, unknown> }).SpecialRanges;
      for (const entry of Object.values(table)) {
        const list = (Array.isArray((entry as unknown[])[0]) ? entry : [entry]) as [ipaddr.IPv4 | ipaddr.IPv6, number][];
        for (const [address] of list) starts.push(address.toByteArray());
      }
    }
    // Bytes that start before `keepBits` come from the range start, and later bytes are random.
    const nearStart = fc
      .tuple(fc.constantFrom(...starts), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
      .map(([start, noise, keepBits]) => start.map((byte, i) => (i * 8 < keepBits ? byte : noise[i]!)));
    const anyAddress = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));

    fc.assert(
      fc.property(fc.oneof(nearStart, anyAddress.map((bytes) => Array.from(bytes))), (bytes) => {
        const address = ipaddr.fromByteArray(bytes);
        const libraryName = address.range();
        let expected: string | undefined = libraryName === 'unicast' ? undefined : libraryName;
        if (libraryName === 'reserved' && within(address, documentation)) expected = 'documentation';
        if (libraryName === 'reserved' && within(address, benchmarking)) expected = 'benchmarking';

        const family = bytes.length === 4 ? 4 : 6;
        const single: IpNetwork = { family, bytes: Uint8Array.from(bytes), prefix: family === 4 ? 32 : 128 };
        expect(reservedRangeOf(single)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('networkContains', () => {
  test.each([
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.255.0.0/16', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.1.0.0/16', '10.0.0.0/8', false],
    ['10.0.0.0/9', '10.127.255.255', true],
    ['10.0.0.0/9', '10.128.0.1', false],
    ['192.0.2.0/31', '192.0.2.1', true],
    ['192.0.2.0/31', '192.0.2.2', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['0.0.0.0/0', '0.0.0.0/0', true],
    ['1.2.3.4', '1.2.3.4', true],
    ['1.2.3.4', '1.2.3.5', false],
    ['::/0', '1.2.3.4', false],
    ['0.0.0.0/0', '::1', false],
    ['::ffff:0:0/96', '1.2.3.4', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/32', '2001:db8::/31', false],
    ['2001:db8::/31', '2001:db9::/32', true],
    ['fe80::/10', 'febf:ffff::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::/0', '::', true],
    ['2001:db8::1', '2001:db8::1', true],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(networkContains(network(outer), network(inner))).toBe(expected);
  });

  test('agrees with BigInt reference', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        (isIpv4, a, b, outerPrefix, innerPrefix, sharedBits) => {
          const bits = isIpv4 ? 32 : 128;
          const length = bits / 8;
          const pOuter = outerPrefix % (bits + 1);
          const pInner = innerPrefix % (bits + 1);
          // Copy some leading bits of the outer address so that containment happens often.
          const shared = sharedBits % (bits + 1);
          const outerValue = maskBigInt(toBigInt(a.subarray(0, length)), pOuter, bits);
          const mixed = maskBigInt(outerValue, shared, bits) | (toBigInt(b.subarray(0, length)) & ((1n << BigInt(bits - shared)) - 1n));
          const innerValue = maskBigInt(mixed, pInner, bits);

          const family = isIpv4 ? 4 : 6;
          const outer: IpNetwork = { family, bytes: Uint8Array.from(fromBigInt(outerValue, length)), prefix: pOuter };
          const inner: IpNetwork = { family, bytes: Uint8Array.from(fromBigInt(innerValue, length)), prefix: pInner };
          const expected = pOuter <= pInner && maskBigInt(innerValue, pOuter, bits) === outerValue;
          expect(networkContains(outer, inner)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('maskInto', () => {
  const address = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
  const prefixes = Array.from({ length: 33 }, (_, prefix) => prefix);

  test.each(prefixes)('IPv4 prefix %i', (prefix) => {
    const expected = fromBigInt(maskBigInt(toBigInt(address), prefix, 32), 4);
    const out = new Uint8Array(4);
    maskInto(address, prefix, out, 0);
    expect(Array.from(out)).toEqual(expected);
    expect(Array.from(address)).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  test.each([
    [0, '0.0.0.0'],
    [1, '128.0.0.0'],
    [7, '222.0.0.0'],
    [8, '222.0.0.0'],
    [9, '222.128.0.0'],
    [12, '222.160.0.0'],
    [16, '222.173.0.0'],
    [20, '222.173.176.0'],
    [24, '222.173.190.0'],
    [31, '222.173.190.238'],
    [32, '222.173.190.239'],
  ])('IPv4 prefix %i is %s', (prefix, expected) => {
    const out = new Uint8Array(4);
    maskInto(address, prefix, out, 0);
    expect(out.join('.')).toBe(expected);
  });

  test('IPv6 every prefix 0..128', () => {
    const ipv6 = Uint8Array.from(Array.from({ length: 16 }, (_, i) => 0xff - i * 7));
    for (let prefix = 0; prefix <= 128; prefix++) {
      const out = new Uint8Array(16);
      maskInto(ipv6, prefix, out, 0);
      expect(Array.from(out), `prefix ${prefix}`).toEqual(fromBigInt(maskBigInt(toBigInt(ipv6), prefix, 128), 16));
    }
  });

  test('writes at offset only', () => {
    const out = new Uint8Array(10).fill(0x55);
    maskInto(address, 20, out, 3);
    expect(Array.from(out)).toEqual([0x55, 0x55, 0x55, 0xde, 0xad, 0xb0, 0x00, 0x55, 0x55, 0x55]);
  });

  test('masks in place', () => {
    const bytes = Uint8Array.from(address);
    maskInto(bytes, 12, bytes, 0);
    expect(Array.from(bytes)).toEqual([0xde, 0xa0, 0, 0]);
  });

  test.each([
    [-1, [0, 0, 0, 0]],
    [33, [0xde, 0xad, 0xbe, 0xef]],
    [200, [0xde, 0xad, 0xbe, 0xef]],
  ])('out-of-range prefix %i', (prefix, expected) => {
    const out = new Uint8Array(4).fill(0x55);
    maskInto(address, prefix, out, 0);
    expect(Array.from(out)).toEqual(expected);
  });
});

describe('parseIpv4Into', () => {
  test.each([
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['192.0.2.1', [192, 0, 2, 1]],
    ['10.20.30.40', [10, 20, 30, 40]],
    ['1.2.3.4', [1, 2, 3, 4]],
    ['100.0.10.200', [100, 0, 10, 200]],
  ])('parses %s', (text, expected) => {
    const out = new Uint8Array(6).fill(0x55);
    expect(parseIpv4Into(text, out, 1)).toBe(true);
    expect(Array.from(out)).toEqual([0x55, ...expected, 0x55]);
  });

  test.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.4.',
    '.1.2.3.4',
    '1..2.3',
    '256.1.1.1',
    '1.2.3.256',
    '1.2.3.1000',
    '01.2.3.4',
    '1.2.3.00',
    '1.2.3.04',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/32',
    '1.2.3.4:80',
    '::ffff:1.2.3.4',
    '1.2.3.a',
    '1.2.3.-4',
    '1.2.3.+4',
    '\u0661.2.3.4',
    '111.111.111.1111',
    '1111.1.1.1',
  ])('rejects %j', (text) => {
    expect(parseIpv4Into(text, new Uint8Array(4), 0)).toBe(false);
  });

  test('agrees with parseIpAddress on random dotted quads', () => {
    const octetText = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map(String),
      fc.integer({ min: 0, max: 1999 }).map(String),
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: 4 }),
    );
    const dottedQuad = fc.array(octetText, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(dottedQuad, (text) => {
        const out = new Uint8Array(4);
        const fast = parseIpv4Into(text, out, 0);
        const slow = parseIpAddress(text);
        expect(fast).toBe(slow.ok);
        if (fast && slow.ok) {
          expect(slow.network.family).toBe(4);
          expect(Array.from(out)).toEqual(Array.from(slow.network.bytes));
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('round trip', () => {
  /** Random canonical networks of either family; IPv4-mapped ones are drawn too. */
  const networkArbitrary = fc
    .tuple(fc.constantFrom(4, 6, 6), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), fc.boolean())
    .map(([family, random, prefixSeed, mapped]): IpNetwork => {
      const length = family === 4 ? 4 : 16;
      const prefix = prefixSeed % (8 * length + 1);
      const bytes = random.slice(0, length);
      if (family === 6 && mapped) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
      maskInto(bytes, prefix, bytes, 0);
      return { family: family as 4 | 6, bytes, prefix };
    });

  test('formatNetwork then parseIpOrCidr', () => {
    fc.assert(
      fc.property(networkArbitrary, (original) => {
        const text = formatNetwork(original);
        const parsed = parseIpOrCidr(text);
        if (!parsed.ok) throw new Error(`${text}: ${parsed.message}`);
        expect(parsed.hostBitsSet).toBe(false);

        const isMapped = original.family === 6 && original.prefix >= 96 && original.bytes.subarray(0, 12).every((byte, i) => byte === (i >= 10 ? 0xff : 0));
        if (isMapped) {
          expect(parsed.mappedFromIpv6).toBe(true);
          expect(parsed.network).toEqual({ family: 4, bytes: original.bytes.slice(12), prefix: original.prefix - 96 });
        } else {
          expect(parsed.mappedFromIpv6).toBe(false);
          expect(parsed.network).toEqual(original);
          expect(formatNetwork(parsed.network)).toBe(text);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('ipaddr.js text forms parse', () => {
    // Expanded, fixed-length and compressed forms written by ipaddr.js all name the same address.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), (bytes, prefix) => {
        const address = new ipaddr.IPv6(Array.from(bytes));
        const expected = parseIpOrCidr(`${address.toRFC5952String()}/${prefix}`);
        const fixedLength = address.parts.map((part) => part.toString(16).padStart(4, '0')).join(':');
        for (const text of [address.toNormalizedString(), fixedLength, address.toRFC5952String().toUpperCase()]) {
          expect(parseIpOrCidr(`${text}/${prefix}`)).toEqual(expected);
        }
        if (!expected.ok) throw new Error(expected.message);
        const hostBits = toBigInt(bytes) !== maskBigInt(toBigInt(bytes), prefix, 128);
        expect(expected.hostBitsSet).toBe(hostBits);
      }),
      { numRuns: 1000 },
    );
  });
});
