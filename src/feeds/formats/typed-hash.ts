/**
 * Adding a hash whose type the feed names (a `SHA-1` column, a `SHA256 (...)` line, a hashdeep `md5`
 * column). sink.addHash types a hash by its length alone, so a SHA-1 value in an MD5 column would be
 * stored as a SHA-1 without this check.
 */
import type { Attributes, ListKind, RecordSink } from '../../build/types.js';
import type { HashType } from '../../indicators/hash.js';

/** Hex digits of each hash type. */
export const HEX_LENGTH: Readonly<Record<HashType, number>> = { md5: 32, sha1: 40, sha256: 64 };

/** Bad-line reason of a valid hash of another type than the one the feed names. */
export const HASH_TYPE_MISMATCH = 'hash-type-mismatch';

/** Filter reason of an entry that names no hash at all (every hash cell empty). */
export const NO_HASH_FILTER = 'no-hash';

const HEX_DIGITS = /^[0-9A-Fa-f]+$/;

/**
 * Returns HASH_TYPE_MISMATCH when `value` is a well-formed hash of another type than `expected`, and
 * undefined otherwise. Malformed values pass, so that sink.addHash names what is wrong with them.
 */
export function hashTypeMismatch(value: string, expected: HashType): string | undefined {
  const trimmed = value.trim();
  const length = trimmed.length;
  if (length === HEX_LENGTH[expected]) return undefined;
  if (length !== 32 && length !== 40 && length !== 64) return undefined;
  return HEX_DIGITS.test(trimmed) ? HASH_TYPE_MISMATCH : undefined;
}

/**
 * Adds `value` as a hash of type `expected`, or of the type its length gives when `expected` is
 * 'auto'. Returns the bad-line reason when nothing was added, like RecordSink.addHash.
 */
export function addHashOfType(
  sink: RecordSink,
  value: string,
  expected: HashType | 'auto',
  attributes?: Attributes,
  list?: ListKind,
): string | undefined {
  if (expected !== 'auto') {
    const mismatch = hashTypeMismatch(value, expected);
    if (mismatch !== undefined) return mismatch;
  }
  return sink.addHash(value, attributes, list);
}
