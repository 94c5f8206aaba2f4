/**
 * REFRESH.json in a feed's folder: what the refresh loop remembers between runs and processes
 * (HTTP validators, attempts, errors, refused generations, delta files already merged, the
 * publish history that rollback walks back). Replaced atomically. It contains no secret: URLs are
 * stored without credentials and request headers are not stored at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './layout.js';

export const REFRESH_STATE_FILE = 'REFRESH.json';
const MAX_REFUSED = 10;
const MAX_HISTORY = 20;

export interface RefusedGeneration {
  readonly generation: string;
  readonly at: string;
  readonly reasons: { readonly guard: string; readonly message: string }[];
  readonly keys: number;
  readonly servingKeys?: number;
}

export interface RefreshState {
  etag?: string;
  lastModified?: string;
  lastAttemptAt?: string;
  lastSuccessAt?: string;
  /** The last time the source was found unchanged (a 304 or an identical file). */
  lastUnchangedAt?: string;
  lastError?: { readonly at: string; readonly code: string; readonly message: string };
  refused: RefusedGeneration[];
  /** Delta feeds: names (file names or URLs without credentials) of files already merged. */
  deltaFiles: string[];
  /** Generations published, oldest first. */
  published: string[];
}

export function emptyRefreshState(): RefreshState {
  return { refused: [], deltaFiles: [], published: [] };
}

export function readRefreshState(feedDir: string): RefreshState {
  try {
    const parsed = JSON.parse(readFileSync(join(feedDir, REFRESH_STATE_FILE), 'utf8')) as Partial<RefreshState>;
    return { ...emptyRefreshState(), ...parsed };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyRefreshState();
    // A corrupt state file only costs a full download and rebuild, so it is replaced, not fatal.
    return emptyRefreshState();
  }
}

export function writeRefreshState(feedDir: string, state: RefreshState): void {
  const trimmed: RefreshState = {
    ...state,
    refused: state.refused.slice(0, MAX_REFUSED),
    published: state.published.slice(-MAX_HISTORY),
  };
  writeFileAtomic(join(feedDir, REFRESH_STATE_FILE), `${JSON.stringify(trimmed, null, 2)}\n`);
}
