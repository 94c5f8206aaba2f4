/**
 * Writes one shard: sorts its records by key bytes, merges duplicates, appends them to a new LMDB
 * environment in key order, and writes the shard's bloom filter. Runs in a worker thread.
 *
 * Sorting: each record gets a float64 sort value made of its first key bits and its input index
 * (exact below 2^53), so the bulk of the sort is the engine's native numeric TypedArray sort; runs
 * of equal leading bits are then ordered by full key with Buffer.compare. Input index breaks ties,
 * which keeps the first occurrence of a duplicate first.
 */
import { open } from 'lmdb';
import { BlockedBloomFilter, type BloomSizing } from '../store/bloom.js';
import { hashTypeOfTag } from '../indicators/hash.js';
import { ListCode } from './types.js';
import type { ShardRecords } from './partition.js';

export interface ShardWriteRequest extends ShardRecords {
  readonly lmdbPath: string;
  readonly bloomPath: string;
  readonly bloom: BloomSizing;
}

export interface ShardWriteResult {
  /** Distinct keys written. */
  readonly keys: number;
  readonly duplicates: number;
  readonly keysByType: Record<string, number>;
  readonly duplicatesByType: Record<string, number>;
  readonly sortMs: number;
  readonly writeMs: number;
}

/** Offset in a key where the bloom probe bytes start: after the tag and the two shard-selecting bytes. */
export const BLOOM_PROBE_OFFSET = 3;

function leadingBits(keys: Uint8Array, start: number): number {
  return ((keys[start]! << 24) | (keys[start + 1]! << 16) | (keys[start + 2]! << 8) | keys[start + 3]!) >>> 0;
}

/** Returns record indices in ascending key order; equal keys keep input order. */
export function sortedOrder(records: ShardRecords): Uint32Array {
  const { count, keys, keyEnds } = records;
  const order = new Uint32Array(count);
  if (count === 0) return order;
  const buffer = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
  const start = (i: number): number => (i === 0 ? 0 : keyEnds[i - 1]!);

  // Float64 sort values: leading key bits, shifted left by enough bits to hold any index.
  const indexBits = Math.max(1, Math.ceil(Math.log2(count + 1)));
  const prefixBits = Math.min(32, 53 - indexBits);
  const indexScale = 2 ** indexBits;
  const prefixShift = 32 - prefixBits;
  const sortValues = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const prefix = leadingBits(keys, start(i)) >>> prefixShift;
    sortValues[i] = prefix * indexScale + i;
  }
  sortValues.sort();
  for (let i = 0; i < count; i++) {
    const value = sortValues[i]!;
    order[i] = value - Math.floor(value / indexScale) * indexScale;
  }

  // Runs whose leading bits are equal: order them by full key, then by index.
  const compare = (a: number, b: number): number => {
    const byKey = buffer.compare(buffer, start(b), keyEnds[b]!, start(a), keyEnds[a]!);
    return byKey !== 0 ? byKey : a - b;
  };
  let runStart = 0;
  for (let i = 1; i <= count; i++) {
    const runEnds =
      i === count ||
      leadingBits(keys, start(order[i]!)) >>> prefixShift !== leadingBits(keys, start(order[runStart]!)) >>> prefixShift;
    if (!runEnds) continue;
    if (i - runStart > 1) {
      const run = Array.from(order.subarray(runStart, i)).sort(compare);
      order.set(run, runStart);
    }
    runStart = i;
  }
  return order;
}

export function writeShard(request: ShardWriteRequest): ShardWriteResult {
  const { keys, keyEnds, values, valueEnds } = request;
  const keyBuffer = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
  const valueBuffer = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const keyStart = (i: number): number => (i === 0 ? 0 : keyEnds[i - 1]!);
  const valueStart = (i: number): number => (i === 0 ? 0 : valueEnds[i - 1]!);

  const sortStarted = performance.now();
  const order = sortedOrder(request);
  const sortMs = performance.now() - sortStarted;

  const writeStarted = performance.now();
  const bloom = BlockedBloomFilter.create(request.count, request.bloom);
  const keysByType: Record<string, number> = {};
  const duplicatesByType: Record<string, number> = {};
  let written = 0;
  let duplicates = 0;

  const db = open({
    path: request.lmdbPath,
    keyEncoding: 'binary',
    encoding: 'binary',
    compression: false,
    noSubdir: true,
    noMemInit: true,
  });
  try {
    db.transactionSync(() => {
      let i = 0;
      while (i < order.length) {
        // Merge the run of equal keys starting at i: the first record wins unless a later one is a
        // per-record deny override and the kept one is not.
        let kept = order[i]!;
        let j = i + 1;
        while (j < order.length) {
          const candidate = order[j]!;
          const same =
            keyEnds[candidate]! - keyStart(candidate) === keyEnds[kept]! - keyStart(kept) &&
            keyBuffer.compare(keyBuffer, keyStart(candidate), keyEnds[candidate]!, keyStart(kept), keyEnds[kept]!) === 0;
          if (!same) break;
          const candidateDenies = valueEnds[candidate]! > valueStart(candidate) && values[valueStart(candidate)] === ListCode.deny;
          const keptDenies = valueEnds[kept]! > valueStart(kept) && values[valueStart(kept)] === ListCode.deny;
          if (candidateDenies && !keptDenies) kept = candidate;
          j++;
        }

        const key = keyBuffer.subarray(keyStart(kept), keyEnds[kept]!);
        const type = hashTypeOfTag(key[0]!) ?? `tag-${key[0]}`;
        const extra = j - i - 1;
        if (extra > 0) {
          duplicates += extra;
          duplicatesByType[type] = (duplicatesByType[type] ?? 0) + extra;
        }
        keysByType[type] = (keysByType[type] ?? 0) + 1;
        db.putSync(key, valueBuffer.subarray(valueStart(kept), valueEnds[kept]!), { append: true });
        bloom.add(key, BLOOM_PROBE_OFFSET);
        written++;
        i = j;
      }
    });
  } finally {
    db.close();
  }
  bloom.writeFile(request.bloomPath);
  return { keys: written, duplicates, keysByType, duplicatesByType, sortMs, writeMs: performance.now() - writeStarted };
}
