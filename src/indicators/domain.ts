/**
 * Domain normalization and matching: the one place where a domain name or a feed's domain entry
 * becomes the canonical ASCII name that keys, bloom filters and the matcher use. Pure: no I/O.
 *
 * Canonical form: lower case, one trailing dot removed, Unicode labels in punycode (`xn--`), as the
 * WHATWG URL host parser produces them. That parser is node:url domainToASCII, which in Node 20 applies
 * UTS #46 non-transitionally, as browsers do, so `ß` is kept and encoded rather than mapped to `ss`. Then:
 *
 *   - labels are 1..63 characters of [a-z0-9-_], never starting or ending with '-'. The underscore is
 *     not a hostname character, but real feeds list names such as `_dmarc.example.com` and
 *     `my_host.example.net`, so it is tolerated anywhere in a label except the top-level one;
 *   - the whole name is at most 253 characters and has at least two labels;
 *   - an IP address (including the WHATWG forms `127.1` and `0x7f.0.0.1`) is rejected with reason
 *     `ip-address`, so the caller can handle it as an IP instead.
 *
 * Public suffixes come from the ICANN section of the Public Suffix List that tldts 7 bundles. The
 * private section (github.io, blogspot.com, ngrok.io) is left out on purpose, because each of those
 * names is a domain that one company runs. Feeds list them deliberately, as an allow feed trusting
 * `github.io` itself or a deny feed blocking all of `*.ngrok.io`. Rejecting them would also silently
 * drop entries whenever another hosting service joins the private section.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { isIP, isIPv4 } from 'node:net';
import { getDomain, parse as parseWithPsl } from 'tldts';

/**
 * Match mode of a domain entry: `exact` matches the entry's name only, `subdomains` only the names
 * below it (on label boundaries), `both` the name and every name below it.
 */
export type DomainMatchMode = 'exact' | 'subdomains' | 'both';

/** The result of normalizing a domain: the canonical name, or a stable reason code and a message. */
export type DomainParse = { ok: true; name: string } | { ok: false; reason: string; message: string };

/** The result of parsing a feed's domain entry: its canonical name and match mode, or the problem. */
export type DomainEntryParse =
  | { ok: true; name: string; mode: DomainMatchMode }
  | { ok: false; reason: string; message: string };

/** Every `reason` that normalizeDomain and parseDomainEntry report, stable for callers to count or map. */
export const DOMAIN_REASONS = [
  'empty',
  'ip-address',
  'invalid-character',
  'idna',
  'invalid-tld',
  'empty-label',
  'label-too-long',
  'label-hyphen',
  'name-too-long',
  'single-label',
  'wildcard',
  'public-suffix',
] as const;
export type DomainReason = (typeof DOMAIN_REASONS)[number];

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** Maximum length of an input quoted in a message, in UTF-16 code units, so a junk line stays readable. */
const MAX_QUOTED_LENGTH = 100;

const DOT = 0x2e;
const HYPHEN = 0x2d;
const UNDERSCORE = 0x5f;

/** Options for tldts: names reaching it are already canonical, and only ICANN rules count. */
const PSL_OPTIONS = {
  allowIcannDomains: true,
  allowPrivateDomains: false,
  detectIp: false,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
} as const;

type Failure = { ok: false; reason: DomainReason; message: string };

function fail(reason: DomainReason, message: string): Failure {
  return { ok: false, reason, message };
}

/** JSON-quotes a value for a message, cut to MAX_QUOTED_LENGTH code units. */
function quote(value: string): string {
  if (value.length <= MAX_QUOTED_LENGTH) return JSON.stringify(value);
  let end = MAX_QUOTED_LENGTH;
  // Do not cut a surrogate pair in half.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${JSON.stringify(value.slice(0, end))}... (${value.length} characters)`;
}

/** Describes the character at `index` and its code point for a message. */
function describeCharacterAt(value: string, index: number): string {
  const codePoint = value.codePointAt(index)!;
  const hex = codePoint.toString(16).toUpperCase().padStart(4, '0');
  return `${JSON.stringify(String.fromCodePoint(codePoint))} (U+${hex})`;
}

function isAsciiLetterOrDigit(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a);
}

/** Checks ASCII before IDNA conversion, which would read other ASCII ('/', '%', ':') as URL syntax. */
function isAllowedAscii(code: number): boolean {
  return isAsciiLetterOrDigit(code) || code === HYPHEN || code === DOT || code === UNDERSCORE;
}

function isCanonicalLabelCharacter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === HYPHEN || code === UNDERSCORE;
}

/** Unicode white space, rejected before IDNA conversion so that the message names the character. */
const UNICODE_SPACE = /\p{White_Space}/u;

/** Returns the index of the first character rejected before IDNA conversion, or -1. */
function firstForbiddenCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if (!isAllowedAscii(code)) return i;
    } else if (UNICODE_SPACE.test(text[i]!)) {
      return i;
    }
  }
  return -1;
}

/**
 * Checks whether the last label (ignoring one trailing dot) is a number in the WHATWG sense: decimal
 * digits, or `0x` followed by hex digits. The URL host parser then reads the whole name as IPv4.
 */
function endsInNumber(text: string): boolean {
  const end = text.charCodeAt(text.length - 1) === DOT ? text.length - 1 : text.length;
  const start = text.lastIndexOf('.', end - 1) + 1;
  const label = text.slice(start, end).toLowerCase();
  if (label.length === 0) return false;
  if (/^[0-9]+$/.test(label)) return true;
  return /^0x[0-9a-f]*$/.test(label);
}

/** Strips the brackets of an IPv6 literal such as `[::1]`. */
function withoutBrackets(text: string): string {
  return text.length > 2 && text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

/** Checks the labels of a lower-case ASCII name with no trailing dot, returning the first failure found. */
function checkLabels(name: string, kind: string, quoted: string): Failure | undefined {
  if (name.length > MAX_NAME_LENGTH) {
    return fail(
      'name-too-long',
      `${kind} ${quoted} is ${name.length} characters long in ASCII form, more than the maximum of ${MAX_NAME_LENGTH}`,
    );
  }

  let start = 0;
  while (start <= name.length) {
    let end = name.indexOf('.', start);
    if (end === -1) end = name.length;
    const isLast = end === name.length;
    const length = end - start;

    if (length === 0) {
      return fail(
        'empty-label',
        `${kind} ${quoted} has an empty label, because it starts with a dot, has two dots in a row or ends with more than one dot`,
      );
    }
    const label = name.slice(start, end);
    if (length > MAX_LABEL_LENGTH) {
      return fail(
        'label-too-long',
        `${kind} ${quoted} has the label ${quote(label)} of ${length} characters, more than the maximum of ${MAX_LABEL_LENGTH}`,
      );
    }
    for (let i = 0; i < length; i++) {
      const code = label.charCodeAt(i);
      // IDNA mapping turns some full-width symbols into ASCII ones ('＊' becomes '*'), so check its output too.
      if (!isCanonicalLabelCharacter(code)) {
        return fail(
          'invalid-character',
          `${kind} ${quoted} becomes ${quote(name)} in ASCII form, whose label ${quote(label)} contains the character ${describeCharacterAt(label, i)}, which is not allowed in a domain name`,
        );
      }
    }
    if (label.charCodeAt(0) === HYPHEN || label.charCodeAt(length - 1) === HYPHEN) {
      return fail('label-hyphen', `${kind} ${quoted} has the label ${quote(label)}, which starts or ends with a hyphen`);
    }
    if (isLast && label.includes('_')) {
      return fail('invalid-tld', `${kind} ${quoted} has an underscore in its top-level label ${quote(label)}`);
    }

    start = end + 1;
  }
  return undefined;
}

/**
 * Normalizes `text` without the two-label rule, so that parseDomainEntry can tell a bare public suffix
 * ('com') from a single-label name ('localhost'). `kind` and `quoted` name the value in messages,
 * and `offset` (the length of an entry's marker) is added to character positions.
 */
function normalizeLabels(text: string, kind: string, quoted: string, offset: number): DomainParse {
  if (text.length === 0 || text === '.') return fail('empty', `${kind} ${quoted} is empty`);

  // An IPv6 literal would fail the character check on ':', so report it as an IP for the caller to route.
  if (isIP(withoutBrackets(text)) !== 0) {
    return fail('ip-address', `${kind} ${quoted} is an IP address, not a domain name`);
  }

  const forbiddenIndex = firstForbiddenCharacter(text);
  if (forbiddenIndex !== -1) {
    return fail(
      'invalid-character',
      `${kind} ${quoted} contains the character ${describeCharacterAt(text, forbiddenIndex)} at position ${forbiddenIndex + offset + 1}, which is not allowed in a domain name`,
    );
  }

  // domainToASCII lower-cases, applies the UTS #46 mapping, checks xn-- labels and reads IPv4 forms.
  const ascii = domainToASCII(text);
  if (ascii === '') {
    if (endsInNumber(text)) {
      return fail(
        'invalid-tld',
        `${kind} ${quoted} is invalid because its last label is a number but the whole name is not an IPv4 address`,
      );
    }
    return fail('idna', `${kind} ${quoted} is not a valid internationalized domain name because IDNA conversion to ASCII failed`);
  }
  if (isIPv4(ascii)) return fail('ip-address', `${kind} ${quoted} is an IP address, not a domain name`);

  // One trailing dot is the root label. checkLabels reports any further empty label.
  const name = ascii.charCodeAt(ascii.length - 1) === DOT ? ascii.slice(0, -1) : ascii;
  if (name.length === 0) return fail('empty', `${kind} ${quoted} is empty`);
  const problem = checkLabels(name, kind, quoted);
  if (problem !== undefined) return problem;
  return { ok: true, name };
}

function singleLabelFailure(kind: string, quoted: string): Failure {
  return fail('single-label', `${kind} ${quoted} has a single label, but a domain name needs at least two, as in example.com`);
}

/**
 * Normalizes a domain name to its canonical ASCII form, following the rules in the module comment.
 * Unicode and punycode spellings of one name give the same result. Failures carry a DOMAIN_REASONS code.
 */
export function normalizeDomain(text: string): DomainParse {
  const quoted = quote(text);
  const result = normalizeLabels(text, 'Domain', quoted, 0);
  if (result.ok && !result.name.includes('.')) return singleLabelFailure('Domain', quoted);
  return result;
}

/**
 * Returns `text` itself when one scan shows it is already canonical in the common way: lower-case ASCII
 * letters, digits, hyphens and dots, valid labels, no trailing dot. Otherwise returns undefined, and the
 * caller falls back to normalizeDomain. Names with an `xn--` label (which needs IDNA checks), an
 * underscore, or a last label that starts with a digit (IPv4 forms) always take the fallback.
 */
export function normalizeDomainFast(text: string): string | undefined {
  const length = text.length;
  if (length === 0 || length > MAX_NAME_LENGTH) return undefined;

  let labelStart = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x61 && code <= 0x7a) {
      // A punycode label must be decoded to be checked.
      if (code === 0x78 && i === labelStart && text.startsWith('n--', i + 1)) return undefined;
    } else if (code === DOT) {
      const labelLength = i - labelStart;
      if (labelLength === 0 || labelLength > MAX_LABEL_LENGTH || text.charCodeAt(i - 1) === HYPHEN) return undefined;
      labelStart = i + 1;
    } else if (code === HYPHEN) {
      if (i === labelStart) return undefined;
    } else if (code < 0x30 || code > 0x39) {
      return undefined;
    }
  }

  // The top-level label: present, valid, not the only one, not starting with a digit.
  const lastLength = length - labelStart;
  if (labelStart === 0 || lastLength === 0 || lastLength > MAX_LABEL_LENGTH) return undefined;
  if (text.charCodeAt(length - 1) === HYPHEN) return undefined;
  const first = text.charCodeAt(labelStart);
  if (first >= 0x30 && first <= 0x39) return undefined;
  return text;
}

/**
 * Checks whether the canonical `name` is exactly a public suffix under an ICANN rule of the Public
 * Suffix List: 'com', 'co.uk', 'xn--p1ai', or 'foo.ck' under the '*.ck' rule. Private-section suffixes
 * such as 'github.io' are not, and neither are unknown single labels such as 'localhost'.
 */
export function isPublicSuffix(name: string): boolean {
  const result = parseWithPsl(name, PSL_OPTIONS);
  return result.isIcann === true && result.publicSuffix === name;
}

/**
 * Parses a feed's domain entry. A leading '*.' means subdomains only, as a wildcard does in DNS and TLS
 * certificates ('*.example.com' does not cover 'example.com'). A leading '.' means the name and its
 * subdomains, as in Squid's dstdomain lists and cookie domains, which is what blocklists that write
 * '.example.com' intend. A marker states the feed author's intent for that entry, so it overrides
 * `defaultMode`, which applies to entries without one. A '*' anywhere else is rejected (reason
 * 'wildcard'), and so is a bare public suffix (reason 'public-suffix').
 */
export function parseDomainEntry(text: string, defaultMode: DomainMatchMode): DomainEntryParse {
  const kind = 'Domain entry';
  const quoted = quote(text);

  let mode = defaultMode;
  let offset = 0;
  if (text.startsWith('*.')) {
    mode = 'subdomains';
    offset = 2;
  } else if (text.startsWith('.')) {
    mode = 'both';
    offset = 1;
  }
  const body = offset === 0 ? text : text.slice(offset);

  const star = body.indexOf('*');
  if (star !== -1) {
    return fail(
      'wildcard',
      `${kind} ${quoted} has a "*" at position ${star + offset + 1}, but only a leading "*." is supported, as in *.example.com`,
    );
  }
  if (offset !== 0 && body.length === 0) {
    return fail('empty', `${kind} ${quoted} has a marker but no name after it`);
  }

  const result = normalizeLabels(body, kind, quoted, offset);
  if (!result.ok) return result;
  if (isPublicSuffix(result.name)) {
    return fail(
      'public-suffix',
      `${kind} ${quoted} is the public suffix ${quote(result.name)}, which would match every domain registered under it. List a domain below it, such as example.${result.name}`,
    );
  }
  if (!result.name.includes('.')) return singleLabelFailure(kind, quoted);
  return { ok: true, name: result.name, mode };
}

/**
 * Lists the names to probe for a lookup of the canonical `name`: itself, then each parent on label
 * boundaries down to the top-level label, most specific first. It costs one indexOf and one slice a label.
 */
export function parentNames(name: string): string[] {
  const names = [name];
  let dot = name.indexOf('.');
  while (dot !== -1) {
    names.push(name.slice(dot + 1));
    dot = name.indexOf('.', dot + 1);
  }
  return names;
}

/**
 * Checks whether the entry `entry` with `mode` matches the canonical query `name`. A subdomain match
 * needs a dot right before the entry's text in `name`, so 'michigan.org' never matches 'higan.org'.
 */
export function entryMatches(entry: string, mode: DomainMatchMode, name: string): boolean {
  if (name.length === entry.length) return mode !== 'subdomains' && name === entry;
  if (mode === 'exact' || name.length <= entry.length) return false;
  return name.charCodeAt(name.length - entry.length - 1) === DOT && name.endsWith(entry);
}

/** Returns the top-level label of a canonical name ('uk' for 'a.example.co.uk'), for tailoring feeds by TLD. */
export function topLevelDomain(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * Returns the registrable domain (eTLD+1, ICANN rules only) of a canonical name, such as 'example.co.uk'
 * for 'a.example.co.uk' and 'github.io' for 'foo.github.io', or undefined for a public suffix itself.
 */
export function registrableDomain(name: string): string | undefined {
  return getDomain(name, PSL_OPTIONS) ?? undefined;
}

/** Converts a canonical name to Unicode for display, or returns it unchanged when it cannot be decoded. */
export function domainToUnicodeName(name: string): string {
  const unicode = domainToUnicode(name);
  return unicode === '' ? name : unicode;
}
