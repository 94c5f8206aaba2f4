import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_URL_LENGTH,
  canonicalizeUrl,
  entryExpression,
  lookupExpressions,
  type CanonicalUrl,
  type UrlProblemReason,
} from '../../src/indicators/url.js';

/**
 * The canonicalization test vectors published with Safe Browsing Update API v4, "URLs and Hashing"
 * (https://developers.google.com/safe-browsing/v4/urls-hashing#canonicalization), all of them and in
 * their order. Escapes such as "\t" and "\x01" stand for the single characters the page shows.
 */
const PUBLISHED_VECTORS: readonly (readonly [string, string])[] = [
  ['http://host/%25%32%35', 'http://host/%25'],
  ['http://host/%25%32%35%25%32%35', 'http://host/%25%25'],
  ['http://host/%2525252525252525', 'http://host/%25'],
  ['http://host/asdf%25%32%35asd', 'http://host/asdf%25asd'],
  ['http://host/%%%25%32%35asd%%', 'http://host/%25%25%25asd%25%25'],
  ['http://www.google.com/', 'http://www.google.com/'],
  [
    'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/',
    'http://168.188.99.26/.secure/www.ebay.com/',
  ],
  [
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
    'http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/',
  ],
  [
    'http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B',
    'http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+',
  ],
  ['http://3279880203/blah', 'http://195.127.0.11/blah'],
  ['http://www.google.com/blah/..', 'http://www.google.com/'],
  ['www.google.com/', 'http://www.google.com/'],
  ['www.google.com', 'http://www.google.com/'],
  ['http://www.evil.com/blah#frag', 'http://www.evil.com/blah'],
  ['http://www.GOOgle.com/', 'http://www.google.com/'],
  ['http://www.google.com.../', 'http://www.google.com/'],
  ['http://www.google.com/foo\tbar\rbaz\n2', 'http://www.google.com/foobarbaz2'],
  ['http://www.google.com/q?', 'http://www.google.com/q?'],
  ['http://www.google.com/q?r?', 'http://www.google.com/q?r?'],
  ['http://www.google.com/q?r?s', 'http://www.google.com/q?r?s'],
  ['http://evil.com/foo#bar#baz', 'http://evil.com/foo'],
  ['http://evil.com/foo;', 'http://evil.com/foo;'],
  ['http://evil.com/foo?bar;', 'http://evil.com/foo?bar;'],
  ['http://\x01\x80.com/', 'http://%01%80.com/'],
  ['http://notrailingslash.com', 'http://notrailingslash.com/'],
  ['http://www.gotaport.com:1234/', 'http://www.gotaport.com/'],
  ['  http://www.google.com/  ', 'http://www.google.com/'],
  ['http:// leadingspace.com/', 'http://%20leadingspace.com/'],
  ['http://%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['%20leadingspace.com/', 'http://%20leadingspace.com/'],
  ['https://www.securesite.com/', 'https://www.securesite.com/'],
  ['http://host.com/ab%23cd', 'http://host.com/ab%23cd'],
  ['http://host.com//twoslashes?more//slashes', 'http://host.com/twoslashes?more//slashes'],
];

/**
 * Vectors from google/safebrowsing (Go) urls_test.go that the published list lacks. The Go client
 * drops the query and writes lower-case escapes. Here the query stays and escapes are upper case,
 * because the published vectors and the specification require both.
 */
const GO_CLIENT_VECTORS: readonly (readonly [string, string])[] = [
  [
    'http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/?query#fragment',
    'http://168.188.99.26/.secure/www.ebay.com/?query',
  ],
  ['http://www.google.com/q?r?s%3F', 'http://www.google.com/q?r?s?'],
  ['ftp://ftp.myfiles.com/', 'ftp://ftp.myfiles.com/'],
  ['http://some%1bhost.com/%1b', 'http://some%1Bhost.com/%1B'],
  ['http://www.\u00fcmlat.com/', 'http://www.xn--mlat-zra.com/'],
  ['http://[2001:470:1:18::114]/', 'http://[2001:470:1:18::114]/'],
  ['http%3A%2F%2Fwackyurl.com:80/', 'http://wackyurl.com/'],
  ['http://W!eird<>Ho$^.com/', 'http://w!eird<>ho$^.com/'],
  ['http://i.have.way.too.many.dots.com/', 'http://i.have.way.too.many.dots.com/'],
  ['http://google.com./foo.html', 'http://google.com/foo.html'],
  ['http://google.com.:8080/foo.html', 'http://google.com/foo.html'],
  ['http://google...com/foo.html', 'http://google.com/foo.html'],
  ['http://..google.com/foo.html', 'http://google.com/foo.html'],
  [
    'http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html',
    'http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/index.html',
  ],
  // The compressed form writes the embedded IPv4 address in hex; the Go client keeps "::192.9.5.5".
  ['http://[::192.9.5.5]/ipng', 'http://[::c009:505]/ipng'],
  ['http://0x12.0x43.0x44.0x01', 'http://18.67.68.1/'],
  ['http://192.168.0.1:80/index.html', 'http://192.168.0.1/index.html'],
  ['http://a.com', 'http://a.com/'],
  ['http://a.com/foo/.././bar/./../foo.html', 'http://a.com/foo.html'],
  ['http://a.com/a/b/c', 'http://a.com/a/b/c'],
  ['http://a.com//a//b///c////', 'http://a.com/a/b/c/'],
  ['www.google.com:8080/foo.html', 'http://www.google.com/foo.html'],
  ['www.google.com:80', 'http://www.google.com/'],
  ['http://255.0.0.1/', 'http://255.0.0.1/'],
  ['http://12.0x12.01234/', 'http://12.18.2.156/'],
  ['http://012.034.01.055/', 'http://10.28.1.45/'],
  ['http://167838211/', 'http://10.1.2.3/'],
  ['http://4294967295/', 'http://255.255.255.255/'],
  ['http://123.123.0.0.1/', 'http://123.123.0.0.1/'],
  ['http://1.2.3.00x0/', 'http://1.2.3.00x0/'],
];

/** Further cases for rules the vectors above leave open. */
const OWN_VECTORS: readonly (readonly [string, string])[] = [
  ['http://0x0a.0x0a.0x0a.0x0a/', 'http://10.10.10.10/'],
  ['http://0xC37F000B/', 'http://195.127.0.11/'],
  ['http://0303.0177.0.013/', 'http://195.127.0.11/'],
  ['http://195.127.11/', 'http://195.127.0.11/'],
  ['http://1.2.3.4./', 'http://1.2.3.4/'],
  ['http://256.1.1.1/', 'http://256.1.1.1/'],
  ['http://276.2.3/', 'http://276.2.3/'],
  ['http://4294967296/', 'http://4294967296/'],
  ['http://08.1.1.1/', 'http://08.1.1.1/'],
  ['http://0x/', 'http://0x/'],
  ['http://user:pass@Host.com:8080/a', 'http://host.com/a'],
  // A written "\" ends the authority as in browsers, so the host is the part before it.
  ['http://bardubar.example\\@google.com/', 'http://bardubar.example/@google.com/'],
  ['http://google.com%2f@bardubar.example/', 'http://bardubar.example/'],
  ['http://google.com%3f@bardubar.example/x', 'http://bardubar.example/x'],
  ['HTTPS://A.com', 'https://a.com/'],
  ['//a.com/x', 'http://a.com/x'],
  ['http://a.com/foo/.', 'http://a.com/foo/'],
  ['http://a.com/foo/bar/..', 'http://a.com/foo/'],
  ['http://a.com/../../a', 'http://a.com/a'],
  ['http://a.com/%2e%2e/b/%2E/c', 'http://a.com/b/c'],
  ['http://a.com/x?y/../z//w', 'http://a.com/x?y/../z//w'],
  ['http://a.com/?a b#c d', 'http://a.com/?a%20b'],
  ['http://a.com/a%3Fb', 'http://a.com/a?b'],
  ['http://a.com/a%2Fb', 'http://a.com/a/b'],
  ['http://a.com/%0a%09', 'http://a.com/%0A%09'],
  ['http://a.com/\u00fc', 'http://a.com/%C3%BC'],
  ['http://a.com/%7f\u007f', 'http://a.com/%7F%7F'],
  ['http://bu\u0308cher.example/', 'http://xn--bcher-kva.example/'],
  ['http://b\u00fc cher.com/', 'http://b%C3%BC%20cher.com/'],
  ['http://\u0080.com/', 'http://%80.com/'],
  ['http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/', 'http://127.0.0.1/'],
  ['http://[::1]:/', 'http://[::1]/'],
  ['http://[0:0:0:0:0:0:0:1]/', 'http://[::1]/'],
];

/** Inputs that have no canonical form, with the reason expected. */
const FAILURES: readonly (readonly [string, UrlProblemReason])[] = [
  // google/safebrowsing urls_test.go: missing host or not a hierarchical URL.
  ['', 'empty-url'],
  // An escaped "@" in the host: browsers reject such a host, so no allow or deny applies to a guess.
  ['http://a%40b.com/', 'invalid-host'],
  [':', 'empty-host'],
  ['/blah', 'empty-host'],
  ['#ref', 'empty-url'],
  ['/blah#ref', 'empty-host'],
  ['?query#ref', 'empty-host'],
  ['/blah?query#ref', 'empty-host'],
  ['/blah;param', 'empty-host'],
  ['http://#ref', 'empty-host'],
  ['http:///blah#ref', 'empty-host'],
  ['http://?query#ref', 'empty-host'],
  ['http:///blah?query#ref', 'empty-host'],
  ['http:///blah;param', 'empty-host'],
  ['http:///blah;param?query#ref', 'empty-host'],
  ['mailto:bryner@google.com', 'invalid-url'],
  ['http:www.google.com:8080/foo.html', 'invalid-url'],
  ['www.google.com:xxyy/foo.html:80', 'invalid-url'],
  [':8080/foo.html', 'empty-host'],
  // Own cases.
  [' \t\r\n ', 'empty-url'],
  ['http://.../', 'empty-host'],
  ['http://%2e%2E./', 'empty-host'],
  ['http://user@/', 'empty-host'],
  ['http://host:8o/', 'invalid-port'],
  ['http://2001:db8::1/', 'invalid-host'],
  ['http://[::1/', 'invalid-host'],
  ['http://[::1]x/', 'invalid-port'],
  ['http://[zz::1]/', 'invalid-host'],
  ['http://[fe80::1%25en0]/', 'invalid-host'],
  ['a'.repeat(MAX_URL_LENGTH + 1), 'url-too-long'],
  [`http://a.com/${' '.repeat(MAX_URL_LENGTH - 20)}x`, 'url-too-long'],
  ['http://..[::1]/', 'invalid-host'],
  ['http://a]b.com/', 'invalid-host'],
];

function canonicalOf(input: string): string {
  const result = canonicalizeUrl(input);
  return result.ok ? result.url.canonical : `${result.reason}: ${result.message}`;
}

function parse(input: string): CanonicalUrl {
  const result = canonicalizeUrl(input);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(input)} to canonicalize: ${result.message}`);
  return result.url;
}

describe('canonicalizeUrl', () => {
  test('published list has 33 vectors', () => {
    expect(PUBLISHED_VECTORS.length).toBe(33);
  });

  test.each(PUBLISHED_VECTORS)('published %#: %j', (input, expected) => {
    expect(canonicalOf(input)).toBe(expected);
  });

  test.each(GO_CLIENT_VECTORS)('go client %#: %j', (input, expected) => {
    expect(canonicalOf(input)).toBe(expected);
  });

  test.each(OWN_VECTORS)('own %#: %j', (input, expected) => {
    expect(canonicalOf(input)).toBe(expected);
  });

  test.each(FAILURES)('rejects %j', (input, reason) => {
    const result = canonicalizeUrl(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });

  test('same canonical form for IDN spellings', () => {
    const spellings = [
      'http://b\u00fccher.example/',
      'http://xn--bcher-kva.example/',
      'http://B%C3%BCcher.example/',
      'http://B\u00dcCHER.example./',
    ];
    for (const spelling of spellings) expect(canonicalOf(spelling)).toBe('http://xn--bcher-kva.example/');
  });

  test('parts of a domain URL', () => {
    expect(parse('HTTP://user@WWW.Example.com.:8080//a/./b/../c?x=1#top')).toEqual({
      canonical: 'http://www.example.com/a/c?x=1',
      scheme: 'http',
      host: 'www.example.com',
      hostIsIp: false,
      path: '/a/c',
      query: 'x=1',
    });
  });

  test('parts of an IPv4 URL', () => {
    expect(parse('http://3279880203/blah')).toEqual({
      canonical: 'http://195.127.0.11/blah',
      scheme: 'http',
      host: '195.127.0.11',
      hostIsIp: true,
      path: '/blah',
      query: undefined,
    });
  });

  test('parts of an IPv6 URL', () => {
    expect(parse('https://[2001:DB8:0:0:0:0:0:1]:443/a?')).toEqual({
      canonical: 'https://[2001:db8::1]/a?',
      scheme: 'https',
      host: '2001:db8::1',
      hostIsIp: true,
      path: '/a',
      query: '',
    });
  });

  test('empty host message', () => {
    expect(canonicalizeUrl('http://.../')).toEqual({
      ok: false,
      reason: 'empty-host',
      message: 'URL "http://.../" has an empty host',
    });
  });

  test('missing slashes message', () => {
    expect(canonicalizeUrl('mailto:bryner@google.com')).toEqual({
      ok: false,
      reason: 'invalid-url',
      message:
        'URL "mailto:bryner@google.com" has scheme "mailto" but no "//" after it, so it has no host to match',
    });
  });

  test('invalid port message', () => {
    expect(canonicalizeUrl('http://host:8o/')).toEqual({
      ok: false,
      reason: 'invalid-port',
      message: 'URL "http://host:8o/" has port "8o", which is not a decimal number',
    });
  });

  test('too long message', () => {
    const input = 'a'.repeat(MAX_URL_LENGTH + 1);
    expect(canonicalizeUrl(input)).toEqual({
      ok: false,
      reason: 'url-too-long',
      message: `URL "${'a'.repeat(100)}…" has 8193 characters, more than the maximum of 8192`,
    });
  });

  test('non-string input', () => {
    expect(canonicalizeUrl(42 as unknown as string)).toEqual({
      ok: false,
      reason: 'invalid-url',
      message: 'URL must be a string, but got number',
    });
  });
});

/** Examples of Safe Browsing Update API v4, "URLs and Hashing", section "Suffix/Prefix Expressions". */
const PUBLISHED_EXPRESSIONS: readonly (readonly [string, readonly string[]])[] = [
  [
    'http://a.b.c/1/2.html?param=1',
    [
      'a.b.c/1/2.html?param=1',
      'a.b.c/1/2.html',
      'a.b.c/',
      'a.b.c/1/',
      'b.c/1/2.html?param=1',
      'b.c/1/2.html',
      'b.c/',
      'b.c/1/',
    ],
  ],
  [
    'http://a.b.c.d.e.f.g/1.html',
    [
      'a.b.c.d.e.f.g/1.html',
      'a.b.c.d.e.f.g/',
      'c.d.e.f.g/1.html',
      'c.d.e.f.g/',
      'd.e.f.g/1.html',
      'd.e.f.g/',
      'e.f.g/1.html',
      'e.f.g/',
      'f.g/1.html',
      'f.g/',
    ],
  ],
  ['http://1.2.3.4/1/', ['1.2.3.4/1/', '1.2.3.4/']],
];

/**
 * URLs from google/safebrowsing urls_test.go (TestGeneratePatterns), with the expressions this module
 * returns. It tries at most 5 hosts, as the specification requires, where the Go client tries 7, and it
 * keeps the "path?" form for a URL that ends in a bare "?".
 */
const OTHER_EXPRESSIONS: readonly (readonly [string, readonly string[]])[] = [
  [
    'http://a.b.c/1/2/3/4/5/',
    [
      'a.b.c/1/2/3/4/5/',
      'a.b.c/',
      'a.b.c/1/',
      'a.b.c/1/2/',
      'a.b.c/1/2/3/',
      'b.c/1/2/3/4/5/',
      'b.c/',
      'b.c/1/',
      'b.c/1/2/',
      'b.c/1/2/3/',
    ],
  ],
  ['http://a.b.c.d.e.f.g.h.i/', ['a.b.c.d.e.f.g.h.i/', 'e.f.g.h.i/', 'f.g.h.i/', 'g.h.i/', 'h.i/']],
  ['http://a.b.c.d.e/1.html', ['a.b.c.d.e/1.html', 'a.b.c.d.e/', 'b.c.d.e/1.html', 'b.c.d.e/', 'c.d.e/1.html', 'c.d.e/', 'd.e/1.html', 'd.e/']],
  ['http://a.b/?', ['a.b/?', 'a.b/']],
  ['http://a.b/', ['a.b/']],
  ['http://b/', ['b/']],
  ['http://[2001:470:1:18::114]/a/b', ['[2001:470:1:18::114]/a/b', '[2001:470:1:18::114]/', '[2001:470:1:18::114]/a/']],
  ['http://1.2.3.4/a/b', ['1.2.3.4/a/b', '1.2.3.4/', '1.2.3.4/a/']],
  [
    'http://a.com/a/b/c/d/e.html?123',
    ['a.com/a/b/c/d/e.html?123', 'a.com/a/b/c/d/e.html', 'a.com/', 'a.com/a/', 'a.com/a/b/', 'a.com/a/b/c/'],
  ],
];

describe('lookupExpressions', () => {
  test.each(PUBLISHED_EXPRESSIONS)('published %j', (input, expected) => {
    expect(lookupExpressions(parse(input))).toEqual(expected);
  });

  test.each(OTHER_EXPRESSIONS)('go client %j', (input, expected) => {
    expect(lookupExpressions(parse(input))).toEqual(expected);
  });

  test('caps at 5 hosts x 6 paths', () => {
    const expressions = lookupExpressions(parse('http://a.b.c.d.e.f.g/1/2/3/4/5.html?q'));
    expect(expressions.length).toBe(30);
    expect(expressions[0]).toBe('a.b.c.d.e.f.g/1/2/3/4/5.html?q');
    expect(expressions[29]).toBe('f.g/1/2/3/');
  });
});

describe('entryExpression', () => {
  test.each([
    ['http://a.b.c/1/2.html?param=1', 'a.b.c/1/2.html?param=1'],
    ['http://www.google.com/q?', 'www.google.com/q?'],
    ['http://Evil.com', 'evil.com/'],
    ['http://1.2.3.4/1/', '1.2.3.4/1/'],
    ['http://[2001:470:1:18::114]/a/b', '[2001:470:1:18::114]/a/b'],
  ])('%j', (input, expected) => {
    expect(entryExpression(parse(input))).toBe(expected);
  });
});

/** Strings built from the pieces that steer canonicalization, so that random inputs hit its branches. */
const urlLikeString = fc.string({
  unit: fc.constantFrom(
    'http://', 'HTTPS://', '//', '/', '.', '..', '?', '#', ':', '@', '[', ']', '::', '%', '%25', '%2e', '%2F',
    '%3F', '%40', '%23', '%c3%bc', '2', '5', 'F', 'a', 'Z', '0x', '0', '7', '9', ' ', '\t', '\n', '\u00fc',
    '\u0080', '\u00ff', '\u3002', '\ud800', 'xn--', '-',
  ),
  maxLength: 30,
});

const anyInput = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), urlLikeString, fc.webUrl());

describe('canonicalizeUrl properties', () => {
  test('never throws', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = canonicalizeUrl(input);
        if (!result.ok) expect(result.reason).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      }),
      { numRuns: 5000 },
    );
  });

  test('is idempotent', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const first = canonicalizeUrl(input);
        if (!first.ok) return;
        const second = canonicalizeUrl(first.url.canonical);
        expect(second).toEqual(first);
      }),
      { numRuns: 5000 },
    );
  });

  test('entry is first lookup expression', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = canonicalizeUrl(input);
        if (!result.ok) return;
        const expressions = lookupExpressions(result.url);
        expect(expressions[0]).toBe(entryExpression(result.url));
        expect(expressions.length).toBeLessThanOrEqual(30);
        expect(new Set(expressions).size).toBe(expressions.length);
      }),
      { numRuns: 5000 },
    );
  });
});
