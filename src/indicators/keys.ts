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
import { digestBytesInto } from './digest.js';

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

/** Whether keys of this tag carry their own uniform bytes (digests) or need a digest for probing. */
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
  digestBytesInto(key, 0, keyLength, scratch, 1);
  return scratch;
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
