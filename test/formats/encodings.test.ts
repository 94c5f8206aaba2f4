import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { FeedFormat } from '../../src/build/types.js';
import { checksumsFormat } from '../../src/feeds/formats/checksums.js';
import { csvFormat } from '../../src/feeds/formats/csv.js';
import { hashListFormat } from '../../src/feeds/formats/hash-list.js';
import { nsrlRds2Format } from '../../src/feeds/formats/nsrl-rds2.js';
import { winbindexFormat } from '../../src/feeds/formats/winbindex.js';
import { makeTempDir, parseFile, utf16le, utf8WithBom, type AddedRecord } from './helpers.js';

const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA1_ABC = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

interface FormatCase {
  readonly format: FeedFormat;
  readonly options: Record<string, unknown>;
  /** The source with LF line ends; the encodings below are made from it. */
  readonly text: string;
  readonly expected: AddedRecord[];
}

// Each sample has a non-ASCII name so that decoding mistakes show in the attributes.
const FORMATS: Record<string, FormatCase> = {
  'hash-list': {
    format: hashListFormat,
    options: {},
    text: `# comment\n${MD5_ABC} café\n${SHA1_ABC}\n`,
    expected: [
      { type: 'md5', hex: MD5_ABC, attributes: { description: 'café' }, list: undefined },
      { type: 'sha1', hex: SHA1_ABC, attributes: undefined, list: undefined },
    ],
  },
  checksums: {
    format: checksumsFormat,
    options: {},
    text: `${SHA256_ABC}  café.txt\n${MD5_ABC} *b.txt\n`,
    expected: [
      { type: 'sha256', hex: SHA256_ABC, attributes: { fileName: 'café.txt' }, list: undefined },
      { type: 'md5', hex: MD5_ABC, attributes: { fileName: 'b.txt' }, list: undefined },
    ],
  },
  csv: {
    format: csvFormat,
    options: { columns: { hashes: 'auto' }, attributes: { name: 'fileName' } },
    text: `name,hashes\ncafé,"${MD5_ABC}\n${SHA1_ABC}"\n`,
    expected: [
      { type: 'md5', hex: MD5_ABC, attributes: { fileName: 'café' }, list: undefined },
      { type: 'sha1', hex: SHA1_ABC, attributes: { fileName: 'café' }, list: undefined },
    ],
  },
  'nsrl-rds2': {
    format: nsrlRds2Format,
    options: {},
    text: `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\n"${SHA1_ABC.toUpperCase()}","${MD5_ABC.toUpperCase()}","352441C2","café.txt",3,1,"358",""\n`,
    expected: [
      { type: 'md5', hex: MD5_ABC, attributes: { fileName: 'café.txt', size: 3, productCode: '1', opSystemCode: '358' }, list: undefined },
      { type: 'sha1', hex: SHA1_ABC, attributes: { fileName: 'café.txt', size: 3, productCode: '1', opSystemCode: '358' }, list: undefined },
    ],
  },
  winbindex: {
    format: winbindexFormat,
    options: {},
    text: `${JSON.stringify({ [SHA256_ABC]: { fileInfo: { md5: MD5_ABC, description: 'café' }, windowsVersions: { '1607': { KB1: {} } } } }, null, 2)}\n`,
    expected: [
      { type: 'sha256', hex: SHA256_ABC, attributes: { description: 'café', windowsVersions: ['1607'], updates: ['KB1'] }, list: undefined },
      { type: 'md5', hex: MD5_ABC, attributes: { description: 'café', windowsVersions: ['1607'], updates: ['KB1'] }, list: undefined },
    ],
  },
};

const ENCODINGS: Record<string, (text: string) => Buffer> = {
  'UTF-8, LF': (text) => Buffer.from(text, 'utf8'),
  'UTF-8, CRLF': (text) => Buffer.from(text.replaceAll('\n', '\r\n'), 'utf8'),
  'UTF-8 with BOM, CRLF': (text) => utf8WithBom(text.replaceAll('\n', '\r\n')),
  'UTF-16LE with BOM': (text) => utf16le(text, true),
  'UTF-16BE with BOM': (text) => utf16le(text, true).swap16(),
};

const CASES = Object.keys(FORMATS).flatMap((format) => Object.keys(ENCODINGS).map((encoding) => ({ format, encoding })));

describe('source encodings', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each(CASES)('$format in $encoding', async ({ format, encoding }) => {
    const { format: parser, options, text, expected } = FORMATS[format]!;
    const sink = await parseFile(parser, temp.file('source', ENCODINGS[encoding]!(text)), options);
    expect(sink.added).toEqual(expected);
    expect(sink.badTotal).toBe(0);
  });

  test.each(Object.keys(FORMATS))('%s in UTF-16 without BOM', async (format) => {
    const { format: parser, options, text } = FORMATS[format]!;
    const bytes = utf16le(text, false);
    const path = temp.file('source', bytes);
    // The sniffed sample is the whole file here, because every sample is shorter than 4096 bytes.
    const nulBytes = bytes.filter((byte) => byte === 0).length;
    const promise = parseFile(parser, path, options);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_ENCODING' });
    await expect(promise).rejects.toThrow(
      `Feed test-feed: ${path} looks like UTF-16 without a byte order mark (${nulBytes} NUL bytes in the first ${bytes.length}); convert it to UTF-8 or save it with a BOM`,
    );
  });
});
