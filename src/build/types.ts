/**
 * The contract between feed parsers and the builder. A parser reads one source and reports each
 * indicator to a RecordSink; it never touches LMDB, shards or bloom filters.
 */
import type { Readable } from 'node:stream';
import type { IndicatorContext, Rejection } from './indicator-policy.js';

export type { IndicatorContext, Rejection };

export type ListKind = 'allow' | 'deny';

/** Attributes a match reports: file name, version, product, size, description, malware family, ... */
export type Attributes = Record<string, unknown>;

/** List codes stored as the first byte of a non-empty LMDB value. */
export const ListCode = { feedDefault: 0, allow: 1, deny: 2 } as const;

export interface RecordSink {
  /**
   * Adds one indicator. `key` is a tag byte followed by the key bytes (see indicators/hash.ts); only
   * its first `keyLength` bytes are read and they are copied, so callers may reuse the buffer.
   * `list` overrides the feed's list for this record.
   */
  add(key: Uint8Array, keyLength: number, attributes?: Attributes, list?: ListKind): void;

  /**
   * Normalizes `value` as a hash and adds it. Returns the bad-line reason when the value is not a
   * valid hash, and then adds nothing and counts nothing: the caller decides whether to report it.
   */
  addHash(value: string, attributes?: Attributes, list?: ListKind): string | undefined;

  /**
   * Adds an IP address or CIDR range (`context` carries the record's ASN and country for tailored
   * feeds), a domain (a leading `.` or `*.` sets its match mode) or a URL. Each returns the
   * rejection when the entry is invalid or outside the feed's limits; the caller reports it with
   * bad(). Entries skipped by policy (reserved space, outside the constituency) are counted as
   * filtered inside, and the method returns undefined.
   */
  addIp(text: string, attributes?: Attributes, list?: ListKind, context?: IndicatorContext): Rejection | undefined;
  addDomain(text: string, attributes?: Attributes, list?: ListKind): Rejection | undefined;
  addUrl(text: string, attributes?: Attributes, list?: ListKind, context?: IndicatorContext): Rejection | undefined;

  /**
   * Counts an entry that could not be parsed, keeping the first samples of each reason with the
   * line number, the content, and the message saying what is wrong when there is one.
   */
  bad(reason: string, lineNumber: number, content: string, message?: string): void;

  /** Counts an entry that parsed but was left out on purpose (a list rule, a comment-like record). */
  filtered(reason: string): void;
}

/** The source of a feed as a parser sees it. */
export interface FeedSource {
  /** Absolute path of the source file. */
  readonly path: string;
  /**
   * Opens the source as UTF-8 bytes with any byte order mark removed; UTF-16 with a BOM is decoded.
   * The stream fails with a VerdictError (VERDICT_ERR_FEED_ENCODING) when the bytes look like UTF-16
   * without a BOM, so such a file is never read as zero entries.
   */
  openText(): Readable;
}

export interface ParseContext {
  readonly feedId: string;
  readonly source: FeedSource;
  /** The feed's format options, already validated against the format's schema. */
  readonly options: Record<string, unknown>;
  readonly sink: RecordSink;
}

export interface FeedFormat {
  readonly name: string;
  /** JSON Schema of the `options` object of a feed in this format. */
  readonly optionsSchema: Record<string, unknown>;
  /** Reads the whole source into the sink; rejects only when the source as a whole is unusable. */
  parse(context: ParseContext): Promise<void>;
}
