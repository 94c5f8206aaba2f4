/**
 * Lists the files of a multi-file (delta) source: a URL whose body names the files, or a local folder.
 *
 * A URL listing is one of three kinds. A JSON array contains names, URLs, or objects with a url, href or
 * name field. A plain text list has one name or URL a line, with # comments. An HTML index page is what
 * Apache, nginx or Python's http.server generate for a folder. Entries are resolved against the URL the
 * listing came from after redirects, then sorted by file name and deduplicated. Same-origin entries keep
 * the listing URL's user name and password, so the files are fetched with the listing's credentials.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_FETCH_RETRIES, DEFAULT_FETCH_TIMEOUT_SECONDS } from '../config.js';
import { VerdictError } from '../errors.js';
import { fetchFeedWithUrl, redactUrl, type FetchDependencies, type FetchRequest } from './http-fetch.js';

/** 16 MiB: an index of a hundred thousand file names is a few MB. */
export const DEFAULT_LISTING_MAX_BYTES = 16 * 1024 * 1024;
const LISTING_FEED_LABEL = '(listing)';

export type ListingOptions = Partial<Pick<FetchRequest, 'feedId' | 'timeoutMs' | 'maxBytes' | 'retries' | 'headers'>>;

/** Downloads the listing at `url` and returns the absolute URLs of the files it names. */
export async function fetchListing(url: string, deps: FetchDependencies, options: ListingOptions = {}): Promise<string[]> {
  const feedId = options.feedId ?? LISTING_FEED_LABEL;
  const folder = await mkdtemp(join(tmpdir(), 'verdict-listing-'));
  try {
    const { result, finalUrl } = await fetchFeedWithUrl(
      {
        feedId,
        url,
        destination: join(folder, 'listing'),
        timeoutMs: options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_SECONDS * 1000,
        maxBytes: options.maxBytes ?? DEFAULT_LISTING_MAX_BYTES,
        retries: options.retries ?? DEFAULT_FETCH_RETRIES,
        headers: options.headers ?? {},
        // Any: an HTML index page is a valid listing.
        expect: 'any',
      },
      deps,
    );
    // Without etag or lastModified the request is unconditional, so a body always arrives.
    if (result.status !== 'downloaded') return [];

    const body = await readFile(result.path, 'utf8');
    return parseListing(body, { feedId, listingUrl: url, finalUrl, contentType: result.contentType });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

export interface ListingSource {
  readonly feedId: string;
  /** The URL as configured, possibly with credentials. */
  readonly listingUrl: string;
  /** The URL the body came from after redirects; relative entries resolve against it. */
  readonly finalUrl: string;
  readonly contentType?: string | undefined;
}

/** Extracts, resolves, deduplicates and sorts the file URLs a listing body names. */
export function parseListing(body: string, source: ListingSource): string[] {
  const text = body.replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  const contentType = source.contentType?.toLowerCase() ?? '';

  let entries: { readonly reference: string; readonly strict: boolean }[];
  if (contentType.includes('json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    entries = jsonEntries(text, source).map((reference) => ({ reference, strict: true }));
  } else if (contentType.includes('html') || trimmed.startsWith('<')) {
    // Index pages carry navigation links; those are skipped, not reported.
    entries = htmlEntries(text).map((reference) => ({ reference, strict: false }));
  } else {
    entries = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((reference) => ({ reference, strict: true }));
  }

  const listing = new URL(source.listingUrl);
  const base = new URL(source.finalUrl);
  const urls = new Map<string, string>();
  for (const { reference, strict } of entries) {
    const resolved = resolveEntry(reference, base, listing, strict);
    if (resolved === undefined) {
      if (!strict) continue;
      throw new VerdictError('VERDICT_ERR_FETCH_UNEXPECTED_CONTENT', {
        feed: source.feedId,
        url: redactUrl(source.listingUrl),
        expected: 'listing',
        detail: `the entry ${JSON.stringify(reference.slice(0, 200))} is not a file name or an http(s) URL`,
      });
    }
    urls.set(resolved.href, fileName(resolved));
  }

  return [...urls.entries()]
    .sort(([urlA, nameA], [urlB, nameB]) => compare(nameA, nameB) || compare(urlA, urlB))
    .map(([url]) => url);
}

/**
 * Lists the regular files in a local folder as absolute paths sorted by name. Hidden files (a leading dot)
 * and unfinished downloads (`.part`) are skipped. A symbolic link counts when it points to a regular file.
 */
export function listDirectory(path: string, feedId: string = LISTING_FEED_LABEL): string[] {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    throw new VerdictError(
      'VERDICT_ERR_FEED_UNREADABLE',
      { feed: feedId, path, detail: error instanceof Error ? error.message : String(error) },
      { cause: error },
    );
  }

  const folder = resolve(path);
  return names
    .filter((name) => !name.startsWith('.') && !name.endsWith('.part') && isRegularFile(join(folder, name)))
    .sort(compare)
    .map((name) => join(folder, name));
}

function isRegularFile(path: string): boolean {
  try {
    const link = lstatSync(path);
    if (link.isFile()) return true;
    return link.isSymbolicLink() && statSync(path).isFile();
  } catch {
    // Removed between readdir and stat, or a dangling link: not a file to read.
    return false;
  }
}

function jsonEntries(text: string, source: ListingSource): string[] {
  const fail = (detail: string): VerdictError =>
    new VerdictError('VERDICT_ERR_FETCH_UNEXPECTED_CONTENT', {
      feed: source.feedId,
      url: redactUrl(source.listingUrl),
      expected: 'listing',
      detail,
    });

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(`the listing is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(parsed)) throw fail('the listing is JSON but not an array of file names or URLs');

  return parsed.map((item: unknown, index) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'object' && item !== null) {
      const record = item as Record<string, unknown>;
      for (const field of ['url', 'href', 'name']) {
        if (typeof record[field] === 'string') return record[field];
      }
    }
    throw fail(`item ${index} of the listing is neither a string nor an object with a url, href or name field`);
  });
}

/** Collects the href of every <a> element, with HTML character references decoded. */
function htmlEntries(html: string): string[] {
  const hrefs: string[] = [];
  for (const tag of html.matchAll(/<a\b[^>]*>/gi)) {
    const match = /\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(tag[0]);
    if (match === null) continue;
    hrefs.push(decodeEntities((match[1] ?? match[2] ?? match[3] ?? '').trim()));
  }
  return hrefs;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Resolves one entry to an absolute URL, or to undefined when it is not a file. HTML links to a query or
 * fragment only (column sorting), to folders (parent links end in a slash) and to other schemes are not
 * files. Strict entries, from JSON and text listings, only need to be valid http(s) URLs.
 */
function resolveEntry(reference: string, base: URL, listing: URL, strict: boolean): URL | undefined {
  if (reference === '') return undefined;
  if (!strict && (reference.startsWith('?') || reference.startsWith('#'))) return undefined;

  let url: URL;
  try {
    url = new URL(reference, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!strict && url.pathname.endsWith('/')) return undefined;
  url.hash = '';

  // Same-origin files are usually behind the same login as the listing.
  if (url.origin === listing.origin && url.username === '' && url.password === '') {
    url.username = listing.username;
    url.password = listing.password;
  }
  return url;
}

/** Returns the last path segment, decoded, for sorting by name. */
function fileName(url: URL): string {
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Code-unit order: the same on every machine, whatever the locale. */
function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
