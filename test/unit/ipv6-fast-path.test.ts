/**
 * parseIpv6Into, the allocation-free IPv6 parser of the lookup fast path, checked against
 * parseIpAddress. Whenever the fast parser returns true, its bytes must equal the full parser's.
 * When it returns false, the lookup falls back to the full parser, so a false is always safe. Even
 * so, every plain hex-group address must take the fast path unless it is IPv4-mapped.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { formatNetwork, parseIpAddress, parseIpv6Into, type IpNetwork } from '../../src/indicators/ip.js';

/** What parseIpAddress returns for a row: the canonical IPv6 or IPv4 address, or a failure. */
type SlowOutcome = { readonly ipv6: string } | { readonly ipv4: string } | { readonly invalid: true };

interface Row {
  readonly text: string;
  readonly fast: boolean;
  readonly slow: SlowOutcome;
}

const v6 = (text: string, canonical: string): Row => ({ text, fast: true, slow: { ipv6: canonical } });
/** A row the fast path leaves to the full parser, which reads it as `slow`. */
const fallback = (text: string, slow: SlowOutcome): Row => ({ text, fast: false, slow });
const INVALID = { invalid: true } as const;

const ROWS: readonly Row[] = [
  // Compressed at the start, in the middle and at the end.
  v6('::1', '::1'),
  v6('::', '::'),
  v6('::2001:db8', '::2001:db8'),
  v6('::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'),
  v6('2001:db8::1', '2001:db8::1'),
  v6('2001:db8:0:0:1::1', '2001:db8::1:0:0:1'),
  v6('1::3:4:5:6:7:8', '1:0:3:4:5:6:7:8'),
  v6('fe80::1', 'fe80::1'),
  v6('2001:db8::', '2001:db8::'),
  v6('1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'),
  v6('0000::0000', '::'),
  v6('2001:db8::0:1', '2001:db8::1'),
  // Full forms with 8 groups.
  v6('2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'),
  v6('1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'),
  v6('1:0:0:0:0:0:0:0', '1::'),
  v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
  // Upper and mixed case.
  v6('2001:DB8::ABCD', '2001:db8::abcd'),
  v6('2001:Db8::aBcD', '2001:db8::abcd'),
  // Near ::ffff:0:0/96 but outside it, so they stay IPv6.
  v6('::ffff', '::ffff'),
  v6('::ffff:0', '::ffff:0'),
  v6('0:0:0:0:0:fffe:102:304', '::fffe:102:304'),
  v6('0:0:0:0:1:ffff:102:304', '::1:ffff:102:304'),
  v6('::ffff:0:102:304', '::ffff:0:102:304'),
  v6('64:ff9b::102:304', '64:ff9b::102:304'),

  // IPv4-mapped in hex: the full parser turns it into IPv4.
  fallback('::ffff:102:304', { ipv4: '1.2.3.4' }),
  fallback('::FFFF:0:0', { ipv4: '0.0.0.0' }),
  fallback('0:0:0:0:0:ffff:102:304', { ipv4: '1.2.3.4' }),
  // An embedded dotted quad, a zone id, a prefix, brackets or white space.
  fallback('::ffff:1.2.3.4', { ipv4: '1.2.3.4' }),
  fallback('::1.2.3.4', { ipv6: '::102:304' }),
  fallback('fe80::1%eth0', INVALID),
  fallback('2001:db8::1/128', INVALID),
  fallback('[2001:db8::1]', INVALID),
  fallback(' 2001:db8::1', { ipv6: '2001:db8::1' }),
  fallback('2001:db8::1 ', { ipv6: '2001:db8::1' }),
  // Too many or too few groups.
  fallback('1:2:3:4:5:6:7:8:9', INVALID),
  fallback('0:0:0:0:0:0:0:0:0', INVALID),
  fallback('1:2:3:4::5:6:7:8', INVALID),
  fallback('1:2:3:4:5:6:7:8::', INVALID),
  fallback('::1:2:3:4:5:6:7:8', INVALID),
  fallback('1:2:3:4:5:6:7', INVALID),
  // Stray colons.
  fallback(':::', INVALID),
  fallback('1:::2', INVALID),
  fallback('2001:db8:::1', INVALID),
  fallback('1::2::3', INVALID),
  fallback('::1::', INVALID),
  fallback(':1::2', INVALID),
  fallback(':1:2:3:4:5:6:7:8', INVALID),
  fallback('1::2:', INVALID),
  fallback('1:2:3:4:5:6:7:8:', INVALID),
  fallback(':', INVALID),
  fallback('', INVALID),
  // Groups of five digits and characters that are not hex.
  fallback('12345::1', INVALID),
  fallback('00000::', INVALID),
  fallback('1111:2222:3333:4444:5555:6666:7777:88889', INVALID),
  fallback('2001:db8::g', INVALID),
  fallback('\uff11::1', INVALID),
  fallback('1', INVALID),
];

/** Bytes around the 16 that parseIpv6Into may write, to catch a write outside them. */
const GUARD = 0x55;
const OFFSET = 3;

function parseFast(text: string): { ok: boolean; bytes: number[]; guards: number[] } {
  const out = new Uint8Array(OFFSET + 16 + 2).fill(GUARD);
  const ok = parseIpv6Into(text, out, OFFSET);
  return { ok, bytes: Array.from(out.subarray(OFFSET, OFFSET + 16)), guards: [...out.subarray(0, OFFSET), ...out.subarray(OFFSET + 16)] };
}

function slowOutcome(text: string): SlowOutcome {
  const parsed = parseIpAddress(text);
  if (!parsed.ok) return INVALID;
  const canonical = formatNetwork(parsed.network);
  return parsed.network.family === 6 ? { ipv6: canonical } : { ipv4: canonical };
}

function slowBytes(text: string): number[] | undefined {
  const parsed = parseIpAddress(text);
  return parsed.ok && parsed.network.family === 6 ? Array.from(parsed.network.bytes) : undefined;
}

/** Writes all 8 groups as 4 hex digits each, with no "::" compression. */
function formatUncompressed(bytes: Uint8Array, upperCase: boolean): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16).padStart(4, '0'));
  const text = groups.join(':');
  return upperCase ? text.toUpperCase() : text;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

describe('parseIpv6Into table', () => {
  test('table size', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(40);
  });

  test.each(ROWS)('fast result for $text', ({ text, fast }) => {
    expect(parseFast(text).ok).toBe(fast);
  });

  test.each(ROWS)('full parser reads $text', ({ text, slow }) => {
    expect(slowOutcome(text)).toEqual(slow);
  });

  test.each(ROWS.filter((row) => row.fast))('bytes match for $text', ({ text }) => {
    expect(parseFast(text).bytes).toEqual(slowBytes(text));
  });

  test.each(ROWS)('guard bytes kept for $text', ({ text }) => {
    expect(parseFast(text).guards).toEqual([GUARD, GUARD, GUARD, GUARD, GUARD]);
  });
});

describe('parseIpv6Into properties', () => {
  /** Groups that are often 0 or ffff, so that "::" runs and mapped prefixes come up. */
  const group = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
  const groupedAddress = fc.array(group, { minLength: 8, maxLength: 8 }).map((groups) => {
    const bytes = new Uint8Array(16);
    groups.forEach((value, i) => {
      bytes[2 * i] = value >>> 8;
      bytes[2 * i + 1] = value & 0xff;
    });
    return bytes;
  });
  const mappedAddress = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((ipv4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ipv4]));
  const address = fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), groupedAddress, mappedAddress);
  const formatted = fc
    .tuple(address, fc.constantFrom('rfc5952', 'uncompressed', 'uncompressed upper case'))
    .map(([bytes, form]) => ({
      bytes,
      text: form === 'rfc5952' ? formatNetwork({ family: 6, bytes, prefix: 128 } satisfies IpNetwork) : formatUncompressed(bytes, form !== 'uncompressed'),
    }));

  test('formatted addresses take fast path', () => {
    fc.assert(
      fc.property(formatted, ({ bytes, text }) => {
        const fast = parseFast(text);
        expect(fast.ok).toBe(!isIpv4Mapped(bytes));
        if (fast.ok) expect(fast.bytes).toEqual(Array.from(bytes));
        if (fast.ok) expect(slowBytes(text)).toEqual(Array.from(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  test('mapped addresses fall back', () => {
    fc.assert(
      fc.property(mappedAddress, fc.boolean(), (bytes, compressed) => {
        const text = compressed ? `::ffff:${formatUncompressed(bytes, false).slice(30)}` : formatUncompressed(bytes, false);
        const slow = parseIpAddress(text);
        expect(parseFast(text).ok).toBe(false);
        expect(slow.ok).toBe(true);
        expect(slow.ok ? slow.network.family : undefined).toBe(4);
      }),
      { numRuns: 500 },
    );
  });

  test('true only where full parser agrees', () => {
    // Text near IPv6 syntax: any true must come with the full parser's bytes.
    const piece = fc.constantFrom('0', '1', 'a', 'F', 'ffff', '0000', '12345', ':', ':', '::', '.', 'g', ' ', '%', '/');
    const nearIpv6 = fc.array(piece, { minLength: 1, maxLength: 16 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(nearIpv6, (text) => {
        const fast = parseFast(text);
        if (fast.ok) expect(fast.bytes).toEqual(slowBytes(text));
        expect(fast.guards).toEqual([GUARD, GUARD, GUARD, GUARD, GUARD]);
      }),
      { numRuns: 20_000 },
    );
  });
});
