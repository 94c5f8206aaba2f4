/**
 * The lookup path of one item:
 *
 *   item ──classify──> hash type ──normalize──> key (tag + digest, in a reused scratch buffer)
 *        for each serving feed generation:
 *          shard = first digest bytes mod shards
 *          bloom.has(key)?  no  -> next feed          (tens of nanoseconds)
 *                           yes -> LMDB get(key)      (about 2 µs on a large store)
 *                                  found -> match {feed, list, category, attributes}
 *   verdict = deny if any deny match, else allow if any allow match, else unknown
 *
 * Everything here is synchronous and allocation-light; it has no knowledge of HTTP.
 */
import { DIGEST_BYTES, KeyTag, hashTypeOfDigestLength, normalizeHashInto, decodeHexInto, type HashType } from './indicators/hash.js';
import { formatMessage, type ErrorCode } from './errors.js';
import { valuePacker } from './build/partition.js';
import type { Attributes, ListKind } from './build/types.js';
import { BLOOM_PROBE_OFFSET } from './build/shard-writer.js';
import { shardOfKey } from './build/partition.js';
import type { Catalog, OpenGeneration } from './store/catalog.js';

export type Verdict = 'allow' | 'deny' | 'unknown' | 'invalid';

export interface Match {
  readonly feed: string;
  readonly list: ListKind;
  readonly category?: string;
  readonly generation: string;
  readonly attributes?: Attributes;
}

export interface LookupResult {
  readonly item: string;
  readonly type?: HashType;
  readonly verdict: Verdict;
  readonly conflict?: true;
  readonly code?: ErrorCode;
  readonly error?: string;
  readonly matches: Match[];
}

export interface VerdictCounts {
  allow: number;
  deny: number;
  unknown: number;
  invalid: number;
}

export interface BatchResult {
  readonly results: LookupResult[];
  readonly counts: VerdictCounts;
}

/** Shared by every result without matches, so a miss allocates no array; frozen so no caller can fill it. */
const NO_MATCHES: Match[] = Object.freeze([]) as unknown as Match[];
const LIST_BY_CODE: readonly (ListKind | undefined)[] = [undefined, 'allow', 'deny'];
const MAX_ECHO_CHARACTERS = 256;

function invalid(item: string, code: ErrorCode, params: Record<string, string | number> = {}, type?: HashType): LookupResult {
  const result: LookupResult = { item, verdict: 'invalid', code, error: formatMessage(code, params), matches: [] };
  return type === undefined ? result : { ...result, type };
}

/** A printable form of an item that is neither a string nor a digest, for the result's `item` field. */
function describeItem(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_ECHO_CHARACTERS ? `${text.slice(0, MAX_ECHO_CHARACTERS)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return `${value.length}-byte binary`;
  return typeof value;
}

export class Matcher {
  /** Scratch keys, one per digest length, reused by every lookup on this thread. */
  private readonly scratch: Record<HashType, Buffer> = {
    md5: Buffer.alloc(1 + DIGEST_BYTES.md5),
    sha1: Buffer.alloc(1 + DIGEST_BYTES.sha1),
    sha256: Buffer.alloc(1 + DIGEST_BYTES.sha256),
  };
  private readonly slowScratch = Buffer.alloc(33);

  constructor(private readonly catalog: Catalog) {}

  /** Looks up each item in order; invalid items get their own result and never fail the batch. */
  lookupMany(items: readonly unknown[]): BatchResult {
    const serving = this.catalog.serving;
    const counts: VerdictCounts = { allow: 0, deny: 0, unknown: 0, invalid: 0 };
    const results: LookupResult[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const result = this.lookupWith(serving, items[i]);
      counts[result.verdict]++;
      results[i] = result;
    }
    return { results, counts };
  }

  lookup(item: unknown): LookupResult {
    return this.lookupWith(this.catalog.serving, item);
  }

  private lookupWith(serving: readonly OpenGeneration[], item: unknown): LookupResult {
    let type: HashType | undefined;
    let key: Buffer;
    let echo: string;

    if (typeof item === 'string') {
      echo = item.length > MAX_ECHO_CHARACTERS ? `${item.slice(0, MAX_ECHO_CHARACTERS)}…` : item;
      type = item.length === 64 ? 'sha256' : item.length === 40 ? 'sha1' : item.length === 32 ? 'md5' : undefined;
      // Buffer#write(item, 'hex') is not used because it keeps only the low byte of each UTF-16 code
      // unit, so "š" (U+0161) would decode as "a" and a non-hex item could match another hash.
      if (type !== undefined && decodeHexInto(item, this.scratch[type], 1)) {
        key = this.scratch[type];
        key[0] = KeyTag[type];
      } else {
        // Slow path: white space, BOM, wrong length or bad characters; the error names the problem.
        const normalized = normalizeHashInto(item, this.slowScratch);
        if (typeof normalized !== 'string') return invalid(echo, normalized.code, normalized.params);
        type = normalized;
        key = this.scratch[type];
        this.slowScratch.copy(key, 0, 0, key.length);
      }
    } else if (item instanceof Uint8Array) {
      type = hashTypeOfDigestLength(item.length);
      echo = Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('hex');
      if (type === undefined) return invalid(echo, 'VERDICT_ERR_ITEM_BAD_DIGEST_LENGTH', { length: item.length });
      key = this.scratch[type];
      key[0] = KeyTag[type];
      key.set(item, 1);
    } else {
      return invalid(describeItem(item), 'VERDICT_ERR_ITEM_NOT_STRING', { kind: kindOf(item) });
    }

    let matches = NO_MATCHES;
    let allow = false;
    let deny = false;
    for (let f = 0; f < serving.length; f++) {
      const generation = serving[f]!;
      const shard = generation.shards[shardOfKey(key, generation.shards.length)]!;
      if (!shard.bloom.has(key, BLOOM_PROBE_OFFSET)) continue;
      const value = shard.db.getBinaryFast(key);
      if (value === undefined) continue;

      // The value buffer is only valid until the next get, so it is decoded now.
      let list = generation.feed.list;
      let attributes: Attributes | undefined;
      if (value.length > 0) {
        list = LIST_BY_CODE[value[0]!] ?? list;
        if (value.length > 1) attributes = valuePacker.unpack(value.subarray(1)) as Attributes;
      }
      const match: Match = {
        feed: generation.feed.id,
        list,
        ...(generation.feed.category === undefined ? {} : { category: generation.feed.category }),
        generation: generation.name,
        ...(attributes === undefined ? {} : { attributes }),
      };
      if (matches === NO_MATCHES) matches = [];
      matches.push(match);
      if (list === 'deny') deny = true;
      else allow = true;
    }

    const verdict: Verdict = deny ? 'deny' : allow ? 'allow' : 'unknown';
    const result: LookupResult = { item: echo, type, verdict, matches };
    return deny && allow ? { ...result, conflict: true } : result;
  }
}

