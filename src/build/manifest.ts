/** MANIFEST.json: what a generation contains and how it was made. Written last, so its presence marks a complete build. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListKind } from './types.js';
import type { BadLineReport } from './partition.js';
import { MANIFEST_FILE } from '../store/layout.js';

/** Bumped when the key, value or bloom layout changes; readers reject other versions. */
export const STORE_FORMAT_VERSION = 4;

export interface Manifest {
  readonly formatVersion: number;
  readonly feed: string;
  readonly generation: string;
  readonly list: ListKind;
  readonly category?: string;
  readonly format: string;
  /** `full`: the generation holds one download; `delta`: it merges new files into the previous generation. */
  readonly mode: 'full' | 'delta';
  readonly createdAt: string;
  readonly buildMs: number;
  readonly shards: number;
  /** Distinct keys stored. */
  readonly keys: number;
  readonly keysByType: Record<string, number>;
  /** IP prefix lengths present, longest first: the lengths a lookup probes. */
  readonly prefixLengths: { readonly ipv4: number[]; readonly ipv6: number[] };
  /** Records parsed from this build's files, duplicates included (records carried forward are in `delta`). */
  readonly records: number;
  readonly duplicates: number;
  readonly duplicatesByType: Record<string, number>;
  readonly badLines: BadLineReport;
  readonly filtered: { readonly total: number; readonly byReason: Record<string, number> };
  /** IP entries stored as their network because host bits were set. */
  readonly hostBitsCleared: number;
  readonly source: {
    /** Path, or URL without credentials. */
    readonly path: string;
    readonly files: number;
    readonly bytes: number;
    /** SHA-256 of the file, or of the files' SHA-256s in order when there are several. */
    readonly sha256: string;
    /** When the source changed: its Last-Modified header or file time. */
    readonly modifiedAt: string;
    readonly etag?: string;
    readonly lastModified?: string;
  };
  readonly delta?: { readonly previousGeneration: string; readonly carriedForward: number; readonly expired: number };
  readonly bloom: { readonly bitsPerKey: number; readonly hashes: number; readonly bytes: number };
  readonly storeBytes: number;
}

export function readManifest(generationDir: string): Manifest {
  const manifest = JSON.parse(readFileSync(join(generationDir, MANIFEST_FILE), 'utf8')) as Manifest;
  if (manifest.formatVersion !== STORE_FORMAT_VERSION) {
    throw new Error(`store format version ${manifest.formatVersion} is not supported (expected ${STORE_FORMAT_VERSION}); rebuild the feed`);
  }
  return manifest;
}
