import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOOM_PROBE_BYTES, BlockedBloomFilter, DEFAULT_BLOOM_SIZING } from '../../src/store/bloom.js';

const KEY_BYTES = 32;
const OFFSET = 3;
const PRESENT = 100_000;
const ABSENT = 200_000;

/** `count` random keys packed back to back, KEY_BYTES each. */
function randomKeys(count: number): Buffer {
  return randomBytes(count * KEY_BYTES);
}

function keyAt(keys: Buffer, index: number): Buffer {
  return keys.subarray(index * KEY_BYTES, (index + 1) * KEY_BYTES);
}

let directory: string;
let present: Buffer;
let absent: Buffer;
let filter: BlockedBloomFilter;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'verdict-'));
  present = randomKeys(PRESENT);
  absent = randomKeys(ABSENT);
  filter = BlockedBloomFilter.create(PRESENT, { bitsPerKey: 10, hashes: 7 });
  for (let i = 0; i < PRESENT; i++) filter.add(keyAt(present, i), OFFSET);
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('BlockedBloomFilter', () => {
  test('probe reads 12 bytes', () => {
    expect(BLOOM_PROBE_BYTES).toBe(12);
    expect(OFFSET + BLOOM_PROBE_BYTES).toBeLessThanOrEqual(KEY_BYTES);
  });

  test('sizing for 100,000 keys', () => {
    // 1,000,000 bits round up to 1954 blocks of 512 bits.
    expect(filter.blocks).toBe(1954);
    expect(filter.hashes).toBe(7);
    expect(filter.byteLength).toBe(1954 * 64);
  });

  test('no false negatives', () => {
    let missing = 0;
    for (let i = 0; i < PRESENT; i++) if (!filter.has(keyAt(present, i), OFFSET)) missing++;
    expect(missing).toBe(0);
  });

  test('false positives below 2%', () => {
    let positives = 0;
    for (let i = 0; i < ABSENT; i++) if (filter.has(keyAt(absent, i), OFFSET)) positives++;
    const rate = positives / ABSENT;
    console.log(`bloom false-positive rate: ${(rate * 100).toFixed(3)}% (${positives} of ${ABSENT}, 10 bits/key, 7 hashes)`);
    expect(rate).toBeLessThan(0.02);
  });

  test('reads only its probe bytes', () => {
    // Bytes outside [OFFSET, OFFSET + 12) must not change the result.
    const key = Buffer.from(keyAt(present, 0));
    key.fill(0x5a, 0, OFFSET);
    key.fill(0x5a, OFFSET + BLOOM_PROBE_BYTES);
    expect(filter.has(key, OFFSET)).toBe(true);
  });

  test('create shared uses SharedArrayBuffer', () => {
    const shared = BlockedBloomFilter.create(10, DEFAULT_BLOOM_SIZING, true);
    expect(shared.words.buffer).toBeInstanceOf(SharedArrayBuffer);
    const plain = BlockedBloomFilter.create(10);
    expect(plain.words.buffer).toBeInstanceOf(ArrayBuffer);
  });

  test('create with 0 expected keys', () => {
    const empty = BlockedBloomFilter.create(0);
    expect(empty.blocks).toBe(1);
    expect(empty.byteLength).toBe(64);
    expect(empty.hashes).toBe(7);
    const key = keyAt(present, 1);
    expect(empty.has(key, OFFSET)).toBe(false);
    empty.add(key, OFFSET);
    expect(empty.has(key, OFFSET)).toBe(true);
  });

  test('empty filter has nothing', () => {
    const empty = BlockedBloomFilter.create(1000);
    let positives = 0;
    for (let i = 0; i < 1000; i++) if (empty.has(keyAt(absent, i), OFFSET)) positives++;
    expect(positives).toBe(0);
  });
});

describe('BlockedBloomFilter files', () => {
  test('writeFile/readFile round trip', () => {
    const path = join(directory, 'round-trip.bloom');
    filter.writeFile(path);
    const loaded = BlockedBloomFilter.readFile(path);

    expect(loaded.words.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(loaded.blocks).toBe(filter.blocks);
    expect(loaded.hashes).toBe(filter.hashes);
    expect(Buffer.from(loaded.words.buffer, loaded.words.byteOffset, loaded.words.byteLength)).toEqual(
      Buffer.from(filter.words.buffer, filter.words.byteOffset, filter.words.byteLength),
    );

    let missing = 0;
    for (let i = 0; i < PRESENT; i++) if (!loaded.has(keyAt(present, i), OFFSET)) missing++;
    expect(missing).toBe(0);

    let disagreements = 0;
    for (let i = 0; i < ABSENT; i++) {
      const key = keyAt(absent, i);
      if (loaded.has(key, OFFSET) !== filter.has(key, OFFSET)) disagreements++;
    }
    expect(disagreements).toBe(0);
  });

  test('file header layout', () => {
    const path = join(directory, 'header.bloom');
    filter.writeFile(path);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(32 + 1954 * 64);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('VBLM');
    expect(bytes.readUInt32LE(4)).toBe(1);
    expect(bytes.readUInt32LE(8)).toBe(7);
    expect(bytes.readUInt32LE(12)).toBe(1954);
    expect(bytes.subarray(16, 32)).toEqual(Buffer.alloc(16));
  });

  test('round trip of empty filter', () => {
    const path = join(directory, 'empty.bloom');
    BlockedBloomFilter.create(0).writeFile(path);
    const loaded = BlockedBloomFilter.readFile(path);
    expect(loaded.blocks).toBe(1);
    expect(loaded.hashes).toBe(7);
    expect(loaded.has(keyAt(present, 0), OFFSET)).toBe(false);
  });

  test('rejects a non-bloom file', () => {
    const path = join(directory, 'not-bloom.txt');
    writeFileSync(path, 'sha256,file_name\n'.repeat(10));
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is not a verdict bloom filter file`));
  });

  test('rejects a file shorter than header', () => {
    const path = join(directory, 'short.bloom');
    writeFileSync(path, Buffer.from('VBLM'));
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is not a verdict bloom filter file`));
  });

  test('rejects an empty file', () => {
    const path = join(directory, 'zero.bloom');
    writeFileSync(path, Buffer.alloc(0));
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is not a verdict bloom filter file`));
  });

  test('rejects a wrong version', () => {
    const path = join(directory, 'version.bloom');
    BlockedBloomFilter.create(100).writeFile(path);
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(2, 4);
    writeFileSync(path, bytes);
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} has bloom format version 2; expected 1`));
  });

  test('rejects a truncated file', () => {
    const path = join(directory, 'truncated.bloom');
    filter.writeFile(path);
    const size = 32 + 1954 * 64 - 100;
    truncateSync(path, size);
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is truncated or corrupt: ${size} bytes for 1954 blocks`));
  });

  test('rejects header without bits', () => {
    const path = join(directory, 'header-only.bloom');
    filter.writeFile(path);
    truncateSync(path, 32);
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is truncated or corrupt: 32 bytes for 1954 blocks`));
  });

  test('rejects a file with extra bytes', () => {
    const path = join(directory, 'extra.bloom');
    BlockedBloomFilter.create(0).writeFile(path);
    writeFileSync(path, Buffer.alloc(1), { flag: 'a' });
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is truncated or corrupt: 97 bytes for 1 blocks`));
  });

  test('rejects zero blocks', () => {
    const path = join(directory, 'zero-blocks.bloom');
    BlockedBloomFilter.create(0).writeFile(path);
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(0, 12);
    writeFileSync(path, bytes.subarray(0, 32));
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is truncated or corrupt: 32 bytes for 0 blocks`));
  });

  test('rejects zero hashes', () => {
    const path = join(directory, 'zero-hashes.bloom');
    BlockedBloomFilter.create(0).writeFile(path);
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(0, 8);
    writeFileSync(path, bytes);
    expect(() => BlockedBloomFilter.readFile(path)).toThrow(new Error(`${path} is truncated or corrupt: 96 bytes for 1 blocks`));
  });
});
