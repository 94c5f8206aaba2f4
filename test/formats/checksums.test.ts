import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { checksumsFormat, parseChecksumLine, unescapeGnuPath, type HashdeepColumn } from '../../src/feeds/formats/checksums.js';
import { makeTempDir, parseFile } from './helpers.js';

// Digests of the three bytes "abc" (the FIPS 180 and RFC 1321 test vectors).
const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA1_ABC = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

// Output of GNU coreutils 9.1 `sha256sum *` and `sha256sum --tag *` over four files: "abc" in
// plain.txt, "x" in a file named "new<LF>line.txt", "y" in "back\slash.txt", "z" in "a, b (1).txt".
const GNU_OUTPUT = [
  '594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06  a, b (1).txt',
  '\\a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa  back\\\\slash.txt',
  '\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  new\\nline.txt',
  'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  plain.txt',
  'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad *plain.txt',
].join('\n');
const TAG_OUTPUT = [
  'SHA256 (a, b (1).txt) = 594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06',
  '\\SHA256 (back\\\\slash.txt) = a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa',
  '\\SHA256 (new\\nline.txt) = 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
  'SHA256 (plain.txt) = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  // `md5sum --tag plain.txt`, `sha1sum --tag plain.txt` and OpenSSL 3 `openssl dgst -sha256 plain.txt`.
  'MD5 (plain.txt) = 900150983cd24fb0d6963f7d28e17f72',
  'SHA1 (plain.txt) = a9993e364706816aba3e25717850c26c9cd0d89d',
  'SHA2-256(plain.txt)= ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
].join('\n');

const HASHDEEP_COLUMNS: HashdeepColumn[] = ['size', 'md5', 'sha256', 'filename'];

describe('parseChecksumLine', () => {
  test.each([
    { name: 'empty', line: '', expected: { kind: 'skip' } },
    { name: 'blank', line: '   ', expected: { kind: 'skip' } },
    { name: 'comment', line: '# made by sha256sum', expected: { kind: 'skip' } },
    { name: 'GNU text mode', line: `${SHA256_ABC}  dir/plain.txt`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: 'dir/plain.txt' } },
    { name: 'GNU binary mode', line: `${SHA256_ABC} *plain.txt`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: 'plain.txt' } },
    { name: 'single space (md5 -r)', line: `${MD5_ABC} plain.txt`, expected: { kind: 'entry', hashes: [{ type: 'md5', hex: MD5_ABC }], path: 'plain.txt' } },
    { name: 'upper case with CR', line: `${SHA1_ABC.toUpperCase()}  UPPER.TXT\r`, expected: { kind: 'entry', hashes: [{ type: 'sha1', hex: SHA1_ABC }], path: 'UPPER.TXT' } },
    { name: 'hash without path', line: SHA256_ABC, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }] } },
    { name: 'path starting with spaces', line: `${SHA256_ABC}   two leading spaces kept`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: ' two leading spaces kept' } },
    { name: 'GNU escaped path', line: `\\${SHA256_ABC}  a\\\\b\\nc\\rd`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: 'a\\b\nc\rd' } },
    { name: 'unknown escape', line: `\\${SHA256_ABC}  bad\\tescape`, expected: { kind: 'bad', reason: 'invalid-path-escape' } },
    { name: 'short hash', line: `${SHA256_ABC.slice(1)}  short.txt`, expected: { kind: 'bad', reason: 'bad-hash-length' } },
    { name: 'non-hex hash', line: `${SHA256_ABC.slice(1)}g  nonhex.txt`, expected: { kind: 'bad', reason: 'non-hex-character' } },
    { name: 'garbage', line: 'garbage line', expected: { kind: 'bad', reason: 'non-hex-character' } },
    { name: 'tag with parentheses in path', line: `SHA256 (p (1).txt) = ${SHA256_ABC}`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: 'p (1).txt' } },
    { name: 'tag SHA-256', line: `SHA-256 (p) = ${SHA256_ABC}`, expected: { kind: 'entry', hashes: [{ type: 'sha256', hex: SHA256_ABC }], path: 'p' } },
    { name: 'tag SHA-1', line: `SHA-1 (p) = ${SHA1_ABC}`, expected: { kind: 'entry', hashes: [{ type: 'sha1', hex: SHA1_ABC }], path: 'p' } },
    { name: 'tag md5 lower case', line: `md5 (p) = ${MD5_ABC.toUpperCase()}`, expected: { kind: 'entry', hashes: [{ type: 'md5', hex: MD5_ABC }], path: 'p' } },
    { name: 'tag type mismatch', line: `SHA256 (p) = ${SHA1_ABC}`, expected: { kind: 'bad', reason: 'hash-type-mismatch' } },
    { name: 'tag SHA512', line: `SHA512 (p) = ${SHA256_ABC}${SHA256_ABC}`, expected: { kind: 'bad', reason: 'unsupported-hash-algorithm' } },
    { name: 'tag without hash', line: `SHA256 (p) = `, expected: { kind: 'bad', reason: 'empty-hash' } },
    { name: 'hashdeep start', line: '%%%% HASHDEEP-1.0', expected: { kind: 'hashdeep-start' } },
    { name: 'hashdeep columns', line: '%%%% size,md5,sha1,sha256,tiger,whirlpool,filename', expected: { kind: 'hashdeep-columns', columns: ['size', 'md5', 'sha1', 'sha256', 'other', 'other', 'filename'] } },
    { name: 'hashdeep filename not last', line: '%%%% size,filename,md5', expected: { kind: 'bad', reason: 'hashdeep-bad-column-line' } },
    { name: 'hashdeep comment', line: '## Invoked from: /home/user', expected: { kind: 'skip' } },
  ])('$name', ({ line, expected }) => {
    expect(parseChecksumLine(line)).toEqual(expected);
  });

  test.each([
    { name: 'row', line: `3,${MD5_ABC},${SHA256_ABC},/data/plain.txt`, expected: { kind: 'entry', hashes: [{ type: 'md5', hex: MD5_ABC }, { type: 'sha256', hex: SHA256_ABC }], path: '/data/plain.txt', size: 3 } },
    { name: 'row with comma in name', line: `3,${MD5_ABC},${SHA256_ABC},/data/a, b.txt`, expected: { kind: 'entry', hashes: [{ type: 'md5', hex: MD5_ABC }, { type: 'sha256', hex: SHA256_ABC }], path: '/data/a, b.txt', size: 3 } },
    { name: 'row missing a field', line: `3,${MD5_ABC},${SHA256_ABC}`, expected: { kind: 'bad', reason: 'hashdeep-field-count' } },
    { name: 'row with bad size', line: `three,${MD5_ABC},${SHA256_ABC},x`, expected: { kind: 'bad', reason: 'hashdeep-bad-size' } },
    { name: 'row with SHA-1 in md5 column', line: `3,${SHA1_ABC},${SHA256_ABC},x`, expected: { kind: 'bad', reason: 'hash-type-mismatch' } },
    { name: 'row with short sha256', line: `3,${MD5_ABC},${SHA256_ABC.slice(2)},x`, expected: { kind: 'bad', reason: 'bad-hash-length' } },
  ])('hashdeep $name', ({ line, expected }) => {
    expect(parseChecksumLine(line, HASHDEEP_COLUMNS)).toEqual(expected);
  });

  test.each([
    { escaped: 'plain', expected: 'plain' },
    { escaped: 'a\\\\b', expected: 'a\\b' },
    { escaped: 'a\\nb\\r', expected: 'a\nb\r' },
    { escaped: 'trailing\\', expected: undefined },
    { escaped: 'tab\\t', expected: undefined },
  ])('unescapeGnuPath $escaped', ({ escaped, expected }) => {
    expect(unescapeGnuPath(escaped)).toBe(expected);
  });
});

describe('checksums format', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('GNU sha256sum output', async () => {
    const sink = await parseFile(checksumsFormat, temp.file('SHA256SUMS', `${GNU_OUTPUT}\n`));
    expect(sink.countByType()).toEqual({ md5: 0, sha1: 0, sha256: 5 });
    // plain.txt is listed twice, in text and in binary mode.
    expect(sink.uniqueByType()).toEqual({ md5: 0, sha1: 0, sha256: 4 });
    expect(sink.badTotal).toBe(0);
    expect(sink.added.map((record) => record.attributes?.['fileName'])).toEqual([
      'a, b (1).txt',
      'back\\slash.txt',
      'new\nline.txt',
      'plain.txt',
      'plain.txt',
    ]);
  });

  test('BSD tag output', async () => {
    const sink = await parseFile(checksumsFormat, temp.file('CHECKSUMS', TAG_OUTPUT));
    expect(sink.countByType()).toEqual({ md5: 1, sha1: 1, sha256: 5 });
    expect(sink.uniqueByType()).toEqual({ md5: 1, sha1: 1, sha256: 4 });
    expect(sink.badTotal).toBe(0);
    expect(sink.recordsOf(MD5_ABC)[0]?.attributes).toEqual({ fileName: 'plain.txt' });
    expect(sink.recordsOf('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881')[0]?.attributes).toEqual({
      fileName: 'new\nline.txt',
    });
  });

  test('hashdeep file with tiger and whirlpool columns', async () => {
    const tiger = 'a'.repeat(48);
    const whirlpool = 'b'.repeat(128);
    const text = [
      '%%%% HASHDEEP-1.0',
      '%%%% size,md5,sha1,sha256,tiger,whirlpool,filename',
      '## Invoked from: /home/user',
      '## $ hashdeep -c md5,sha1,sha256,tiger,whirlpool -r data',
      '##',
      `3,${MD5_ABC},${SHA1_ABC},${SHA256_ABC},${tiger},${whirlpool},/home/user/data/plain.txt`,
      `1,${MD5_ABC},${SHA1_ABC},${SHA256_ABC},${tiger},${whirlpool},/home/user/data/a, b.txt`,
      `x,${MD5_ABC},${SHA1_ABC},${SHA256_ABC},${tiger},${whirlpool},/home/user/data/bad-size`,
      `3,${MD5_ABC},${SHA1_ABC}`,
      '',
    ].join('\n');
    const sink = await parseFile(checksumsFormat, temp.file('hashdeep.txt', text));

    expect(sink.countByType()).toEqual({ md5: 2, sha1: 2, sha256: 2 });
    expect(sink.badByReason).toEqual({ 'hashdeep-bad-size': 1, 'hashdeep-field-count': 1 });
    expect(sink.badSamples.map((sample) => sample.line)).toEqual([8, 9]);
    expect(sink.filteredTotal).toBe(0);
    expect(sink.recordsOf(SHA1_ABC).map((record) => record.attributes)).toEqual([
      { fileName: '/home/user/data/plain.txt', size: 3 },
      { fileName: '/home/user/data/a, b.txt', size: 1 },
    ]);
  });

  test('hashdeep rows without a stored hash type are filtered', async () => {
    const text = ['%%%% HASHDEEP-1.0', '%%%% size,tiger,filename', `3,${'a'.repeat(48)},x.txt`].join('\n');
    const sink = await parseFile(checksumsFormat, temp.file('tiger-only.txt', text));
    expect(sink.records).toBe(0);
    expect(sink.filteredByReason).toEqual({ 'no-hash': 1 });
  });

  test('a second hashdeep header replaces the columns', async () => {
    const text = [
      '%%%% HASHDEEP-1.0',
      '%%%% size,md5,filename',
      `3,${MD5_ABC},one.txt`,
      '%%%% HASHDEEP-1.0',
      '%%%% size,sha1,filename',
      `3,${SHA1_ABC},two.txt`,
    ].join('\n');
    const sink = await parseFile(checksumsFormat, temp.file('two-headers.txt', text));
    expect(sink.countByType()).toEqual({ md5: 1, sha1: 1, sha256: 0 });
    expect(sink.badTotal).toBe(0);
  });

  test('bad lines are counted and parsing goes on', async () => {
    const text = [
      `${SHA256_ABC}  good-1`,
      'not a checksum line',
      `${SHA256_ABC.slice(0, 60)}  truncated`,
      `0x${MD5_ABC}  prefixed`,
      `BLAKE2b (file) = ${'c'.repeat(128)}`,
      `SHA1 (file) = ${MD5_ABC}`,
      `${MD5_ABC}  good-2`,
    ].join('\r\n');
    const sink = await parseFile(checksumsFormat, temp.file('mixed.txt', text));
    expect(sink.countByType()).toEqual({ md5: 1, sha1: 0, sha256: 1 });
    expect(sink.badByReason).toEqual({
      'non-hex-character': 1,
      'hex-prefix': 1,
      'unsupported-hash-algorithm': 1,
      'hash-type-mismatch': 1,
      'bad-hash-length': 1,
    });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason])).toEqual([
      [2, 'non-hex-character'],
      [3, 'bad-hash-length'],
      [4, 'hex-prefix'],
      [5, 'unsupported-hash-algorithm'],
      [6, 'hash-type-mismatch'],
    ]);
    expect(sink.badSamples[0]?.content).toBe('not a checksum line');
  });
});
