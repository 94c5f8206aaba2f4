/**
 * Delta feeds: a new generation is the new files' records plus the previous generation's records
 * that were seen within the retention window. The previous generation is read from its LMDB shards,
 * so old files are never parsed again; duplicates are merged by the shard writer, which keeps the
 * earliest first-seen and the latest last-seen time of a key.
 */
import { join } from 'node:path';
import { open } from 'lmdb';
import { readManifest } from './manifest.js';
import { shardFileNames } from '../store/layout.js';
import { valueSeen, valueText, withSeen } from '../store/value.js';
import { KeyTag } from '../indicators/keys.js';
import { expressionHost } from '../store/host-filter.js';
import type { ShardPartitioner } from './partition.js';

export interface CarryForwardResult {
  /** Records copied into the new generation. */
  readonly carried: number;
  /** Records dropped because they were last seen before the retention window. */
  readonly expired: number;
}

/**
 * Adds every record of the generation in `generationDir` last seen at or after `retainAfter` to the
 * partitioner. A record without seen times (built before the feed became a delta feed) is taken as
 * seen when that generation was created.
 */
export function carryForward(generationDir: string, partitioner: ShardPartitioner, retainAfter: Date): CarryForwardResult {
  const manifest = readManifest(generationDir);
  const cutoff = Math.floor(retainAfter.getTime() / 1000);
  const createdSeconds = Math.floor(Date.parse(manifest.createdAt) / 1000);
  let carried = 0;
  let expired = 0;
  for (let index = 0; index < manifest.shards; index++) {
    const db = open<Buffer, Buffer>({
      path: join(generationDir, shardFileNames(index).lmdb),
      noSubdir: true,
      readOnly: true,
      keyEncoding: 'binary',
      encoding: 'binary',
      compression: false,
    });
    try {
      for (const { key, value } of db.getRange()) {
        const seen = valueSeen(value);
        if ((seen?.last ?? createdSeconds) < cutoff) {
          expired++;
          continue;
        }
        partitioner.addRecord(key, key.length, seen === undefined ? withSeen(value, createdSeconds, createdSeconds) : value);
        if (key[0] === KeyTag.url) {
          const expression = valueText(value);
          if (expression !== undefined) partitioner.indicatorPolicy.urlHosts.add(expressionHost(expression));
        }
        carried++;
      }
    } finally {
      void db.close();
    }
  }
  return { carried, expired };
}
