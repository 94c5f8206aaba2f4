import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { winbindexFormat } from '../../src/feeds/formats/winbindex.js';
import { corpusFile, makeTempDir, parseFile } from './helpers.js';

const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA1_ABC = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

// Expected numbers come from Python, run in the corpus folder:
//   d = json.load(open('clean/winbindex_user32.dll.json'))
describe('winbindex on user32.dll', () => {
  const file = corpusFile('clean/winbindex_user32.dll.json');

  test('record counts per type', async () => {
    const sink = await parseFile(winbindexFormat, file);
    // len(d); [v['fileInfo']['md5'] for v in d.values() if v.get('fileInfo', {}).get('md5')], likewise sha1
    expect(sink.countByType()).toEqual({ md5: 583, sha1: 454, sha256: 637 });
    // len(set(...)) of the same lists: no duplicates
    expect(sink.uniqueByType()).toEqual({ md5: 583, sha1: 454, sha256: 637 });
    expect(sink.duplicateCount()).toBe(0);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test('attribute coverage', async () => {
    const sink = await parseFile(winbindexFormat, file);
    const sha256 = sink.added.filter((record) => record.type === 'sha256');
    // sum(1 for v in d.values() if 'fileInfo' not in v)
    expect(sha256.filter((record) => record.attributes?.['size'] === undefined)).toHaveLength(54);
    // sum(1 for v in d.values() if any(kb != 'BASE' for kbs in v['windowsVersions'].values() for kb in kbs))
    expect(sha256.filter((record) => record.attributes?.['updates'] !== undefined)).toHaveLength(619);
    // sum(1 for v in d.values() if v.get('fileInfo', {}).get('signingStatus') is not None)
    expect(sha256.filter((record) => record.attributes?.['signingStatus'] !== undefined)).toHaveLength(454);
    // sum(1 for v in d.values() if v.get('fileInfo', {}).get('signingDate') is not None)
    expect(sha256.filter((record) => record.attributes?.['signingDate'] !== undefined)).toHaveLength(429);
    // every update's assembly attributes, or BASE source paths, name user32.dll
    expect(sha256.every((record) => record.attributes?.['fileName'] === 'user32.dll')).toBe(true);
  });

  test('entry with fileInfo', async () => {
    const sink = await parseFile(winbindexFormat, file);
    // d['0086623a...']: the second entry
    const expected = {
      fileName: 'user32.dll',
      version: '10.0.14393.3322 (rs1_release.191021-1909)',
      size: 1461096,
      description: 'Multi-User Windows USER API Client DLL',
      machineType: 34404,
      signingStatus: 'Signed',
      signatureType: 'Overlay',
      signingDate: ['2019-10-22T03:12:00'],
      windowsVersions: ['1607'],
      updates: ['KB4525236'],
    };
    expect(sink.recordsOf('0086623a00d18146f2b375a3dbc8e760c13cdd21296508a5d688651f786e9632')[0]?.attributes).toEqual(expected);
    expect(sink.recordsOf('45b611d8ea9480b39a8a02610e8d49bb')[0]).toMatchObject({ type: 'md5', attributes: expected });
    expect(sink.recordsOf('a400f5ae1da529bdeb80ab5939aad7319e4d0968')[0]).toMatchObject({ type: 'sha1', attributes: expected });
  });

  test('entry without fileInfo', async () => {
    const sink = await parseFile(winbindexFormat, file);
    // d['001332a2...']: the first entry, with only windowsVersions
    expect(sink.recordsOf('001332a26b444afcd5852bfcc5113d01fb0012dd4264ad5d053e736f84db0564')).toEqual([
      {
        type: 'sha256',
        hex: '001332a26b444afcd5852bfcc5113d01fb0012dd4264ad5d053e736f84db0564',
        attributes: { fileName: 'user32.dll', windowsVersions: ['1703'], updates: ['KB4530711'] },
        list: undefined,
      },
    ]);
  });

  test('entry from an installation image only', async () => {
    const sink = await parseFile(winbindexFormat, file);
    // d['337e812d...']['windowsVersions'] == {'1511': {'BASE': {'sourcePaths': ['Windows\\System32\\user32.dll'], ...}}}
    const attributes = sink.recordsOf('337e812d765706cd8f75da94651db6a25813e80fca84e9d2ae9fd8adfe0b44ff')[0]?.attributes;
    expect(attributes?.['fileName']).toBe('user32.dll');
    expect(attributes?.['windowsVersions']).toEqual(['1511']);
    expect(attributes?.['updates']).toBeUndefined();
  });

  test('fileName option', async () => {
    const sink = await parseFile(winbindexFormat, file, { fileName: 'USER32.DLL' });
    expect(sink.added.every((record) => record.attributes?.['fileName'] === 'USER32.DLL')).toBe(true);
  });
});

describe('winbindex on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('bad keys and hashes', async () => {
    const document = {
      [SHA256_ABC.toUpperCase()]: { fileInfo: { md5: MD5_ABC, sha1: 'not-a-sha1', size: 3 }, windowsVersions: {} },
      [MD5_ABC]: { windowsVersions: {} },
      'not-a-hash': { fileInfo: { md5: MD5_ABC }, windowsVersions: {} },
      [`${SHA256_ABC.slice(0, 63)}0`]: null,
      [`${SHA256_ABC.slice(0, 63)}1`]: { fileInfo: { md5: SHA1_ABC, sha1: SHA1_ABC } },
    };
    const sink = await parseFile(winbindexFormat, temp.file('data.json', JSON.stringify(document, null, 2)));

    expect(sink.countByType()).toEqual({ md5: 1, sha1: 1, sha256: 2 });
    expect(sink.badSamples).toEqual([
      { line: 1, reason: 'non-hex-character', content: 'fileInfo.sha1: not-a-sha1' },
      { line: 2, reason: 'hash-type-mismatch', content: MD5_ABC },
      { line: 3, reason: 'non-hex-character', content: 'not-a-hash' },
      { line: 4, reason: 'winbindex-entry-not-object', content: `${SHA256_ABC.slice(0, 63)}0: null` },
      { line: 5, reason: 'hash-type-mismatch', content: `fileInfo.md5: ${SHA1_ABC}` },
    ]);
    expect(sink.recordsOf(SHA256_ABC)[0]?.attributes).toEqual({ size: 3 });
  });

  test.each([
    { name: 'truncated', text: `{"${SHA256_ABC}": {"windowsVersions": {}}, "b": `, message: 'Parser has expected a value' },
    { name: 'top-level array', text: '[1, 2]', message: 'Top-level object should be an object.' },
    { name: 'trailing text', text: '{} trailing', message: 'Parser cannot parse input: unexpected characters' },
    { name: 'empty', text: '', message: 'Parser has expected a value' },
  ])('invalid JSON: $name', async ({ text, message }) => {
    const path = temp.file('broken.json', text);
    const promise = parseFile(winbindexFormat, path);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(`Feed test-feed: ${path} is not a Winbindex JSON object: ${message}`);
  });
});
