/**
 * URL canonicalization and lookup expressions as Google Safe Browsing specifies them (Update API v4,
 * "URLs and Hashing"): feed entries and looked-up URLs both pass through `canonicalizeUrl`, entries are
 * stored under `entryExpression`, and a lookup probes every string of `lookupExpressions`.
 *
 *   input -> strip tab/CR/LF, trim, drop fragment -> bytes -> unescape until stable
 *         -> scheme | userinfo@host:port | path | ?query
 *         -> host: dots, IDN to punycode, IPv4/IPv6 forms, lower case -> path: resolve . and .., collapse //
 *         -> re-escape bytes <= 0x20, >= 0x7f, "#" and "%" once
 *
 * The whole URL is unescaped before it is split, as the Go client (google/safebrowsing) does, so an
 * escaped "/", "?" or "@" acts as the delimiter it encodes. That keeps the result idempotent, because
 * the canonical form never contains an escaped delimiter that a second pass would split differently.
 *
 * Pure module: no I/O, and no input makes it throw.
 */
import { domainToASCII } from 'node:url';

/** Maximum length, in UTF-16 code units, of an input URL and of its canonical form. */
export const MAX_URL_LENGTH = 8192;

/** At most this many hosts and paths are combined into lookup expressions. */
const MAX_LOOKUP_HOSTS = 5;
const MAX_PATH_PREFIXES = 4;

/** A URL in Safe Browsing canonical form, split into the parts that matching needs. */
export interface CanonicalUrl {
  /** Full canonical URL, e.g. "http://www.google.com/a?b". */
  readonly canonical: string;
  /** Lower-case scheme, e.g. "http". */
  readonly scheme: string;
  /**
   * Canonical host: lower case, internationalized names in punycode (xn--), no empty labels, other
   * bytes escaped as in `canonical`. An IP host is a dotted quad, or for IPv6 the compressed form
   * without brackets.
   */
  readonly host: string;
  readonly hostIsIp: boolean;
  /** Canonical path, starting with "/", without the query. */
  readonly path: string;
  /** Query without the "?"; undefined when the URL had no "?", "" when it ended in a bare "?". */
  readonly query: string | undefined;
}

/** Reason a string has no canonical form. */
export type UrlProblemReason =
  | 'invalid-url'
  | 'empty-url'
  | 'url-too-long'
  | 'empty-host'
  | 'invalid-host'
  | 'invalid-port';

export type UrlResult =
  | { ok: true; url: CanonicalUrl }
  | { ok: false; reason: UrlProblemReason; message: string };

const TAB_CR_LF = /[\t\r\n]/;
const TAB_CR_LF_ALL = /[\t\r\n]/g;
const NON_ASCII = /[^\x00-\x7f]/;
const C1_CONTROL = /[\u0080-\u009f]/;
const HIGH_BYTE = /[\x80-\xff]/;
const UPPER_ASCII = /[A-Z]/;
const UPPER_ASCII_RUNS = /[A-Z]+/g;
const NEEDS_ESCAPE = /[\x00-\x20\x7f-\xff#%]/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const PORT_AFTER_SCHEME_COLON = /^[0-9]+(?:[/?]|$)/;
const DIGITS = /^[0-9]*$/;
const PORT_AFTER_BRACKET = /^(?::[0-9]*)?$/;
const IPV4_PART = /^(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i;
const HEX_DIGITS = '0123456789ABCDEF';

/** Value of each ASCII hex digit, -1 for every other code below 128. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Canonicalizes `input` as Safe Browsing specifies. Returns `ok: false` with a kebab-case reason and a
 * message naming the input when the string has no usable host or is not a hierarchical URL.
 */
export function canonicalizeUrl(input: string): UrlResult {
  if (typeof input !== 'string') {
    return failure('invalid-url', `URL must be a string, but got ${input === null ? 'null' : typeof input}`);
  }
  if (input.length > MAX_URL_LENGTH) {
    return failure(
      'url-too-long',
      `URL ${describeInput(input)} has ${input.length} characters, more than the maximum of ${MAX_URL_LENGTH}`,
    );
  }

  // Tab, CR and LF are removed outright, unlike their escapes (%09, %0D, %0A), which stay data.
  let text = TAB_CR_LF.test(input) ? input.replace(TAB_CR_LF_ALL, '') : input;
  text = trimControlAndSpace(text);
  const hash = text.indexOf('#');
  if (hash >= 0) text = text.slice(0, hash);
  if (text.length === 0) {
    return failure('empty-url', `URL ${describeInput(input)} is empty once white space and the fragment are removed`);
  }

  const separated = separateAuthority(input, text);
  if (typeof separated !== 'string') return separated;
  text = unescapeUntilStable(toByteString(separated));
  return parseUnescaped(input, text);
}

const RAW_AUTHORITY_START = /^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?\/\//;

/**
 * Finds the authority in the URL as written, before any unescaping, the way a browser does: it ends
 * at the first "/", "?" or "\", and user info up to its last "@" is dropped. Without this, an
 * escaped separator such as "%2f@" or a backslash would move the host after unescaping, and
 * "http://allowed.example%2f@denied.example/" would be looked up as allowed.example although a
 * browser goes to denied.example. A host whose escapes decode to "/", "?", "@" or "\" is invalid.
 */
function separateAuthority(input: string, text: string): string | UrlResult {
  const prefix = RAW_AUTHORITY_START.exec(text);
  const scheme = SCHEME.exec(text);
  // A scheme without a written "//" ("mailto:", "http:host") has no authority, and parseUnescaped
  // rejects it. Text without a scheme is a bare "host/path" read as http://, so its authority starts
  // at the beginning.
  if (prefix === null && scheme !== null && !PORT_AFTER_SCHEME_COLON.test(text.slice(scheme[0].length))) return text;
  const start = prefix === null ? 0 : prefix[0].length;

  let end = start;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code === 0x2f || code === 0x3f || code === 0x5c) break;
    end++;
  }
  let authority = text.slice(start, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.includes('%')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(authority);
    } catch {
      decoded = authority;
    }
    // An escaped scheme ("http%3A%2F%2Fhost/") is only revealed by unescaping, as Safe Browsing does.
    if (prefix === null && RAW_AUTHORITY_START.test(decoded)) return text;
    if (/[/?@\\]/.test(decoded)) {
      return failure('invalid-host', `URL ${describeInput(input)} has a host that decodes to a "/", "?", "@" or "\\"; no browser reaches such a host`);
    }
  }
  // Browsers read "\" as "/" in the path of http and https URLs.
  const questionMark = text.indexOf('?', end);
  const path = text.slice(end, questionMark < 0 ? text.length : questionMark).replace(/\\/g, '/');
  const rest = questionMark < 0 ? '' : text.slice(questionMark);
  return `${text.slice(0, start)}${authority}${path}${rest}`;
}

/** Splits the fully unescaped byte string into its parts and canonicalizes each. */
function parseUnescaped(input: string, text: string): UrlResult {
  // A "name:" prefix is a scheme unless digits follow the colon, as in "www.google.com:80/".
  let scheme = 'http';
  let authorityStart = 0;
  const schemeMatch = SCHEME.exec(text);
  if (schemeMatch !== null && !PORT_AFTER_SCHEME_COLON.test(text.slice(schemeMatch[0].length))) {
    const afterColon = schemeMatch[0].length;
    if (!text.startsWith('//', afterColon)) {
      const name = schemeMatch[0].slice(0, -1);
      return failure(
        'invalid-url',
        `URL ${describeInput(input)} has scheme "${name}" but no "//" after it, so it has no host to match`,
      );
    }
    scheme = text.slice(0, afterColon - 1).toLowerCase();
    authorityStart = afterColon + 2;
  } else if (text.startsWith('//')) {
    authorityStart = 2; // A scheme-relative URL such as "//host/path".
  }

  // The authority ends at the first "/" or "?", and the query starts at the first "?".
  let authorityEnd = authorityStart;
  while (authorityEnd < text.length) {
    const code = text.charCodeAt(authorityEnd);
    if (code === 0x2f || code === 0x3f) break;
    authorityEnd++;
  }
  const questionMark = text.indexOf('?', authorityEnd);
  const rawPath = text.slice(authorityEnd, questionMark < 0 ? text.length : questionMark);
  const query = questionMark < 0 ? undefined : escapeBytes(text.slice(questionMark + 1));

  const host = canonicalizeHost(input, text.slice(authorityStart, authorityEnd));
  if (!host.ok) return host;

  const path = escapeBytes(normalizePath(rawPath));
  const hostInUrl = host.isIpv6 ? `[${host.host}]` : host.host;
  const canonical = `${scheme}://${hostInUrl}${path}${query === undefined ? '' : `?${query}`}`;
  if (canonical.length > MAX_URL_LENGTH) {
    return failure(
      'url-too-long',
      `URL ${describeInput(input)} has a canonical form of ${canonical.length} characters, more than the maximum of ${MAX_URL_LENGTH}`,
    );
  }

  return {
    ok: true,
    url: { canonical, scheme, host: host.host, hostIsIp: host.isIp, path, query },
  };
}

type HostResult =
  | { ok: true; host: string; isIp: boolean; isIpv6: boolean }
  | { ok: false; reason: UrlProblemReason; message: string };

/**
 * Canonicalizes the authority part of a URL (userinfo and port included) into its host. Fails on an
 * invalid port or IPv6 literal and on a host with no characters other than dots.
 */
function canonicalizeHost(input: string, authority: string): HostResult {
  const at = authority.lastIndexOf('@');
  let host = at < 0 ? authority : authority.slice(at + 1);

  if (host.charCodeAt(0) === 0x5b) return canonicalizeBracketedHost(input, host);

  const colon = host.indexOf(':');
  if (colon >= 0) {
    const port = host.slice(colon + 1);
    if (port.includes(':')) {
      return failure(
        'invalid-host',
        `URL ${describeInput(input)} has host "${escapeBytes(host)}" with more than one ":". Write an IPv6 address in brackets, as in http://[2001:db8::1]/`,
      );
    }
    if (!DIGITS.test(port)) {
      return failure(
        'invalid-port',
        `URL ${describeInput(input)} has port "${escapeBytes(port)}", which is not a decimal number`,
      );
    }
    host = host.slice(0, colon);
  }
  // Brackets belong to IPv6 literals only. Left in a name, they would make a second pass read one.
  if (host.includes('[') || host.includes(']')) {
    return failure(
      'invalid-host',
      `URL ${describeInput(input)} has host "${escapeBytes(host)}" with "[" or "]" outside an IPv6 literal`,
    );
  }

  host = normalizeDots(host);
  if (host === '') return emptyHost(input);

  // Internationalized names become punycode. A name that is not UTF-8, or that IDNA rejects (for
  // example because it contains a space), keeps its bytes and is escaped like the rest of the URL.
  if (HIGH_BYTE.test(host)) {
    const ascii = punycodeHost(host);
    if (ascii === undefined) return { ok: true, host: escapeBytes(lowerCaseAscii(host)), isIp: false, isIpv6: false };
    host = normalizeDots(ascii);
    if (host === '') return emptyHost(input);
  }

  const ipv4 = parseIpv4(host);
  if (ipv4 !== undefined) return { ok: true, host: ipv4, isIp: true, isIpv6: false };
  return { ok: true, host: escapeBytes(lowerCaseAscii(host)), isIp: false, isIpv6: false };
}

function emptyHost(input: string): HostResult {
  return failure('empty-host', `URL ${describeInput(input)} has an empty host`);
}

/** Canonicalizes "[IPv6]" optionally followed by ":port" into the compressed IPv6 form. */
function canonicalizeBracketedHost(input: string, host: string): HostResult {
  const close = host.indexOf(']');
  if (close < 0) {
    return failure('invalid-host', `URL ${describeInput(input)} has an IPv6 literal without a closing "]"`);
  }
  const afterBracket = host.slice(close + 1);
  if (!PORT_AFTER_BRACKET.test(afterBracket)) {
    return failure(
      'invalid-port',
      `URL ${describeInput(input)} has "${escapeBytes(afterBracket)}" after its IPv6 literal. Only ":" and a decimal port may follow "]"`,
    );
  }

  const literal = host.slice(0, close + 1);
  const compressed = compressIpv6(literal);
  if (compressed === undefined) {
    return failure('invalid-host', `URL ${describeInput(input)} has the invalid IPv6 literal "${escapeBytes(literal)}"`);
  }
  return { ok: true, host: compressed, isIp: true, isIpv6: true };
}

/**
 * Returns the lower-case compressed form (RFC 5952, embedded IPv4 written in hex) of a bracketed IPv6
 * literal, or undefined when it is not one. IPv6 hosts are rare, so the WHATWG parser is cheap enough.
 */
function compressIpv6(literal: string): string | undefined {
  if (NON_ASCII.test(literal)) return undefined;
  try {
    const hostname = new URL(`http://${literal}/`).hostname;
    return hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Converts a host of UTF-8 bytes to punycode; undefined when the bytes are not UTF-8 or IDNA rejects the name. */
function punycodeHost(host: string): string | undefined {
  let unicode: string;
  try {
    unicode = UTF8_DECODER.decode(Buffer.from(host, 'latin1'));
  } catch {
    return undefined;
  }
  const ascii = domainToASCII(unicode);
  return ascii === '' ? undefined : ascii;
}

/**
 * Parses the IPv4 forms that resolvers accept (inet_aton): 1 to 4 parts, each decimal, octal (leading
 * 0) or hex (0x), the last part filling the remaining bytes. Returns the dotted quad, or undefined
 * when `host` is not such an address.
 * NOTE: a part that overflows its bytes ("256.1.1.1") makes the host a name, as in browsers. The Go
 * client (google/safebrowsing) masks such a part to its low byte instead.
 */
function parseIpv4(host: string): string | undefined {
  const first = host.charCodeAt(0);
  if (first < 0x30 || first > 0x39) return undefined;

  const parts = host.split('.');
  if (parts.length > 4) return undefined;

  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!IPV4_PART.test(part)) return undefined;
    const number = parseIpv4Part(part);
    const isLast = i === parts.length - 1;
    const limit = isLast ? 256 ** (5 - parts.length) : 256;
    if (!(number < limit)) return undefined;
    value = isLast ? value * limit + number : value * 256 + number;
  }

  // Short forms leave the middle bytes at zero: "a.b" puts b in the last three bytes.
  const address = value >>> 0;
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

function parseIpv4Part(part: string): number {
  if (part.length > 1 && (part.charCodeAt(1) | 0x20) === 0x78) return parseInt(part.slice(2), 16);
  if (part.length > 1 && part.charCodeAt(0) === 0x30) return parseInt(part, 8);
  return parseInt(part, 10);
}

/**
 * Resolves "." and ".." segments and collapses repeated slashes. A path ending in "/", "." or ".."
 * names a directory and keeps a trailing slash.
 */
function normalizePath(path: string): string {
  if (path === '') return '/';
  if (!path.includes('//') && !path.includes('/.')) return path;

  const segments = path.split('/');
  const resolved: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '..') resolved.pop();
    else if (segment !== '' && segment !== '.') resolved.push(segment);
  }
  if (resolved.length === 0) return '/';

  const last = segments[segments.length - 1];
  const isDirectory = last === '' || last === '.' || last === '..';
  return `/${resolved.join('/')}${isDirectory ? '/' : ''}`;
}

/** Removes leading and trailing dots and collapses runs of dots into one. */
function normalizeDots(host: string): string {
  if (host.charCodeAt(0) !== 0x2e && host.charCodeAt(host.length - 1) !== 0x2e && !host.includes('..')) return host;
  return host
    .split('.')
    .filter((label) => label !== '')
    .join('.');
}

/** Lower-cases A-Z only, because the other characters of a byte string are bytes, not Latin-1 letters. */
function lowerCaseAscii(text: string): string {
  if (!UPPER_ASCII.test(text)) return text;
  return text.replace(UPPER_ASCII_RUNS, (run) => run.toLowerCase());
}

/** Removes leading and trailing characters up to U+0020 (space and control characters). */
function trimControlAndSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Converts a string to a byte string (one code unit per byte, each below 256). Non-ASCII characters
 * become their UTF-8 bytes, except C1 controls (U+0080 to U+009F), which become the single byte of the
 * same value. C1 controls occur in text only when raw bytes were decoded as Latin-1, and that is how
 * the published vector "http://\x01\x80.com/" reaches a JavaScript string.
 */
function toByteString(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  if (!C1_CONTROL.test(text)) return Buffer.from(text, 'utf8').toString('latin1');

  let bytes = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 && code <= 0x9f) {
      bytes += Buffer.from(text.slice(start, i), 'utf8').toString('latin1') + text[i];
      start = i + 1;
    }
  }
  return bytes + Buffer.from(text.slice(start), 'utf8').toString('latin1');
}

/** Decodes %XX escapes repeatedly until none is left; each pass that changes the text shortens it, so this ends. */
function unescapeUntilStable(text: string): string {
  let current = text;
  for (;;) {
    const next = unescapeOnce(current);
    if (next === current) return current;
    current = next;
  }
}

function unescapeOnce(text: string): string {
  let percent = text.indexOf('%');
  if (percent < 0) return text;

  let out = '';
  let copied = 0;
  while (percent >= 0 && percent + 2 < text.length) {
    const high = hexValue(text.charCodeAt(percent + 1));
    const low = hexValue(text.charCodeAt(percent + 2));
    if (high >= 0 && low >= 0) {
      out += text.slice(copied, percent) + String.fromCharCode((high << 4) | low);
      copied = percent + 3;
      percent = text.indexOf('%', copied);
    } else {
      percent = text.indexOf('%', percent + 1);
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUE[code]! : -1;
}

/** Escapes bytes <= 0x20, >= 0x7f, "#" and "%" as %XX with upper-case hex digits. */
function escapeBytes(bytes: string): string {
  if (!NEEDS_ESCAPE.test(bytes)) return bytes;

  let out = '';
  let copied = 0;
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || code === 0x23 || code === 0x25) {
      out += bytes.slice(copied, i) + '%' + HEX_DIGITS[code >> 4] + HEX_DIGITS[code & 0x0f];
      copied = i + 1;
    }
  }
  return out + bytes.slice(copied);
}

/** Quotes the input for a message, cut to 100 characters so that a huge input does not flood logs. */
function describeInput(input: string): string {
  return JSON.stringify(input.length > 100 ? `${input.slice(0, 100)}…` : input);
}

function failure(reason: UrlProblemReason, message: string): { ok: false; reason: UrlProblemReason; message: string } {
  return { ok: false, reason, message };
}

/** Host as it appears in expressions and in the canonical URL: an IPv6 address keeps its brackets. */
function expressionHost(url: CanonicalUrl): string {
  return url.hostIsIp && url.host.includes(':') ? `[${url.host}]` : url.host;
}

/**
 * Lookup expressions "host/path[?query]" per Safe Browsing: at most 5 hosts x 6 paths, most specific
 * first (exact host + full path with query first).
 *
 * Hosts are the exact host, then up to 4 suffixes made from its last 5 labels by dropping the leading
 * label each time, down to 2 labels so that the top-level label is never tried alone. An IP host is
 * used only as is. Paths are the exact path with the query (when there was a "?"), the exact path,
 * then up to 4 directory prefixes from "/".
 */
export function lookupExpressions(url: CanonicalUrl): string[] {
  const hosts = lookupHosts(url);
  const paths = lookupPaths(url);
  const expressions: string[] = [];
  for (const host of hosts) {
    for (const path of paths) expressions.push(host + path);
  }
  return expressions;
}

/**
 * Returns the expression under which a feed entry URL is stored: host + path (+ "?" + query when
 * present), which is the most specific expression and the first of `lookupExpressions`.
 */
export function entryExpression(url: CanonicalUrl): string {
  return expressionHost(url) + url.path + (url.query === undefined ? '' : `?${url.query}`);
}

function lookupHosts(url: CanonicalUrl): string[] {
  const exact = expressionHost(url);
  if (url.hostIsIp) return [exact];

  const dots: number[] = [];
  for (let i = exact.indexOf('.'); i >= 0; i = exact.indexOf('.', i + 1)) dots.push(i);
  const labels = dots.length + 1;

  // The suffix from label i on starts after dot i - 1 and has labels - i labels, from 5 down to 2.
  const hosts = [exact];
  for (let i = Math.max(1, labels - MAX_LOOKUP_HOSTS); i <= labels - 2; i++) hosts.push(exact.slice(dots[i - 1]! + 1));
  return hosts;
}

function lookupPaths(url: CanonicalUrl): string[] {
  const { path, query } = url;
  const paths: string[] = [];
  if (query !== undefined) paths.push(`${path}?${query}`);
  paths.push(path);
  if (path !== '/') paths.push('/');

  // Directory prefixes "/a/", "/a/b/", "/a/b/c/" below the root, skipping one equal to the path itself.
  let slash = 0;
  for (let prefixes = 1; prefixes < MAX_PATH_PREFIXES; prefixes++) {
    const next = path.indexOf('/', slash + 1);
    if (next < 0) break;
    const prefix = path.slice(0, next + 1);
    if (prefix !== path) paths.push(prefix);
    slash = next;
  }
  return paths;
}
