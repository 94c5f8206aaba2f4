/**
 * The on-disk layout of the store and the operations that keep it consistent:
 *
 *   <dataDir>/feeds/<feed id>/
 *     CURRENT                  name of the serving generation (replaced by rename, never edited)
 *     BUILD.lock               pid of the process building this feed, while it builds
 *     .tmp-<generation>/       a build in progress; removed at the next start when its builder is gone
 *     downloads/               URL sources; `<name>.part` is a download in progress, removed like .tmp-
 *     <generation>/            shard-NN.mdb, shard-NN.bloom, MANIFEST.json (written last)
 *
 * Generation names sort by creation time, so "the last N" is a sort of the folder names.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { VerdictError } from '../errors.js';

export const CURRENT_FILE = 'CURRENT';
export const LOCK_FILE = 'BUILD.lock';
export const MANIFEST_FILE = 'MANIFEST.json';
/** IP presence map of a generation that holds IP entries (see prefix-filter.ts). */
export const PREFIX_FILTER_FILE = 'PREFIXES.bin';
/** Bloom filter of the hosts of a generation's URL entries (see host-filter.ts). */
export const HOST_FILTER_FILE = 'HOSTS.bloom';
export const TEMP_PREFIX = '.tmp-';
export const DOWNLOADS_DIRECTORY = 'downloads';
/** Suffix of a download being written. The complete file is renamed over its final name. */
export const PART_SUFFIX = '.part';
const GENERATION_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function feedDirectory(dataDir: string, feedId: string): string {
  return join(dataDir, 'feeds', feedId);
}

export function shardFileNames(index: number): { lmdb: string; bloom: string } {
  const name = `shard-${String(index).padStart(2, '0')}`;
  return { lmdb: `${name}.mdb`, bloom: `${name}.bloom` };
}

/** A new generation name: UTC time to the millisecond plus random hex, e.g. 20261204T204512345Z-3fa9c1. */
export function newGenerationName(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isGenerationName(name: string): boolean {
  return GENERATION_PATTERN.test(name);
}

export function readCurrent(feedDir: string): string | undefined {
  try {
    const name = readFileSync(join(feedDir, CURRENT_FILE), 'utf8').trim();
    return isGenerationName(name) ? name : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to `path` through a temporary file and rename, so readers see the old or the new file. */
export function writeFileAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Generations of a feed (complete folders only), oldest first. */
export function listGenerations(feedDir: string): string[] {
  if (!existsSync(feedDir)) return [];
  return readdirSync(feedDir)
    .filter((name) => isGenerationName(name) && existsSync(join(feedDir, name, MANIFEST_FILE)))
    .sort();
}


/** Points CURRENT at an existing generation (publish and rollback). */
export function switchCurrent(feedDir: string, generation: string): void {
  if (!isGenerationName(generation)) throw new Error(`${JSON.stringify(generation)} is not a generation name (like 20261204T204512345Z-3fa9c1)`);
  if (!existsSync(join(feedDir, generation, MANIFEST_FILE))) {
    throw new Error(`generation ${generation} has no ${MANIFEST_FILE} in ${feedDir}`);
  }
  writeFileAtomic(join(feedDir, CURRENT_FILE), `${generation}\n`);
  fsyncDirectory(feedDir);
}

/** Removes generations beyond the newest `keep`, never the current one. Returns the removed names. */
export function pruneGenerations(feedDir: string, keep: number): string[] {
  const current = readCurrent(feedDir);
  const generations = listGenerations(feedDir);
  const removable = generations.slice(0, Math.max(0, generations.length - keep)).filter((name) => name !== current);
  for (const name of removable) rmSync(join(feedDir, name), { recursive: true, force: true });
  return removable;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockOwner(feedDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(feedDir, LOCK_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the feed's build lock or throws VERDICT_ERR_FEED_LOCKED. A lock left by a dead process is
 * taken over. Returns the release function.
 */
export function acquireBuildLock(feedDir: string, feedId: string): () => void {
  mkdirSync(feedDir, { recursive: true });
  const path = join(feedDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(feedDir);
      if (owner !== undefined && owner !== process.pid && processIsAlive(owner)) {
        throw new VerdictError('VERDICT_ERR_FEED_LOCKED', { feed: feedId, pid: owner });
      }
      if (owner === process.pid) throw new VerdictError('VERDICT_ERR_FEED_LOCKED', { feed: feedId, pid: owner });
      rmSync(path, { force: true });
    }
  }
  throw new VerdictError('VERDICT_ERR_FEED_LOCKED', { feed: feedId, pid: lockOwner(feedDir) ?? 'unknown' });
}

/**
 * Removes `.tmp-*` folders and `downloads/*.part` files left by builds that died, unless a live
 * process holds the feed's lock. Returns the removed names, `.part` files as `downloads/<name>`.
 */
export function removePartialBuilds(feedDir: string): string[] {
  if (!existsSync(feedDir)) return [];
  const owner = lockOwner(feedDir);
  if (owner !== undefined && processIsAlive(owner) && owner !== process.pid) return [];
  const removed = readdirSync(feedDir).filter((name) => name.startsWith(TEMP_PREFIX));
  for (const name of removed) rmSync(join(feedDir, name), { recursive: true, force: true });
  // A refresh killed during a download leaves its .part file, which can be as large as refresh.maxBytes.
  const downloads = join(feedDir, DOWNLOADS_DIRECTORY);
  if (existsSync(downloads)) {
    for (const name of readdirSync(downloads).filter((file) => file.endsWith(PART_SUFFIX))) {
      rmSync(join(downloads, name), { force: true });
      removed.push(`${DOWNLOADS_DIRECTORY}/${name}`);
    }
  }
  if (owner !== undefined && !processIsAlive(owner)) rmSync(join(feedDir, LOCK_FILE), { force: true });
  return removed;
}
