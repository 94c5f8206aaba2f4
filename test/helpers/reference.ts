/**
 * Independent readings of corpus files, written from each format's documentation rather than from
 * the parsers under test, so the end-to-end tests can state what a lookup must return.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { corpusFile } from './corpus.js';

export const ESET_FILES = {
  md5: 'hashes/eset_nukesped_lazarus_samples.md5',
  sha1: 'hashes/eset_nukesped_lazarus_samples.sha1',
  sha256: 'hashes/eset_nukesped_lazarus_samples.sha256',
} as const;
export const SIGNATURE_BASE_FILE = 'hashes/signature-base_hash-iocs.txt';
export const LOLDRIVERS_FILE = 'hashes/loldrivers_drivers.csv';
export const WINBINDEX_FILE = 'clean/winbindex_user32.dll.json';

/** The LOLDrivers feed options: malicious rows are denied with their tags and category, other rows skipped. */
export const LOLDRIVERS_OPTIONS = {
  columns: { KnownVulnerableSamples_MD5: 'md5', KnownVulnerableSamples_SHA1: 'sha1', KnownVulnerableSamples_SHA256: 'sha256' },
  attributes: { Tags: 'fileName', Category: 'category' },
  listRule: { column: 'Category', values: { malicious: 'deny' }, otherwise: 'skip' },
} as const;

export type Attributes = Record<string, unknown>;

/**
 * Reads signature-base `HASH;COMMENT` lines (a few are `HASH;SCORE;COMMENT`) into a map from the
 * lower-case hash to the attributes of its first line. Comment lines start with `#`.
 */
export function readSignatureBase(): Map<string, Attributes> {
  const entries = new Map<string, Attributes>();
  const line = /^([0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})(?:([;,\s])[;,\s]*(.*))?$/s;
  for (const raw of readFileSync(corpusFile(SIGNATURE_BASE_FILE), 'utf8').split('\n')) {
    const text = raw.trim();
    if (text.length === 0 || text.startsWith('#')) continue;
    const match = line.exec(text);
    if (match === null) throw new Error(`unexpected signature-base line: ${text}`);
    const hash = match[1]!.toLowerCase();
    if (entries.has(hash)) continue;

    const attributes: Attributes = {};
    let rest = (match[3] ?? '').trimEnd();
    const scored = /^(\d{1,3});(.*)$/s.exec(rest);
    if (scored !== null && match[2] === ';') {
      attributes['score'] = Number(scored[1]);
      rest = scored[2]!.trim();
    }
    if (rest.length > 0) attributes['description'] = rest;
    entries.set(hash, attributes);
  }
  return entries;
}

export interface LolDriversRow {
  readonly category: string;
  readonly tags: string;
  readonly hashes: { md5: string[]; sha1: string[]; sha256: string[] };
}

/** Reads the LOLDrivers rows with their lower-case hashes. A cell may list several hashes separated by `, `. */
export function readLolDrivers(): LolDriversRow[] {
  const records = parse(readFileSync(corpusFile(LOLDRIVERS_FILE)), { columns: true }) as Record<string, string>[];
  const split = (cell: string | undefined): string[] =>
    (cell ?? '')
      .split(/[\s,;]+/)
      .filter((piece) => piece.length > 0)
      .map((piece) => piece.toLowerCase());
  return records.map((record) => ({
    category: record['Category']!.trim(),
    tags: record['Tags']!.trim(),
    hashes: {
      md5: split(record['KnownVulnerableSamples_MD5']),
      sha1: split(record['KnownVulnerableSamples_SHA1']),
      sha256: split(record['KnownVulnerableSamples_SHA256']),
    },
  }));
}

export interface WinbindexFileInfo {
  readonly size?: number;
  readonly md5?: string;
  readonly sha1?: string;
  readonly version?: string;
  readonly description?: string;
  readonly machineType?: number;
}

/** Reads the Winbindex document: each SHA-256 maps to an entry with an optional `fileInfo`. */
export function readWinbindex(): Map<string, { fileInfo?: WinbindexFileInfo }> {
  const document = JSON.parse(readFileSync(corpusFile(WINBINDEX_FILE), 'utf8')) as Record<string, { fileInfo?: WinbindexFileInfo }>;
  return new Map(Object.entries(document));
}
