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

/** Reads the little-endian 32-bit word at `offset` of a string's char codes (low 8 bits each). */
function wordOfString(text: string, offset: number): number {
  return (
    (text.charCodeAt(offset) & 0xff) |
    ((text.charCodeAt(offset + 1) & 0xff) << 8) |
    ((text.charCodeAt(offset + 2) & 0xff) << 16) |
    ((text.charCodeAt(offset + 3) & 0xff) << 24)
  );
}

function wordOfBytes(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
}

/** The four lanes of MurmurHash3 x86_128 while its 16-byte blocks are mixed in. */
class State {
  h1 = 0;
  h2 = 0;
  h3 = 0;
  h4 = 0;

  reset(seed: number): void {
    this.h1 = seed;
    this.h2 = seed;
    this.h3 = seed;
    this.h4 = seed;
  }

  block(k1: number, k2: number, k3: number, k4: number): void {
    let { h1, h2, h3, h4 } = this;
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
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    this.h4 = h4;
  }

  /** Mixes the tail words (the last 0 to 15 bytes, zero-padded) and writes the digest. */
  finish(k1: number, k2: number, k3: number, k4: number, length: number, out: Uint8Array, offset: number): void {
    let { h1, h2, h3, h4 } = this;
    const rest = length & 15;
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
}

const state = new State();

/** The tail's four words, zero-padded: byte j of the tail goes to word j >> 2, bits (j & 3) * 8. */
const tailWords = new Int32Array(4);

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

/** Writes the 16-byte digest of an ASCII string into out[offset .. offset + 16). */
export function digestStringInto(text: string, out: Uint8Array, offset: number, seed = 0): void {
  const length = text.length;
  const blocks = length >>> 4;
  state.reset(seed);
  for (let block = 0; block < blocks; block++) {
    const i = block << 4;
    state.block(wordOfString(text, i), wordOfString(text, i + 4), wordOfString(text, i + 8), wordOfString(text, i + 12));
  }
  tailWords.fill(0);
  for (let j = 0, at = blocks << 4; at < length; j++, at++) tailWords[j >> 2]! |= (text.charCodeAt(at) & 0xff) << ((j & 3) * 8);
  state.finish(tailWords[0]!, tailWords[1]!, tailWords[2]!, tailWords[3]!, length, out, offset);
}

/** Writes the 16-byte digest of bytes[start .. end) into out[offset .. offset + 16). */
export function digestBytesInto(bytes: Uint8Array, start: number, end: number, out: Uint8Array, offset: number, seed = 0): void {
  const length = end - start;
  const blocks = length >>> 4;
  state.reset(seed);
  for (let block = 0; block < blocks; block++) {
    const i = start + (block << 4);
    state.block(wordOfBytes(bytes, i), wordOfBytes(bytes, i + 4), wordOfBytes(bytes, i + 8), wordOfBytes(bytes, i + 12));
  }
  tailWords.fill(0);
  for (let j = 0, at = start + (blocks << 4); at < end; j++, at++) tailWords[j >> 2]! |= bytes[at]! << ((j & 3) * 8);
  state.finish(tailWords[0]!, tailWords[1]!, tailWords[2]!, tailWords[3]!, length, out, offset);
}
