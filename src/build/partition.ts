/**
 * The RecordSink the builder hands to parsers: it spreads records over shards as packed byte arrays
 * (keys and values back to back, with end offsets) that move to the shard workers without copying.
 */
import { normalizeHashInto } from '../indicators/hash.js';
import { PROBE_BYTES, probeOf, shardOfProbe } from '../indicators/keys.js';
import type { ErrorCode } from '../errors.js';
import { encodeValue, withSeen, type RecordValue } from '../store/value.js';
import type { Attributes, IndicatorContext, ListKind, RecordSink, Rejection } from './types.js';
import { IndicatorPolicy } from './indicator-policy.js';

export { valuePacker } from '../store/value.js';

const MAX_SAMPLES_PER_REASON = 5;
const MAX_SAMPLE_CHARACTERS = 200;


/** Bad-line reason of each hash normalization error. */
const REASON_OF_HASH_ERROR: Partial<Record<ErrorCode, string>> = {
  VERDICT_ERR_ITEM_EMPTY: 'empty-hash',
  VERDICT_ERR_ITEM_BAD_LENGTH: 'bad-hash-length',
  VERDICT_ERR_ITEM_NOT_HEX: 'non-hex-character',
  VERDICT_ERR_ITEM_HEX_PREFIX: 'hex-prefix',
};

export function reasonOfHashError(code: ErrorCode): string {
  return REASON_OF_HASH_ERROR[code] ?? 'invalid-hash';
}

class ByteBuilder {
  bytes: Uint8Array;
  length = 0;

  constructor(initial: number) {
    this.bytes = new Uint8Array(initial);
  }

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  append(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (this.length + count > this.bytes.length) this.reserve(count);
    const bytes = this.bytes;
    let at = this.length;
    // A plain loop: keys are 17 to 33 bytes, where subarray() + set() cost more than the copy.
    for (let i = start; i < end; i++) bytes[at++] = source[i]!;
    this.length = at;
  }

  appendByte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** The filled part as a view; its whole ArrayBuffer is transferred to the worker, so nothing is copied. */
  take(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

class OffsetBuilder {
  values: Uint32Array;
  length = 0;

  constructor(initial: number) {
    this.values = new Uint32Array(initial);
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  take(): Uint32Array {
    return this.values.subarray(0, this.length);
  }
}

/** Records of one shard in input order: key i is keys[keyEnds[i-1] .. keyEnds[i]), likewise values. */
export interface ShardRecords {
  readonly count: number;
  readonly keys: Uint8Array;
  readonly keyEnds: Uint32Array;
  readonly values: Uint8Array;
  readonly valueEnds: Uint32Array;
}

export interface BadLineSample {
  readonly line: number;
  readonly reason: string;
  readonly content: string;
  readonly message?: string;
}

export interface BadLineReport {
  readonly total: number;
  readonly byReason: Record<string, number>;
  readonly samples: BadLineSample[];
}

export class ShardPartitioner implements RecordSink {
  private readonly keys: ByteBuilder[] = [];
  private readonly keyEnds: OffsetBuilder[] = [];
  private readonly values: ByteBuilder[] = [];
  private readonly valueEnds: OffsetBuilder[] = [];
  private readonly scratch = new Uint8Array(64);
  private readonly probe = new Uint8Array(PROBE_BYTES);

  /** Records added, duplicates included. */
  records = 0;
  badTotal = 0;
  readonly badByReason: Record<string, number> = {};
  readonly badSamples: BadLineSample[] = [];
  filteredTotal = 0;
  readonly filteredByReason: Record<string, number> = {};

  /**
   * `expectedKeyBytes` sizes the key buffers up front (the builder passes half the source size,
   * since a hex digest takes twice its bytes as text), which saves the copies of repeated growth.
   */
  constructor(
    readonly shardCount: number,
    expectedKeyBytes = 0,
    private readonly policy: IndicatorPolicy = new IndicatorPolicy(),
  ) {
    const keyBytes = Math.max(1 << 16, Math.ceil(expectedKeyBytes / shardCount));
    const keyCount = Math.max(1 << 12, Math.ceil(keyBytes / 17));
    for (let i = 0; i < shardCount; i++) {
      this.keys.push(new ByteBuilder(keyBytes));
      this.keyEnds.push(new OffsetBuilder(keyCount));
      this.values.push(new ByteBuilder(1 << 12));
      this.valueEnds.push(new OffsetBuilder(keyCount));
    }
  }

  add(key: Uint8Array, keyLength: number, attributes?: Attributes, list?: ListKind): void {
    if (attributes === undefined && list === undefined) this.addRecord(key, keyLength, undefined);
    else this.addRecord(key, keyLength, encodeValue({ list, attributes }));
  }

  /**
   * Seen times (seconds since 1970) stamped on every record added while set: a delta build sets
   * them to the time of the file being parsed.
   */
  seenStamp: { readonly first: number; readonly last: number } | undefined;

  /** Adds a key with an encoded value (see store/value.ts); undefined stores an empty value. */
  addRecord(key: Uint8Array, keyLength: number, value: Uint8Array | undefined): void {
    if (this.seenStamp !== undefined) value = withSeen(value, this.seenStamp.first, this.seenStamp.last);
    const shard = shardOfProbe(probeOf(key, keyLength, this.probe), this.shardCount);
    const keys = this.keys[shard]!;
    keys.append(key, 0, keyLength);
    this.keyEnds[shard]!.push(keys.length);

    const values = this.values[shard]!;
    if (value !== undefined && value.length > 0) values.append(value, 0, value.length);
    this.valueEnds[shard]!.push(values.length);
    this.records++;
  }

  /** Adds a key with a record value built from its parts. */
  addValue(key: Uint8Array, keyLength: number, value: RecordValue): void {
    this.addRecord(key, keyLength, encodeValue(value));
  }

  addHash(value: string, attributes?: Attributes, list?: ListKind): string | undefined {
    const result = normalizeHashInto(value, this.scratch);
    if (typeof result !== 'string') return reasonOfHashError(result.code);
    this.add(this.scratch, this.scratch[0] === 1 ? 17 : this.scratch[0] === 2 ? 21 : 33, attributes, list);
    return undefined;
  }

  addIp(text: string, attributes?: Attributes, list?: ListKind, context?: IndicatorContext): Rejection | undefined {
    return this.policy.addIp(this, text, attributes, list, context);
  }

  addDomain(text: string, attributes?: Attributes, list?: ListKind): Rejection | undefined {
    return this.policy.addDomain(this, text, attributes, list);
  }

  addUrl(text: string, attributes?: Attributes, list?: ListKind, context?: IndicatorContext): Rejection | undefined {
    return this.policy.addUrl(this, text, attributes, list, context);
  }

  bad(reason: string, lineNumber: number, content: string, message?: string): void {
    this.badTotal++;
    const seen = (this.badByReason[reason] ?? 0) + 1;
    this.badByReason[reason] = seen;
    if (seen <= MAX_SAMPLES_PER_REASON) {
      const clipped = content.length > MAX_SAMPLE_CHARACTERS ? `${content.slice(0, MAX_SAMPLE_CHARACTERS)}…` : content;
      this.badSamples.push(message === undefined ? { line: lineNumber, reason, content: clipped } : { line: lineNumber, reason, content: clipped, message });
    }
  }

  /** The indicator policy, which also collects the hosts of URL entries for the host filter. */
  get indicatorPolicy(): IndicatorPolicy {
    return this.policy;
  }

  /** Entries stored as their network because host bits were set (10.1.2.3/8 as 10.0.0.0/8). */
  get hostBitsCleared(): number {
    return this.policy.hostBitsCleared;
  }

  filtered(reason: string): void {
    this.filteredTotal++;
    this.filteredByReason[reason] = (this.filteredByReason[reason] ?? 0) + 1;
  }

  badLineReport(): BadLineReport {
    return { total: this.badTotal, byReason: { ...this.badByReason }, samples: [...this.badSamples] };
  }

  /** Hands over each shard's records; the partitioner must not be used afterwards. */
  takeShards(): ShardRecords[] {
    const shards: ShardRecords[] = [];
    for (let i = 0; i < this.shardCount; i++) {
      shards.push({
        count: this.keyEnds[i]!.length,
        keys: this.keys[i]!.take(),
        keyEnds: this.keyEnds[i]!.take(),
        values: this.values[i]!.take(),
        valueEnds: this.valueEnds[i]!.take(),
      });
    }
    return shards;
  }
}
