import { describe, test, expect } from 'vitest';
import fc from 'fast-check';
import {
  DIGEST_BYTES,
  KeyTag,
  decodeHexInto,
  hashTypeOfDigestLength,
  keyToHex,
  normalizeHash,
  normalizeHashInto,
  type HashType,
} from '../../src/indicators/hash.js';
import { VerdictError, formatMessage, type ErrorCode } from '../../src/errors.js';

// Digests of the empty input, so each expected value can be checked with any md5sum/sha1sum/sha256sum.
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const BOM = '\ufeff';
const NBSP = '\u00a0';

interface ValidCase {
  readonly name: string;
  readonly input: string;
  readonly type: HashType;
  readonly hex: string;
  readonly tag: number;
}

interface InvalidCase {
  readonly name: string;
  readonly input: string;
  readonly code: ErrorCode;
  readonly message: string;
}

const validCases: ValidCase[] = [
  { name: 'md5 lower case', input: MD5, type: 'md5', hex: MD5, tag: 1 },
  { name: 'md5 upper case', input: 'D41D8CD98F00B204E9800998ECF8427E', type: 'md5', hex: MD5, tag: 1 },
  { name: 'md5 mixed case', input: 'D41d8Cd98F00b204E9800998eCf8427E', type: 'md5', hex: MD5, tag: 1 },
  { name: 'sha1 lower case', input: SHA1, type: 'sha1', hex: SHA1, tag: 2 },
  { name: 'sha1 upper case', input: 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', type: 'sha1', hex: SHA1, tag: 2 },
  { name: 'sha1 mixed case', input: 'Da39a3EE5e6B4b0D3255bfeF95601890aFd80709', type: 'sha1', hex: SHA1, tag: 2 },
  { name: 'sha256 lower case', input: SHA256, type: 'sha256', hex: SHA256, tag: 3 },
  {
    name: 'sha256 upper case',
    input: 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
    type: 'sha256',
    hex: SHA256,
    tag: 3,
  },
  {
    name: 'sha256 mixed case',
    input: 'e3B0c44298Fc1C149aFbF4c8996fB92427Ae41E4649b934Ca495991B7852b855',
    type: 'sha256',
    hex: SHA256,
    tag: 3,
  },
  { name: 'md5 only digits', input: '01234567890123456789012345678901', type: 'md5', hex: '01234567890123456789012345678901', tag: 1 },
  {
    name: 'sha1 all F upper',
    input: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF',
    type: 'sha1',
    hex: 'ffffffffffffffffffffffffffffffffffffffff',
    tag: 2,
  },
  { name: 'sha256 spaces around', input: `   ${SHA256}  `, type: 'sha256', hex: SHA256, tag: 3 },
  { name: 'md5 tabs around', input: `\t${MD5}\t\t`, type: 'md5', hex: MD5, tag: 1 },
  { name: 'sha1 trailing CR', input: `${SHA1}\r`, type: 'sha1', hex: SHA1, tag: 2 },
  { name: 'md5 trailing LF', input: `${MD5}\n`, type: 'md5', hex: MD5, tag: 1 },
  { name: 'sha256 trailing CRLF', input: `${SHA256}\r\n`, type: 'sha256', hex: SHA256, tag: 3 },
  { name: 'sha1 leading CRLF', input: `\r\n${SHA1}`, type: 'sha1', hex: SHA1, tag: 2 },
  { name: 'sha256 after BOM', input: `${BOM}${SHA256}`, type: 'sha256', hex: SHA256, tag: 3 },
  { name: 'md5 BOM space CRLF', input: `${BOM} ${MD5}\r\n`, type: 'md5', hex: MD5, tag: 1 },
  { name: 'sha1 upper after BOM', input: `${BOM}DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n`, type: 'sha1', hex: SHA1, tag: 2 },
];

const lengthMessageTail = 'characters; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits';

const invalidCases: InvalidCase[] = [
  // Empty after trimming.
  { name: 'empty string', input: '', code: 'VERDICT_ERR_ITEM_EMPTY', message: 'Item is empty' },
  { name: 'only white space', input: ' \t\r\n  ', code: 'VERDICT_ERR_ITEM_EMPTY', message: 'Item is empty' },
  { name: 'only BOM', input: BOM, code: 'VERDICT_ERR_ITEM_EMPTY', message: 'Item is empty' },

  // 0x prefixes.
  {
    name: '0x prefix sha256',
    input: `0x${SHA256}`,
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    message: 'Hash starts with a 0x prefix; send the hex digits alone',
  },
  {
    name: '0X prefix md5',
    input: `0X${MD5}`,
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    message: 'Hash starts with a 0x prefix; send the hex digits alone',
  },
  {
    name: '0x prefix 62 digits',
    input: `0x${SHA256.slice(2)}`,
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    message: 'Hash starts with a 0x prefix; send the hex digits alone',
  },
  {
    name: '0x prefix after spaces',
    input: `  0x${SHA1}\r\n`,
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    message: 'Hash starts with a 0x prefix; send the hex digits alone',
  },
  {
    name: '0x alone',
    input: '0x',
    code: 'VERDICT_ERR_ITEM_HEX_PREFIX',
    message: 'Hash starts with a 0x prefix; send the hex digits alone',
  },

  // Hex digits, but no supported length.
  { name: 'length 1', input: 'a', code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 1 ${lengthMessageTail}` },
  { name: 'length 31', input: MD5.slice(0, 31), code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 31 ${lengthMessageTail}` },
  { name: 'length 33', input: `${MD5}0`, code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 33 ${lengthMessageTail}` },
  { name: 'length 39', input: SHA1.slice(0, 39), code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 39 ${lengthMessageTail}` },
  { name: 'length 41', input: `${SHA1}a`, code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 41 ${lengthMessageTail}` },
  { name: 'length 63', input: SHA256.slice(0, 63), code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 63 ${lengthMessageTail}` },
  { name: 'length 65', input: `${SHA256}F`, code: 'VERDICT_ERR_ITEM_BAD_LENGTH', message: `Hash has 65 ${lengthMessageTail}` },
  {
    name: 'length 128',
    input: `${SHA256}${SHA256}`,
    code: 'VERDICT_ERR_ITEM_BAD_LENGTH',
    message: `Hash has 128 ${lengthMessageTail}`,
  },
  {
    name: 'length 31 after trimming',
    input: ` ${MD5.slice(0, 31)}\r\n`,
    code: 'VERDICT_ERR_ITEM_BAD_LENGTH',
    message: `Hash has 31 ${lengthMessageTail}`,
  },

  // Non-hex ASCII.
  {
    name: 'g at position 64',
    input: `${SHA256.slice(0, 63)}g`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "g" (U+0067) at position 64',
  },
  {
    name: 'z at position 1',
    input: `z${MD5.slice(1)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "z" (U+007A) at position 1',
  },
  {
    name: 'hyphen in UUID',
    input: '550e8400-e29b-41d4-a716-446655440000',
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "-" (U+002D) at position 9',
  },
  {
    name: 'space inside md5',
    input: `${MD5.slice(0, 16)} ${MD5.slice(16)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character " " (U+0020) at position 17',
  },
  {
    name: 'tab inside md5',
    input: `${MD5.slice(0, 16)}\t${MD5.slice(16)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\\t" (U+0009) at position 17',
  },
  {
    name: 'position counts after trim',
    input: `\t  g${MD5.slice(1)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "g" (U+0067) at position 1',
  },
  {
    name: 'non-hex before bad length',
    input: 'xyz',
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "x" (U+0078) at position 1',
  },
  {
    name: 'form feed not trimmed',
    input: `\f${MD5}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\\f" (U+000C) at position 1',
  },
  {
    name: 'vertical tab not trimmed',
    input: `${MD5}\v`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\\u000b" (U+000B) at position 33',
  },
  {
    name: 'trailing NUL',
    input: `${SHA1}\u0000`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\\u0000" (U+0000) at position 41',
  },

  // Unicode digits and letters that are not ASCII hex.
  {
    name: 'full-width digits',
    input: '０１２３４５６７８９０１２３４５６７８９０１２３４５６７８９０１',
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "０" (U+FF10) at position 1',
  },
  {
    name: 'full-width seven at end',
    input: `${MD5.slice(0, 31)}７`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "７" (U+FF17) at position 32',
  },
  {
    name: 'full-width letter a',
    input: `ａ${SHA1.slice(1)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "ａ" (U+FF41) at position 1',
  },
  {
    name: 'Arabic-Indic digits',
    input: '٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠١',
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "٠" (U+0660) at position 1',
  },
  {
    name: 'Arabic-Indic nine inside',
    input: `${SHA256.slice(0, 10)}٩${SHA256.slice(11)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "٩" (U+0669) at position 11',
  },
  {
    name: 'precomposed e acute',
    input: `${MD5.slice(0, 16)}é${MD5.slice(17)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "é" (U+00E9) at position 17',
  },
  {
    name: 'combining acute accent',
    input: `${MD5.slice(0, 17)}\u0301${MD5.slice(17)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\u0301" (U+0301) at position 18',
  },
  {
    name: 'emoji before md5',
    input: `😀${MD5}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "😀" (U+1F600) at position 1',
  },
  {
    name: 'emoji inside sha256',
    input: `${SHA256.slice(0, 31)}😀${SHA256.slice(33)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "😀" (U+1F600) at position 32',
  },
  {
    name: 'lone high surrogate',
    input: `${MD5}\ud83d`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: 'Hash contains the non-hex character "\\ud83d" (U+D83D) at position 33',
  },
  {
    name: 'NBSP before sha1',
    input: `${NBSP}${SHA1}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: `Hash contains the non-hex character "${NBSP}" (U+00A0) at position 1`,
  },
  {
    name: 'NBSP after sha1',
    input: `${SHA1}${NBSP}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: `Hash contains the non-hex character "${NBSP}" (U+00A0) at position 41`,
  },
  {
    name: 'NBSP inside spaces',
    input: ` ${NBSP}${MD5}${NBSP} `,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: `Hash contains the non-hex character "${NBSP}" (U+00A0) at position 1`,
  },
  {
    name: 'BOM inside md5',
    input: `${MD5.slice(0, 16)}${BOM}${MD5.slice(16)}`,
    code: 'VERDICT_ERR_ITEM_NOT_HEX',
    message: `Hash contains the non-hex character "${BOM}" (U+FEFF) at position 17`,
  },
];

/** Runs normalizeHash and returns what it threw, failing the test when it returns normally. */
function thrownBy(input: string): VerdictError {
  try {
    normalizeHash(input);
  } catch (error) {
    if (error instanceof VerdictError) return error;
    throw error;
  }
  throw new Error(`normalizeHash(${JSON.stringify(input)}) did not throw`);
}

describe('normalizeHash', () => {
  test('table has 40+ cases', () => {
    expect(validCases.length + invalidCases.length).toBeGreaterThanOrEqual(40);
  });

  test.each(validCases)('valid: $name', ({ input, type, hex, tag }) => {
    const result = normalizeHash(input);
    expect(result.type).toBe(type);
    expect(keyToHex(result.key)).toBe(hex);
    expect(result.key[0]).toBe(tag);
    expect(result.key.length).toBe(1 + DIGEST_BYTES[type]);
  });

  test.each(invalidCases)('invalid: $name', ({ input, code, message }) => {
    const error = thrownBy(input);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.status).toBe(400);
  });
});

describe('normalizeHashInto', () => {
  test.each(validCases)('valid: $name', ({ input, type, hex, tag }) => {
    // A dirty scratch buffer: every byte of the key must be written.
    const out = Buffer.alloc(33, 0xaa);
    const result = normalizeHashInto(input, out);
    expect(result).toBe(type);
    expect(out[0]).toBe(tag);
    expect(keyToHex(out.subarray(0, 1 + DIGEST_BYTES[type]))).toBe(hex);
  });

  test.each(invalidCases)('invalid: $name', ({ input, code, message }) => {
    const out = Buffer.alloc(33);
    const result = normalizeHashInto(input, out);
    if (typeof result === 'string') throw new Error(`expected a problem, got type ${result}`);
    expect(result.code).toBe(code);
    expect(formatMessage(result.code, result.params)).toBe(message);
  });
});

describe('KeyTag', () => {
  test('tags of the hash types', () => {
    expect(KeyTag.md5).toBe(1);
    expect(KeyTag.sha1).toBe(2);
    expect(KeyTag.sha256).toBe(3);
  });
});

/** Encodes `bytes` as hex, writing character i in upper case where `upper[i]` is true. */
function hexInCase(bytes: Uint8Array, upper: readonly boolean[]): string {
  const lower = Buffer.from(bytes).toString('hex');
  let hex = '';
  for (let i = 0; i < lower.length; i++) hex += upper[i] ? lower[i]!.toUpperCase() : lower[i]!;
  return hex;
}

const digestArbitrary = fc.constantFrom(16, 20, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
const caseArbitrary = fc.array(fc.boolean(), { minLength: 64, maxLength: 64 });

describe('decodeHexInto', () => {
  test('matches Buffer.from hex', () => {
    fc.assert(
      fc.property(digestArbitrary, caseArbitrary, fc.integer({ min: 0, max: 4 }), (bytes, upper, offset) => {
        const hex = hexInCase(bytes, upper);
        const out = new Uint8Array(offset + bytes.length + 4).fill(0xaa);

        expect(decodeHexInto(hex, out, offset)).toBe(true);
        expect(Buffer.from(out.subarray(offset, offset + bytes.length))).toEqual(Buffer.from(hex, 'hex'));
        // Bytes before and after the digest are left alone.
        expect(Array.from(out.subarray(0, offset))).toEqual(new Array<number>(offset).fill(0xaa));
        expect(Array.from(out.subarray(offset + bytes.length))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
      }),
      { numRuns: 500 },
    );
  });

  test('normalizeHash round trip', () => {
    fc.assert(
      fc.property(digestArbitrary, caseArbitrary, (bytes, upper) => {
        const hex = hexInCase(bytes, upper);
        const result = normalizeHash(hex);
        expect(result.type).toBe(hashTypeOfDigestLength(bytes.length));
        expect(keyToHex(result.key)).toBe(hex.toLowerCase());
        expect(Buffer.from(result.key.subarray(1))).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  test.each([
    { name: 'g as high nibble', hex: 'g0' },
    { name: 'g as low nibble', hex: '0g' },
    { name: 'colon after 9', hex: '0:' },
    { name: 'at sign before A', hex: '@0' },
    { name: 'backtick before a', hex: '`0' },
    { name: 'e acute', hex: '0\u00e9' },
    { name: 'code unit above 0xff', hex: '\u01000' },
    { name: 'full-width zero', hex: '\uff100' },
    { name: 'bad digit in 2nd byte', hex: 'ffzz' },
  ])('rejects $name', ({ hex }) => {
    const out = new Uint8Array(4);
    expect(decodeHexInto(hex, out, 0)).toBe(false);
  });
});

describe('hashTypeOfDigestLength', () => {
  test.each([
    { length: 16, type: 'md5' },
    { length: 20, type: 'sha1' },
    { length: 32, type: 'sha256' },
    { length: 0, type: undefined },
    { length: 1, type: undefined },
    { length: 15, type: undefined },
    { length: 17, type: undefined },
    { length: 21, type: undefined },
    { length: 31, type: undefined },
    { length: 33, type: undefined },
    { length: 64, type: undefined },
  ])('length $length is $type', ({ length, type }) => {
    expect(hashTypeOfDigestLength(length)).toBe(type);
  });
});
