/**
 * Bloom filter check cost: the `bloom-filters` package as shipped (it hashes each element), the same
 * package with its index function replaced by the digest's own bits, and verdict's blocked filter.
 */
import bloomFilters from 'bloom-filters';
import { BlockedBloomFilter } from '../src/store/bloom.js';
import { DeterministicRandom } from '../src/demo.js';

const { BloomFilter } = bloomFilters;

export interface BloomFigures {
  readonly keys: number;
  readonly packageNsPerCheck: number;
  readonly packageDigestBitsNsPerCheck: number;
  readonly blockedNsPerCheck: number;
  readonly blockedFalsePositiveRate: number;
}

function randomDigests(count: number, seed: number): Buffer[] {
  const random = new DeterministicRandom(seed);
  return Array.from({ length: count }, () => Buffer.from(random.hex(32), 'hex'));
}

function nsPerCall(count: number, run: () => number): number {
  run(); // warm-up
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / count;
}

export function measureBloom(keys = 1_000_000, probes = 200_000): BloomFigures {
  const present = randomDigests(keys, 11);
  const absent = randomDigests(probes, 12);
  const absentHex = absent.map((digest) => digest.toString('hex'));

  // The package as shipped, on hex strings, at the same size and false-positive target.
  const packaged = BloomFilter.create(keys, 0.01);
  for (const digest of present) packaged.add(digest.toString('hex'));
  const packageNs = nsPerCall(probes, () => absentHex.reduce((hits, hex) => hits + (packaged.has(hex) ? 1 : 0), 0));

  // The package with its hashing replaced by indexes taken from the digest bytes (double hashing).
  const digestBits = BloomFilter.create(keys, 0.01) as unknown as {
    _hashing: { getIndexes: (element: Buffer, size: number, count: number) => number[] };
    add(element: unknown): void;
    has(element: unknown): boolean;
  };
  digestBits._hashing.getIndexes = (element: Buffer, size: number, count: number) => {
    const h1 = element.readUInt32BE(0);
    const h2 = element.readUInt32BE(4) | 1;
    const indexes = new Array<number>(count);
    for (let i = 0; i < count; i++) indexes[i] = ((h1 + Math.imul(i, h2)) >>> 0) % size;
    return indexes;
  };
  for (const digest of present) digestBits.add(digest);
  const digestBitsNs = nsPerCall(probes, () => absent.reduce((hits, digest) => hits + (digestBits.has(digest) ? 1 : 0), 0));

  // verdict's blocked filter: probes start at byte 3 of a key, as in a store.
  const blocked = BlockedBloomFilter.create(keys);
  const withTag = (digest: Buffer): Buffer => Buffer.concat([Buffer.from([3]), digest]);
  for (const digest of present) blocked.add(withTag(digest), 3);
  const absentKeys = absent.map(withTag);
  let falsePositives = 0;
  const blockedNs = nsPerCall(probes, () => {
    falsePositives = 0;
    for (const key of absentKeys) if (blocked.has(key, 3)) falsePositives++;
    return falsePositives;
  });

  return {
    keys,
    packageNsPerCheck: packageNs,
    packageDigestBitsNsPerCheck: digestBitsNs,
    blockedNsPerCheck: blockedNs,
    blockedFalsePositiveRate: falsePositives / probes,
  };
}
