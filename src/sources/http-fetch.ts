/**
 * Downloads one feed file over HTTP(S) into a local file, with conditional requests, decompression,
 * content checks, a size cap and retries. The path a response body takes:
 *
 *   GET (redirects followed, at most 5)
 *     -> status: 304 = not modified; 2xx = body; 5xx, 429 = retry; other = error
 *     -> count raw bytes (checked against Content-Length)
 *     -> undo Content-Encoding (gzip, deflate, br)
 *     -> gunzip a .gz file (URL path ends in .gz, or the bytes start with 1f 8b and nothing was encoded)
 *     -> sniff (HTML page, JSON start, SQLite header), cap decompressed bytes, SHA-256
 *     -> `${destination}.part`, fsynced, then renamed over `destination` only when complete and valid
 *
 * Network errors, timeouts, truncated bodies, 5xx and 429 are retried with exponential backoff and full
 * jitter. Before retry n the delay is random() * min(60 s, 1 s * 2^(n-1)), so many instances do not retry
 * in step. A Retry-After header (429 or 5xx) sets the minimum wait. A Retry-After over 60 s ends the
 * fetch instead, and the scheduler's next refresh tries again.
 *
 * Secrets never leave this module: URL user names and passwords, values expanded from `${NAME}` header
 * placeholders and secret-looking query parameters are removed from every message, log line and result.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { getGlobalDispatcher, interceptors, request, type Dispatcher } from 'undici';
import { VerdictError, type ErrorParams } from '../errors.js';
import { failpoint } from '../failpoints.js';
import type { Logger } from '../logger.js';

export interface FetchRequest {
  readonly feedId: string;
  /** May contain user:password@; sent as Basic authorization unless an Authorization header is configured. */
  readonly url: string;
  /** File to write; the body goes to `${destination}.part` first. */
  readonly destination: string;
  /** Sent as If-None-Match. */
  readonly etag?: string;
  /** Sent as If-Modified-Since. */
  readonly lastModified?: string;
  /** Whole-request timeout, body included; the waits between retries are not counted. */
  readonly timeoutMs: number;
  /** Cap on decompressed bytes written. */
  readonly maxBytes: number;
  /** Extra attempts after network errors, timeouts, truncated bodies, 5xx and 429. */
  readonly retries: number;
  /** Values may name environment variables as ${NAME}, expanded at fetch time. */
  readonly headers: Readonly<Record<string, string>>;
  /** SHA-256 of the decompressed content, hex. */
  readonly expectedSha256?: string;
  readonly expect: 'text' | 'json' | 'sqlite' | 'any';
}

export type FetchResult =
  | { readonly status: 'not-modified'; readonly attempts: number }
  | {
      readonly status: 'downloaded';
      readonly path: string;
      readonly bytes: number;
      readonly sha256: string;
      readonly etag?: string;
      readonly lastModified?: string;
      readonly contentType?: string;
      readonly attempts: number;
    };

export interface FetchDependencies {
  /** The global undici dispatcher when absent. */
  readonly dispatcher?: Dispatcher;
  /** Waits between retries; tests pass one that records and returns at once. */
  readonly sleep: (ms: number) => Promise<void>;
  /** For jitter; returns [0, 1). */
  readonly random: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Milliseconds since the epoch, to read a Retry-After date; Date.now when absent. */
  readonly now?: () => number;
}

export const MAX_REDIRECTIONS = 5;
export const RETRY_BASE_DELAY_MS = 1000;
export const RETRY_MAX_DELAY_MS = 60_000;
/** How far into the body the content sniffer looks for the first non-white-space bytes. */
const SNIFF_LIMIT_BYTES = 64 * 1024;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const HTML_STARTS = ['<!doctype html', '<html'];
const SUPPORTED_ENCODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);
/** Query parameters whose values are treated as secrets in messages (api_key, token, sig, ...). */
const SECRET_QUERY_PARAMETER = /key|token|secret|pass|auth|sig|credential|session/i;
const ENV_PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const REDACTED = '[redacted]';
/** Secrets shorter than this are not scrubbed from free text: replacing "a" everywhere would garble it. */
const MIN_SCRUBBED_SECRET_LENGTH = 4;
const EXPECTED_NAMES = { text: 'text', json: 'JSON', sqlite: 'SQLite', any: 'any' } as const;

export const defaultFetchDependencies = (logger: Logger): FetchDependencies => ({
  sleep: (ms) => delay(ms),
  random: Math.random,
  env: process.env,
  logger,
  now: Date.now,
});

/**
 * Replaces the user name, the password and secret-looking query values of `url` with `***`, for messages
 * and logs. In a string that does not parse as a URL, everything before an `@` in the authority is replaced.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/?#]*@/, '//***@');
  }

  let text = parsed.href;
  if (parsed.username !== '' || parsed.password !== '') {
    const authority = `${parsed.protocol}//`;
    text = `${authority}***@${text.slice(text.indexOf('@', authority.length) + 1)}`;
  }

  // Rewrite only the values of secret parameters so the rest of the query keeps its exact spelling.
  return text.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, separator: string, name: string) =>
    SECRET_QUERY_PARAMETER.test(safeDecode(name)) ? `${separator}${name}=***` : whole,
  );
}

/** Draws the delay in ms before retry number `retry` (1 for the first) from an exponential window (full jitter). */
export function backoffDelayMs(retry: number, random: () => number): number {
  const window = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (retry - 1));
  return Math.floor(random() * window);
}

/** Downloads `request.url` to `request.destination`, or learns that it has not changed. */
export async function fetchFeed(request: FetchRequest, deps: FetchDependencies): Promise<FetchResult> {
  return (await fetchFeedWithUrl(request, deps)).result;
}

/**
 * Downloads like fetchFeed, and also returns the URL the body came from after redirects. That URL has no
 * user info but is not otherwise redacted, so it is for resolving relative links and never for logs.
 */
export async function fetchFeedWithUrl(
  request: FetchRequest,
  deps: FetchDependencies,
): Promise<{ readonly result: FetchResult; readonly finalUrl: string }> {
  const context = prepare(request, deps);
  const maxAttempts = 1 + Math.max(0, Math.floor(request.retries));

  for (let attempt = 1; ; attempt += 1) {
    let failure: AttemptFailure;
    try {
      const outcome = await attemptOnce(context, attempt);
      logSuccess(context, outcome.result);
      return outcome;
    } catch (error) {
      failure = toFailure(context, error);
    }

    // The error the caller sees carries the number of attempts made in its params.
    const lastError = new VerdictError(failure.error.code, { ...failure.error.params, attempts: attempt });
    if (!failure.retryable || attempt >= maxAttempts) throw lastError;
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > RETRY_MAX_DELAY_MS) throw lastError;
    const delayMs = Math.max(backoffDelayMs(attempt, deps.random), failure.retryAfterMs ?? 0);

    deps.logger.warn(
      { feed: request.feedId, attempt, attempts: maxAttempts, url: context.displayUrl, delayMs, err: failure.error },
      'feed fetch failed, retrying',
    );
    await deps.sleep(delayMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Preparation: URL without credentials, headers with placeholders expanded, the scrubber.

interface FetchContext {
  readonly request: FetchRequest;
  readonly deps: FetchDependencies;
  /** The URL without user name and password. */
  readonly target: URL;
  readonly displayUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly conditional: boolean;
  /** Removes every known secret from a free-text detail. */
  readonly scrub: (text: string) => string;
}

function prepare(request: FetchRequest, deps: FetchDependencies): FetchContext {
  const displayUrl = redactUrl(request.url);
  const secrets: string[] = [];

  let target: URL;
  try {
    target = new URL(request.url);
  } catch {
    throw new VerdictError('VERDICT_ERR_FETCH_FAILED', {
      feed: request.feedId,
      url: displayUrl,
      detail: 'the URL cannot be parsed',
    });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new VerdictError('VERDICT_ERR_FETCH_FAILED', {
      feed: request.feedId,
      url: displayUrl,
      detail: `the scheme ${target.protocol} is not supported, use http: or https:`,
    });
  }

  // Credentials go in a header, because undici 7 drops the user info of a URL.
  const user = safeDecode(target.username);
  const password = safeDecode(target.password);
  secrets.push(target.username, target.password, user, password);
  for (const [name, value] of target.searchParams) {
    if (SECRET_QUERY_PARAMETER.test(name)) secrets.push(value, encodeURIComponent(value));
  }
  target.username = '';
  target.password = '';

  const headers: Record<string, string> = { 'user-agent': 'verdict', 'accept-encoding': 'gzip, deflate, br' };
  for (const [name, template] of Object.entries(request.headers)) {
    headers[name.toLowerCase()] = expandHeader(request, displayUrl, name, template, deps.env, secrets);
  }
  if ((user !== '' || password !== '') && headers['authorization'] === undefined) {
    const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    secrets.push(basic);
    headers['authorization'] = `Basic ${basic}`;
  }
  if (request.etag !== undefined) headers['if-none-match'] = request.etag;
  if (request.lastModified !== undefined) headers['if-modified-since'] = request.lastModified;

  const scrubbed = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_SCRUBBED_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  const scrub = (text: string): string => scrubbed.reduce((result, secret) => result.split(secret).join(REDACTED), text);

  return {
    request,
    deps,
    target,
    displayUrl,
    headers,
    conditional: request.etag !== undefined || request.lastModified !== undefined,
    scrub,
  };
}

/** Expands ${NAME} placeholders; every expanded value is recorded as a secret. */
function expandHeader(
  request: FetchRequest,
  displayUrl: string,
  header: string,
  template: string,
  env: Readonly<Record<string, string | undefined>>,
  secrets: string[],
): string {
  return template.replace(ENV_PLACEHOLDER, (_whole, variable: string) => {
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new VerdictError('VERDICT_ERR_FETCH_HEADER_ENV', { feed: request.feedId, header, url: displayUrl, variable });
    }
    secrets.push(value);
    return value;
  });
}

// ---------------------------------------------------------------------------------------------------
// One attempt.

/** The error of one failed attempt, and whether another attempt may help. */
class AttemptFailure extends Error {
  constructor(
    readonly error: VerdictError,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

/** An error while reading the response body from the network. */
class BodyReadError extends Error {
  constructor(readonly original: unknown) {
    super('response body read failed');
  }
}

/** An error from a decompressor: corrupt data, or a stream that ends too soon. */
class DecodeError extends Error {
  constructor(
    readonly encoding: string,
    readonly original: unknown,
  ) {
    super(`${encoding} decoding failed`);
  }
}

/** An error writing the local file: not a network problem, so not retried. */
class LocalFileError extends Error {
  constructor(
    readonly path: string,
    readonly original: unknown,
  ) {
    super(`cannot write ${path}`);
  }
}

interface BodyState {
  rawBytes: number;
  bytes: number;
  readonly hash: ReturnType<typeof createHash>;
}

async function attemptOnce(
  context: FetchContext,
  attempt: number,
): Promise<{ readonly result: FetchResult; readonly finalUrl: string }> {
  const { request: fetchRequest, deps } = context;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, fetchRequest.timeoutMs);

  // The recorder runs inside the redirect interceptor, so it records every hop and keeps the last URL.
  let finalUrl = context.target.href;
  const recordUrl: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    if (options.origin !== undefined) finalUrl = new URL(options.path, options.origin).href;
    return dispatch(options, handler);
  };
  const dispatcher = (deps.dispatcher ?? getGlobalDispatcher()).compose(
    recordUrl,
    interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }),
  );

  const part = `${fetchRequest.destination}.part`;
  try {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(context.target, {
        method: 'GET',
        headers: context.headers,
        signal: controller.signal,
        dispatcher,
      });
    } catch (error) {
      throw timedOut ? timeoutFailure(context) : networkFailure(context, error);
    }

    const status = response.statusCode;
    if (status === 304 && context.conditional) {
      await discard(response.body);
      return { result: { status: 'not-modified', attempts: attempt }, finalUrl };
    }
    if (status < 200 || status >= 300 || status === 206) {
      await discard(response.body);
      throw statusFailure(context, status, response.headers);
    }

    const contentType = headerValue(response.headers, 'content-type');
    if (
      (fetchRequest.expect === 'text' || fetchRequest.expect === 'json') &&
      contentType?.toLowerCase().startsWith('text/html')
    ) {
      await discard(response.body);
      throw unexpectedContent(context, `the server sent Content-Type ${contentType}`);
    }

    const announced = Number(headerValue(response.headers, 'content-length') ?? Number.NaN);
    const state: BodyState = { rawBytes: 0, bytes: 0, hash: createHash('sha256') };
    try {
      await writeBody(context, response, finalUrl, state, part);
    } catch (error) {
      throw timedOut ? timeoutFailure(context) : bodyFailure(context, error, state, announced);
    }

    // undici reports most short bodies itself; this catches any that end cleanly.
    if (Number.isFinite(announced) && state.rawBytes < announced) {
      throw truncated(context, `received ${state.rawBytes} of ${announced} bytes announced by Content-Length`);
    }

    const sha256 = state.hash.digest('hex');
    const expected = fetchRequest.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== sha256) {
      throw new AttemptFailure(
        new VerdictError('VERDICT_ERR_FETCH_CHECKSUM', {
          feed: fetchRequest.feedId,
          url: context.displayUrl,
          actual: sha256,
          expected,
        }),
        false,
      );
    }

    await publish(part, fetchRequest.destination).catch((error: unknown) => {
      throw localFileFailure(context, new LocalFileError(fetchRequest.destination, error));
    });

    const etag = headerValue(response.headers, 'etag');
    const lastModified = headerValue(response.headers, 'last-modified');
    const result: FetchResult = {
      status: 'downloaded',
      path: fetchRequest.destination,
      bytes: state.bytes,
      sha256,
      ...(etag === undefined ? {} : { etag }),
      ...(lastModified === undefined ? {} : { lastModified }),
      ...(contentType === undefined ? {} : { contentType }),
      attempts: attempt,
    };
    return { result, finalUrl };
  } catch (error) {
    await rm(part, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Streams the body through the decoders and checks into the .part file, fsynced. */
async function writeBody(
  context: FetchContext,
  response: Dispatcher.ResponseData,
  finalUrl: string,
  state: BodyState,
  part: string,
): Promise<void> {
  const encodings = contentEncodings(response.headers);
  const unsupported = encodings.find((encoding) => !SUPPORTED_ENCODINGS.has(encoding));
  if (unsupported !== undefined) {
    await discard(response.body);
    throw unexpectedContent(context, `Content-Encoding ${unsupported} is not supported (gzip, deflate and br are)`);
  }

  let stream: AsyncIterable<Buffer> = countRaw(response.body, state);
  // Encodings are listed in the order they were applied, so they are undone last to first.
  for (const encoding of [...encodings].reverse()) stream = decodeEncoding(stream, encoding);

  // A .gz file served with Content-Encoding gzip is compressed twice, so it is unwrapped once more. Without
  // a .gz path, gzip bytes under a Content-Encoding are the feed's own content and are kept as served.
  const gzipFileAllowed = encodings.length === 0 || pathEndsInGz(finalUrl);
  stream = withHead(stream, 2, (head) =>
    gzipFileAllowed && head[0] === 0x1f && head[1] === 0x8b ? (source) => zlibStage(source, 'gzip', createGunzip) : undefined,
  );
  stream = inspect(stream, context, state);

  await mkdir(dirname(part), { recursive: true }).catch((error: unknown) => {
    throw new LocalFileError(part, error);
  });
  await writeFileSynced(stream, part);
}

/** Counts raw bytes and marks read errors as network errors. */
async function* countRaw(body: AsyncIterable<Buffer>, state: BodyState): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) {
      state.rawBytes += chunk.length;
      yield chunk;
    }
  } catch (error) {
    throw new BodyReadError(error);
  }
}

function decodeEncoding(source: AsyncIterable<Buffer>, encoding: string): AsyncIterable<Buffer> {
  if (encoding === 'br') return zlibStage(source, 'br', createBrotliDecompress);
  if (encoding === 'deflate') {
    // "deflate" should be zlib-wrapped, but some servers send raw deflate; the first two bytes tell.
    return withHead(source, 2, (head) => (input) => zlibStage(input, 'deflate', isZlibHeader(head) ? createInflate : createInflateRaw));
  }
  return zlibStage(source, 'gzip', createGunzip);
}

function isZlibHeader(head: Buffer): boolean {
  return head.length >= 2 && (head[0]! & 0x0f) === 8 && ((head[0]! << 8) | head[1]!) % 31 === 0;
}

/** Runs a node:zlib decompressor over an async iterable, with backpressure on both sides. */
async function* zlibStage(source: AsyncIterable<Buffer>, encoding: string, create: () => Transform): AsyncGenerator<Buffer> {
  const decoder = create();
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (error) => decoder.destroy(error));
  input.pipe(decoder);
  try {
    for await (const chunk of decoder) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof BodyReadError || error instanceof DecodeError) throw error;
    throw new DecodeError(encoding, error);
  } finally {
    input.destroy();
    decoder.destroy();
  }
}

/**
 * Reads at least `size` bytes (fewer if the stream ends), then continues with the stage `choose` picks
 * for them, or with the plain stream when it picks none.
 */
async function* withHead(
  source: AsyncIterable<Buffer>,
  size: number,
  choose: (head: Buffer) => ((input: AsyncIterable<Buffer>) => AsyncIterable<Buffer>) | undefined,
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < size) {
    const next = await iterator.next();
    if (next.done === true) break;
    chunks.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(chunks);
  const rest = prepend(head, iterator);
  yield* choose(head)?.(rest) ?? rest;
}

async function* prepend(head: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/** Caps the decompressed size, hashes, and holds back the first bytes until the content check passes. */
async function* inspect(source: AsyncIterable<Buffer>, context: FetchContext, state: BodyState): AsyncGenerator<Buffer> {
  const { expect, maxBytes } = context.request;
  let held: Buffer[] | undefined = expect === 'any' ? undefined : [];

  for await (const chunk of source) {
    state.bytes += chunk.length;
    if (state.bytes > maxBytes) {
      throw new AttemptFailure(
        new VerdictError('VERDICT_ERR_FETCH_TOO_LARGE', { feed: context.request.feedId, url: context.displayUrl, maxBytes }),
        false,
      );
    }
    state.hash.update(chunk);

    if (held === undefined) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    const head = Buffer.concat(held);
    const verdict = sniffContent(head, expect, false);
    if (verdict === 'more') continue;
    if (verdict !== 'ok') throw unexpectedContent(context, verdict.reject);
    held = undefined;
    yield head;
  }

  if (held !== undefined) {
    const head = Buffer.concat(held);
    const verdict = sniffContent(head, expect, true);
    if (verdict !== 'ok' && verdict !== 'more') throw unexpectedContent(context, verdict.reject);
    if (head.length > 0) yield head;
  }
}

type SniffVerdict = 'ok' | 'more' | { readonly reject: string };

/** Checks the first bytes of a body against the expected kind. `complete` is true when no more bytes follow. */
export function sniffContent(head: Buffer, expect: FetchRequest['expect'], complete: boolean): SniffVerdict {
  if (expect === 'any') return 'ok';

  // A UTF-8 byte order mark split across chunks: wait for the rest of it.
  if (!complete && head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) return 'more';

  const start = firstSignificantByte(head);
  const rest = head.subarray(start);

  // White space only so far: wait for more, up to the sniff limit, so holding back stays bounded.
  if (rest.length === 0 && expect !== 'sqlite') {
    if (!complete && head.length < SNIFF_LIMIT_BYTES) return 'more';
    if (expect === 'text') return 'ok';
    if (head.length === 0) return { reject: 'the body is empty' };
    return { reject: complete ? 'the body contains only white space' : `the first ${head.length} bytes are white space` };
  }

  const html = looksLikeHtml(rest, complete);
  if (html === 'more') return 'more';
  if (html) return { reject: 'the body is an HTML page' };

  if (expect === 'sqlite') {
    if (head.length < SQLITE_MAGIC.length && !complete) return 'more';
    return head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)
      ? 'ok'
      : { reject: 'the body does not start with the SQLite header "SQLite format 3\\0"' };
  }

  if (expect === 'json' && rest[0] !== 0x5b && rest[0] !== 0x7b) {
    const preview = rest.subarray(0, 16).toString('utf8');
    return { reject: `the body starts with ${JSON.stringify(preview)}, not [ or {` };
  }
  return 'ok';
}

/** Index of the first byte after a UTF-8 BOM and ASCII white space. */
function firstSignificantByte(head: Buffer): number {
  let index = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
  while (index < head.length && [0x20, 0x09, 0x0a, 0x0d, 0x0c].includes(head[index]!)) index += 1;
  return index;
}

function looksLikeHtml(rest: Buffer, complete: boolean): boolean | 'more' {
  if (rest.length === 0) return false;
  if (rest[0] !== 0x3c) return false;
  const text = rest.subarray(0, HTML_STARTS[0]!.length).toString('latin1').toLowerCase();
  if (HTML_STARTS.some((start) => text.startsWith(start))) return true;
  if (!complete && HTML_STARTS.some((start) => start.startsWith(text))) return 'more';
  return false;
}

/** Writes every chunk to `path` and fsyncs it, so a rename afterwards publishes complete bytes. */
async function writeFileSynced(source: AsyncIterable<Buffer>, path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'w');
  } catch (error) {
    throw new LocalFileError(path, error);
  }
  try {
    for await (const chunk of source) {
      await handle.write(chunk).catch((error: unknown) => {
        throw new LocalFileError(path, error);
      });
      failpoint('fetch:during-download');
    }
    await handle.sync().catch((error: unknown) => {
      throw new LocalFileError(path, error);
    });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Renames the complete file into place, then fsyncs the folder so the rename survives a crash. The
 * folder fsync is best effort: once the rename is done, the new file is in place and reporting a
 * failure would misstate what `destination` holds.
 */
async function publish(part: string, destination: string): Promise<void> {
  await rename(part, destination);
  try {
    const folder = await open(dirname(destination), 'r');
    await folder.sync().finally(() => folder.close());
  } catch {
    // Some file systems refuse to fsync a folder; the data itself was fsynced before the rename.
  }
}

async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  // dump() reads a little and then closes the connection rather than downloading a large error page.
  await body.dump().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------
// Failures: each names the feed and the redacted URL, with every secret scrubbed from details.

function toFailure(context: FetchContext, error: unknown): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (error instanceof VerdictError) return new AttemptFailure(error, false);
  return networkFailure(context, error);
}

function params(context: FetchContext, extra: ErrorParams): ErrorParams {
  return { feed: context.request.feedId, url: context.displayUrl, ...extra };
}

function timeoutFailure(context: FetchContext): AttemptFailure {
  return new AttemptFailure(
    new VerdictError('VERDICT_ERR_FETCH_TIMEOUT', params(context, { timeoutMs: context.request.timeoutMs })),
    true,
  );
}

/** Error codes where another attempt cannot help: bad arguments, TLS certificate problems, loops. */
const PERMANENT_NETWORK_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function networkFailure(context: FetchContext, error: unknown): AttemptFailure {
  const code = errorCode(error);
  return new AttemptFailure(
    new VerdictError('VERDICT_ERR_FETCH_FAILED', params(context, { detail: context.scrub(describe(error)) })),
    code === undefined || !PERMANENT_NETWORK_CODES.has(code),
  );
}

function truncated(context: FetchContext, detail: string): AttemptFailure {
  return new AttemptFailure(new VerdictError('VERDICT_ERR_FETCH_TRUNCATED', params(context, { detail })), true);
}

function unexpectedContent(context: FetchContext, detail: string): AttemptFailure {
  return new AttemptFailure(
    new VerdictError(
      'VERDICT_ERR_FETCH_UNEXPECTED_CONTENT',
      params(context, { expected: EXPECTED_NAMES[context.request.expect], detail: context.scrub(detail) }),
    ),
    false,
  );
}

function localFileFailure(context: FetchContext, error: LocalFileError): AttemptFailure {
  const detail = `cannot write ${error.path}: ${describe(error.original)}`;
  return new AttemptFailure(new VerdictError('VERDICT_ERR_FETCH_FAILED', params(context, { detail: context.scrub(detail) })), false);
}

function bodyFailure(context: FetchContext, error: unknown, state: BodyState, announced: number): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (error instanceof LocalFileError) return localFileFailure(context, error);
  if (error instanceof BodyReadError) {
    // No byte count here, because a failed socket destroys the body stream and bytes not yet read are lost.
    const missing = Number.isFinite(announced)
      ? `before the ${announced} bytes announced by Content-Length arrived`
      : 'before the body was complete';
    return truncated(context, `${context.scrub(describe(error.original))} ${missing}`);
  }
  if (error instanceof DecodeError) {
    // zlib's "unexpected end of file": the compressed stream stopped early, as after a cut connection.
    if (errorCode(error.original) === 'Z_BUF_ERROR') {
      return truncated(context, `the ${error.encoding} stream ended early after ${state.rawBytes} bytes`);
    }
    return unexpectedContent(context, `the body is not valid ${error.encoding} data (${describe(error.original)})`);
  }
  return networkFailure(context, error);
}

function statusFailure(context: FetchContext, status: number, headers: Dispatcher.ResponseData['headers']): AttemptFailure {
  const retryable = status >= 500 || status === 429;
  const retryAfterMs = retryable ? parseRetryAfter(headerValue(headers, 'retry-after'), context.deps.now ?? Date.now) : undefined;
  const error = new VerdictError('VERDICT_ERR_FETCH_HTTP_STATUS', params(context, { httpStatus: status, advice: statusAdvice(context, status, retryAfterMs) }));
  return new AttemptFailure(error, retryable, retryAfterMs);
}

function statusAdvice(context: FetchContext, status: number, retryAfterMs: number | undefined): string {
  const wait = retryAfterMs === undefined ? '' : ` and asked to wait ${Math.ceil(retryAfterMs / 1000)} s`;
  if (status === 401 || status === 403) return 'check the credentials and the headers configured in refresh.headers';
  if (status === 404 || status === 410) return 'check the feed URL, the file may have moved or been removed';
  if (status === 429) return `the server is rate limiting${wait}; lengthen refresh.intervalSeconds`;
  if (status >= 500) return `the server failed${wait}; the next refresh tries again`;
  if (status === 304) return 'the server returned Not Modified to a request without conditions; check the server';
  if (status === 206) return 'the server sent part of the file to a request for all of it; check the server';
  if (status >= 300 && status < 400) {
    return `the server redirected more than ${MAX_REDIRECTIONS} times or without a Location header; configure the final URL`;
  }
  if (context.conditional && status === 412) return 'the server rejected the conditional request; check the server';
  return 'check the feed URL and the server';
}

/** Converts Retry-After (delay-seconds or an HTTP date) to milliseconds from now; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now: () => number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

// ---------------------------------------------------------------------------------------------------
// Small helpers.

function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentEncodings(headers: Dispatcher.ResponseData['headers']): string[] {
  const value = headers['content-encoding'];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((encoding) => encoding.trim().toLowerCase())
    .filter((encoding) => encoding !== '' && encoding !== 'identity');
}

function pathEndsInGz(url: string): boolean {
  try {
    return new URL(url).pathname.toLowerCase().endsWith('.gz');
  } catch {
    return false;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Formats an error as its message, followed by its code when the message lacks it. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = errorCode(error);
  const message = error.message === '' ? error.name : error.message;
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function logSuccess(context: FetchContext, result: FetchResult): void {
  const base = { feed: context.request.feedId, url: context.displayUrl, attempts: result.attempts };
  if (result.status === 'not-modified') {
    context.deps.logger.info(base, 'feed not modified');
  } else {
    context.deps.logger.info({ ...base, bytes: result.bytes, sha256: result.sha256 }, 'feed downloaded');
  }
}
