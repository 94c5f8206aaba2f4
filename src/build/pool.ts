/** The piscina pool that writes shards in worker threads. */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

/**
 * The compiled worker file. Under vitest this module runs from src/*.ts, and worker threads cannot
 * load TypeScript, so the compiled copy in dist/ is used (`npm test` compiles first).
 */
export function shardWorkerPath(): string {
  const here = import.meta.url;
  const relative = here.endsWith('.ts') ? '../../dist/workers/build-shard.js' : '../../workers/build-shard.js';
  return fileURLToPath(new URL(relative, here));
}

/** Creates the pool; `threads` 0 means one thread per core. */
export function createBuildPool(threads = 0): Piscina {
  const count = threads > 0 ? threads : availableParallelism();
  return new Piscina({ filename: shardWorkerPath(), minThreads: 0, maxThreads: count, idleTimeout: 30_000 });
}
