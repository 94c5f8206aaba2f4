/**
 * A real ShardPartitioner that also records every key it stores, of any indicator type, in readable
 * form: for the IP, domain and URL formats, whose records reach addRecord through the indicator
 * policy and not through add().
 */
import { ShardPartitioner } from '../../src/build/partition.js';
import { IndicatorPolicy, type IndicatorPolicyConfig } from '../../src/build/indicator-policy.js';
import type { Attributes, FeedFormat, ListKind } from '../../src/build/types.js';
import { FileFeedSource } from '../../src/feeds/input.js';
import { formatNetwork } from '../../src/indicators/ip.js';
import { KeyTag, keyTypeOfTag, type KeyType } from '../../src/indicators/keys.js';
import { ValueFlag, valueAttributes, valueFlags, valueList } from '../../src/store/value.js';
import { FEED_ID } from './helpers.js';

export interface StoredRecord {
  readonly type: KeyType;
  /** `a.b.c.d/prefix` for IP keys, the entry text for domains and URLs, hex for hashes. */
  readonly text: string;
  readonly attributes: Attributes | undefined;
  readonly list: ListKind | undefined;
}

function keyText(key: Uint8Array, keyLength: number, value: Uint8Array | undefined): string {
  const tag = key[0]!;
  if (tag === KeyTag.ipv4 || tag === KeyTag.ipv6) {
    const network = { family: tag === KeyTag.ipv4 ? 4 : 6, prefix: key[1]!, bytes: key.slice(2, keyLength) } as const;
    return `${formatNetwork(network).split('/')[0]}/${network.prefix}`;
  }
  if (value !== undefined && (valueFlags(value) & ValueFlag.hasText) !== 0) {
    const length = (value[2]! << 8) | value[3]!;
    return String.fromCharCode(...value.subarray(4, 4 + length));
  }
  return Buffer.from(key.subarray(1, keyLength)).toString('hex');
}

export class KeyRecordingSink extends ShardPartitioner {
  readonly stored: StoredRecord[] = [];

  constructor(policy: IndicatorPolicyConfig = {}) {
    super(4, 0, new IndicatorPolicy(policy));
  }

  override addRecord(key: Uint8Array, keyLength: number, value: Uint8Array | undefined): void {
    const type = keyTypeOfTag(key[0]!);
    if (type === undefined) throw new Error(`key with unknown tag ${key[0]}`);
    const hasValue = value !== undefined && value.length > 0;
    this.stored.push({
      type,
      text: keyText(key, keyLength, value),
      attributes: hasValue ? valueAttributes(value) : undefined,
      list: hasValue ? valueList(value) : undefined,
    });
    super.addRecord(key, keyLength, value);
  }

  /** Records stored per key type, duplicates included; types with none are left out. */
  countByType(): Partial<Record<KeyType, number>> {
    const counts: Partial<Record<KeyType, number>> = {};
    for (const record of this.stored) counts[record.type] = (counts[record.type] ?? 0) + 1;
    return counts;
  }

  /** Distinct keys per key type; types with none are left out. */
  distinctByType(): Partial<Record<KeyType, number>> {
    const seen = new Map<KeyType, Set<string>>();
    for (const record of this.stored) {
      if (!seen.has(record.type)) seen.set(record.type, new Set());
      seen.get(record.type)!.add(record.text);
    }
    return Object.fromEntries([...seen].map(([type, texts]) => [type, texts.size]));
  }

  /** The records stored under `text` (see StoredRecord.text), in the order they were added. */
  recordsOf(text: string): StoredRecord[] {
    return this.stored.filter((record) => record.text === text);
  }
}

/** Parses the file at `filePath` with `format` into a new KeyRecordingSink. */
export async function parseKeys(
  format: FeedFormat,
  filePath: string,
  options: Record<string, unknown> = {},
  policy: IndicatorPolicyConfig = {},
): Promise<KeyRecordingSink> {
  const sink = new KeyRecordingSink(policy);
  await format.parse({ feedId: FEED_ID, source: new FileFeedSource(FEED_ID, filePath), options, sink });
  return sink;
}
