/** Shared by the format tests: a partitioner that also records what it was given, and corpus paths. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardPartitioner } from '../../src/build/partition.js';
import type { Attributes, FeedFormat, ListKind } from '../../src/build/types.js';
import { FileFeedSource } from '../../src/feeds/input.js';
import { hashTypeOfTag, keyToHex, type HashType } from '../../src/indicators/hash.js';

export const FEED_ID = 'test-feed';

/** The shared corpus of real feed files, which lives beside the project and is never copied into it. */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export function corpusFile(relative: string): string {
  return path.join(CORPUS_DIR, relative);
}

export interface AddedRecord {
  readonly type: HashType;
  readonly hex: string;
  readonly attributes: Attributes | undefined;
  readonly list: ListKind | undefined;
}

/** A real ShardPartitioner that also keeps each added record in readable form. */
export class RecordingSink extends ShardPartitioner {
  readonly added: AddedRecord[] = [];

  constructor() {
    super(4);
  }

  override add(key: Uint8Array, keyLength: number, attributes?: Attributes, list?: ListKind): void {
    const type = hashTypeOfTag(key[0]!);
    if (type === undefined) throw new Error(`key with unknown tag ${key[0]}`);
    this.added.push({ type, hex: keyToHex(key.subarray(0, keyLength)), attributes, list });
    super.add(key, keyLength, attributes, list);
  }

  /** Records added per hash type, duplicates included. */
  countByType(): Record<HashType, number> {
    const counts = { md5: 0, sha1: 0, sha256: 0 };
    for (const record of this.added) counts[record.type]++;
    return counts;
  }

  /** Distinct keys per hash type. */
  uniqueByType(): Record<HashType, number> {
    const seen = { md5: new Set<string>(), sha1: new Set<string>(), sha256: new Set<string>() };
    for (const record of this.added) seen[record.type].add(record.hex);
    return { md5: seen.md5.size, sha1: seen.sha1.size, sha256: seen.sha256.size };
  }

  /** Records that repeat a key added before them, of any type. */
  duplicateCount(): number {
    const unique = this.uniqueByType();
    return this.added.length - unique.md5 - unique.sha1 - unique.sha256;
  }

  /** Returns the records of one hash, in the order they were added. */
  recordsOf(hex: string): AddedRecord[] {
    return this.added.filter((record) => record.hex === hex.toLowerCase());
  }
}

/** Parses the file at `filePath` with `format` into a new RecordingSink. */
export async function parseFile(format: FeedFormat, filePath: string, options: Record<string, unknown> = {}): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await format.parse({ feedId: FEED_ID, source: new FileFeedSource(FEED_ID, filePath), options, sink });
  return sink;
}

/** Creates a temporary directory for generated inputs; call `remove()` after the test. */
export function makeTempDir(): { dir: string; file(name: string, content: string | Buffer): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdict-formats-'));
  return {
    dir,
    file(name, content) {
      const target = path.join(dir, name);
      fs.writeFileSync(target, content);
      return target;
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `text` as UTF-16LE bytes, with a byte order mark when `bom` is true. */
export function utf16le(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
}

/** `text` with a UTF-8 byte order mark. */
export function utf8WithBom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}
