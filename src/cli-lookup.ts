/**
 * `verdict lookup`: offline batch checks of file hashes against the local stores.
 *
 *   FILE or stdin ──bytes──> text (UTF-8, or UTF-16 with a BOM) ──lines──> InputLineParser
 *     ──entries {line, path, hash}──> batches of up to 1,000 ──Matcher.lookupMany──> CSV or JSONL on stdout
 *   stderr: a progress bar while stderr is a terminal, then one summary line of counts by verdict
 *
 * Input layouts, detected line by line:
 *   - a hash list: a hash, optionally followed by white space, `,` or `;` and text. The text is
 *     reported as the path because in such lists it is usually the file name.
 *   - sha256sum, sha1sum and md5sum output: `HASH  path` or `HASH *path`. A line starting with `\`
 *     has `\\`, `\n` and `\r` escapes in its path (GNU coreutils).
 *   - BSD-style and `--tag` output: `SHA256 (path) = HASH`, with MD5, SHA1, SHA-1, SHA256, SHA-256
 *     or SHA2-256. The OpenSSL form `SHA256(path)= HASH` is accepted too.
 *   - hashdeep output: after `%%%% HASHDEEP-1.0` and the `%%%% size,md5,sha256,filename` column line,
 *     every line is a row in those columns until the next `%%%%` header. A row gives one lookup per
 *     MD5, SHA-1 or SHA-256 column, in column order, all with the row's line number and file name.
 *     All columns are checked because feeds carry different hash types: many threat feeds list only
 *     MD5 while NSRL keys on SHA-256, so checking only the strongest hash would miss matches. Other
 *     hashdeep columns (tiger, whirlpool) are not looked up.
 * Blank lines and lines starting with `#` (hashdeep's `##` too) are skipped. A line that cannot be
 * parsed becomes an output row with verdict `invalid` and the reason in `error`. Every item is looked
 * up as a hash, even in a plain list, so a domain or URL there is reported as an invalid hash.
 *
 * Output rows keep the input order. The CSV columns are path, hash (as written), type, verdict,
 * conflict (true or false), feeds, lists, categories and error. Feeds contains the matching feed ids
 * joined by `;`. Lists and categories contain one entry per matching feed in the same order, and a
 * category is empty for a feed without one. Fields are quoted as RFC 4180 specifies, and rows end
 * with LF. JSONL objects hold line, path, item, type, verdict, conflict, matches (feed, list,
 * category, generation, attributes) and error.
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { VerdictConfig } from './config.js';
import { VerdictError } from './errors.js';
import { EXIT_FAILURE, EXIT_FAIL_ON_MATCH, EXIT_OK } from './exit-codes.js';
import type { Logger } from './logger.js';
import { Matcher, type LookupResult, type Verdict, type VerdictCounts } from './lookup.js';
import { ProgressBar } from './progress.js';
import { buildFeed } from './refresh/refresh-feed.js';
import { createBuildPool } from './build/pool.js';
import { DIGEST_BYTES, type HashType } from './indicators/hash.js';
import { Catalog } from './store/catalog.js';

export interface LookupCommandOptions {
  readonly input: string;
  readonly format: string;
  readonly failOn: string | undefined;
  readonly logger: Logger;
}

export type OutputFormat = 'csv' | 'jsonl';

const OUTPUT_FORMATS: readonly OutputFormat[] = ['csv', 'jsonl'];
const FAIL_ON_VERDICTS: readonly Verdict[] = ['deny', 'allow', 'unknown', 'invalid'];

/** Items per Matcher.lookupMany call: large enough to amortize the call, small enough to stream. */
export const LOOKUP_BATCH_SIZE = 1000;
/** Read size for file input, in bytes. Larger reads mean fewer and fuller batches. */
const READ_CHUNK_BYTES = 1 << 20;
/** Longer lines are reported as invalid and skipped, so input without newlines cannot fill memory. */
export const MAX_LINE_CHARACTERS = 1 << 20;
/** Same limit as the Matcher's echo of an item, so no output field repeats a huge input. */
const MAX_ECHO_CHARACTERS = 256;
/** Maximum length of a BSD-style algorithm name (`SHA2-256` has 8), so hash lines skip the pattern. */
const MAX_ALGORITHM_CHARACTERS = 16;

const CSV_HEADER = 'path,hash,type,verdict,conflict,feeds,lists,categories,error\n';
const MESSAGE_PREFIX = 'verdict lookup';

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Creates the error for an invalid option value. It carries the code of Node's own parseArgs error
 * for the same mistake, which the `verdict` entry point reports as a usage error (exit code 64).
 */
function invalidOptionValue(message: string): Error {
  return Object.assign(new TypeError(message), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
}

function parseFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw invalidOptionValue(`invalid --format "${value}": expected ${OUTPUT_FORMATS.join(' or ')}`);
}

function parseFailOn(value: string | undefined): Verdict | undefined {
  if (value === undefined) return undefined;
  if ((FAIL_ON_VERDICTS as readonly string[]).includes(value)) return value as Verdict;
  throw invalidOptionValue(`invalid --fail-on "${value}": expected one of ${FAIL_ON_VERDICTS.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Input lines

/** One hash to look up, or a line that could not be parsed (`error` set, no lookup). */
export interface InputEntry {
  /** Line number in the input, from 1. */
  readonly line: number;
  readonly path: string | undefined;
  /** The hash as written, or empty when the line has none. */
  readonly hash: string;
  /** The type the line names: the BSD-style algorithm or the hashdeep column. */
  readonly declaredType?: HashType;
  readonly error?: string;
}

interface HashdeepLayout {
  readonly columns: readonly string[];
  /** Indexes of the md5, sha1 and sha256 columns, in column order. */
  readonly hashColumns: readonly { readonly index: number; readonly type: HashType }[];
  readonly sizeIndex: number;
}

const HASHDEEP_HASH_COLUMNS: Readonly<Record<string, HashType>> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256' };

const BSD_ALGORITHMS: Readonly<Record<string, HashType>> = {
  MD5: 'md5',
  SHA1: 'sha1',
  'SHA-1': 'sha1',
  SHA256: 'sha256',
  'SHA-256': 'sha256',
  'SHA2-256': 'sha256',
};

const TYPE_NAMES: Readonly<Record<HashType, string>> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256' };

/** `ALGORITHM (path) = HASH`, also without the spaces around the parentheses and `=` (OpenSSL). */
const BSD_LINE = /^([A-Za-z][A-Za-z0-9/-]*) ?\((.*)\) ?= ?(\S*)[ \t]*$/;

function echo(text: string): string {
  return text.length > MAX_ECHO_CHARACTERS ? `${text.slice(0, MAX_ECHO_CHARACTERS)}…` : text;
}

function isPlainSeparator(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x2c || code === 0x3b;
}

/** Decodes the GNU coreutils escapes of a file name: `\\`, `\n` and `\r`. */
function unescapePath(path: string): string | { error: string } {
  if (!path.includes('\\')) return path;
  let result = '';
  for (let i = 0; i < path.length; i++) {
    const character = path[i]!;
    if (character !== '\\') {
      result += character;
      continue;
    }
    const next = path[++i];
    if (next === '\\') result += '\\';
    else if (next === 'n') result += '\n';
    else if (next === 'r') result += '\r';
    else if (next === undefined) return { error: 'escaped path ends with a lone backslash' };
    else return { error: `escaped path contains the unknown escape "\\${next}"; expected \\\\, \\n or \\r` };
  }
  return result;
}

/**
 * Turns input lines into lookup entries. It is stateful only for hashdeep, whose column line sets
 * the meaning of the rows after it.
 */
export class InputLineParser {
  /** The current hashdeep layout; 'columns-missing' after a HASHDEEP header until a valid column line. */
  private hashdeep: HashdeepLayout | 'columns-missing' | undefined;

  /** Appends the entries of one line (without its line terminator) to `out`: none, one, or one per hashdeep hash column. */
  parse(text: string, line: number, out: InputEntry[]): void {
    let start = 0;
    while (start < text.length && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
    if (start === text.length) return;
    const first = text[start];
    if (first === '#') return;
    const body = start === 0 ? text : text.slice(start);

    if (body.startsWith('%%%%')) {
      this.parseHashdeepHeader(body, line, out);
      return;
    }
    if (this.hashdeep !== undefined) {
      this.parseHashdeepRow(body, line, out);
      return;
    }
    if (first === '\\') {
      this.parseChecksumLine(body.slice(1), line, true, out);
      return;
    }
    this.parseChecksumLine(body, line, false, out);
  }

  /** Parses a BSD-style, sha256sum-style or plain hash line; `escaped` when it started with `\`. */
  private parseChecksumLine(body: string, line: number, escaped: boolean, out: InputEntry[]): void {
    const parenthesis = body.indexOf('(');
    if (parenthesis > 0 && parenthesis <= MAX_ALGORITHM_CHARACTERS + 1) {
      const bsd = BSD_LINE.exec(body);
      if (bsd !== null) {
        this.parseBsdLine(bsd[1]!, bsd[2]!, bsd[3]!, line, escaped, out);
        return;
      }
    }

    let hashEnd = 0;
    while (hashEnd < body.length && !isPlainSeparator(body.charCodeAt(hashEnd))) hashEnd++;
    const hash = body.slice(0, hashEnd);
    const marker = body[hashEnd + 1];

    // sha256sum and friends: the hash, one space, then a space (text mode) or `*` (binary mode).
    if (body[hashEnd] === ' ' && (marker === ' ' || marker === '*')) {
      const path = escaped ? unescapePath(body.slice(hashEnd + 2)) : body.slice(hashEnd + 2);
      if (typeof path !== 'string') out.push({ line, path: body.slice(hashEnd + 2), hash: echo(hash), error: path.error });
      else out.push({ line, path, hash });
      return;
    }

    let textStart = hashEnd;
    while (textStart < body.length && isPlainSeparator(body.charCodeAt(textStart))) textStart++;
    const path = textStart < body.length ? body.slice(textStart).trimEnd() : undefined;
    if (escaped) {
      out.push({ line, path, hash: echo(hash), error: 'a line starting with a backslash must be an escaped checksum line ("\\HASH  path")' });
      return;
    }
    out.push({ line, path, hash });
  }

  private parseBsdLine(algorithm: string, rawPath: string, hash: string, line: number, escaped: boolean, out: InputEntry[]): void {
    const type = BSD_ALGORITHMS[algorithm.toUpperCase()];
    const path = escaped ? unescapePath(rawPath) : rawPath;
    if (typeof path !== 'string') {
      out.push({ line, path: rawPath, hash: echo(hash), error: path.error });
      return;
    }
    if (type === undefined) {
      out.push({ line, path, hash: echo(hash), error: `unsupported algorithm "${echo(algorithm)}"; expected MD5, SHA1 or SHA256` });
      return;
    }
    pushTypedHash(out, line, path, hash, type, `${algorithm} line`);
  }

  private parseHashdeepHeader(body: string, line: number, out: InputEntry[]): void {
    const content = body.slice(4).trim();
    if (/^HASHDEEP-\d/i.test(content)) {
      this.hashdeep = 'columns-missing';
      return;
    }
    // hashdeep writes only the version and the column line after %%%%; anything else carries no data.
    if (!content.includes(',')) return;

    const columns = content.split(',').map((column) => column.trim().toLowerCase());
    // Rows are split at commas from the left, so only the last column, the file name, may contain one.
    if (columns.indexOf('filename') !== columns.length - 1 || columns.includes('')) {
      this.hashdeep = 'columns-missing';
      const error = `hashdeep column line "${echo(content)}" is invalid; expected names such as size,md5,sha256 ending with filename`;
      out.push({ line, path: undefined, hash: '', error });
      return;
    }
    const hashColumns: { index: number; type: HashType }[] = [];
    columns.forEach((column, index) => {
      const type = HASHDEEP_HASH_COLUMNS[column];
      if (type !== undefined) hashColumns.push({ index, type });
    });
    this.hashdeep = { columns, hashColumns, sizeIndex: columns.indexOf('size') };
  }

  private parseHashdeepRow(body: string, line: number, out: InputEntry[]): void {
    const layout = this.hashdeep;
    if (layout === 'columns-missing' || layout === undefined) {
      out.push({ line, path: undefined, hash: '', error: 'hashdeep row has no valid "%%%% size,md5,...,filename" column line before it' });
      return;
    }

    // Every column but the last is comma-free, so the file name is the rest and may contain commas.
    const fields: string[] = [];
    let start = 0;
    for (let index = 0; index < layout.columns.length - 1; index++) {
      const comma = body.indexOf(',', start);
      if (comma === -1) {
        const found = index === 0 ? '1 field' : `${index + 1} fields`;
        const expected = `${layout.columns.length} (${layout.columns.join(',')})`;
        out.push({ line, path: undefined, hash: '', error: `hashdeep row has ${found}; the column line names ${expected}` });
        return;
      }
      fields.push(body.slice(start, comma).trim());
      start = comma + 1;
    }
    const path = body.slice(start);

    if (layout.sizeIndex !== -1 && !/^\d+$/.test(fields[layout.sizeIndex]!)) {
      out.push({ line, path, hash: '', error: `hashdeep size field "${echo(fields[layout.sizeIndex]!)}" is not a number of bytes` });
      return;
    }
    if (layout.hashColumns.length === 0) {
      out.push({ line, path, hash: '', error: `hashdeep columns ${layout.columns.join(',')} include no md5, sha1 or sha256 column` });
      return;
    }
    for (const column of layout.hashColumns) {
      pushTypedHash(out, line, path, fields[column.index]!, column.type, `hashdeep ${layout.columns[column.index]} field`);
    }
  }
}

/** Adds a hash whose type the line names, rejecting one of another length before any lookup. */
function pushTypedHash(out: InputEntry[], line: number, path: string, hash: string, type: HashType, source: string): void {
  const expected = DIGEST_BYTES[type] * 2;
  if (hash.length !== expected) {
    const error = `${echo(source)} has a hash of ${hash.length} characters; expected ${expected} hex digits (${TYPE_NAMES[type]})`;
    out.push({ line, path, hash: echo(hash), declaredType: type, error });
    return;
  }
  out.push({ line, path, hash, declaredType: type });
}

// ---------------------------------------------------------------------------------------------
// Reading

interface OpenInput {
  readonly stream: Readable;
  /** Bytes to read when the input is a regular file, for the progress percentage. */
  readonly size: number | undefined;
}

/** Opens the input now, so that a missing file is reported before any feed is built. */
function openInput(input: string): OpenInput {
  if (input === '-') return { stream: process.stdin, size: regularFileSize(0) };
  const fd = openSync(input, 'r');
  const stat = fstatSync(fd);
  if (stat.isDirectory()) {
    closeSync(fd);
    throw new Error('it is a directory; expected a file of hashes or - for standard input');
  }
  return { stream: createReadStream(input, { fd, highWaterMark: READ_CHUNK_BYTES }), size: stat.isFile() ? stat.size : undefined };
}

/** Returns the size of the file open as `fd` when it is a regular file, as stdin redirected from a file is. */
function regularFileSize(fd: number): number | undefined {
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes input bytes as UTF-8, or as UTF-16 when the input starts with a UTF-16 byte order mark. */
class InputDecoder {
  private decoder: TextDecoder | undefined;
  private head: Buffer = Buffer.alloc(0);

  decode(chunk: Buffer): string {
    if (this.decoder === undefined) {
      // Two bytes tell a UTF-16 byte order mark apart; stdin may deliver fewer in its first chunk.
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      if (this.head.length < 2) return '';
      chunk = this.head;
      this.head = Buffer.alloc(0);
      this.decoder = new TextDecoder(encodingOf(chunk));
    }
    // TextDecoder drops a leading byte order mark, and `stream` keeps characters split across chunks.
    return this.decoder.decode(chunk, { stream: true });
  }

  end(): string {
    if (this.decoder === undefined) return new TextDecoder('utf-8').decode(this.head);
    return this.decoder.decode();
  }
}

function encodingOf(head: Buffer): string {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** Splits decoded text into lines (LF or CRLF), numbering them and capping their length. */
class LineSplitter {
  private carry = '';
  private lineNumber = 0;
  /** True while dropping the rest of a line longer than MAX_LINE_CHARACTERS. */
  private discarding = false;

  constructor(
    private readonly onLine: (text: string, line: number) => void,
    private readonly onOverlong: (line: number) => void,
  ) {}

  push(text: string): void {
    let start = 0;
    if (this.discarding) {
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      this.discarding = false;
      start = newline + 1;
    } else if (this.carry.length > 0) {
      text = this.carry + text;
      this.carry = '';
    }

    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      this.emit(text, start, newline);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }

    if (text.length - start > MAX_LINE_CHARACTERS) {
      this.onOverlong(++this.lineNumber);
      this.discarding = true;
    } else {
      this.carry = text.slice(start);
    }
  }

  end(): void {
    if (!this.discarding && this.carry.length > 0) this.emit(this.carry, 0, this.carry.length);
    this.carry = '';
  }

  private emit(text: string, start: number, end: number): void {
    const line = ++this.lineNumber;
    if (end > start && text.charCodeAt(end - 1) === 0x0d) end--;
    if (end - start > MAX_LINE_CHARACTERS) this.onOverlong(line);
    else this.onLine(text.slice(start, end), line);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Standard output with backpressure and a quiet stop when the reader goes away (EPIPE, as with
 * `| head`). The error listener stays attached for the life of the process: an EPIPE of the last
 * write is emitted on a later tick, and without a listener it would crash the process.
 */
class OutputWriter {
  closed = false;
  failure: Error | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.closed = true;
      if (error.code !== 'EPIPE') this.failure ??= error;
    });
  }

  write(text: string): void {
    if (!this.closed && text.length > 0) this.stream.write(text);
  }

  /** Resolves once buffered output has been written, or at once when nothing is buffered. */
  drained(): Promise<void> {
    if (this.closed || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
  }
}

/**
 * Quotes a field as RFC 4180 specifies. A field starting with =, +, -, @, tab or CR gets a leading
 * apostrophe, because spreadsheets run such a cell as a formula and file paths from an evidence
 * image are attacker-controlled (OWASP's advice for CSV injection).
 */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvRow(entry: InputEntry, result: LookupResult): string {
  const type = result.type ?? entry.declaredType ?? '';
  let feeds = '';
  let lists = '';
  let categories = '';
  if (result.matches.length > 0) {
    feeds = result.matches.map((match) => match.feed).join(';');
    lists = result.matches.map((match) => match.list).join(';');
    categories = result.matches.map((match) => match.category ?? '').join(';');
  }
  const conflict = result.conflict === true ? 'true' : 'false';
  return `${csvField(entry.path ?? '')},${csvField(result.item)},${type},${result.verdict},${conflict},${feeds},${lists},${csvField(categories)},${csvField(result.error ?? '')}\n`;
}

/** Attribute values come from MessagePack, where a 64-bit integer may decode as a BigInt. */
function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function jsonRow(entry: InputEntry, result: LookupResult): string {
  const row = {
    line: entry.line,
    path: entry.path ?? null,
    item: result.item,
    type: result.type ?? entry.declaredType ?? null,
    verdict: result.verdict,
    conflict: result.conflict === true,
    matches: result.matches,
    error: result.error ?? null,
  };
  return `${JSON.stringify(row, result.matches.length > 0 ? jsonValue : undefined)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Checking

type MatcherItem = string | { readonly type: string; readonly value: string };

const HEX_DIGITS = /^[0-9a-fA-F]+$/;

/**
 * Returns the Matcher item of an entry. Every input layout puts a hash in this field, so a value that
 * is not 32, 40 or 64 hex digits is forced to the hash type. Its error then names the problem with
 * the hash, and a value such as "example.com" is not looked up as a domain.
 */
function matcherItemOf(entry: InputEntry): MatcherItem {
  const length = entry.hash.length;
  if ((length === 32 || length === 40 || length === 64) && HEX_DIGITS.test(entry.hash)) return entry.hash;
  return { type: entry.declaredType ?? 'hash', value: entry.hash };
}

/** Collects parsed entries, looks them up in batches and writes their rows in input order. */
class BatchChecker {
  readonly counts: VerdictCounts = { allow: 0, deny: 0, unknown: 0, invalid: 0 };
  items = 0;
  private pending: InputEntry[] = [];
  private readonly parser = new InputLineParser();

  constructor(
    private readonly matcher: Matcher,
    private readonly formatRow: (entry: InputEntry, result: LookupResult) => string,
    private readonly writer: OutputWriter,
  ) {}

  addLine(text: string, line: number): void {
    this.parser.parse(text, line, this.pending);
    if (this.pending.length >= LOOKUP_BATCH_SIZE) this.flush();
  }

  addOverlongLine(line: number): void {
    this.pending.push({ line, path: undefined, hash: '', error: `line is longer than ${MAX_LINE_CHARACTERS} characters` });
    if (this.pending.length >= LOOKUP_BATCH_SIZE) this.flush();
  }

  /** Looks up the pending entries and writes their rows. */
  flush(): void {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];

    const items: MatcherItem[] = [];
    for (const entry of entries) if (entry.error === undefined) items.push(matcherItemOf(entry));
    const results = items.length > 0 ? this.matcher.lookupMany(items).results : [];

    let next = 0;
    let output = '';
    for (const entry of entries) {
      const result: LookupResult =
        entry.error === undefined ? results[next++]! : { item: entry.hash, verdict: 'invalid', error: entry.error, matches: [] };
      this.counts[result.verdict]++;
      output += this.formatRow(entry, result);
    }
    this.items += entries.length;
    this.writer.write(output);
  }
}

/** Reads the whole input through the checker. Returns early, without an error, when stdout closes. */
async function checkInput(input: OpenInput, checker: BatchChecker, writer: OutputWriter, progress: ProgressBar | undefined): Promise<void> {
  const decoder = new InputDecoder();
  const splitter = new LineSplitter(
    (text, line) => checker.addLine(text, line),
    (line) => checker.addOverlongLine(line),
  );
  let bytes = 0;

  for await (const chunk of input.stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    splitter.push(decoder.decode(chunk));
    // Flushing per chunk writes each row soon after its line arrives from a slow producer (a terminal, a hashing tool).
    checker.flush();
    progress?.update(checker.items, bytes);
    await writer.drained();
    if (writer.closed) break;
  }
  if (writer.closed) return;

  splitter.push(decoder.end());
  splitter.end();
  checker.flush();
  await writer.drained();
}

// ---------------------------------------------------------------------------------------------
// The command

/**
 * Lowers logging to warnings and errors unless VERDICT_LOG_LEVEL sets a level, because info logs
 * (each generation opened, each build step) would mix with the rows a user reads on a terminal.
 */
function commandLogger(logger: Logger): Logger {
  return process.env['VERDICT_LOG_LEVEL'] === undefined ? logger.child({}, { level: 'warn' }) : logger;
}

/** Opens every feed's current generation, building first the feeds that have none. */
async function openCatalog(config: VerdictConfig, logger: Logger): Promise<Catalog> {
  const catalog = new Catalog(config, logger);
  catalog.cleanUpPartialBuilds();
  catalog.refresh();

  const missing = catalog.missingFeeds();
  if (missing.length > 0) {
    process.stderr.write(`${MESSAGE_PREFIX}: building feeds that have no generation: ${missing.join(', ')}\n`);
    const pool = createBuildPool(config.build.workerThreads);
    try {
      for (const feedId of missing) {
        const feed = config.feeds.find((candidate) => candidate.id === feedId)!;
        try {
          const manifest = await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger }, feed);
          process.stderr.write(`${MESSAGE_PREFIX}: built ${feedId}: ${manifest.keys} keys\n`);
        } catch (error) {
          const detail = error instanceof VerdictError ? `${error.message} (${error.code})` : (error as Error).message;
          process.stderr.write(`${MESSAGE_PREFIX}: building ${feedId} failed: ${detail}\n`);
        }
      }
    } finally {
      await pool.destroy();
    }
    catalog.refresh();
  }

  const unavailable = catalog.missingFeeds();
  if (unavailable.length > 0) {
    catalog.close();
    throw new VerdictError('VERDICT_ERR_SERVICE_NOT_READY', { feeds: unavailable.join(', ') });
  }
  return catalog;
}

/** Formats the closing line, e.g. "verdict lookup: 1000 items: 3 deny, 990 allow, 5 unknown, 2 invalid". */
export function formatSummary(items: number, counts: VerdictCounts): string {
  const noun = items === 1 ? 'item' : 'items';
  return `${MESSAGE_PREFIX}: ${items} ${noun}: ${counts.deny} deny, ${counts.allow} allow, ${counts.unknown} unknown, ${counts.invalid} invalid`;
}

function inputLabel(input: string): string {
  return input === '-' ? 'standard input' : `"${input}"`;
}

/** Runs `verdict lookup`; returns the exit code. Usage errors and unusable feeds are thrown. */
export async function runLookupCommand(config: VerdictConfig, options: LookupCommandOptions): Promise<number> {
  const format = parseFormat(options.format);
  const failOn = parseFailOn(options.failOn);

  let input: OpenInput;
  try {
    input = openInput(options.input);
  } catch (error) {
    process.stderr.write(`${MESSAGE_PREFIX}: cannot read input ${inputLabel(options.input)}: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }

  let catalog: Catalog;
  try {
    catalog = await openCatalog(config, commandLogger(options.logger));
  } catch (error) {
    input.stream.destroy();
    throw error;
  }

  const writer = new OutputWriter(process.stdout);
  const checker = new BatchChecker(new Matcher(catalog), format === 'csv' ? csvRow : jsonRow, writer);
  // A bar on the terminal that also shows the rows would be overwritten by them, so it needs stdout elsewhere.
  const progress =
    process.stderr.isTTY && !process.stdout.isTTY ? new ProgressBar(process.stderr, { label: MESSAGE_PREFIX, totalBytes: input.size }) : undefined;
  if (options.input === '-' && process.stdin.isTTY) {
    process.stderr.write(`${MESSAGE_PREFIX}: reading hashes from the terminal; end the input with Ctrl+D\n`);
  }

  // A read failure (EIO, for example) is reported as such. Any other error is a bug and is rethrown.
  let readError: unknown;
  input.stream.once('error', (error) => {
    readError = error;
  });

  try {
    if (format === 'csv') writer.write(CSV_HEADER);
    await checkInput(input, checker, writer, progress);
  } catch (error) {
    progress?.clear();
    if (error !== readError) throw error;
    process.stderr.write(`${MESSAGE_PREFIX}: cannot read input ${inputLabel(options.input)}: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    catalog.close();
  }
  progress?.clear();

  if (writer.failure !== undefined) {
    process.stderr.write(`${MESSAGE_PREFIX}: cannot write the results: ${writer.failure.message}\n`);
    return EXIT_FAILURE;
  }
  // A reader that closed early (`| head`) wanted no more output, so no summary either.
  if (!writer.closed) process.stderr.write(`${formatSummary(checker.items, checker.counts)}\n`);
  return failOn !== undefined && checker.counts[failOn] > 0 ? EXIT_FAIL_ON_MATCH : EXIT_OK;
}
