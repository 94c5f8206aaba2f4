/**
 * A per-feed presence map for IP entries: for each prefix length the feed holds, one bit per
 * bucket of the address space telling whether any entry of that length falls in the bucket.
 *
 * An IP lookup probes one key per prefix length the feed holds (a dozen on a mixed blocklist), and
 * each probe costs a bloom filter cache miss. Blocklists are sparse over the address space, so this
 * map (8 KiB per prefix length, small enough to stay in cache) rules most lengths out before any
 * probe. IPv4 buckets are the first 16 address bits, used for prefixes of 16 bits or more; IPv6
 * buckets are 16 bits mixed from the first 32 address bits, used for prefixes of 32 bits or more.
 * Shorter prefixes are always probed.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const BITMAP_BYTES = 8192;
const MAGIC = 0x58465056; // "VPFX" read as little-endian uint32
const HEADER_BYTES = 8;

function mix32(value: number): number {
  let h = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bucket of a (masked) address for a prefix length, or -1 when the prefix is too short to have one. */
export function bucketOf(family: 4 | 6, bytes: Uint8Array, offset: number, prefix: number): number {
  if (family === 4) return prefix >= 16 ? (bytes[offset]! << 8) | bytes[offset + 1]! : -1;
  if (prefix < 32) return -1;
  const first = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  return mix32(first) & 0xffff;
}

function slot(family: 4 | 6, prefix: number): number {
  return family === 4 ? prefix : 33 + prefix;
}

export class PrefixFilter {
  /** Bitmaps by slot: IPv4 prefix p at p, IPv6 prefix p at 33 + p. */
  private readonly bitmaps: (Uint8Array | undefined)[] = new Array(33 + 129);

  add(family: 4 | 6, bytes: Uint8Array, offset: number, prefix: number): void {
    const bucket = bucketOf(family, bytes, offset, prefix);
    if (bucket < 0) return;
    const index = slot(family, prefix);
    const bitmap = (this.bitmaps[index] ??= new Uint8Array(BITMAP_BYTES));
    bitmap[bucket >>> 3]! |= 1 << (bucket & 7);
  }

  /** False when no entry of this prefix length can contain the address; true when one may. */
  mayContain(family: 4 | 6, bytes: Uint8Array, offset: number, prefix: number): boolean {
    const bucket = bucketOf(family, bytes, offset, prefix);
    if (bucket < 0) return true;
    const bitmap = this.bitmaps[slot(family, prefix)];
    return bitmap !== undefined && (bitmap[bucket >>> 3]! & (1 << (bucket & 7))) !== 0;
  }

  /** ORs another filter into this one (the shards of one generation). */
  merge(other: PrefixFilter): void {
    other.bitmaps.forEach((bitmap, index) => {
      if (bitmap === undefined) return;
      const target = (this.bitmaps[index] ??= new Uint8Array(BITMAP_BYTES));
      for (let i = 0; i < BITMAP_BYTES; i++) target[i]! |= bitmap[i]!;
    });
  }

  /** Header (magic, count), then per bitmap its slot byte and 8 KiB of bits. */
  serialize(): Uint8Array {
    const present = this.bitmaps.flatMap((bitmap, index) => (bitmap === undefined ? [] : [index]));
    const out = Buffer.alloc(HEADER_BYTES + present.length * (1 + BITMAP_BYTES));
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(present.length, 4);
    present.forEach((index, n) => {
      const at = HEADER_BYTES + n * (1 + BITMAP_BYTES);
      out[at] = index;
      out.set(this.bitmaps[index]!, at + 1);
    });
    return out;
  }

  static deserialize(bytes: Uint8Array, source = 'prefix filter'): PrefixFilter {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buffer.length < HEADER_BYTES || buffer.readUInt32LE(0) !== MAGIC) throw new Error(`${source} is not a verdict prefix filter`);
    const count = buffer.readUInt32LE(4);
    if (buffer.length !== HEADER_BYTES + count * (1 + BITMAP_BYTES)) throw new Error(`${source} is truncated or corrupt`);
    const filter = new PrefixFilter();
    for (let n = 0; n < count; n++) {
      const at = HEADER_BYTES + n * (1 + BITMAP_BYTES);
      filter.bitmaps[buffer[at]!] = Uint8Array.from(buffer.subarray(at + 1, at + 1 + BITMAP_BYTES));
    }
    return filter;
  }

  writeFile(path: string): void {
    writeFileSync(path, this.serialize(), { flush: true });
  }

  static readFile(path: string): PrefixFilter {
    return PrefixFilter.deserialize(readFileSync(path), path);
  }
}
