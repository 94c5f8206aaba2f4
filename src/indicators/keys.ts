/**
 * Store keys of every indicator type. A key is one tag byte followed by the type's key bytes:
 *
 *   md5, sha1, sha256   tag + raw digest (16, 20, 32 bytes)
 *   ipv4, ipv6          tag + prefix length + address masked to that prefix (4 or 16 bytes)
 *   domain, url         tag + 16-byte MurmurHash3 digest of the canonical name or expression
 *
 * Shards and bloom filters read "probe" bytes: for digest keys the key itself, whose bytes are
 * already uniform; for IP keys a 16-byte digest of the key, because addresses cluster.
 */

export const KeyTag = {
  md5: 1,
  sha1: 2,
  sha256: 3,
  ipv4: 4,
  ipv6: 5,
  domain: 6,
  url: 7,
} as const;

export type KeyType = keyof typeof KeyTag;

const TYPE_BY_TAG: readonly (KeyType | undefined)[] = [undefined, 'md5', 'sha1', 'sha256', 'ipv4', 'ipv6', 'domain', 'url'];

export function keyTypeOfTag(tag: number): KeyType | undefined {
  return TYPE_BY_TAG[tag];
}

/** Bytes of a probe: the tag then 16 uniform bytes; shards use bytes 1-2, bloom filters bytes 3-14. */
export const PROBE_BYTES = 17;

/** Offset in a probe where bloom filter bytes start: after the tag and the two shard-selecting bytes. */
export const BLOOM_PROBE_OFFSET = 3;

/** Returns whether keys of this tag carry their own uniform bytes (digests), so need no digest for probing. */
export function keyIsDigest(tag: number): boolean {
  return tag !== KeyTag.ipv4 && tag !== KeyTag.ipv6;
}

/**
 * Returns the probe of key[0 .. keyLength): the key itself for digest keys, else `scratch` (at least
 * PROBE_BYTES long) filled with the tag and a digest of the whole key.
 */
export function probeOf(key: Uint8Array, keyLength: number, scratch: Uint8Array): Uint8Array {
  const tag = key[0]!;
  if (keyIsDigest(tag)) return key;
  scratch[0] = tag;
  ipProbeInto(key, keyLength, scratch);
  return scratch;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function writeWord(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

/**
 * Probe bytes of an IP key (tag, prefix length, 4 or 16 address bytes): the key's words folded
 * with MurmurHash3's 32-bit mixing, then finalized four ways. An IP lookup probes one key per
 * prefix length a feed holds, so this runs a dozen times per address and is kept to a few
 * multiplications; a full MurmurHash3 over the key measured about twice the cost.
 */
function ipProbeInto(key: Uint8Array, keyLength: number, out: Uint8Array): void {
  let h = Math.imul(key[0]! * 256 + key[1]!, 0x9e3779b1);
  for (let i = 2; i < keyLength; i += 4) {
    let k = Math.imul((key[i]! << 24) | (key[i + 1]! << 16) | (key[i + 2]! << 8) | key[i + 3]!, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= keyLength;
  writeWord(out, 1, fmix32(h));
  writeWord(out, 5, fmix32(h + 0x9e3779b9));
  writeWord(out, 9, fmix32(h + 0x3c6ef372));
  writeWord(out, 13, fmix32(h + 0xdaa66d2b));
}

/** Shard of a probe: its first two bytes after the tag, modulo the shard count. */
export function shardOfProbe(probe: Uint8Array, shardCount: number): number {
  return ((probe[1]! << 8) | probe[2]!) % shardCount;
}

/** Writes the key of an IP network into `out` and returns its length (6 for IPv4, 18 for IPv6). */
export function writeIpKey(family: 4 | 6, prefix: number, maskedBytes: Uint8Array, out: Uint8Array): number {
  out[0] = family === 4 ? KeyTag.ipv4 : KeyTag.ipv6;
  out[1] = prefix;
  out.set(maskedBytes, 2);
  return 2 + maskedBytes.length;
}
