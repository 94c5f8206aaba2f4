/**
 * MurmurHash3 x86_128 over a string's char codes or a byte range: the fixed-size digest that keys
 * domains and URL expressions, and the probe bytes (shard and bloom positions) of IP keys.
 *
 * It is not a cryptographic hash: a crafted collision could only make two names share a key, and a
 * stored domain or URL entry keeps its full text, which the matcher compares before reporting a
 * match. Strings must be ASCII (canonical domains are punycode and canonical URL expressions are
 * percent-escaped); only the low 8 bits of each char code are hashed.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

type ByteAt = (index: number) => number;

function murmur128(length: number, byteAt: ByteAt, seed: number, out: Uint8Array, offset: number): void {
  let h1 = seed;
  let h2 = seed;
  let h3 = seed;
  let h4 = seed;
  const blocks = length >>> 4;

  for (let block = 0; block < blocks; block++) {
    const i = block << 4;
    let k1 = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
    let k2 = byteAt(i + 4) | (byteAt(i + 5) << 8) | (byteAt(i + 6) << 16) | (byteAt(i + 7) << 24);
    let k3 = byteAt(i + 8) | (byteAt(i + 9) << 8) | (byteAt(i + 10) << 16) | (byteAt(i + 11) << 24);
    let k4 = byteAt(i + 12) | (byteAt(i + 13) << 8) | (byteAt(i + 14) << 16) | (byteAt(i + 15) << 24);

    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = rotl(h1, 19) + h2;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = rotl(h2, 17) + h3;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = rotl(h3, 15) + h4;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = rotl(h4, 13) + h1;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }

  // Tail: the last 0..15 bytes.
  const tail = blocks << 4;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  const rest = length & 15;
  for (let j = rest - 1; j >= 0; j--) {
    const byte = byteAt(tail + j);
    if (j >= 12) k4 ^= byte << ((j - 12) * 8);
    else if (j >= 8) k3 ^= byte << ((j - 8) * 8);
    else if (j >= 4) k2 ^= byte << ((j - 4) * 8);
    else k1 ^= byte << (j * 8);
  }
  if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;

  writeUint32(out, offset, h1);
  writeUint32(out, offset + 4, h2);
  writeUint32(out, offset + 8, h3);
  writeUint32(out, offset + 12, h4);
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

/** Writes the 16-byte digest of an ASCII string into out[offset .. offset + 16). */
export function digestStringInto(text: string, out: Uint8Array, offset: number, seed = 0): void {
  murmur128(text.length, (index) => text.charCodeAt(index) & 0xff, seed, out, offset);
}

/** Writes the 16-byte digest of bytes[start .. end) into out[offset .. offset + 16). */
export function digestBytesInto(bytes: Uint8Array, start: number, end: number, out: Uint8Array, offset: number, seed = 0): void {
  murmur128(end - start, (index) => bytes[start + index]!, seed, out, offset);
}
