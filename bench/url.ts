/**
 * URL canonicalization cost: `canonicalizeUrl` alone, `canonicalizeUrl` plus `lookupExpressions`, and
 * WHATWG `new URL()` parsing of the same strings as a baseline. Plain URLs are about 60 characters of
 * ASCII. Hard URLs add escapes, upper case, dot segments, numeric hosts and IDN names.
 *
 * Run: `npm run build && node dist/bench/url.js`.
 */
import { fileURLToPath } from 'node:url';
import { canonicalizeUrl, lookupExpressions } from '../src/indicators/url.js';
import { DeterministicRandom } from '../src/demo.js';

export interface UrlFigures {
  readonly urls: number;
  readonly meanLength: number;
  readonly canonicalizeNsPerUrl: number;
  readonly canonicalizeAndExpressionsNsPerUrl: number;
  readonly whatwgUrlNsPerUrl: number;
}

const WORDS = ['login', 'secure', 'account', 'update', 'paypal', 'verify', 'files', 'download', 'cdn', 'static', 'img', 'wp'];
const TLDS = ['com', 'net', 'org', 'ru', 'co.uk', 'info'];

function pick<T>(random: DeterministicRandom, items: readonly T[]): T {
  return items[random.below(items.length)]!;
}

/** Builds a URL of about 60 ASCII characters with no escapes, the common case in feeds and lookups. */
function plainUrl(random: DeterministicRandom): string {
  const host = `${pick(random, WORDS)}-${random.hex(4)}.${pick(random, WORDS)}.${pick(random, TLDS)}`;
  const path = `/${pick(random, WORDS)}/${pick(random, WORDS)}/${random.hex(4)}.php`;
  return `http://${host}${path}?id=${random.below(100000)}`;
}

/** Builds a URL that takes the slow branches: escapes, upper case, dot segments, numeric and IDN hosts, ports. */
function hardUrl(random: DeterministicRandom): string {
  switch (random.below(5)) {
    case 0:
      return `HTTP://WWW.${pick(random, WORDS).toUpperCase()}.COM.:8080//a/./b/../${random.hex(4)}.html#frag`;
    case 1:
      return `http://${random.nextUint32()}/%2e%2e/${pick(random, WORDS)}%252F${random.hex(4)}?q=%41%42`;
    case 2:
      return `http://b\u00fccher-${random.hex(4)}.example/${pick(random, WORDS)}/\u00fc?x=1`;
    case 3:
      return `  http://user:pw@0x${random.hex(4)}/${pick(random, WORDS)}//${pick(random, WORDS)}/  `;
    default:
      return `http://%77%77%77.${pick(random, WORDS)}.com/%25%32%35${random.hex(4)}?a b`;
  }
}

function nsPerUrl(urls: readonly string[], run: (url: string) => number): number {
  // A warm-up round lets V8 optimize the code before the timed rounds. The best of 5 rounds is reported.
  let sink = 0;
  for (const url of urls) sink += run(url);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (const url of urls) sink += run(url);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / urls.length);
  }
  if (sink === -1) console.log(sink); // Keeps the results alive so V8 cannot drop the calls.
  return best;
}

export function measureUrl(urls: readonly string[]): UrlFigures {
  const canonicalizeNs = nsPerUrl(urls, (url) => {
    const result = canonicalizeUrl(url);
    return result.ok ? result.url.canonical.length : 0;
  });
  const withExpressionsNs = nsPerUrl(urls, (url) => {
    const result = canonicalizeUrl(url);
    return result.ok ? lookupExpressions(result.url).length : 0;
  });
  const whatwgNs = nsPerUrl(urls, (url) => {
    try {
      return new URL(url).href.length;
    } catch {
      return 0;
    }
  });
  return {
    urls: urls.length,
    meanLength: urls.reduce((sum, url) => sum + url.length, 0) / urls.length,
    canonicalizeNsPerUrl: canonicalizeNs,
    canonicalizeAndExpressionsNsPerUrl: withExpressionsNs,
    whatwgUrlNsPerUrl: whatwgNs,
  };
}

function report(name: string, figures: UrlFigures): void {
  console.log(
    `${name}: ${figures.urls} URLs, mean ${figures.meanLength.toFixed(0)} characters: ` +
      `canonicalizeUrl ${figures.canonicalizeNsPerUrl.toFixed(0)} ns, ` +
      `+ lookupExpressions ${figures.canonicalizeAndExpressionsNsPerUrl.toFixed(0)} ns, ` +
      `new URL() ${figures.whatwgUrlNsPerUrl.toFixed(0)} ns per URL`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const random = new DeterministicRandom(7);
  const count = 100_000;
  report('plain', measureUrl(Array.from({ length: count }, () => plainUrl(random))));
  report('hard', measureUrl(Array.from({ length: count }, () => hardUrl(random))));
}
