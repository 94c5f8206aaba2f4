/**
 * Writes one shard: sorts its records by key bytes, merges duplicates, appends them to a new LMDB
 * environment in key order, and writes the shard's bloom filter. Runs in a worker thread.
 *
 * Input index breaks ties between equal keys, which keeps the first occurrence of a duplicate first.
 */
import { open } from 'lmdb';
import { BlockedBloomFilter, type BloomSizing } from '../store/bloom.js';
import { BLOOM_PROBE_OFFSET, KeyTag, PROBE_BYTES, keyTypeOfTag, probeOf } from '../indicators/keys.js';
import { PrefixFilter } from '../store/prefix-filter.js';
import { ValueFlag, valueSeen, withFlags, withSeen } from '../store/value.js';
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
  /** IP prefix lengths present in this shard, longest first. */
  readonly prefixLengths: { readonly ipv4: number[]; readonly ipv6: number[] };
  /** The shard's IP presence map (store/prefix-filter.ts), serialized. */
  readonly prefixFilter: Uint8Array;
  readonly sortMs: number;
  readonly writeMs: number;
}

export { BLOOM_PROBE_OFFSET } from '../indicators/keys.js';

/** The flag byte of the value at values[start .. end), 0 for an empty value. */
function valueFlagsAt(values: Uint8Array, start: number, end: number): number {
  return end - start >= 2 ? values[start + 1]! : 0;
}

/** The four key bytes from `start + 1`, just after the tag, as an unsigned 32-bit number (0 past the key end). */
function bitsAfterTag(keys: Uint8Array, start: number, end: number): number {
  let value = 0;
  for (let i = 1; i <= 4; i++) value = value * 256 + (start + i < end ? keys[start + i]! : 0);
  return value;
}

/** Compares two keys byte by byte; a JS loop beats a native call because random keys differ early. */
function compareKeys(keys: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < common; i++) {
    const difference = keys[aStart + i]! - keys[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/**
 * Returns record indices in ascending key order; equal keys keep input order.
 *
 * Records are first grouped by tag byte (a counting sort), so that inside a group the four bytes
 * after the tag order the keys. Each record's float64 sort value is those 32 bits times 2^indexBits
 * plus its index, exact below 2^53, so the engine's native TypedArray sort does the bulk of the work;
 * runs with equal leading bits are then ordered by full key, then index.
 */
export function sortedOrder(records: ShardRecords): Uint32Array {
  const { count, keys, keyEnds } = records;
  const order = new Uint32Array(count);
  if (count === 0) return order;
  const start = (i: number): number => (i === 0 ? 0 : keyEnds[i - 1]!);

  // Counting sort by tag byte: groupStart[t] is where tag t's records begin in `order`.
  const groupStart = new Uint32Array(257);
  for (let i = 0; i < count; i++) groupStart[keys[start(i)]! + 1]!++;
  for (let t = 1; t <= 256; t++) groupStart[t]! += groupStart[t - 1]!;
  const cursor = groupStart.slice(0, 256);
  for (let i = 0; i < count; i++) order[cursor[keys[start(i)]!]!++] = i;

  const indexBits = Math.max(1, Math.ceil(Math.log2(count + 1)));
  const indexScale = 2 ** indexBits;
  // Above 2^21 records the index needs more than 21 bits, so fewer leading key bits fit in 53.
  const bitsScale = 2 ** Math.max(0, indexBits - 21);
  for (let t = 0; t < 256; t++) {
    const from = groupStart[t]!;
    const to = groupStart[t + 1]!;
    if (to - from < 2) continue;

    const sortValues = new Float64Array(to - from);
    for (let j = from; j < to; j++) {
      const i = order[j]!;
      sortValues[j - from] = Math.floor(bitsAfterTag(keys, start(i), keyEnds[i]!) / bitsScale) * indexScale + i;
    }
    sortValues.sort();
    for (let j = from; j < to; j++) order[j] = sortValues[j - from]! % indexScale;

    // Runs with equal leading bits: order by full key, then by index.
    let runStart = from;
    let runBits = Math.floor(sortValues[0]! / indexScale);
    for (let j = from + 1; j <= to; j++) {
      const bits = j < to ? Math.floor(sortValues[j - from]! / indexScale) : -1;
      if (bits === runBits) continue;
      if (j - runStart > 1) {
        const run = Array.from(order.subarray(runStart, j)).sort(
          (a, b) => compareKeys(keys, start(a), keyEnds[a]!, start(b), keyEnds[b]!) || a - b,
        );
        order.set(run, runStart);
      }
      runStart = j;
      runBits = bits;
    }
  }
  return order;
}

export function writeShard(request: ShardWriteRequest): ShardWriteResult {
  const { keys, keyEnds, values, valueEnds } = request;
  const keyBuffer = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
  const valueBuffer = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const keyStart = (i: number): number => (i === 0 ? 0 : keyEnds[i - 1]!);
  const valueStart = (i: number): number => (i === 0 ? 0 : valueEnds[i - 1]!);

  /** The kept value with the earliest first-seen and latest last-seen time of the run order[from .. to). */
  const mergeSeen = (value: Uint8Array, runOrder: Uint32Array, from: number, to: number): Uint8Array => {
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (let r = from; r < to; r++) {
      const record = runOrder[r]!;
      const seen = valueSeen(values.subarray(valueStart(record), valueEnds[record]!));
      if (seen === undefined) continue;
      if (seen.first < first) first = seen.first;
      if (seen.last > last) last = seen.last;
    }
    return first === Number.POSITIVE_INFINITY ? value : withSeen(value, first, last);
  };

  const sortStarted = performance.now();
  const order = sortedOrder(request);
  const sortMs = performance.now() - sortStarted;

  const writeStarted = performance.now();
  const bloom = BlockedBloomFilter.create(request.count, request.bloom);
  const keysByType: Record<string, number> = {};
  const duplicatesByType: Record<string, number> = {};
  let written = 0;
  let duplicates = 0;
  const ipv4Prefixes = new Set<number>();
  const ipv6Prefixes = new Set<number>();
  const prefixFilter = new PrefixFilter();
  const probe = new Uint8Array(PROBE_BYTES);

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
        // per-record deny override and the kept one is not; domain match modes are combined.
        let kept = order[i]!;
        let flags = valueFlagsAt(values, valueStart(kept), valueEnds[kept]!);
        let j = i + 1;
        while (j < order.length) {
          const candidate = order[j]!;
          const same = compareKeys(keys, keyStart(candidate), keyEnds[candidate]!, keyStart(kept), keyEnds[kept]!) === 0;
          if (!same) break;
          const candidateDenies = valueEnds[candidate]! > valueStart(candidate) && values[valueStart(candidate)] === ListCode.deny;
          const keptDenies = valueEnds[kept]! > valueStart(kept) && values[valueStart(kept)] === ListCode.deny;
          if (candidateDenies && !keptDenies) kept = candidate;
          flags |= valueFlagsAt(values, valueStart(candidate), valueEnds[candidate]!);
          j++;
        }

        const key = keyBuffer.subarray(keyStart(kept), keyEnds[kept]!);
        const tag = key[0]!;
        const type = keyTypeOfTag(tag) ?? `tag-${tag}`;
        const extra = j - i - 1;
        if (extra > 0) {
          duplicates += extra;
          duplicatesByType[type] = (duplicatesByType[type] ?? 0) + extra;
        }
        keysByType[type] = (keysByType[type] ?? 0) + 1;
        if (tag === KeyTag.ipv4) {
          ipv4Prefixes.add(key[1]!);
          prefixFilter.add(4, key, 2, key[1]!);
        } else if (tag === KeyTag.ipv6) {
          ipv6Prefixes.add(key[1]!);
          prefixFilter.add(6, key, 2, key[1]!);
        }

        let value: Uint8Array = valueBuffer.subarray(valueStart(kept), valueEnds[kept]!);
        if (extra > 0 && flags !== valueFlagsAt(values, valueStart(kept), valueEnds[kept]!)) value = withFlags(value, flags);
        if (extra > 0 && (flags & ValueFlag.hasSeen) !== 0) value = mergeSeen(value, order, i, j);
        db.putSync(key, value, { append: true });
        bloom.add(probeOf(key, key.length, probe), BLOOM_PROBE_OFFSET);
        written++;
        i = j;
      }
    });
  } finally {
    db.close();
  }
  bloom.writeFile(request.bloomPath);
  const descending = (set: Set<number>): number[] => [...set].sort((a, b) => b - a);
  return {
    keys: written,
    duplicates,
    keysByType,
    duplicatesByType,
    prefixLengths: { ipv4: descending(ipv4Prefixes), ipv6: descending(ipv6Prefixes) },
    prefixFilter: prefixFilter.serialize(),
    sortMs,
    writeMs: performance.now() - writeStarted,
  };
}
