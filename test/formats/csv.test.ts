import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { csvFormat } from '../../src/feeds/formats/csv.js';
import { MAX_RECORD_BYTES } from '../../src/feeds/formats/csv-records.js';
import { corpusFile, makeTempDir, parseFile } from './helpers.js';

const MD5_ABC = '900150983cd24fb0d6963f7d28e17f72';
const SHA1_ABC = 'a9993e364706816aba3e25717850c26c9cd0d89d';
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';

const LOLDRIVERS_HASH_COLUMNS = {
  KnownVulnerableSamples_MD5: 'md5',
  KnownVulnerableSamples_SHA1: 'sha1',
  KnownVulnerableSamples_SHA256: 'sha256',
};

// The expected numbers below come from Python's csv module, run in the corpus folder:
//   rows = list(csv.DictReader(open('hashes/loldrivers_drivers.csv', newline='')))
//   pieces of a cell: [p for p in re.split(r'[,;\s]+', cell) if p]
// counting the pieces per column (all have their column's length and are hex), the distinct
// lower-cased pieces, and the rows whose three hash cells have no piece at all.
describe('csv on LOLDrivers drivers.csv', () => {
  const file = corpusFile('hashes/loldrivers_drivers.csv');

  test('typed hash columns and attributes', async () => {
    const sink = await parseFile(csvFormat, file, {
      columns: LOLDRIVERS_HASH_COLUMNS,
      attributes: { Id: 'loldriversId', Category: 'category', Tags: 'tags', Verified: 'verified' },
    });
    // sum(len(pieces(row[c])) for row in rows) per column
    expect(sink.countByType()).toEqual({ md5: 2109, sha1: 2126, sha256: 2108 });
    // len({p.lower() for row in rows for p in pieces(row[c])}) per column
    expect(sink.uniqueByType()).toEqual({ md5: 2005, sha1: 2022, sha256: 2004 });
    // records minus distinct keys: (2109 - 2005) + (2126 - 2022) + (2108 - 2004)
    expect(sink.duplicateCount()).toBe(312);
    // sum(1 for row in rows if not any(pieces(row[c]) for c in the three columns))
    expect(sink.filteredByReason).toEqual({ 'no-hash': 54 });
    expect(sink.badTotal).toBe(0);

    // The first data row (line 2): Id 2a6a38ca-..., Category "vulnerable driver", Tags "nvflash.sys".
    expect(sink.recordsOf('ba86e444ae837476e7ccdd06f8867795')[0]).toEqual({
      type: 'md5',
      hex: 'ba86e444ae837476e7ccdd06f8867795',
      attributes: {
        loldriversId: '2a6a38ca-f2e6-456e-9ccf-db59d8c80c9e',
        category: 'vulnerable driver',
        tags: 'nvflash.sys',
        verified: 'TRUE',
      },
      list: undefined,
    });
  });

  test('list rule on Verified, case-insensitive', async () => {
    const sink = await parseFile(csvFormat, file, {
      columns: LOLDRIVERS_HASH_COLUMNS,
      listRule: { column: 'Verified', values: { true: 'deny', FALSE: 'skip' }, otherwise: 'skip' },
    });
    // collections.Counter(row['Verified'] for row in rows) -> TRUE 583, True 1, FALSE 77
    expect(sink.filteredByReason).toEqual({ 'list-rule': 77 });
    // the same piece counts over rows with row['Verified'].strip().lower() == 'true'
    expect(sink.countByType()).toEqual({ md5: 2090, sha1: 2098, sha256: 2089 });
    expect(sink.uniqueByType()).toEqual({ md5: 1986, sha1: 1994, sha256: 1985 });
    // (2090 - 1986) + (2098 - 1994) + (2089 - 1985)
    expect(sink.duplicateCount()).toBe(312);
    expect(sink.badTotal).toBe(0);
    expect(sink.added.every((record) => record.list === 'deny')).toBe(true);
  });

  test('auto-typed Authentihash columns', async () => {
    const sink = await parseFile(csvFormat, file, {
      columns: {
        KnownVulnerableSamples_Authentihash_MD5: 'auto',
        KnownVulnerableSamples_Authentihash_SHA1: 'auto',
        KnownVulnerableSamples_Authentihash_SHA256: 'auto',
      },
    });
    // pieces of the three Authentihash columns counted by length (32, 40, 64)
    expect(sink.countByType()).toEqual({ md5: 2093, sha1: 2177, sha256: 2171 });
    expect(sink.uniqueByType()).toEqual({ md5: 1710, sha1: 1747, sha256: 1742 });
    // (2093 - 1710) + (2177 - 1747) + (2171 - 1742)
    expect(sink.duplicateCount()).toBe(1242);
    expect(sink.filteredByReason).toEqual({ 'no-hash': 10 });
    expect(sink.badTotal).toBe(0);
    expect(sink.added.every((record) => record.attributes === undefined)).toBe(true);
  });

  test('missing column names the header', async () => {
    const promise = parseFile(csvFormat, file, { columns: { SHA256: 'sha256', KnownVulnerableSamples_MD5: 'md5' } });
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(
      `Feed test-feed: ${file}: column "SHA256" not found in the header; the header has columns "Id", "Author", "Created", "Command", "Description", "Usecase", "Category", "Privileges", "MitreID", "OperatingSystem", "Resources", "Driver Description", "Person", "Handle", "Detection", "KnownVulnerableSamples_MD5", "KnownVulnerableSamples_SHA1", "KnownVulnerableSamples_SHA256", "KnownVulnerableSamples_Publisher", "KnownVulnerableSamples_Date", "KnownVulnerableSamples_Company", "KnownVulnerableSamples_Description", "KnownVulnerableSamples_Authentihash_MD5", "KnownVulnerableSamples_Authentihash_SHA1", "KnownVulnerableSamples_Authentihash_SHA256", "Verified", "Tags"`,
    );
  });
});

describe('csv on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('several hashes in a cell', async () => {
    const text = ['name,hashes', `"a","${MD5_ABC}; ${SHA1_ABC}\t${SHA256_ABC.toUpperCase()}"`, `b,"${MD5_EMPTY},,;  "`, 'c,", , , "', 'd,'].join('\n');
    const sink = await parseFile(csvFormat, temp.file('multi.csv', text), { columns: { hashes: 'auto' }, attributes: { name: 'fileName' } });
    expect(sink.countByType()).toEqual({ md5: 2, sha1: 1, sha256: 1 });
    expect(sink.recordsOf(SHA256_ABC)[0]?.attributes).toEqual({ fileName: 'a' });
    expect(sink.filteredByReason).toEqual({ 'no-hash': 2 });
    expect(sink.badTotal).toBe(0);
  });

  test('attributes trimmed, empty ones omitted', async () => {
    const text = ['md5,product,vendor', `${MD5_ABC},"  Product One  ",`, `${MD5_EMPTY},   ,"Vendor"`].join('\n');
    const sink = await parseFile(csvFormat, temp.file('attributes.csv', text), {
      columns: { md5: 'md5' },
      attributes: { product: 'product', vendor: 'vendor' },
    });
    expect(sink.recordsOf(MD5_ABC)[0]?.attributes).toEqual({ product: 'Product One' });
    expect(sink.recordsOf(MD5_EMPTY)[0]?.attributes).toEqual({ vendor: 'Vendor' });
  });

  test('list rule allow, deny, skip and otherwise', async () => {
    const text = ['sha1,kind', `${SHA1_ABC}, Clean `, `${SHA1_ABC},MALWARE`, `${SHA1_ABC},test`, `${SHA1_ABC},unknown`, `${SHA1_ABC},`].join('\n');
    const sink = await parseFile(csvFormat, temp.file('rule.csv', text), {
      columns: { sha1: 'sha1' },
      listRule: { column: 'kind', values: { clean: 'allow', Malware: 'deny', TEST: 'skip' }, otherwise: 'deny' },
    });
    expect(sink.added.map((record) => record.list)).toEqual(['allow', 'deny', 'deny', 'deny']);
    expect(sink.filteredByReason).toEqual({ 'list-rule': 1 });
  });

  test('list rule values equal after normalization', async () => {
    const path = temp.file('rule.csv', `sha1,kind\n${SHA1_ABC},x\n`);
    const promise = parseFile(csvFormat, path, {
      columns: { sha1: 'sha1' },
      listRule: { column: 'kind', values: { Clean: 'allow', ' clean': 'deny' }, otherwise: 'skip' },
    });
    await expect(promise).rejects.toThrow(
      'Feed test-feed: listRule.values has "Clean" -> allow and " clean" -> deny, which are the same value compared trimmed and case-insensitively; keep one',
    );
  });

  test('missing and repeated columns in one message', async () => {
    const path = temp.file('columns.csv', `md5,name,name\n${MD5_ABC},a,b\n`);
    const promise = parseFile(csvFormat, path, {
      columns: { md5: 'md5', sha256: 'sha256' },
      attributes: { name: 'fileName', size: 'size' },
      listRule: { column: 'list', values: {}, otherwise: 'deny' },
    });
    await expect(promise).rejects.toThrow(
      `Feed test-feed: ${path}: columns "sha256", "size", "list" not found and column "name" named more than once in the header; the header has columns "md5", "name", "name"`,
    );
  });

  test('field count, type mismatch and bad hashes are bad lines', async () => {
    const text = [
      'md5;sha256;note',
      `${MD5_ABC};${SHA256_ABC};ok`,
      `${MD5_ABC};${SHA256_ABC}`,
      `${SHA1_ABC};;sha1 in the md5 column`,
      `"${MD5_ABC}";;"multi`,
      `line note"`,
      `${MD5_ABC}x;;non-hex`,
      `${MD5_ABC};${SHA256_ABC};ok;extra`,
      `${MD5_EMPTY};;ok`,
    ].join('\r\n');
    const sink = await parseFile(csvFormat, temp.file('bad.csv', text), { delimiter: ';', columns: { md5: 'md5', sha256: 'sha256' } });
    expect(sink.countByType()).toEqual({ md5: 3, sha1: 0, sha256: 1 });
    expect(sink.badByReason).toEqual({ 'csv-field-count': 2, 'hash-type-mismatch': 1, 'non-hex-character': 1 });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [3, 'csv-field-count', `${MD5_ABC};${SHA256_ABC}`],
      [4, 'hash-type-mismatch', `md5: ${SHA1_ABC}`],
      [7, 'non-hex-character', `md5: ${MD5_ABC}x`],
      [8, 'csv-field-count', `${MD5_ABC};${SHA256_ABC};ok;extra`],
    ]);
  });

  test('stray quotes stay in the field', async () => {
    const text = ['md5,name', `${MD5_ABC},"say "hi"" now"`, `${MD5_EMPTY},plain"quote`, `"${MD5_ABC}"x,after`].join('\n');
    const sink = await parseFile(csvFormat, temp.file('quotes.csv', text), { columns: { md5: 'md5' }, attributes: { name: 'fileName' } });
    // csv-parse keeps the opening quote too once the field turns out not to be properly quoted.
    expect(sink.added.map((record) => record.attributes?.['fileName'])).toEqual(['"say "hi"" now"', 'plain"quote']);
    expect(sink.badSamples).toEqual([{ line: 4, reason: 'non-hex-character', content: `md5: "${MD5_ABC}"x` }]);
  });

  test('unclosed quote at the end is a bad line', async () => {
    const text = ['md5,name', `${MD5_ABC},one`, `${MD5_EMPTY},"never closed`, 'more text'].join('\n');
    const sink = await parseFile(csvFormat, temp.file('unclosed.csv', text), { columns: { md5: 'md5' } });
    expect(sink.countByType()).toEqual({ md5: 1, sha1: 0, sha256: 0 });
    expect(sink.badSamples).toEqual([
      { line: 3, reason: 'csv-quote-not-closed', content: `${MD5_EMPTY},"never closed\nmore text` },
    ]);
  });

  test('unclosed quote after many records keeps input order', async () => {
    const rows = Array.from({ length: 5000 }, () => `${MD5_ABC},x`);
    rows[10] = `${MD5_ABC},x,extra`;
    const text = ['md5,name', ...rows, `${MD5_EMPTY},"never closed`, ''].join('\r\n');
    const sink = await parseFile(csvFormat, temp.file('late.csv', text), { columns: { md5: 'md5' } });
    expect(sink.countByType()).toEqual({ md5: 4999, sha1: 0, sha256: 0 });
    expect(sink.badSamples).toEqual([
      { line: 12, reason: 'csv-field-count', content: `${MD5_ABC},x,extra` },
      { line: 5002, reason: 'csv-quote-not-closed', content: `${MD5_EMPTY},"never closed` },
    ]);
  });

  test('unclosed quote in the header fails the parse', async () => {
    const path = temp.file('header.csv', `md5,"name\n${MD5_ABC},x\n`);
    await expect(parseFile(csvFormat, path, { columns: { md5: 'md5' } })).rejects.toThrow(
      `Feed test-feed: ${path}: the header row is not valid CSV: Quote Not Closed: the parsing is finished with an opening quote at line 2`,
    );
  });

  test('oversized record fails the parse', async () => {
    const path = temp.file('huge.csv', `md5,name\n${MD5_ABC},"${'a'.repeat(MAX_RECORD_BYTES + 10)}\n`);
    await expect(parseFile(csvFormat, path, { columns: { md5: 'md5' } })).rejects.toThrow(
      `Feed test-feed: ${path}: the record near line 2 is longer than 8388608 bytes, most likely because a quoted field is never closed; fix the quoting`,
    );
  });

  test('empty file fails the parse', async () => {
    const path = temp.file('empty.csv', '');
    await expect(parseFile(csvFormat, path, { columns: { md5: 'md5' } })).rejects.toThrow(
      `Feed test-feed: ${path} is empty; expected a CSV header row naming the columns`,
    );
  });

  test.each([
    { name: 'tab', delimiter: '\t' },
    { name: 'pipe', delimiter: '|' },
    { name: 'two characters', delimiter: '::' },
  ])('delimiter $name', async ({ delimiter }) => {
    const text = [`md5${delimiter}name`, `${MD5_ABC}${delimiter}"a${delimiter}b"`, ''].join('\n');
    const sink = await parseFile(csvFormat, temp.file('delimited.csv', text), { delimiter, columns: { md5: 'md5' }, attributes: { name: 'fileName' } });
    expect(sink.added).toEqual([{ type: 'md5', hex: MD5_ABC, attributes: { fileName: `a${delimiter}b` }, list: undefined }]);
  });
});
