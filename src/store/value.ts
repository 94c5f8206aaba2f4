/**
 * The LMDB value of a record. An empty value means "the feed's list, no flags, no attributes";
 * the bare hash lists that make up most keys store nothing. Otherwise:
 *
 *   byte 0   list: 0 feed default, 1 allow, 2 deny (a per-record override from a list rule)
 *   byte 1   flags: bit 0 domain entry matches the exact name, bit 1 it matches subdomains,
 *            bit 2 an entry text follows
 *   [u16 big-endian length + ASCII entry text]   when bit 2 is set: the canonical domain or URL
 *            expression the key digests, compared on lookup so a digest collision never matches
 *   [MessagePack map]   the attributes, when any bytes remain
 */
import { Packr } from 'msgpackr';
import { ListCode, type Attributes, type ListKind } from '../build/types.js';

/** Plain MessagePack maps (no msgpackr record extension), so any MessagePack decoder reads the values. */
export const valuePacker = new Packr({ useRecords: false, variableMapSize: true });

export const ValueFlag = {
  domainExact: 1,
  domainSubdomains: 2,
  hasText: 4,
} as const;

const LIST_BY_CODE: readonly (ListKind | undefined)[] = [undefined, 'allow', 'deny'];

export interface RecordValue {
  readonly list?: ListKind;
  readonly flags?: number;
  /** ASCII entry text (canonical domain or URL expression). */
  readonly text?: string;
  readonly attributes?: Attributes;
}

/** Encodes a record value; returns an empty buffer when there is nothing to store. */
export function encodeValue(value: RecordValue): Uint8Array {
  const flags = (value.flags ?? 0) | (value.text !== undefined ? ValueFlag.hasText : 0);
  if (value.list === undefined && flags === 0 && value.attributes === undefined) return EMPTY;
  const attributes = value.attributes === undefined ? undefined : valuePacker.pack(value.attributes);
  const textLength = value.text === undefined ? 0 : 2 + value.text.length;
  const out = new Uint8Array(2 + textLength + (attributes?.length ?? 0));
  out[0] = value.list === undefined ? ListCode.feedDefault : ListCode[value.list];
  out[1] = flags;
  let at = 2;
  if (value.text !== undefined) {
    out[at++] = value.text.length >>> 8;
    out[at++] = value.text.length & 0xff;
    for (let i = 0; i < value.text.length; i++) out[at++] = value.text.charCodeAt(i) & 0xff;
  }
  if (attributes !== undefined) out.set(attributes, at);
  return out;
}

const EMPTY = new Uint8Array(0);

export function valueList(value: Uint8Array): ListKind | undefined {
  return value.length === 0 ? undefined : LIST_BY_CODE[value[0]!];
}

export function valueFlags(value: Uint8Array): number {
  return value.length < 2 ? 0 : value[1]!;
}

/** True when the value's entry text equals `text` (ASCII), compared without decoding. */
export function valueTextEquals(value: Uint8Array, text: string): boolean {
  if ((valueFlags(value) & ValueFlag.hasText) === 0) return false;
  const length = (value[2]! << 8) | value[3]!;
  if (length !== text.length) return false;
  for (let i = 0; i < length; i++) if (value[4 + i] !== (text.charCodeAt(i) & 0xff)) return false;
  return true;
}

/** Decodes the attributes map, or undefined when the value has none. */
export function valueAttributes(value: Uint8Array): Attributes | undefined {
  if (value.length <= 2) return undefined;
  let at = 2;
  if ((value[1]! & ValueFlag.hasText) !== 0) at += 2 + ((value[2]! << 8) | value[3]!);
  if (at >= value.length) return undefined;
  return valuePacker.unpack(value.subarray(at)) as Attributes;
}

/** A copy of `value` with `flags` OR-ed into its flag byte (duplicate domain entries merge modes). */
export function withFlags(value: Uint8Array, flags: number): Uint8Array {
  if (value.length === 0) return new Uint8Array([ListCode.feedDefault, flags]);
  const out = Uint8Array.from(value);
  out[1] = out[1]! | flags;
  return out;
}
