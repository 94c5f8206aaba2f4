/**
 * A sink for the tests of IP, domain and URL formats: a real ShardPartitioner, with a real
 * IndicatorPolicy, that also keeps each stored record in readable form. The RecordingSink of
 * helpers.ts records only hashes, because the policy hands IP, domain and URL keys to addRecord.
 */
import { ShardPartitioner } from '../../src/build/partition.js';
import { IndicatorPolicy, type IndicatorPolicyConfig } from '../../src/build/indicator-policy.js';
import type { Attributes, FeedFormat, ListKind } from '../../src/build/types.js';
import { FileFeedSource } from '../../src/feeds/input.js';
import { formatNetwork } from '../../src/indicators/ip.js';
import { keyTypeOfTag, type KeyType } from '../../src/indicators/keys.js';
import { ValueFlag, valueAttributes, valueFlags, valueList } from '../../src/store/value.js';
import { FEED_ID } from './helpers.js';

export interface StoredRecord {
  readonly type: KeyType;
  /** Key bytes in hex, tag included: what makes two records the same key. */
  readonly key: string;
  /** The entry as text: the canonical domain or URL expression, the network of an IP key, the hex of a hash. */
  readonly text: string;
  /** Domain match mode from the value's flags, for domain records. */
  readonly mode?: 'exact' | 'subdomains' | 'both';
  readonly attributes: Attributes | undefined;
  readonly list: ListKind | undefined;
}

function textOfValue(value: Uint8Array | undefined): string | undefined {
  if (value === undefined || (valueFlags(value) & ValueFlag.hasText) === 0) return undefined;
  const length = (value[2]! << 8) | value[3]!;
  return Buffer.from(value.subarray(4, 4 + length)).toString('latin1');
}

function modeOfFlags(flags: number): StoredRecord['mode'] {
  const exact = (flags & ValueFlag.domainExact) !== 0;
  const subdomains = (flags & ValueFlag.domainSubdomains) !== 0;
  if (exact && subdomains) return 'both';
  return exact ? 'exact' : 'subdomains';
}

function ipText(key: Uint8Array, type: 'ipv4' | 'ipv6'): string {
  const bytes = Uint8Array.from(key.subarray(2, type === 'ipv4' ? 6 : 18));
  return formatNetwork({ family: type === 'ipv4' ? 4 : 6, prefix: key[1]!, bytes });
}

export class IndicatorSink extends ShardPartitioner {
  readonly stored: StoredRecord[] = [];

  constructor(policy: IndicatorPolicyConfig = {}) {
    super(4, 0, new IndicatorPolicy(policy));
  }

  override addRecord(key: Uint8Array, keyLength: number, value: Uint8Array | undefined): void {
    const bytes = key.subarray(0, keyLength);
    const type = keyTypeOfTag(bytes[0]!);
    if (type === undefined) throw new Error(`key with unknown tag ${bytes[0]}`);
    const hex = Buffer.from(bytes).toString('hex');
    const text = type === 'ipv4' || type === 'ipv6' ? ipText(bytes, type) : (textOfValue(value) ?? hex.slice(2));
    const record: StoredRecord = {
      type,
      key: hex,
      text,
      ...(type === 'domain' && value !== undefined ? { mode: modeOfFlags(valueFlags(value)) } : {}),
      attributes: value === undefined ? undefined : valueAttributes(value),
      list: value === undefined ? undefined : valueList(value),
    };
    this.stored.push(record);
    super.addRecord(key, keyLength, value);
  }

  /** Records stored per key type, duplicates included; types without records are left out. */
  countByType(): Partial<Record<KeyType, number>> {
    const counts: Partial<Record<KeyType, number>> = {};
    for (const record of this.stored) counts[record.type] = (counts[record.type] ?? 0) + 1;
    return counts;
  }

  /** Distinct keys per key type. */
  distinctByType(): Partial<Record<KeyType, number>> {
    const keys: Partial<Record<KeyType, Set<string>>> = {};
    for (const record of this.stored) (keys[record.type] ??= new Set()).add(record.key);
    return Object.fromEntries(Object.entries(keys).map(([type, set]) => [type, set.size]));
  }

  /** Returns the records whose text is `text`, in the order they were stored. */
  recordsOf(text: string): StoredRecord[] {
    return this.stored.filter((record) => record.text === text);
  }
}

/** Parses `filePath` with `format` into a new IndicatorSink built with `policy`. */
export async function parseIndicators(
  format: FeedFormat,
  filePath: string,
  options: Record<string, unknown> = {},
  policy: IndicatorPolicyConfig = {},
): Promise<IndicatorSink> {
  const sink = new IndicatorSink(policy);
  await format.parse({ feedId: FEED_ID, source: new FileFeedSource(FEED_ID, filePath), options, sink });
  return sink;
}
