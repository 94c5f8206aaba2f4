import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nsrlRds2Format } from '../../src/feeds/formats/nsrl-rds2.js';
import { makeTempDir, parseFile } from './helpers.js';

function digest(algorithm: 'md5' | 'sha1' | 'sha256', content: string): string {
  return createHash(algorithm).update(content).digest('hex');
}

/** Upper-case hex, as NSRLFile.txt writes its hashes. */
function upper(algorithm: 'md5' | 'sha1' | 'sha256', content: string): string {
  return digest(algorithm, content).toUpperCase();
}

const HEADER = '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"';

// Rows in the RDS 2.x layout: quoted text, unquoted numbers, CRLF line ends.
const ROWS = [
  `"${upper('sha1', 'a')}","${upper('md5', 'a')}","E8B7BE43","a.txt",1,1234,"358",""`,
  // The same file in another product: a duplicate key with other attributes.
  `"${upper('sha1', 'a')}","${upper('md5', 'a')}","E8B7BE43","a.txt",1,5678,"WIN","M"`,
  `"${upper('sha1', 'b')}","${upper('md5', 'b')}","71BEEFF9","say ""b"", twice.txt",1,1234,"358",""`,
  // A broken SHA-1: the MD5 of the row is still added.
  `"NOT-A-SHA1","${upper('md5', 'c')}","06B9DF6F","c.txt",1,1234,"358",""`,
  // Too few fields.
  `"${upper('sha1', 'd')}","${upper('md5', 'd')}","00000000"`,
  // A size that is not a number is left out.
  `"${upper('sha1', 'e')}","${upper('md5', 'e')}","00000000","e.txt","",1234,"358",""`,
];

describe('nsrl-rds2', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('NSRLFile.txt rows', async () => {
    const path = temp.file('NSRLFile.txt', [HEADER, ...ROWS, ''].join('\r\n'));
    const sink = await parseFile(nsrlRds2Format, path);

    // SHA-1: rows 1, 2, 3 and 6 (row 4 is invalid, row 5 has too few fields).
    // MD5: rows 1, 2, 3, 4 and 6.
    expect(sink.countByType()).toEqual({ md5: 5, sha1: 4, sha256: 0 });
    expect(sink.uniqueByType()).toEqual({ md5: 4, sha1: 3, sha256: 0 });
    expect(sink.badSamples).toEqual([
      { line: 5, reason: 'non-hex-character', content: 'SHA-1: NOT-A-SHA1' },
      { line: 6, reason: 'csv-field-count', content: ROWS[4] },
    ]);
    expect(sink.filteredTotal).toBe(0);

    expect(sink.recordsOf(digest('sha1', 'a')).map((record) => record.attributes)).toEqual([
      { fileName: 'a.txt', size: 1, productCode: '1234', opSystemCode: '358' },
      { fileName: 'a.txt', size: 1, productCode: '5678', opSystemCode: 'WIN', specialCode: 'M' },
    ]);
    expect(sink.recordsOf(digest('md5', 'b'))[0]?.attributes).toEqual({
      fileName: 'say "b", twice.txt',
      size: 1,
      productCode: '1234',
      opSystemCode: '358',
    });
    expect(sink.recordsOf(digest('md5', 'e'))[0]?.attributes).toEqual({ fileName: 'e.txt', productCode: '1234', opSystemCode: '358' });
  });

  test('SHA-256 column read when present', async () => {
    const header = '"SHA-256","SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"';
    const row = `"${upper('sha256', 'a')}","${upper('sha1', 'a')}","${upper('md5', 'a')}","E8B7BE43","a.txt",1,1234,"358",""`;
    const sink = await parseFile(nsrlRds2Format, temp.file('NSRLFile.txt', `${header}\n${row}\n`));
    expect(sink.countByType()).toEqual({ md5: 1, sha1: 1, sha256: 1 });
    expect(sink.recordsOf(digest('sha256', 'a'))[0]?.attributes).toEqual({ fileName: 'a.txt', size: 1, productCode: '1234', opSystemCode: '358' });
  });

  test.each([
    { hashTypes: ['sha1'], expected: { md5: 0, sha1: 4, sha256: 0 } },
    { hashTypes: ['md5'], expected: { md5: 5, sha1: 0, sha256: 0 } },
    { hashTypes: ['sha256', 'md5'], expected: { md5: 5, sha1: 0, sha256: 0 } },
  ])('hashTypes $hashTypes', async ({ hashTypes, expected }) => {
    const sink = await parseFile(nsrlRds2Format, temp.file('NSRLFile.txt', [HEADER, ...ROWS].join('\r\n')), { hashTypes });
    expect(sink.countByType()).toEqual(expected);
    expect(sink.filteredTotal).toBe(0);
  });

  test('hashTypes with no matching column', async () => {
    const path = temp.file('NSRLFile.txt', [HEADER, ...ROWS].join('\r\n'));
    await expect(parseFile(nsrlRds2Format, path, { hashTypes: ['sha256'] })).rejects.toThrow(
      `Feed test-feed: ${path}: no column for the hash types sha256 chosen by the hashTypes option; the header has columns "SHA-1", "MD5", "CRC32", "FileName", "FileSize", "ProductCode", "OpSystemCode", "SpecialCode"`,
    );
  });

  test('SHA-1 in the MD5 column', async () => {
    const row = `"${upper('sha1', 'a')}","${upper('sha1', 'b')}","E8B7BE43","a.txt",1,1234,"358",""`;
    const sink = await parseFile(nsrlRds2Format, temp.file('NSRLFile.txt', `${HEADER}\n${row}\n`));
    expect(sink.countByType()).toEqual({ md5: 0, sha1: 1, sha256: 0 });
    expect(sink.badSamples).toEqual([{ line: 2, reason: 'hash-type-mismatch', content: `MD5: ${upper('sha1', 'b')}` }]);
  });

  test('header without SHA-1 and MD5', async () => {
    const path = temp.file('NSRLProd.txt', '"ProductCode","ProductName","ProductVersion"\n1,"x","1.0"\n');
    const promise = parseFile(nsrlRds2Format, path);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(
      `Feed test-feed: ${path}: columns "SHA-1", "MD5" not found in the header; an NSRL RDS 2 NSRLFile.txt starts with "SHA-1","MD5","CRC32","FileName",...; the header has columns "ProductCode", "ProductName", "ProductVersion"`,
    );
  });
});
