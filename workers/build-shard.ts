/** Piscina task: writes one shard of a generation (see src/build/shard-writer.ts). */
import { writeShard, type ShardWriteRequest, type ShardWriteResult } from '../src/build/shard-writer.js';

export default function buildShard(request: ShardWriteRequest): ShardWriteResult {
  return writeShard(request);
}
