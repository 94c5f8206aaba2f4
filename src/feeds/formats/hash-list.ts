/**
 * `hash-list`: one hash per line, its type given by its length (32, 40 or 64 hex digits). Lines
 * starting with `#` or `;` and blank lines are skipped. Text after the hash, separated by white
 * space, `;` or `,`, becomes the `description` attribute; signature-base's `HASH;SCORE;COMMENT`
 * lines also give a numeric `score`.
 *
 * This is the format of the largest plain feeds, so it scans bytes instead of decoding lines to
 * strings: a bare hash line costs one pass over its bytes and no allocation.
 */
import { NIBBLE, KeyTag, hashTypeOfHexLength } from '../../indicators/hash.js';
import { reasonOfHashError } from '../../build/partition.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import { normalizeHashInto } from '../../indicators/hash.js';

const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const HASH_SIGN = 0x23;

const TOKEN_LENGTHS = [64, 40, 32] as const;
/** Maximum line length read. A longer line (no hash list has one) is a bad line, skipped without buffering it. */
const MAX_LINE_BYTES = 1 << 20;

/** Decodes ASCII hex bytes [start, end) into key[1..]; false when any byte is not a hex digit. */
function decodeHex(bytes: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  for (let i = start, o = 1; i < end; i += 2, o++) {
    const high = NIBBLE[bytes[i]!]!;
    const low = NIBBLE[bytes[i + 1]!]!;
    if ((high | low) < 0) return false;
    key[o] = (high << 4) | low;
  }
  return true;
}

function isSeparator(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === SEMICOLON || byte === COMMA;
}

export const hashListFormat: FeedFormat = {
  name: 'hash-list',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      descriptionAttribute: {
        type: 'string',
        minLength: 1,
        description: 'Attribute name for the text after the hash (default "description").',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    const descriptionName = (context.options['descriptionAttribute'] as string | undefined) ?? 'description';
    const key = new Uint8Array(33);
    const decoder = new TextDecoder('utf-8');
    let lineNumber = 0;
    let carry: Buffer | undefined;
    let skipping = false;

    const handleLine = (bytes: Buffer, start: number, end: number): void => {
      lineNumber++;
      if (end > start && bytes[end - 1] === CR) end--;
      while (start < end && (bytes[start] === SPACE || bytes[start] === TAB)) start++;
      if (start === end) return;
      const first = bytes[start];
      if (first === HASH_SIGN || first === SEMICOLON) return;

      // Fast path: a 64, 40 or 32 character token of ASCII hex digits, ended by the line end or a
      // separator; anything else takes the slow path, which finds the token and names the problem.
      let length = 0;
      for (const candidate of TOKEN_LENGTHS) {
        const after = start + candidate;
        if (after <= end && (after === end || isSeparator(bytes[after]!)) && decodeHex(bytes, start, after, key)) {
          length = candidate;
          break;
        }
      }
      const tokenEnd = start + length;
      if (length === 0) {
        let slowEnd = start;
        while (slowEnd < end && !isSeparator(bytes[slowEnd]!)) slowEnd++;
        const token = decoder.decode(bytes.subarray(start, slowEnd));
        const result = normalizeHashInto(token, key);
        const reason = typeof result === 'string' ? 'invalid-hash' : reasonOfHashError(result.code);
        sink.bad(reason, lineNumber, decoder.decode(bytes.subarray(start, end)));
        return;
      }
      key[0] = KeyTag[hashTypeOfHexLength(length)!];

      let restStart = tokenEnd;
      while (restStart < end && isSeparator(bytes[restStart]!)) restStart++;
      let attributes: Attributes | undefined;
      if (restStart < end) {
        let rest = decoder.decode(bytes.subarray(restStart, end)).trimEnd();
        attributes = {};
        const scored = /^(\d{1,3});(.*)$/s.exec(rest);
        if (scored && bytes[tokenEnd] === SEMICOLON) {
          attributes['score'] = Number(scored[1]);
          rest = scored[2]!.trim();
        }
        if (rest.length > 0) attributes[descriptionName] = rest;
      }
      sink.add(key, 1 + length / 2, attributes);
    };

    for await (const chunk of context.source.openText()) {
      let bytes = chunk as Buffer;
      let start = 0;
      if (skipping) {
        // The rest of an overlong line, already reported: drop it up to its newline.
        const end = bytes.indexOf(NEWLINE);
        if (end === -1) continue;
        skipping = false;
        start = end + 1;
        lineNumber++;
      } else if (carry !== undefined) {
        bytes = Buffer.concat([carry, bytes]);
        carry = undefined;
      }
      let newline = bytes.indexOf(NEWLINE, start);
      while (newline !== -1) {
        handleLine(bytes, start, newline);
        start = newline + 1;
        newline = bytes.indexOf(NEWLINE, start);
      }
      if (start < bytes.length) carry = Buffer.from(bytes.subarray(start));
      if (carry !== undefined && carry.length > MAX_LINE_BYTES) {
        sink.bad('line-too-long', lineNumber + 1, decoder.decode(carry.subarray(0, 200)), `line is longer than ${MAX_LINE_BYTES} bytes`);
        carry = undefined;
        skipping = true;
      }
    }
    if (carry !== undefined && carry.length > 0) handleLine(carry, 0, carry.length);
  },
};
