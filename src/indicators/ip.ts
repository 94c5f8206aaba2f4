/**
 * IP normalization: the one place where an IP address or CIDR range from a feed or a query becomes a
 * network (family, bytes with host bits zeroed, prefix length). A single address is a /32 or /128.
 *
 * IPv4 is accepted only as a decimal dotted quad. Feed entries and queries are not browser URLs, so the
 * inet_aton forms (`010.1.1.1` read as octal, `0x7f.1`, `2130706433`) are rejected instead of guessed.
 * IPv6 text is parsed by ipaddr.js after this module has checked the embedded IPv4 part of a mixed form
 * under the same rules. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) becomes its IPv4 address, so
 * both spellings match the same entries.
 *
 * The module is pure (no I/O). The parsers return failures as values and never throw on any text,
 * while the functions that take an IpNetwork expect one that a parser returned.
 */
import { trimEdges } from './text.js';
import ipaddr from 'ipaddr.js';
import { describeCharacter } from './hash.js';

/** A network in canonical form. */
export interface IpNetwork {
  readonly family: 4 | 6;
  /** 4 or 16 bytes in network order, host bits zeroed. */
  readonly bytes: Uint8Array;
  /** Prefix length in bits: 0..32 for IPv4, 0..128 for IPv6. A single address has 32 or 128. */
  readonly prefix: number;
}

/** Stable, kebab-case codes of the parse failures. The message contains the input and the detail. */
export type IpParseReason =
  | 'empty'
  | 'too-long'
  | 'not-an-ip'
  | 'unexpected-port'
  | 'ipv4-part-count'
  | 'empty-octet'
  | 'ambiguous-octal'
  | 'octet-out-of-range'
  | 'invalid-ipv6'
  | 'zone-id'
  | 'invalid-prefix'
  | 'cidr-not-allowed';

/**
 * Result of a parse. On success, `hostBitsSet` is true when the input had bits set past its prefix
 * (`10.1.2.3/8`) and was normalized to its network, and `mappedFromIpv6` is true when it was written
 * as IPv4-mapped IPv6.
 */
export type IpParse =
  | { ok: true; network: IpNetwork; hostBitsSet: boolean; mappedFromIpv6: boolean }
  | { ok: false; reason: IpParseReason; message: string };

type IpParseFailure = Extract<IpParse, { ok: false }>;

/**
 * Maximum length of the text after trimming. The longest valid address is 45 characters
 * (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`), so this leaves room for a prefix with leading
 * zeros and keeps long garbage out of the IPv6 regular expressions.
 */
const MAX_TEXT_LENGTH = 64;

/** Maximum number of input characters quoted in a message. Longer inputs are cut so that a message stays short. */
const MAX_QUOTED_LENGTH = 64;

const MAX_PORT = 65535;

/**
 * Parses an address or a CIDR range in any standard text form, trimming surrounding white space.
 * IPv4-mapped IPv6 becomes IPv4: `::ffff:a.b.c.d` is `a.b.c.d/32`, and a range inside `::ffff:0:0/96`
 * with prefix 96 or more becomes IPv4 with prefix minus 96. Host bits set past the prefix are zeroed
 * and reported in `hostBitsSet`. `/0` is accepted because the feed builder decides about huge ranges.
 */
export function parseIpOrCidr(text: string): IpParse {
  return parseText(text, true, true);
}

/** Parses a single address like parseIpOrCidr does, but rejects a CIDR range (`cidr-not-allowed`). */
export function parseIpAddress(text: string): IpParse {
  return parseText(text, false, true);
}

function parseText(text: string, allowPrefix: boolean, mapToIpv4: boolean): IpParse {
  const trimmed = trimEdges(text);
  if (trimmed.length === 0) return failure('empty', `IP address ${quote(text)} is empty`);
  if (trimmed.length > MAX_TEXT_LENGTH) {
    return failure(
      'too-long',
      `${quote(trimmed)} is too long: an IP address or CIDR range has at most ${MAX_TEXT_LENGTH} characters`,
    );
  }

  const slash = trimmed.indexOf('/');
  if (slash >= 0 && !allowPrefix) {
    return failure('cidr-not-allowed', `${quote(trimmed)} is a CIDR range, but a single IP address is expected here`);
  }
  const addressText = slash >= 0 ? trimmed.slice(0, slash) : trimmed;
  if (addressText.length === 0) return failure('empty', `${quote(trimmed)} has no address before the "/"`);

  // An IPv6 address always contains a colon, and a dotted-quad IPv4 address never does.
  const family = addressText.includes(':') ? 6 : 4;
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  const problem = family === 4 ? parseIpv4Text(trimmed, addressText, bytes, 0, false) : parseIpv6Text(trimmed, addressText, bytes);
  if (problem !== undefined) return problem;

  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const parsed = parsePrefix(trimmed, trimmed.slice(slash + 1), family);
    if (typeof parsed !== 'number') return parsed;
    prefix = parsed;
  }

  return normalize(family, bytes, prefix, mapToIpv4);
}

/** Zeroes the host bits in place and turns an IPv4-mapped IPv6 network into IPv4. */
function normalize(family: 4 | 6, bytes: Uint8Array, prefix: number, mapToIpv4: boolean): IpParse {
  const hostBitsSet = hasHostBits(bytes, prefix);
  maskInto(bytes, prefix, bytes, 0);

  // Below /96 the range reaches past ::ffff:0:0/96, so it has no IPv4 equivalent and stays IPv6.
  if (mapToIpv4 && family === 6 && prefix >= 96 && isIpv4Mapped(bytes)) {
    const network: IpNetwork = { family: 4, bytes: bytes.slice(12), prefix: prefix - 96 };
    return { ok: true, network, hostBitsSet, mappedFromIpv6: true };
  }
  return { ok: true, network: { family, bytes, prefix }, hostBitsSet, mappedFromIpv6: false };
}

function hasHostBits(bytes: Uint8Array, prefix: number): boolean {
  const fullBytes = prefix >>> 3;
  if (fullBytes < bytes.length && (bytes[fullBytes]! & (0xff >>> (prefix & 7))) !== 0) return true;
  for (let i = fullBytes + 1; i < bytes.length; i++) {
    if (bytes[i] !== 0) return true;
  }
  return false;
}

/** Checks whether 16 bytes are in ::ffff:0:0/96, which is ten zero bytes followed by 0xff 0xff. */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) {
    if (bytes[i] !== 0) return false;
  }
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses a decimal dotted quad into `out[offset..offset+4]` and returns the problem with it, if any.
 * `input` is the whole trimmed text for the message, and `embedded` is true when `text` is the IPv4
 * part at the end of an IPv6 address.
 */
function parseIpv4Text(
  input: string,
  text: string,
  out: Uint8Array,
  offset: number,
  embedded: boolean,
): IpParseFailure | undefined {
  const label = embedded ? 'embedded IPv4' : 'IPv4';
  if (!/^[0-9.]+$/.test(text)) {
    if (embedded) {
      return failure('invalid-ipv6', `${quote(input)}: embedded IPv4 part ${quote(text)} is not a decimal dotted quad`);
    }
    return failure(
      'not-an-ip',
      `${quote(input)} is not an IP address; expected a decimal dotted-quad IPv4 address (like 192.0.2.1) or an IPv6 address`,
    );
  }

  const parts = text.split('.');
  if (parts.length !== 4) {
    return failure(
      'ipv4-part-count',
      `${quote(input)}: ${label} address has ${parts.length} ${parts.length === 1 ? 'part' : 'parts'}, but a dotted quad has exactly 4 (like 192.0.2.1)`,
    );
  }

  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (part.length === 0) return failure('empty-octet', `${quote(input)}: ${label} octet ${i + 1} is empty`);

    // inet_aton reads a leading zero as octal, so 010 is 8 there and 10 elsewhere: reject, don't guess.
    if (part.length > 1 && part.charCodeAt(0) === 0x30) {
      const decimal = part.replace(/^0+(?=\d)/, '');
      return failure(
        'ambiguous-octal',
        `${quote(input)}: ${label} octet ${quote(part)} has a leading zero, which some parsers read as octal; write it as ${decimal} if decimal is meant`,
      );
    }

    const value = Number(part);
    if (value > 255) {
      return failure('octet-out-of-range', `${quote(input)}: ${label} octet ${part} is out of range (0..255)`);
    }
    out[offset + i] = value;
  }
  return undefined;
}

/** Parses IPv6 text (no prefix) into the 16 bytes of `out` and returns the problem with it, if any. */
function parseIpv6Text(input: string, text: string, out: Uint8Array): IpParseFailure | undefined {
  const percent = text.indexOf('%');
  if (percent >= 0) {
    return failure(
      'zone-id',
      `${quote(input)}: IPv6 zone id ${quote(text.slice(percent))} is not allowed, because it names an interface of one host; remove it`,
    );
  }
  if (text.startsWith('[')) {
    return failure(
      'invalid-ipv6',
      `${quote(input)}: square brackets and a port are not part of an IPv6 address; pass the address alone, like 2001:db8::1`,
    );
  }
  // Every IPv6 address has at least two colons, so one colon is host:port or garbage.
  if (text.indexOf(':') === text.lastIndexOf(':')) {
    if (/:[0-9]+$/.test(text)) {
      return failure('unexpected-port', `${quote(input)} has a port after the address; remove the port`);
    }
    return failure('not-an-ip', `${quote(input)} is not an IP address; an IPv6 address has at least two colons`);
  }

  const hexText = replaceEmbeddedIpv4(input, text);
  if (typeof hexText !== 'string') return hexText;

  const invalid = /[^0-9a-fA-F:]/.exec(hexText);
  if (invalid !== null) {
    return failure(
      'invalid-ipv6',
      `${quote(input)}: IPv6 address contains ${describeCharacter(invalid[0])}; only hex digits, ":" and a final dotted quad are allowed`,
    );
  }
  if (hexText.includes(':::')) return failure('invalid-ipv6', `${quote(input)}: IPv6 address contains ":::"`);
  if (hexText.indexOf('::') !== hexText.lastIndexOf('::')) {
    return failure('invalid-ipv6', `${quote(input)}: IPv6 address uses "::" more than once`);
  }
  const longGroup = /[0-9a-fA-F]{5,}/.exec(hexText);
  if (longGroup !== null) {
    return failure('invalid-ipv6', `${quote(input)}: IPv6 group ${quote(longGroup[0])} has more than 4 hex digits`);
  }

  let parts: number[];
  try {
    parts = ipaddr.IPv6.parse(hexText).parts;
  } catch {
    // The remaining failures are structural: too many or too few groups, or a stray colon.
    return failure(
      'invalid-ipv6',
      `${quote(input)}: invalid IPv6 address; expected 8 groups of up to 4 hex digits separated by ":", or fewer with one "::"`,
    );
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = parts[i]! >>> 8;
    out[2 * i + 1] = parts[i]! & 0xff;
  }
  return undefined;
}

/**
 * Rewrites a trailing dotted quad (`::ffff:192.0.2.1`) as two hex groups (`::ffff:c000:201`), checked
 * under the IPv4 rules. ipaddr.js is not given the dotted form because it accepts octal and hex
 * octets there and, in version 2.5.0, reads `::a.b.c.d` as `::ffff:a.b.c.d`. RFC 4291 section 2.5.5.1
 * defines `::a.b.c.d` as the (deprecated) IPv4-compatible address `::` + the 32 bits, kept here as IPv6.
 */
function replaceEmbeddedIpv4(input: string, text: string): string | IpParseFailure {
  if (!text.includes('.')) return text;

  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (!tail.includes('.')) {
    return failure('invalid-ipv6', `${quote(input)}: an IPv4 part of an IPv6 address must come last, like ::ffff:192.0.2.1`);
  }

  const octets = new Uint8Array(4);
  const problem = parseIpv4Text(input, tail, octets, 0, true);
  if (problem !== undefined) return problem;

  const high = ((octets[0]! << 8) | octets[1]!).toString(16);
  const low = ((octets[2]! << 8) | octets[3]!).toString(16);
  return `${text.slice(0, lastColon + 1)}${high}:${low}`;
}

/** Parses the text after "/" as a decimal prefix length for `family`, or returns the problem with it. */
function parsePrefix(input: string, text: string, family: 4 | 6): number | IpParseFailure {
  const maxPrefix = family === 4 ? 32 : 128;
  const range = `IPv${family} prefixes are 0..${maxPrefix}`;

  if (text.length === 0) return failure('invalid-prefix', `${quote(input)}: prefix after "/" is empty; ${range}`);
  if (!/^[0-9]+$/.test(text)) {
    return failure('invalid-prefix', `${quote(input)}: prefix ${quote(text)} is not a decimal number; ${range}`);
  }

  // Leading zeros are accepted because a prefix length is never read as octal.
  const value = Number(text);
  if (value > maxPrefix) {
    return failure('invalid-prefix', `${quote(input)}: prefix /${text} is out of range; the maximum for IPv${family} is ${maxPrefix}`);
  }
  return value;
}

/**
 * Splits a feed field into host and port: `1.2.3.4:8080` and `[2001:db8::1]:443` give the address and
 * the port (0..65535), and `[2001:db8::1]` gives the address alone. Text with more than one colon and
 * no brackets is a bare IPv6 address, so `2001:db8::1:443` is an address, not host and port. The host
 * is returned as written (trimmed) and is not checked: pass it to parseIpAddress.
 */
export function splitHostPort(text: string): { host: string; port?: number } | { error: string } {
  const trimmed = trimEdges(text);
  if (trimmed.length === 0) return { error: `Host ${quote(text)} is empty` };

  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    if (close < 0) return { error: `${quote(trimmed)}: "[" has no matching "]"` };
    const host = trimmed.slice(1, close);
    if (host.length === 0) return { error: `${quote(trimmed)}: the brackets contain no address` };
    if (!host.includes(':')) {
      return { error: `${quote(trimmed)}: square brackets are only for IPv6 addresses; write ${host} without them` };
    }

    const rest = trimmed.slice(close + 1);
    if (rest.length === 0) return { host };
    if (!rest.startsWith(':')) return { error: `${quote(trimmed)}: expected ":" and a port after "]", found ${quote(rest)}` };
    return withPort(trimmed, host, rest.slice(1));
  }

  const colon = trimmed.indexOf(':');
  if (colon < 0) return { host: trimmed };
  if (colon !== trimmed.lastIndexOf(':')) return { host: trimmed };
  if (colon === 0) return { error: `${quote(trimmed)}: host before ":" is empty` };
  return withPort(trimmed, trimmed.slice(0, colon), trimmed.slice(colon + 1));
}

function withPort(input: string, host: string, portText: string): { host: string; port: number } | { error: string } {
  if (portText.length === 0) return { error: `${quote(input)}: port after ":" is empty` };
  if (!/^[0-9]+$/.test(portText)) return { error: `${quote(input)}: port ${quote(portText)} is not a decimal number` };
  const port = Number(portText);
  if (port > MAX_PORT) return { error: `${quote(input)}: port ${portText} is out of range (0..${MAX_PORT})` };
  return { host, port };
}

/**
 * Formats a network as `10.0.0.0/8`, leaving out the prefix of a single address (`192.0.2.1`,
 * `2001:db8::1`). IPv6 is written as RFC 5952 specifies: lower case, the longest run of two or more
 * zero groups compressed to "::", the leftmost on a tie.
 */
export function formatNetwork(network: IpNetwork): string {
  const { bytes, prefix } = network;
  if (network.family === 4) {
    const address = `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
    return prefix === 32 ? address : `${address}/${prefix}`;
  }
  const address = new ipaddr.IPv6(Array.from(bytes)).toRFC5952String();
  return prefix === 128 ? address : `${address}/${prefix}`;
}

/** Checks whether `outer` contains every address of `inner`. Networks of different families never contain each other. */
export function networkContains(outer: IpNetwork, inner: IpNetwork): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  return prefixesEqual(outer.bytes, inner.bytes, outer.prefix);
}

/** Checks whether the first `prefix` bits of `a` and `b` are equal. */
function prefixesEqual(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const fullBytes = prefix >>> 3;
  for (let i = 0; i < fullBytes; i++) {
    if (a[i] !== b[i]) return false;
  }
  const partialMask = (0xff00 >>> (prefix & 7)) & 0xff;
  return partialMask === 0 || ((a[fullBytes]! ^ b[fullBytes]!) & partialMask) === 0;
}

/**
 * Copies `bytes` into `out` from `outOffset`, keeping the first `prefix` bits and zeroing the rest.
 * Writes `bytes.length` bytes and allocates nothing, because lookups call it per item. `out` may be
 * `bytes` itself (offset 0) to mask in place. A prefix below 0 is taken as 0, and one past the address
 * length copies every byte.
 */
export function maskInto(bytes: Uint8Array, prefix: number, out: Uint8Array, outOffset: number): void {
  const length = bytes.length;
  const bits = prefix > 0 ? prefix : 0;
  const fullBytes = bits >>> 3;

  let i = 0;
  for (; i < fullBytes && i < length; i++) out[outOffset + i] = bytes[i]!;
  if (i < length) {
    out[outOffset + i] = bytes[i]! & ((0xff00 >>> (bits & 7)) & 0xff);
    i++;
  }
  for (; i < length; i++) out[outOffset + i] = 0;
}

/**
 * Parses a plain decimal dotted quad (`192.0.2.1`, no white space, no leading zeros) into
 * `out[offset..offset+4]` without allocating. Returns false for anything else, with `out` possibly
 * partly written, and the caller then falls back to parseIpAddress. Whenever it returns true,
 * parseIpAddress returns the same IPv4 address.
 */
export function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const length = text.length;
  if (length < 7 || length > 15) return false;

  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || octet === 3) return false;
      out[offset + octet] = value;
      octet++;
      value = 0;
      digits = 0;
      continue;
    }

    const digit = code - 0x30;
    if (digit < 0 || digit > 9) return false;
    // A zero followed by more digits is a leading zero, rejected as ambiguous octal.
    if (digits > 0 && value === 0) return false;
    value = value * 10 + digit;
    if (value > 255) return false;
    digits++;
  }

  if (digits === 0 || octet !== 3) return false;
  out[offset + 3] = value;
  return true;
}

interface SpecialRange {
  readonly name: string;
  readonly network: IpNetwork;
}

/**
 * Special-purpose ranges with the names ipaddr.js 2.5.0 gives them in range(), except that its
 * 'reserved' list is split: the RFC 5737, RFC 3849 and RFC 9637 documentation ranges are
 * 'documentation' and 198.18.0.0/15 (RFC 2544) is 'benchmarking'.
 */
const SPECIAL_RANGE_TEXT: readonly (readonly [name: string, cidr: string])[] = [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['carrierGradeNat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['linkLocal', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['reserved', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['as112', '192.31.196.0/24'],
  ['amt', '192.52.193.0/24'],
  ['reserved', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['as112', '192.175.48.0/24'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '240.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],

  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['ipv4Mapped', '::ffff:0:0/96'],
  ['rfc6145', '::ffff:0:0:0/96'],
  ['rfc6052', '64:ff9b::/96'],
  ['rfc6052', '64:ff9b:1::/48'],
  ['discard', '100::/64'],
  ['reserved', '2001::/23'],
  ['teredo', '2001::/32'],
  ['benchmarking', '2001:2::/48'],
  ['amt', '2001:3::/32'],
  ['as112v6', '2001:4:112::/48'],
  ['deprecatedOrchid', '2001:10::/28'],
  ['orchid2', '2001:20::/28'],
  ['droneRemoteIdProtocolEntityTags', '2001:30::/28'],
  ['documentation', '2001:db8::/32'],
  ['6to4', '2002::/16'],
  ['as112v6', '2620:4f:8000::/48'],
  ['documentation', '3fff::/20'],
  ['segmentRouting', '5f00::/16'],
  ['uniqueLocal', 'fc00::/7'],
  ['deprecatedSiteLocal', 'fec0::/10'],
  ['linkLocal', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
];

/** Special ranges sorted by family, then first address, then prefix, so that a wider range comes first. */
const SPECIAL_RANGES: readonly SpecialRange[] = SPECIAL_RANGE_TEXT.map(([name, cidr]) => {
  // ::ffff:0:0/96 must stay IPv6 here, so the IPv4-mapped conversion is off.
  const parsed = parseText(cidr, true, false);
  if (!parsed.ok || parsed.hostBitsSet) throw new Error(`Special range ${cidr} is not a canonical CIDR range`);
  return { name, network: parsed.network };
}).sort((a, b) => compareNetworks(a.network, b.network));

function compareNetworks(a: IpNetwork, b: IpNetwork): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  }
  return a.prefix - b.prefix;
}

/**
 * Names the IANA special-purpose range of a network, or returns undefined for global unicast. Names
 * are those of ipaddr.js range() ('private', 'loopback', 'linkLocal', 'multicast', 'uniqueLocal',
 * 'teredo' and so on), plus 'documentation' and 'benchmarking' (see SPECIAL_RANGE_TEXT).
 *
 * CIDR blocks either nest or are disjoint, so a network relates to a special range in one of two ways:
 * 1. A special range contains the whole network. The narrowest such range names it, so 127.0.0.1 is
 *    'loopback' and 255.255.255.255 is 'broadcast' although 240.0.0.0/4 is 'reserved'.
 * 2. Otherwise the network contains one or more special ranges. The first of them in address order
 *    (the wider first on the same address) names it, so 0.0.0.0/0 is 'unspecified', 224.0.0.0/3 is
 *    'multicast' and ::/0 is 'unspecified'.
 * Only a network that neither lies in nor contains a special range returns undefined.
 */
export function reservedRangeOf(network: IpNetwork): string | undefined {
  let narrowest: SpecialRange | undefined;
  for (const range of SPECIAL_RANGES) {
    if (networkContains(range.network, network) && (narrowest === undefined || range.network.prefix > narrowest.network.prefix)) {
      narrowest = range;
    }
  }
  if (narrowest !== undefined) return narrowest.name;

  for (const range of SPECIAL_RANGES) {
    if (networkContains(network, range.network)) return range.name;
  }
  return undefined;
}


/** Quotes input for a message as a JSON string, cut to MAX_QUOTED_LENGTH characters. */
function quote(text: string): string {
  if (text.length <= MAX_QUOTED_LENGTH) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_QUOTED_LENGTH))}... (${text.length} characters)`;
}

function failure(reason: IpParseReason, message: string): IpParseFailure {
  return { ok: false, reason, message };
}

/**
 * Fast path for lookups: parses an IPv6 address written only with hex groups and at most one "::"
 * (no embedded dotted quad, zone id, prefix or brackets) into `out[offset .. offset + 16)` without
 * allocating. Returns false for any other text, and for IPv4-mapped addresses, which callers send
 * through parseIpAddress so that they become IPv4.
 */
export function parseIpv6Into(text: string, out: Uint8Array, offset: number): boolean {
  const length = text.length;
  if (length < 2 || length > 39) return false;
  let group = 0;
  let groups = 0;
  let digits = 0;
  let gap = -1;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? text.charCodeAt(i) : 0x3a;
    if (code === 0x3a) {
      if (i < length && i + 1 < length && text.charCodeAt(i + 1) === 0x3a) {
        // "::" : close the group before it (if any) and mark where the zero run goes.
        if (gap !== -1) return false;
        if (digits > 0) {
          if (groups === 8) return false;
          out[offset + groups * 2] = group >>> 8;
          out[offset + groups * 2 + 1] = group & 0xff;
          groups++;
        } else if (i !== 0) {
          return false;
        }
        gap = groups;
        i++;
        group = 0;
        digits = 0;
        continue;
      }
      if (digits === 0) {
        // Only the end right after "::" may close no group.
        if (i === length && gap === groups && length >= 2 && text.charCodeAt(length - 1) === 0x3a) break;
        return false;
      }
      if (groups === 8) return false;
      out[offset + groups * 2] = group >>> 8;
      out[offset + groups * 2 + 1] = group & 0xff;
      groups++;
      group = 0;
      digits = 0;
      continue;
    }
    let nibble: number;
    if (code >= 0x30 && code <= 0x39) nibble = code - 0x30;
    else if (code >= 0x61 && code <= 0x66) nibble = code - 0x57;
    else if (code >= 0x41 && code <= 0x46) nibble = code - 0x37;
    else return false;
    if (++digits > 4) return false;
    group = (group << 4) | nibble;
  }
  if (gap === -1) {
    if (groups !== 8) return false;
  } else {
    if (groups > 7) return false;
    // Move the groups after the gap to the end and zero the run between.
    const after = groups - gap;
    for (let k = after - 1; k >= 0; k--) {
      out[offset + (8 - after + k) * 2] = out[offset + (gap + k) * 2]!;
      out[offset + (8 - after + k) * 2 + 1] = out[offset + (gap + k) * 2 + 1]!;
    }
    for (let k = gap; k < 8 - after; k++) {
      out[offset + k * 2] = 0;
      out[offset + k * 2 + 1] = 0;
    }
  }
  // An IPv4-mapped address (::ffff:0:0/96) is an IPv4 address; leave it to the full parser.
  for (let k = 0; k < 10; k++) if (out[offset + k] !== 0) return true;
  return !(out[offset + 10] === 0xff && out[offset + 11] === 0xff);
}
