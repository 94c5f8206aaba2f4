/**
 * `checksums`: the output of checksum tools, one file per line.
 *
 * - GNU coreutils `sha256sum`/`sha1sum`/`md5sum`: `HASH  path` (text mode), `HASH *path` (binary
 *   mode) and `HASH path` (BSD `md5 -r`). A line starting with `\` has its path escaped: `\\` is a
 *   backslash, `\n` a newline and `\r` a carriage return.
 * - BSD tags (also `sha256sum --tag` and OpenSSL): `SHA256 (path) = HASH`, with MD5, SHA1, SHA-1,
 *   SHA256, SHA-256 or SHA2-256 as the algorithm; other algorithms are bad lines.
 * - hashdeep: `%%%%` header lines, `##` comments, and the column line `%%%% size,md5,sha256,filename`
 *   naming the columns of the rows that follow. Rows add their md5, sha1 and sha256 columns; other
 *   hash columns (tiger, whirlpool, ...) are ignored. The file name is the last column and may
 *   contain commas.
 *
 * The path becomes the `fileName` attribute and hashdeep's size the `size` attribute (a number).
 * Blank lines and lines starting with `#` are skipped. A hashdeep row without md5, sha1 or sha256
 * column is counted as filtered (`no-hash`).
 */
import { forEachLine } from '../input.js';
import { reasonOfHashError } from '../../build/partition.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import { DIGEST_BYTES, keyToHex, normalizeHashInto, type HashType } from '../../indicators/hash.js';
import { NO_HASH_FILTER, hashTypeMismatch } from './typed-hash.js';

/** Content of a hashdeep column, where `other` is a hash type this service does not store (tiger, whirlpool, ...). */
export type HashdeepColumn = 'size' | HashType | 'filename' | 'other';

/** A valid hash of a checksum line. */
export interface ChecksumHash {
  readonly type: HashType;
  /** Lower-case hex digits. */
  readonly hex: string;
}

export type ChecksumLine =
  /** A blank line, a comment, or a hashdeep header line other than the column line. */
  | { readonly kind: 'skip' }
  /** `%%%% HASHDEEP-1.0`: a hashdeep file starts here, and its column line follows. */
  | { readonly kind: 'hashdeep-start' }
  /** The hashdeep column line; pass `columns` with each following line. */
  | { readonly kind: 'hashdeep-columns'; readonly columns: readonly HashdeepColumn[] }
  | { readonly kind: 'entry'; readonly hashes: readonly ChecksumHash[]; readonly path?: string; readonly size?: number }
  | { readonly kind: 'bad'; readonly reason: string };

/** Bad-line reasons of parseChecksumLine, besides the hash reasons of build/partition.ts and typed-hash.ts. */
export const ChecksumBadReason = {
  unsupportedAlgorithm: 'unsupported-hash-algorithm',
  invalidEscape: 'invalid-path-escape',
  hashdeepColumnLine: 'hashdeep-bad-column-line',
  hashdeepFieldCount: 'hashdeep-field-count',
  hashdeepSize: 'hashdeep-bad-size',
} as const;

const SKIP: ChecksumLine = { kind: 'skip' };
const HASHDEEP_START: ChecksumLine = { kind: 'hashdeep-start' };

/** Hash types of BSD tag algorithm names, upper-cased and without `-`. */
const TAG_ALGORITHMS: Readonly<Record<string, HashType>> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA2256: 'sha256',
};

const HASHDEEP_COLUMNS: Readonly<Record<string, HashdeepColumn>> = {
  size: 'size',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  filename: 'filename',
};

/** A GNU line: at least 32 hex digits, then a space or the end of the line. */
const GNU_LINE = /^\\?[0-9A-Fa-f]{32,}(?: |$)/;
/** A BSD tag line; the greedy path stops at the last `) =`, so paths may contain parentheses. */
const TAG_LINE = /^(\\?)([A-Za-z][A-Za-z0-9-]*) ?\((.*)\) ?= ?(.*)$/;
const DECIMAL_INTEGER = /^\d+$/;

const scratch = new Uint8Array(33);

/** Validates one hash, checking its type against the one the line names. Returns a bad-line reason when invalid. */
function checkHash(value: string, named: HashType | undefined): ChecksumHash | string {
  if (named !== undefined) {
    const mismatch = hashTypeMismatch(value, named);
    if (mismatch !== undefined) return mismatch;
  }
  const result = normalizeHashInto(value, scratch);
  if (typeof result !== 'string') return reasonOfHashError(result.code);
  return { type: result, hex: keyToHex(scratch.subarray(0, 1 + DIGEST_BYTES[result])) };
}

/** Undoes GNU's escaping of a path (`\\`, `\n`, `\r`), or returns undefined when it has another escape. */
export function unescapeGnuPath(escaped: string): string | undefined {
  if (!escaped.includes('\\')) return escaped;
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const character = escaped[i]!;
    if (character !== '\\') {
      out += character;
      continue;
    }
    const next = escaped[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else return undefined;
  }
  return out;
}

function entry(hashes: ChecksumHash[], path: string | undefined, size?: number): ChecksumLine {
  const result: { kind: 'entry'; hashes: ChecksumHash[]; path?: string; size?: number } = { kind: 'entry', hashes };
  if (path !== undefined && path.length > 0) result.path = path;
  if (size !== undefined) result.size = size;
  return result;
}

function bad(reason: string): ChecksumLine {
  return { kind: 'bad', reason };
}

function parseHashdeepHeader(text: string): ChecksumLine {
  if (/^HASHDEEP-/i.test(text)) return HASHDEEP_START;
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  // Rows are split on commas from the left, so only the last column may be the file name.
  if (names.length < 2 || names.at(-1) !== 'filename' || names.indexOf('filename') !== names.length - 1 || names.includes('')) {
    return bad(ChecksumBadReason.hashdeepColumnLine);
  }
  return { kind: 'hashdeep-columns', columns: names.map((name) => HASHDEEP_COLUMNS[name] ?? 'other') };
}

function parseHashdeepRow(line: string, columns: readonly HashdeepColumn[]): ChecksumLine {
  const hashes: ChecksumHash[] = [];
  let size: number | undefined;
  let start = 0;
  for (let i = 0; i < columns.length - 1; i++) {
    const comma = line.indexOf(',', start);
    if (comma === -1) return bad(ChecksumBadReason.hashdeepFieldCount);
    const field = line.slice(start, comma);
    start = comma + 1;

    const column = columns[i]!;
    if (column === 'size') {
      if (!DECIMAL_INTEGER.test(field)) return bad(ChecksumBadReason.hashdeepSize);
      size = Number(field);
    } else if (column === 'md5' || column === 'sha1' || column === 'sha256') {
      const hash = checkHash(field, column);
      if (typeof hash === 'string') return bad(hash);
      hashes.push(hash);
    }
  }
  return entry(hashes, line.slice(start), size);
}

function parseTagLine(match: RegExpExecArray): ChecksumLine {
  const [, escapeMark, algorithm, rawPath, value] = match;
  const type = TAG_ALGORITHMS[algorithm!.toUpperCase().replaceAll('-', '')];
  if (type === undefined) return bad(ChecksumBadReason.unsupportedAlgorithm);

  const path = escapeMark === '\\' ? unescapeGnuPath(rawPath!) : rawPath!;
  if (path === undefined) return bad(ChecksumBadReason.invalidEscape);

  const hash = checkHash(value!, type);
  if (typeof hash === 'string') return bad(hash);
  return entry([hash], path);
}

function parseGnuLine(line: string): ChecksumLine {
  const escaped = line.startsWith('\\');
  const text = escaped ? line.slice(1) : line;
  const space = text.indexOf(' ');
  const hash = checkHash(space === -1 ? text : text.slice(0, space), undefined);
  if (typeof hash === 'string') return bad(hash);

  let path = space === -1 ? '' : text.slice(space + 1);
  // The mode character: ' ' for text, '*' for binary. Without one the line is BSD's `md5 -r` form.
  if (path.startsWith(' ') || path.startsWith('*')) path = path.slice(1);
  const unescaped = escaped ? unescapeGnuPath(path) : path;
  if (unescaped === undefined) return bad(ChecksumBadReason.invalidEscape);
  return entry([hash], unescaped);
}

/**
 * Parses one line of a checksums file, without its newline (a trailing CR is removed).
 *
 * Callers read a file line by line and keep hashdeep state: after a `hashdeep-columns` result, pass
 * its `columns` with every following line, and stop passing them after a `hashdeep-start`.
 *
 * An `entry` contains only valid hashes. A line with any invalid hash is `bad` as a whole, with the
 * reason sink.addHash would give, or `hash-type-mismatch` when the line names another algorithm.
 */
export function parseChecksumLine(line: string, hashdeepColumns?: readonly HashdeepColumn[]): ChecksumLine {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.trim().length === 0) return SKIP;
  if (line.startsWith('%%%%')) return parseHashdeepHeader(line.slice(4).trim());
  if (line.startsWith('#')) return SKIP;
  if (hashdeepColumns !== undefined) return parseHashdeepRow(line, hashdeepColumns);

  if (GNU_LINE.test(line)) return parseGnuLine(line);
  const tag = TAG_LINE.exec(line);
  if (tag !== null) return parseTagLine(tag);
  // Neither form: parsing it as GNU names what is wrong with its first word as a hash.
  return parseGnuLine(line);
}

export const checksumsFormat: FeedFormat = {
  name: 'checksums',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    let columns: readonly HashdeepColumn[] | undefined;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const parsed = parseChecksumLine(line, columns);
      switch (parsed.kind) {
        case 'skip':
          return;
        case 'hashdeep-start':
          columns = undefined;
          return;
        case 'hashdeep-columns':
          columns = parsed.columns;
          return;
        case 'bad':
          sink.bad(parsed.reason, lineNumber, line);
          return;
        case 'entry': {
          // A hashdeep row whose hash columns are all of unsupported types (tiger, whirlpool) adds nothing.
          if (parsed.hashes.length === 0) {
            sink.filtered(NO_HASH_FILTER);
            return;
          }
          let attributes: Attributes | undefined;
          if (parsed.path !== undefined) attributes = { fileName: parsed.path };
          if (parsed.size !== undefined) (attributes ??= {})['size'] = parsed.size;
          for (const hash of parsed.hashes) {
            const reason = sink.addHash(hash.hex, attributes);
            // parseChecksumLine already validated the hash, so this only guards against a sink that disagrees.
            if (reason !== undefined) sink.bad(reason, lineNumber, line);
          }
        }
      }
    });
  },
};
