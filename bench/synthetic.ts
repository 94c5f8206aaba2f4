/** Deterministic synthetic feeds for the benchmarks. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { DeterministicRandom } from '../src/demo.js';

/**
 * Writes `count` random SHA-256 hashes, one per line, to `path` and returns every `sampleEvery`-th
 * one (the benchmark's "present" items).
 */
export function writeSha256List(path: string, count: number, seed: number, sampleEvery = 1000): string[] {
  const random = new DeterministicRandom(seed);
  const fd = openSync(path, 'w');
  const samples: string[] = [];
  let chunk: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const hash = random.hex(32);
      if (i % sampleEvery === 0) samples.push(hash);
      chunk.push(hash);
      if (chunk.length === 65_536) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  return samples;
}

/** `count` random SHA-256 hashes from a seed no feed uses: absent from every bench store. */
export function absentSha256(count: number, seed: number): string[] {
  const random = new DeterministicRandom(seed ^ 0xa5a5_a5a5);
  return Array.from({ length: count }, () => random.hex(32));
}
