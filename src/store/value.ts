/**
 * The LMDB value of a record. An empty value means "the feed's list, no flags, no attributes";
 * the bare hash lists that make up most keys store nothing. Otherwise:
 *
 *   byte 0   list: 0 feed default, 1 allow, 2 deny (a per-record override from a list rule)
 *   byte 1   flags: bit 0 domain entry matches the exact name, bit 1 it matches subdomains,
 *            bit 2 an entry text follows, bit 3 first/last-seen times follow
 *   [u32 first seen, u32 last seen]   when bit 3 is set: seconds since 1970 (UTC), big-endian;
 *            delta feeds keep them per record to merge files and expire old records
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
  hasSeen: 8,
} as const;

const SEEN_BYTES = 8;

function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Offset of the entry text's length field: after the header and the seen times when present. */
function textOffset(value: Uint8Array): number {
  return 2 + ((value[1]! & ValueFlag.hasSeen) !== 0 ? SEEN_BYTES : 0);
}

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
  const at = textOffset(value);
  const length = (value[at]! << 8) | value[at + 1]!;
  if (length !== text.length) return false;
  for (let i = 0; i < length; i++) if (value[at + 2 + i] !== (text.charCodeAt(i) & 0xff)) return false;
  return true;
}

/** Returns the entry text of a value (ASCII), or undefined when it has none. */
export function valueText(value: Uint8Array): string | undefined {
  if ((valueFlags(value) & ValueFlag.hasText) === 0) return undefined;
  const at = textOffset(value);
  const length = (value[at]! << 8) | value[at + 1]!;
  return String.fromCharCode(...value.subarray(at + 2, at + 2 + length));
}

/** Decodes the attributes map, or undefined when the value has none. */
export function valueAttributes(value: Uint8Array): Attributes | undefined {
  if (value.length <= 2) return undefined;
  let at = textOffset(value);
  if ((value[1]! & ValueFlag.hasText) !== 0) at += 2 + ((value[at]! << 8) | value[at + 1]!);
  if (at >= value.length) return undefined;
  return valuePacker.unpack(value.subarray(at)) as Attributes;
}

/** First and last seen times in seconds since 1970, or undefined when the value carries none. */
export function valueSeen(value: Uint8Array): { first: number; last: number } | undefined {
  if (value.length < 2 + SEEN_BYTES || (value[1]! & ValueFlag.hasSeen) === 0) return undefined;
  return { first: readUint32(value, 2), last: readUint32(value, 6) };
}

/** Returns a copy of `value` carrying the given seen times (replacing any it had). */
export function withSeen(value: Uint8Array | undefined, first: number, last: number): Uint8Array {
  const source = value === undefined || value.length === 0 ? new Uint8Array([ListCode.feedDefault, 0]) : value;
  const had = (source[1]! & ValueFlag.hasSeen) !== 0;
  const rest = source.subarray(2 + (had ? SEEN_BYTES : 0));
  const out = new Uint8Array(2 + SEEN_BYTES + rest.length);
  out[0] = source[0]!;
  out[1] = source[1]! | ValueFlag.hasSeen;
  writeUint32(out, 2, first);
  writeUint32(out, 6, last);
  out.set(rest, 2 + SEEN_BYTES);
  return out;
}

/** Returns a copy of `value` with `flags` OR-ed into its flag byte (duplicate domain entries merge modes). */
export function withFlags(value: Uint8Array, flags: number): Uint8Array {
  if (value.length === 0) return new Uint8Array([ListCode.feedDefault, flags]);
  const out = Uint8Array.from(value);
  out[1] = out[1]! | flags;
  return out;
}
