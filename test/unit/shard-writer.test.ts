import { describe, test, expect, beforeEach, afterEach } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { open } from 'lmdb';
import { unpack } from 'msgpackr';
import { BLOOM_PROBE_OFFSET, sortedOrder, writeShard, type ShardWriteResult } from '../../src/build/shard-writer.js';
import { ShardPartitioner, valuePacker, type ShardRecords } from '../../src/build/partition.js';
import { BlockedBloomFilter, DEFAULT_BLOOM_SIZING } from '../../src/store/bloom.js';

/** Packs `keys` into one shard's records through a real partitioner, with empty values. */
function recordsOf(keys: readonly Uint8Array[]): ShardRecords {
  const partitioner = new ShardPartitioner(1);
  for (const key of keys) partitioner.add(key, key.length);
  return partitioner.takeShards()[0]!;
}

function keyOf(records: ShardRecords, index: number): Buffer {
  const start = index === 0 ? 0 : records.keyEnds[index - 1]!;
  return Buffer.from(records.keys.buffer, records.keys.byteOffset + start, records.keyEnds[index]! - start);
}

/** Reference order: Buffer.compare on the whole key, then input index. */
function referenceOrder(records: ShardRecords): number[] {
  const keys = Array.from({ length: records.count }, (_, i) => keyOf(records, i));
  const indices = Array.from({ length: records.count }, (_, i) => i);
  return indices.sort((a, b) => Buffer.compare(keys[a]!, keys[b]!) || a - b);
}

/** Index of the first position where the two orders differ, or -1 when they are equal. */
function firstDifference(actual: Uint32Array, expected: readonly number[]): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return i;
  return -1;
}

// Few distinct leading 4-byte prefixes, so most keys fall into runs that sortedOrder orders by full key.
const PREFIXES = [
  [0x03, 0x00, 0x00, 0x00],
  [0x03, 0x7f, 0xff, 0xff],
  [0x01, 0xab, 0xcd, 0xef],
];
const prefixArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PREFIXES) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }) },
);
// A small byte alphabet after the prefix makes long shared prefixes and equal keys common.
const baseKeyArbitrary = fc
  .tuple(prefixArbitrary, fc.array(fc.constantFrom(0x00, 0x01, 0xff), { minLength: 29, maxLength: 29 }))
  .map(([prefix, rest]) => Buffer.from([...prefix, ...rest]));
// Each key is the first 17, 21 or 33 bytes of one of a few base keys. So duplicates are common, and
// short keys are often prefixes of longer ones.
const keysArbitrary = fc
  .array(baseKeyArbitrary, { minLength: 1, maxLength: 12 })
  .chain((bases) =>
    fc
      .array(fc.tuple(fc.nat(bases.length - 1), fc.constantFrom(17, 21, 33)), { maxLength: 300 })
      .map((picks) => picks.map(([base, length]) => bases[base]!.subarray(0, length))),
  );

describe('sortedOrder', () => {
  test('empty shard', () => {
    expect(Array.from(sortedOrder(recordsOf([])))).toEqual([]);
  });

  test('small hand-made case', () => {
    const keys = [
      Buffer.from('03000000ff' + '00'.repeat(12), 'hex'),
      Buffer.from('0100000001' + '00'.repeat(12), 'hex'),
      Buffer.from('03000000ff' + '00'.repeat(12) + '00'.repeat(16), 'hex'),
      Buffer.from('0300000000' + '00'.repeat(12), 'hex'),
      Buffer.from('03000000ff' + '00'.repeat(12), 'hex'),
      Buffer.from('02ffffffff' + 'ff'.repeat(16), 'hex'),
    ];
    expect(Array.from(sortedOrder(recordsOf(keys)))).toEqual([1, 5, 3, 0, 4, 2]);
  });

  test('matches reference (property)', () => {
    fc.assert(
      fc.property(keysArbitrary, (keys) => {
        const records = recordsOf(keys);
        const expected = referenceOrder(records);
        expect(firstDifference(sortedOrder(records), expected)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  test('200,000 keys match reference', () => {
    const lengths = [17, 21, 33] as const;
    const prefixes = Array.from({ length: 1000 }, () => randomBytes(4));
    const random = randomBytes(200_000 * 33);
    const keys: Buffer[] = [];
    for (let i = 0; i < 200_000; i++) {
      const length = lengths[i % 3]!;
      if (i % 5 === 4) {
        // An exact duplicate of an earlier key.
        keys.push(keys[(i * 7919) % i]!);
        continue;
      }
      const key = random.subarray(i * 33, i * 33 + length);
      if (i % 2 === 0) prefixes[i % 1000]!.copy(key, 0);
      keys.push(key);
    }
    const records = recordsOf(keys);

    const order = sortedOrder(records);

    expect(order.length).toBe(200_000);
    expect(firstDifference(order, referenceOrder(records))).toBe(-1);
  });

  test('above 2^21 keys', () => {
    // From 2^21 records on, the index takes more than 21 of a float64's 53 exact bits, so the sort
    // value keeps fewer than 32 leading key bits. Bytes 2 to 4 are 0 or 1 here, so many keys differ
    // only in a low bit that the sort value drops and must be ordered within their run.
    const count = 2 ** 21 + 1000;
    const random = randomBytes(count * 17);
    const keys: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const key = random.subarray(i * 17, (i + 1) * 17);
      key[2] = key[2]! & 1;
      key[3] = key[3]! & 1;
      key[4] = key[4]! & 1;
      keys.push(key);
    }
    const records = recordsOf(keys);

    const order = sortedOrder(records);

    expect(order.length).toBe(count);
    const seen = new Uint8Array(count);
    let repeats = 0;
    let misordered = 0;
    for (let i = 0; i < count; i++) {
      if (seen[order[i]!]++) repeats++;
      if (i === 0) continue;
      const byKey = Buffer.compare(keys[order[i - 1]!]!, keys[order[i]!]!);
      if (byKey > 0 || (byKey === 0 && order[i - 1]! > order[i]!)) misordered++;
    }
    expect(repeats).toBe(0);
    expect(misordered).toBe(0);
  });
});

/** Builds the key of a `tag` byte followed by the digest `hex`. */
function hashKey(tag: number, hex: string): Buffer {
  return Buffer.concat([Buffer.from([tag]), Buffer.from(hex, 'hex')]);
}

const MD5_A = '0cc175b9c0f1b6a831c399e269772661';
const MD5_G = '92eb5ffee6ae2fec3ad71c777531578f';
const SHA1_C = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4';
const SHA256_B = '3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d';
const SHA256_D = '18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4';
const SHA256_E = '3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea';
const SHA256_F = '252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111';
const TAG_9_DIGEST = '00112233445566778899aabbccddeeff';

/** Opens a written shard the way the catalog does. */
function openShard(path: string) {
  return open<Buffer, Buffer>({
    path,
    noSubdir: true,
    readOnly: true,
    keyEncoding: 'binary',
    encoding: 'binary',
    compression: false,
    cache: false,
  });
}

function readEntries(path: string): { key: Buffer; value: Buffer }[] {
  const db = openShard(path);
  try {
    return Array.from(db.getRange({}), ({ key, value }) => ({ key: Buffer.from(key), value: Buffer.from(value) }));
  } finally {
    void db.close();
  }
}

describe('writeShard', () => {
  let directory: string;
  let lmdbPath: string;
  let bloomPath: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'verdict-'));
    lmdbPath = join(directory, 'shard-00.mdb');
    bloomPath = join(directory, 'shard-00.bloom');
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function write(records: ShardRecords): ShardWriteResult {
    return writeShard({ ...records, lmdbPath, bloomPath, bloom: DEFAULT_BLOOM_SIZING });
  }

  describe('merging duplicates', () => {
    let result: ShardWriteResult;
    let entries: { key: Buffer; value: Buffer }[];

    beforeEach(() => {
      const partitioner = new ShardPartitioner(1);
      const inputs: [string, Record<string, unknown> | undefined, 'allow' | 'deny' | undefined][] = [
        [MD5_A, undefined, undefined],
        [SHA256_B, { name: 'b-first.exe' }, 'allow'],
        [SHA1_C, { family: 'Emotet' }, 'deny'],
        [MD5_A.toUpperCase(), { name: 'a-second.dll' }, 'allow'],
        [SHA256_B, { family: 'Qakbot' }, 'deny'],
        [SHA1_C, { name: 'c-later.exe' }, 'allow'],
        [SHA256_B, { name: 'b-third.exe' }, 'deny'],
        [SHA256_D, { size: 1234 }, undefined],
        [SHA256_D, undefined, 'deny'],
        [SHA256_E, undefined, undefined],
        [SHA256_E, undefined, 'allow'],
        [SHA256_F, undefined, 'allow'],
        [MD5_G, { name: 'g.sys' }, undefined],
        [`  ${SHA256_B}\r\n`, undefined, undefined],
      ];
      for (const [hash, attributes, list] of inputs) {
        expect(partitioner.addHash(hash, attributes, list)).toBeUndefined();
      }
      // A key whose tag names no hash type is counted under its tag number.
      const tagged = hashKey(9, TAG_9_DIGEST);
      partitioner.add(tagged, tagged.length);

      result = write(partitioner.takeShards()[0]!);
      entries = readEntries(lmdbPath);
    });

    test('counts keys and duplicates', () => {
      expect(result.keys).toBe(8);
      expect(result.duplicates).toBe(7);
      expect(result.keysByType).toEqual({ md5: 2, sha1: 1, sha256: 4, 'tag-9': 1 });
      expect(result.duplicatesByType).toEqual({ md5: 1, sha1: 1, sha256: 5 });
    });

    test('keys read back sorted', () => {
      const keys = entries.map((entry) => entry.key.toString('hex'));
      expect(keys).toEqual([
        hashKey(1, MD5_A).toString('hex'),
        hashKey(1, MD5_G).toString('hex'),
        hashKey(2, SHA1_C).toString('hex'),
        hashKey(3, SHA256_D).toString('hex'),
        hashKey(3, SHA256_F).toString('hex'),
        hashKey(3, SHA256_B).toString('hex'),
        hashKey(3, SHA256_E).toString('hex'),
        hashKey(9, TAG_9_DIGEST).toString('hex'),
      ]);
    });

    /** Finds the stored value of the key `tag` + `hex`; throws when the key is missing. */
    function valueOf(tag: number, hex: string): Buffer {
      const key = hashKey(tag, hex);
      const entry = entries.find((candidate) => candidate.key.equals(key));
      if (entry === undefined) throw new Error(`key ${key.toString('hex')} not found in the shard`);
      return entry.value;
    }

    test('first default beats later allow', () => {
      expect(valueOf(1, MD5_A)).toEqual(Buffer.alloc(0));
    });

    test('later deny beats earlier allow', () => {
      const value = valueOf(3, SHA256_B);
      expect(value[0]).toBe(2);
      expect(value[1]).toBe(0);
      expect(unpack(value.subarray(2))).toEqual({ family: 'Qakbot' });
      expect(value).toEqual(Buffer.concat([Buffer.from([2, 0]), valuePacker.pack({ family: 'Qakbot' })]));
    });

    test('first deny beats later allow', () => {
      const value = valueOf(2, SHA1_C);
      expect(value[0]).toBe(2);
      expect(value[1]).toBe(0);
      expect(unpack(value.subarray(2))).toEqual({ family: 'Emotet' });
    });

    test('later deny beats feed default', () => {
      expect(valueOf(3, SHA256_D)).toEqual(Buffer.from([2, 0]));
    });

    test('first empty beats later allow', () => {
      expect(valueOf(3, SHA256_E)).toEqual(Buffer.alloc(0));
    });

    test('single allow keeps list code', () => {
      expect(valueOf(3, SHA256_F)).toEqual(Buffer.from([1, 0]));
    });

    test('attributes with feed default', () => {
      const value = valueOf(1, MD5_G);
      expect(value[0]).toBe(0);
      expect(value[1]).toBe(0);
      expect(unpack(value.subarray(2))).toEqual({ name: 'g.sys' });
    });

    test('bloom has every key', () => {
      const bloom = BlockedBloomFilter.readFile(bloomPath);
      for (const { key } of entries) expect(bloom.has(key, BLOOM_PROBE_OFFSET)).toBe(true);
    });
  });

  test('20,000 random hashes', () => {
    const partitioner = new ShardPartitioner(1);
    const distinct = new Set<string>();
    const hashes: string[] = [];
    for (let i = 0; i < 15_000; i++) hashes.push(randomBytes(i % 2 === 0 ? 32 : 16).toString('hex'));
    for (let i = 0; i < 5_000; i++) hashes.push(hashes[(i * 7) % 15_000]!.toUpperCase());
    for (const hash of hashes) {
      expect(partitioner.addHash(hash)).toBeUndefined();
      distinct.add(hashKey(hash.length === 64 ? 3 : 1, hash).toString('hex'));
    }

    const result = write(partitioner.takeShards()[0]!);

    expect(result.keys).toBe(distinct.size);
    expect(result.duplicates).toBe(20_000 - distinct.size);
    const entries = readEntries(lmdbPath);
    expect(entries.map((entry) => entry.key.toString('hex'))).toEqual([...distinct].sort());
    const bloom = BlockedBloomFilter.readFile(bloomPath);
    let missing = 0;
    for (const { key } of entries) if (!bloom.has(key, BLOOM_PROBE_OFFSET)) missing++;
    expect(missing).toBe(0);
  });

  test('empty shard', () => {
    const result = write(new ShardPartitioner(1).takeShards()[0]!);
    expect(result.keys).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.keysByType).toEqual({});
    expect(readEntries(lmdbPath)).toEqual([]);
    expect(existsSync(bloomPath)).toBe(true);
    expect(BlockedBloomFilter.readFile(bloomPath).blocks).toBe(1);
  });
});
