import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import {
  DOMAIN_REASONS,
  domainToUnicodeName,
  entryMatches,
  isPublicSuffix,
  normalizeDomain,
  normalizeDomainFast,
  parentNames,
  parseDomainEntry,
  registrableDomain,
  topLevelDomain,
  type DomainMatchMode,
} from '../../src/indicators/domain.js';

const MODES: readonly DomainMatchMode[] = ['exact', 'subdomains', 'both'];

// Names at the length limits: three 63-character labels plus one of 61 make 253 characters.
const LABEL_63 = 'a'.repeat(63);
const LABEL_64 = 'a'.repeat(64);
const NAME_253 = [LABEL_63, LABEL_63, LABEL_63, 'b'.repeat(61)].join('.');
const NAME_254 = [LABEL_63, LABEL_63, LABEL_63, 'b'.repeat(62)].join('.');

/** Quotes a value longer than 100 characters as messages do. */
function quotedLong(value: string): string {
  return `${JSON.stringify(value.slice(0, 100))}... (${value.length} characters)`;
}

const EMPTY_LABEL = 'has an empty label, because it starts with a dot, has two dots in a row or ends with more than one dot';
const NOT_ALLOWED = 'which is not allowed in a domain name';

describe('normalizeDomain accepts', () => {
  test.each([
    // Case and the trailing dot.
    { input: 'example.com', name: 'example.com' },
    { input: 'WWW.Example.COM', name: 'www.example.com' },
    { input: 'example.com.', name: 'example.com' },
    { input: 'EXAMPLE.COM.', name: 'example.com' },
    // Internationalized names: Unicode and punycode spellings agree.
    { input: 'bücher.example', name: 'xn--bcher-kva.example' },
    { input: 'BÜCHER.EXAMPLE', name: 'xn--bcher-kva.example' },
    { input: 'xn--bcher-kva.example', name: 'xn--bcher-kva.example' },
    { input: 'XN--BCHER-KVA.EXAMPLE', name: 'xn--bcher-kva.example' },
    { input: 'münchen.de', name: 'xn--mnchen-3ya.de' },
    { input: 'MÜNCHEN.DE', name: 'xn--mnchen-3ya.de' },
    { input: 'xn--mnchen-3ya.de', name: 'xn--mnchen-3ya.de' },
    { input: 'пример.рф', name: 'xn--e1afmkfd.xn--p1ai' },
    { input: 'ПРИМЕР.РФ', name: 'xn--e1afmkfd.xn--p1ai' },
    { input: 'xn--e1afmkfd.xn--p1ai', name: 'xn--e1afmkfd.xn--p1ai' },
    { input: 'пример.рф.', name: 'xn--e1afmkfd.xn--p1ai' },
    // Non-transitional IDNA, as in browsers: 'ß' is its own letter, not 'ss', but capital 'ẞ' maps to 'ss'.
    { input: 'straße.de', name: 'xn--strae-oqa.de' },
    { input: 'Straße.de', name: 'xn--strae-oqa.de' },
    { input: 'strasse.de', name: 'strasse.de' },
    { input: 'faß.de', name: 'xn--fa-hia.de' },
    { input: 'FASS.de', name: 'fass.de' },
    { input: 'ẞ.de', name: 'ss.de' },
    // UTS #46 mapping: full-width letters and the ideographic full stop.
    { input: 'ｅｘａｍｐｌｅ.com', name: 'example.com' },
    { input: 'example。com', name: 'example.com' },
    // Underscores, tolerated below the top-level label.
    { input: '_dmarc.example.com', name: '_dmarc.example.com' },
    { input: 'my_host.example.net', name: 'my_host.example.net' },
    { input: '_sip._tcp.example.com', name: '_sip._tcp.example.com' },
    { input: 'host_.example.com', name: 'host_.example.com' },
    { input: 'bü_cher.de', name: 'xn--b_cher-3ya.de' },
    // Digits and hyphens inside labels.
    { input: '123.example.com', name: '123.example.com' },
    { input: 'r3---sn-ab5l6n67.googlevideo.com', name: 'r3---sn-ab5l6n67.googlevideo.com' },
    { input: 'ab--cd.com', name: 'ab--cd.com' },
    { input: 'example.1a', name: 'example.1a' },
    // Length limits.
    { input: `${LABEL_63}.com`, name: `${LABEL_63}.com` },
    { input: NAME_253, name: NAME_253 },
    { input: `${NAME_253}.`, name: NAME_253 },
    // normalizeDomain does not check public suffixes, because only feed entries must not be one.
    { input: 'co.uk', name: 'co.uk' },
  ])('$input -> $name', ({ input, name }) => {
    expect(normalizeDomain(input)).toEqual({ ok: true, name });
  });
});

describe('normalizeDomain rejects', () => {
  test.each([
    // Empty and dots.
    { input: '', reason: 'empty', message: 'Domain "" is empty' },
    { input: '.', reason: 'empty', message: 'Domain "." is empty' },
    { input: '..', reason: 'empty-label', message: `Domain ".." ${EMPTY_LABEL}` },
    { input: 'example.com..', reason: 'empty-label', message: `Domain "example.com.." ${EMPTY_LABEL}` },
    { input: '.example.com', reason: 'empty-label', message: `Domain ".example.com" ${EMPTY_LABEL}` },
    { input: 'www..example.com', reason: 'empty-label', message: `Domain "www..example.com" ${EMPTY_LABEL}` },
    // IP addresses, for the caller to handle as IPs.
    { input: '1.2.3.4', reason: 'ip-address', message: 'Domain "1.2.3.4" is an IP address, not a domain name' },
    { input: '1.2.3.4.', reason: 'ip-address', message: 'Domain "1.2.3.4." is an IP address, not a domain name' },
    { input: '127.1', reason: 'ip-address', message: 'Domain "127.1" is an IP address, not a domain name' },
    { input: '0x7f.0.0.1', reason: 'ip-address', message: 'Domain "0x7f.0.0.1" is an IP address, not a domain name' },
    { input: '::1', reason: 'ip-address', message: 'Domain "::1" is an IP address, not a domain name' },
    { input: '[::1]', reason: 'ip-address', message: 'Domain "[::1]" is an IP address, not a domain name' },
    { input: '2001:db8::1', reason: 'ip-address', message: 'Domain "2001:db8::1" is an IP address, not a domain name' },
    // A numeric last label that is not an IPv4 address.
    {
      input: '1.2.3.4.5',
      reason: 'invalid-tld',
      message: 'Domain "1.2.3.4.5" is invalid because its last label is a number but the whole name is not an IPv4 address',
    },
    {
      input: 'example.123',
      reason: 'invalid-tld',
      message: 'Domain "example.123" is invalid because its last label is a number but the whole name is not an IPv4 address',
    },
    {
      input: 'example.0x1f',
      reason: 'invalid-tld',
      message: 'Domain "example.0x1f" is invalid because its last label is a number but the whole name is not an IPv4 address',
    },
    { input: 'example.c_m', reason: 'invalid-tld', message: 'Domain "example.c_m" has an underscore in its top-level label "c_m"' },
    // Characters: white space, URL syntax and wildcards, with positions counted from 1.
    {
      input: 'exa mple.com',
      reason: 'invalid-character',
      message: `Domain "exa mple.com" contains the character " " (U+0020) at position 4, ${NOT_ALLOWED}`,
    },
    {
      input: ' example.com',
      reason: 'invalid-character',
      message: `Domain " example.com" contains the character " " (U+0020) at position 1, ${NOT_ALLOWED}`,
    },
    {
      input: 'example.com\n',
      reason: 'invalid-character',
      message: `Domain "example.com\\n" contains the character "\\n" (U+000A) at position 12, ${NOT_ALLOWED}`,
    },
    {
      input: 'exa\u00a0mple.com',
      reason: 'invalid-character',
      message: `Domain "exa\u00a0mple.com" contains the character "\u00a0" (U+00A0) at position 4, ${NOT_ALLOWED}`,
    },
    {
      input: 'example.com/path',
      reason: 'invalid-character',
      message: `Domain "example.com/path" contains the character "/" (U+002F) at position 12, ${NOT_ALLOWED}`,
    },
    {
      input: 'ex%41mple.com',
      reason: 'invalid-character',
      message: `Domain "ex%41mple.com" contains the character "%" (U+0025) at position 3, ${NOT_ALLOWED}`,
    },
    {
      input: 'example.com:443',
      reason: 'invalid-character',
      message: `Domain "example.com:443" contains the character ":" (U+003A) at position 12, ${NOT_ALLOWED}`,
    },
    {
      input: '*.example.com',
      reason: 'invalid-character',
      message: `Domain "*.example.com" contains the character "*" (U+002A) at position 1, ${NOT_ALLOWED}`,
    },
    {
      input: '＊.example.com',
      reason: 'invalid-character',
      message: `Domain "＊.example.com" becomes "*.example.com" in ASCII form, whose label "*" contains the character "*" (U+002A), ${NOT_ALLOWED}`,
    },
    // IDNA failures: bad punycode, a joiner outside its context, a symbol IDNA disallows.
    {
      input: 'xn--zz.com',
      reason: 'idna',
      message: 'Domain "xn--zz.com" is not a valid internationalized domain name because IDNA conversion to ASCII failed',
    },
    {
      input: 'xn--abc.com',
      reason: 'idna',
      message: 'Domain "xn--abc.com" is not a valid internationalized domain name because IDNA conversion to ASCII failed',
    },
    {
      input: 'a\u200db.com',
      reason: 'idna',
      message: 'Domain "a\u200db.com" is not a valid internationalized domain name because IDNA conversion to ASCII failed',
    },
    {
      input: '⒈.com',
      reason: 'idna',
      message: 'Domain "⒈.com" is not a valid internationalized domain name because IDNA conversion to ASCII failed',
    },
    // Hyphens at label edges.
    { input: '-example.com', reason: 'label-hyphen', message: 'Domain "-example.com" has the label "-example", which starts or ends with a hyphen' },
    { input: 'example-.com', reason: 'label-hyphen', message: 'Domain "example-.com" has the label "example-", which starts or ends with a hyphen' },
    { input: 'example.com-', reason: 'label-hyphen', message: 'Domain "example.com-" has the label "com-", which starts or ends with a hyphen' },
    // Lengths.
    {
      input: `${LABEL_64}.com`,
      reason: 'label-too-long',
      message: `Domain "${LABEL_64}.com" has the label "${LABEL_64}" of 64 characters, more than the maximum of 63`,
    },
    {
      // 60 Unicode characters are 66 in punycode.
      input: `${'ü'.repeat(60)}.de`,
      reason: 'label-too-long',
      message: `Domain "${'ü'.repeat(60)}.de" has the label "xn--td${'a'.repeat(60)}" of 66 characters, more than the maximum of 63`,
    },
    {
      input: NAME_254,
      reason: 'name-too-long',
      message: `Domain ${quotedLong(NAME_254)} is 254 characters long in ASCII form, more than the maximum of 253`,
    },
    // A single label.
    {
      input: 'localhost',
      reason: 'single-label',
      message: 'Domain "localhost" has a single label, but a domain name needs at least two, as in example.com',
    },
    { input: 'com.', reason: 'single-label', message: 'Domain "com." has a single label, but a domain name needs at least two, as in example.com' },
    { input: 'РФ', reason: 'single-label', message: 'Domain "РФ" has a single label, but a domain name needs at least two, as in example.com' },
  ])('$input -> $reason', ({ input, reason, message }) => {
    expect(normalizeDomain(input)).toEqual({ ok: false, reason, message });
  });
});

describe('normalizeDomainFast', () => {
  test.each([
    // Already canonical: returned as is.
    { input: 'www.example.com', expected: 'www.example.com' },
    { input: 'example.com', expected: 'example.com' },
    { input: 'a.b', expected: 'a.b' },
    { input: '123.example.com', expected: '123.example.com' },
    { input: 'r3---sn-ab5l6n67.googlevideo.com', expected: 'r3---sn-ab5l6n67.googlevideo.com' },
    { input: 'xn.com', expected: 'xn.com' },
    { input: 'xn-a.com', expected: 'xn-a.com' },
    { input: `${LABEL_63}.com`, expected: `${LABEL_63}.com` },
    { input: NAME_253, expected: NAME_253 },
    // Not canonical or needs the full check: undefined, so the caller falls back.
    { input: '', expected: undefined },
    { input: 'Example.com', expected: undefined },
    { input: 'example.com.', expected: undefined },
    { input: '.example.com', expected: undefined },
    { input: 'www..example.com', expected: undefined },
    { input: 'localhost', expected: undefined },
    { input: 'xn--bcher-kva.example', expected: undefined },
    { input: 'example.xn--p1ai', expected: undefined },
    { input: 'xn--zz.com', expected: undefined },
    { input: 'bücher.example', expected: undefined },
    { input: '_dmarc.example.com', expected: undefined },
    { input: '-a.com', expected: undefined },
    { input: 'a-.com', expected: undefined },
    { input: 'example.com-', expected: undefined },
    { input: '1.2.3.4', expected: undefined },
    { input: 'example.1a', expected: undefined },
    { input: 'example.com ', expected: undefined },
    { input: `${LABEL_64}.com`, expected: undefined },
    { input: `example.${LABEL_64}`, expected: undefined },
    { input: NAME_254, expected: undefined },
  ])('$input -> $expected', ({ input, expected }) => {
    expect(normalizeDomainFast(input)).toBe(expected);
  });
});

describe('isPublicSuffix (ICANN section only)', () => {
  test.each([
    { name: 'com', expected: true },
    { name: 'uk', expected: true },
    { name: 'co.uk', expected: true },
    { name: 'xn--p1ai', expected: true },
    // '*.ck' makes every second-level name under ck a suffix, except '!www.ck'.
    { name: 'foo.ck', expected: true },
    { name: 'www.ck', expected: false },
    { name: 'example.com', expected: false },
    { name: 'example.co.uk', expected: false },
    { name: 'xn--e1afmkfd.xn--p1ai', expected: false },
    // Private section: not public suffixes here.
    { name: 'github.io', expected: false },
    { name: 'blogspot.com', expected: false },
    // Unknown single labels are not ICANN suffixes.
    { name: 'localhost', expected: false },
    { name: 'zzz', expected: false },
  ])('$name -> $expected', ({ name, expected }) => {
    expect(isPublicSuffix(name)).toBe(expected);
  });
});

describe('parseDomainEntry markers and modes', () => {
  const cases = MODES.flatMap((defaultMode) => [
    // No marker: the feed's default mode.
    { input: 'example.com', defaultMode, name: 'example.com', mode: defaultMode },
    { input: 'WWW.Example.com.', defaultMode, name: 'www.example.com', mode: defaultMode },
    { input: 'bücher.example', defaultMode, name: 'xn--bcher-kva.example', mode: defaultMode },
    // '*.' is subdomains only and '.' is the name and its subdomains, whatever the default.
    { input: '*.example.com', defaultMode, name: 'example.com', mode: 'subdomains' as const },
    { input: '.example.com', defaultMode, name: 'example.com', mode: 'both' as const },
    { input: '*.пример.рф', defaultMode, name: 'xn--e1afmkfd.xn--p1ai', mode: 'subdomains' as const },
    { input: '.Example.COM.', defaultMode, name: 'example.com', mode: 'both' as const },
    // Private-section suffixes and names below a wildcard rule's exception are ordinary entries.
    { input: 'github.io', defaultMode, name: 'github.io', mode: defaultMode },
    { input: '*.github.io', defaultMode, name: 'github.io', mode: 'subdomains' as const },
    { input: 'www.ck', defaultMode, name: 'www.ck', mode: defaultMode },
    { input: '_dmarc.example.com', defaultMode, name: '_dmarc.example.com', mode: defaultMode },
  ]);

  test.each(cases)('$input with default $defaultMode -> $name ($mode)', ({ input, defaultMode, name, mode }) => {
    expect(parseDomainEntry(input, defaultMode)).toEqual({ ok: true, name, mode });
  });
});

describe('parseDomainEntry rejects', () => {
  const publicSuffix = (input: string, suffix: string) => ({
    input,
    reason: 'public-suffix',
    message: `Domain entry ${JSON.stringify(input)} is the public suffix "${suffix}", which would match every domain registered under it. List a domain below it, such as example.${suffix}`,
  });

  test.each([
    publicSuffix('com', 'com'),
    publicSuffix('COM.', 'com'),
    publicSuffix('*.com', 'com'),
    publicSuffix('.com', 'com'),
    publicSuffix('co.uk', 'co.uk'),
    publicSuffix('.co.uk', 'co.uk'),
    publicSuffix('*.co.uk', 'co.uk'),
    publicSuffix('xn--p1ai', 'xn--p1ai'),
    publicSuffix('рф', 'xn--p1ai'),
    publicSuffix('*.рф', 'xn--p1ai'),
    publicSuffix('foo.ck', 'foo.ck'),
    {
      input: 'localhost',
      reason: 'single-label',
      message: 'Domain entry "localhost" has a single label, but a domain name needs at least two, as in example.com',
    },
    {
      input: '*',
      reason: 'wildcard',
      message: 'Domain entry "*" has a "*" at position 1, but only a leading "*." is supported, as in *.example.com',
    },
    {
      input: 'www.*.example.com',
      reason: 'wildcard',
      message: 'Domain entry "www.*.example.com" has a "*" at position 5, but only a leading "*." is supported, as in *.example.com',
    },
    {
      input: '*.*.example.com',
      reason: 'wildcard',
      message: 'Domain entry "*.*.example.com" has a "*" at position 3, but only a leading "*." is supported, as in *.example.com',
    },
    {
      input: '*example.com',
      reason: 'wildcard',
      message: 'Domain entry "*example.com" has a "*" at position 1, but only a leading "*." is supported, as in *.example.com',
    },
    { input: '*.', reason: 'empty', message: 'Domain entry "*." has a marker but no name after it' },
    { input: '.', reason: 'empty', message: 'Domain entry "." has a marker but no name after it' },
    { input: '', reason: 'empty', message: 'Domain entry "" is empty' },
    { input: '..example.com', reason: 'empty-label', message: `Domain entry "..example.com" ${EMPTY_LABEL}` },
    { input: '*..example.com', reason: 'empty-label', message: `Domain entry "*..example.com" ${EMPTY_LABEL}` },
    { input: '.*.example.com', reason: 'wildcard', message: 'Domain entry ".*.example.com" has a "*" at position 2, but only a leading "*." is supported, as in *.example.com' },
    { input: '*.1.2.3.4', reason: 'ip-address', message: 'Domain entry "*.1.2.3.4" is an IP address, not a domain name' },
    {
      // Positions count from the start of the entry, marker included.
      input: '*.exa mple.com',
      reason: 'invalid-character',
      message: `Domain entry "*.exa mple.com" contains the character " " (U+0020) at position 6, ${NOT_ALLOWED}`,
    },
    {
      input: `.${LABEL_64}.com`,
      reason: 'label-too-long',
      message: `Domain entry ".${LABEL_64}.com" has the label "${LABEL_64}" of 64 characters, more than the maximum of 63`,
    },
  ])('$input -> $reason', ({ input, reason, message }) => {
    for (const mode of MODES) expect(parseDomainEntry(input, mode)).toEqual({ ok: false, reason, message });
  });
});

describe('entryMatches', () => {
  // Relation of the query to the entry 'higan.org' and whether each mode matches it.
  test.each([
    { relation: 'same name', name: 'higan.org', exact: true, subdomains: false, both: true },
    { relation: 'child', name: 'a.higan.org', exact: false, subdomains: true, both: true },
    { relation: 'grandchild', name: 'x.a.higan.org', exact: false, subdomains: true, both: true },
    { relation: 'suffix not on a label boundary', name: 'michigan.org', exact: false, subdomains: false, both: false },
    { relation: 'suffix not on a label boundary, deeper', name: 'www.michigan.org', exact: false, subdomains: false, both: false },
    { relation: 'parent', name: 'org', exact: false, subdomains: false, both: false },
    { relation: 'sibling', name: 'ligan.org', exact: false, subdomains: false, both: false },
    { relation: 'entry as a prefix', name: 'higan.org.uk', exact: false, subdomains: false, both: false },
    { relation: 'entry as a middle part', name: 'a.higan.org.uk', exact: false, subdomains: false, both: false },
    { relation: 'same length, other name', name: 'hogan.org', exact: false, subdomains: false, both: false },
  ])('$relation: $name', ({ name, exact, subdomains, both }) => {
    expect(entryMatches('higan.org', 'exact', name)).toBe(exact);
    expect(entryMatches('higan.org', 'subdomains', name)).toBe(subdomains);
    expect(entryMatches('higan.org', 'both', name)).toBe(both);
  });
});

describe('parentNames', () => {
  test.each([
    { name: 'a.b.example.co.uk', expected: ['a.b.example.co.uk', 'b.example.co.uk', 'example.co.uk', 'co.uk', 'uk'] },
    { name: 'www.example.com', expected: ['www.example.com', 'example.com', 'com'] },
    { name: 'example.com', expected: ['example.com', 'com'] },
    { name: 'xn--e1afmkfd.xn--p1ai', expected: ['xn--e1afmkfd.xn--p1ai', 'xn--p1ai'] },
    { name: '_sip._tcp.example.com', expected: ['_sip._tcp.example.com', '_tcp.example.com', 'example.com', 'com'] },
    { name: 'com', expected: ['com'] },
  ])('$name', ({ name, expected }) => {
    expect(parentNames(name)).toEqual(expected);
  });
});

describe('topLevelDomain and registrableDomain', () => {
  test.each([
    { name: 'a.b.example.co.uk', tld: 'uk', registrable: 'example.co.uk' },
    { name: 'www.example.com', tld: 'com', registrable: 'example.com' },
    { name: 'example.com', tld: 'com', registrable: 'example.com' },
    { name: 'xn--e1afmkfd.xn--p1ai', tld: 'xn--p1ai', registrable: 'xn--e1afmkfd.xn--p1ai' },
    { name: 'www.xn--e1afmkfd.xn--p1ai', tld: 'xn--p1ai', registrable: 'xn--e1afmkfd.xn--p1ai' },
    // ICANN rules only: a GitHub Pages site's registrable domain is github.io.
    { name: 'foo.github.io', tld: 'io', registrable: 'github.io' },
    { name: '_dmarc.example.com', tld: 'com', registrable: 'example.com' },
    { name: 'www.ck', tld: 'ck', registrable: 'www.ck' },
    // The implicit '*' rule: an unknown TLD is its own suffix.
    { name: 'a.b.zzz', tld: 'zzz', registrable: 'b.zzz' },
    // A public suffix has no registrable domain.
    { name: 'co.uk', tld: 'uk', registrable: undefined },
    { name: 'foo.ck', tld: 'ck', registrable: undefined },
    { name: 'com', tld: 'com', registrable: undefined },
  ])('$name -> $tld, $registrable', ({ name, tld, registrable }) => {
    expect(topLevelDomain(name)).toBe(tld);
    expect(registrableDomain(name)).toBe(registrable);
  });
});

describe('domainToUnicodeName', () => {
  test.each([
    { name: 'xn--bcher-kva.example', expected: 'bücher.example' },
    { name: 'xn--mnchen-3ya.de', expected: 'münchen.de' },
    { name: 'xn--e1afmkfd.xn--p1ai', expected: 'пример.рф' },
    { name: 'xn--strae-oqa.de', expected: 'straße.de' },
    { name: 'example.com', expected: 'example.com' },
    { name: '_dmarc.example.com', expected: '_dmarc.example.com' },
    // Undecodable punycode is shown as it is.
    { name: 'xn--zz.com', expected: 'xn--zz.com' },
  ])('$name -> $expected', ({ name, expected }) => {
    expect(domainToUnicodeName(name)).toBe(expected);
  });
});

test('reason codes all covered', () => {
  const inputs = ['', '1.2.3.4', 'a b.com', 'xn--zz.com', 'a.1', '..', `${LABEL_64}.com`, '-a.com', NAME_254, 'localhost'];
  const reasons = new Set<string>();
  for (const input of inputs) {
    const result = normalizeDomain(input);
    if (!result.ok) reasons.add(result.reason);
  }
  for (const input of ['a.*.com', 'com']) {
    const result = parseDomainEntry(input, 'exact');
    if (!result.ok) reasons.add(result.reason);
  }
  expect([...reasons].sort()).toEqual([...DOMAIN_REASONS].sort());
});

describe('properties', () => {
  // Inputs close to domains, so that both the fast path and every rejection are reached often.
  const unit = fc.constantFrom(
    ...'abcxnz019-._'.split(''),
    'A',
    'Z',
    'ü',
    'ß',
    'ẞ',
    'р',
    'ф',
    'Ф',
    '。',
    ' ',
    '*',
    '%',
    'xn--',
  );
  const nearDomain = fc.string({ unit, minLength: 1, maxLength: 24 });
  const realistic = fc.domain().map((name) => name.toLowerCase());
  const inputs = fc.oneof(nearDomain, realistic);

  test('normalizeDomain idempotent', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const first = normalizeDomain(input);
        if (!first.ok) return;
        expect(normalizeDomain(first.name)).toEqual(first);
      }),
      { numRuns: 5000 },
    );
  });

  test('normalizeDomainFast agrees with normalizeDomain', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const fast = normalizeDomainFast(input);
        if (fast === undefined) return;
        expect(normalizeDomain(input)).toEqual({ ok: true, name: fast });
      }),
      { numRuns: 5000 },
    );
  });

  test('normalizeDomainFast accepts realistic names', () => {
    fc.assert(
      fc.property(realistic, (input) => {
        const parsed = normalizeDomain(input);
        fc.pre(parsed.ok && !parsed.name.includes('xn--') && !/\.[0-9]/.test(parsed.name.slice(parsed.name.lastIndexOf('.'))));
        expect(normalizeDomainFast(input)).toBe(input);
      }),
      { numRuns: 2000 },
    );
  });

  test('entryMatches agrees with parentNames', () => {
    const label = fc.constantFrom('a', 'b', 'ab', 'ba');
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
    fc.assert(
      fc.property(name, name, fc.constantFrom(...MODES), (entry, query, mode) => {
        const probes = parentNames(query);
        const expected =
          (mode !== 'subdomains' && probes[0] === entry) || (mode !== 'exact' && probes.slice(1).includes(entry));
        expect(entryMatches(entry, mode, query)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});
