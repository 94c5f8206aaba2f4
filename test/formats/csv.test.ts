import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { csvFormat, indicatorTypeOf } from '../../src/feeds/formats/csv.js';
import { MAX_RECORD_BYTES } from '../../src/feeds/formats/csv-records.js';
import { corpusFile, makeTempDir, parseFile } from './helpers.js';
import { parseIndicators } from './indicator-sink.js';

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

const MSTIC_TYPES = { sha256: 'sha256', DomainName: 'domain', ip: 'ip', URL: 'url' };

// The expected numbers below come from Python's csv module, run in the corpus folder:
//   rows = list(csv.DictReader(open('microsoft/mstic_RapidReleaseTI_Indicators.csv', newline='')))
//   types = collections.Counter(r['IoC_Type'].strip().lower() for r in rows)
//     -> domainname 168, sha256 57, filepath 4, ip 3, guid 2, commandline 2, url 1
// Row i of rows is on line i + 2: no field spans lines (238 lines, 237 rows and the header).
describe('csv on MSTIC RapidReleaseTI indicators', () => {
  const file = corpusFile('microsoft/mstic_RapidReleaseTI_Indicators.csv');
  const options = {
    typeColumn: { column: 'IoC_Type', valueColumn: 'IoC', types: MSTIC_TYPES },
    attributes: { ThreatType: 'threatType', ActivityGroupNames: 'activityGroup' },
    dateAttributes: { TimeGenerated: 'firstSeen', ExpirationDateTime: 'expiresAt' },
  };

  test('records per type', async () => {
    const sink = await parseIndicators(csvFormat, file, options);
    // types['sha256'], types['domainname'], types['ip'], types['url']
    expect(sink.countByType()).toEqual({ sha256: 57, domain: 168, ipv4: 3, url: 1 });
    // len({r['IoC'].strip().lower() for r in rows if r['IoC_Type'].strip().lower() == t}) per type
    expect(sink.distinctByType()).toEqual({ sha256: 56, domain: 167, ipv4: 3, url: 1 });
  });

  test('unsupported types filtered', async () => {
    const sink = await parseIndicators(csvFormat, file, options);
    // types['filepath'], types['guid'], types['commandline']
    expect(sink.filteredByReason).toEqual({ 'unsupported-type:filepath': 4, 'unsupported-type:guid': 2, 'unsupported-type:commandline': 2 });
    expect(sink.badTotal).toBe(0);
  });

  test('skip type', async () => {
    const sink = await parseIndicators(csvFormat, file, {
      typeColumn: { column: 'IoC_Type', valueColumn: 'IoC', types: { ...MSTIC_TYPES, FilePath: 'skip' } },
    });
    expect(sink.filteredByReason).toEqual({ 'skipped-type:filepath': 4, 'unsupported-type:guid': 2, 'unsupported-type:commandline': 2 });
  });

  test.each([
    {
      // line 2: the first row
      text: 'abca3253c003af67113f83df2242a7078d5224870b619489015e4fde060acad0',
      attributes: { threatType: 'Cryptocurrency Industry', activityGroup: 'Storm-0139', firstSeen: '2022-12-07', expiresAt: '2025-12-07' },
    },
    {
      // line 15, stored as its Safe Browsing expression
      text: 'od.lk/d/d021d412be456a6f78a0052a1f0e3557dcfa14bf25f9d0f1d0d2d7dcdac86c73/Background.png',
      attributes: { threatType: 'Cryptocurrency Industry', activityGroup: 'Storm-0139', firstSeen: '2022-12-07', expiresAt: '2023-03-07' },
    },
    {
      // line 17
      text: '198.54.115.248',
      attributes: { threatType: 'Cryptocurrency Industry', activityGroup: 'Storm-0139', firstSeen: '2022-12-07', expiresAt: '2023-01-07' },
    },
    {
      // line 206: TimeGenerated is 19/20/2022, the file's only date that does not exist
      text: 'goodsforuw.com',
      attributes: { threatType: 'Mobile Malware', activityGroup: 'Carmine Tsunami', firstSeenRaw: '19/20/2022', expiresAt: '2022-11-07' },
    },
  ])('attributes of $text', async ({ text, attributes }) => {
    const sink = await parseIndicators(csvFormat, file, options);
    expect(sink.recordsOf(text)[0]?.attributes).toEqual(attributes);
  });

  test('raw dates', async () => {
    const sink = await parseIndicators(csvFormat, file, options);
    // rows whose TimeGenerated fails datetime.strptime(v, '%m/%d/%Y'): only line 206; ExpirationDateTime: none
    expect(sink.stored.filter((record) => record.attributes?.['firstSeenRaw'] !== undefined)).toHaveLength(1);
    expect(sink.stored.filter((record) => record.attributes?.['expiresAtRaw'] !== undefined)).toHaveLength(0);
  });
});

describe('csv indicator columns on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test.each([
    { value: MD5_ABC, type: 'auto' },
    { value: SHA256_ABC.toUpperCase(), type: 'auto' },
    { value: '198.51.100.7', type: 'ip' },
    { value: '2001:db8::/32', type: 'ip' },
    { value: 'http://evil.example.com/a?b', type: 'url' },
    { value: 'evil.example.com/path', type: 'url' },
    { value: 'Evil.Example.COM', type: 'domain' },
    { value: `${MD5_ABC}0`, type: 'domain' },
  ])('indicator type of $value', ({ value, type }) => {
    expect(indicatorTypeOf(value)).toBe(type);
  });

  test('indicator column', async () => {
    const text = [
      'ioc,note',
      `${MD5_ABC},hash`,
      '31.41.59.26,ip',
      '31.41.59.0/24,range',
      'http://evil.example.com/a?b,url',
      'evil.example.net/x,url without scheme',
      ' Evil.Example.ORG ,domain',
      ',empty',
      'not a domain,bad',
    ].join('\r\n');
    const sink = await parseIndicators(csvFormat, temp.file('indicators.csv', text), { columns: { ioc: 'indicator' }, attributes: { note: 'note' } });
    expect(sink.stored.map((record) => [record.type, record.text, record.attributes?.['note']])).toEqual([
      ['md5', MD5_ABC, 'hash'],
      ['ipv4', '31.41.59.26', 'ip'],
      ['ipv4', '31.41.59.0/24', 'range'],
      ['url', 'evil.example.com/a?b', 'url'],
      ['url', 'evil.example.net/x', 'url without scheme'],
      ['domain', 'evil.example.org', 'domain'],
    ]);
    expect(sink.filteredByReason).toEqual({ 'no-indicator': 1 });
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([[9, 'invalid-character', 'ioc: not a domain']]);
  });

  test('ip, domain and url columns', async () => {
    const text = [
      'ips,domains,url',
      '"31.41.59.26, 27.18.28.18","a.example.com b.example.com;c.example.com","https://d.example.com/x,y;z"',
      '300.1.2.3,com,',
      '10.1.2.3,,ftp://',
    ].join('\n');
    const sink = await parseIndicators(csvFormat, temp.file('typed.csv', text), { columns: { ips: 'ip', domains: 'domain', url: 'url' } });
    // A URL cell is one value: "," and ";" stay in it.
    expect(sink.stored.map((record) => [record.type, record.text])).toEqual([
      ['ipv4', '31.41.59.26'],
      ['ipv4', '27.18.28.18'],
      ['domain', 'a.example.com'],
      ['domain', 'b.example.com'],
      ['domain', 'c.example.com'],
      ['url', 'd.example.com/x,y;z'],
    ]);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason, sample.content])).toEqual([
      [3, 'octet-out-of-range', 'ips: 300.1.2.3'],
      [3, 'public-suffix', 'domains: com'],
      [4, 'empty-host', 'url: ftp://'],
    ]);
    // 10.1.2.3 is private address space, which the default policy leaves out.
    expect(sink.filteredByReason).toEqual({ reserved: 1 });
  });

  test('type column with list rule and dates', async () => {
    const text = [
      'type,value,list,seen',
      'SHA1,' + SHA1_ABC + ',deny,2023-11-14T21:33:19Z',
      ' ip ,31.41.59.26,allow,11/14/2023',
      'Domain,evil.example.com,deny,',
      'domain,evil.example.net,test,11/14/2023',
      'mutex,Global\\abc,deny,11/14/2023',
      ',orphan,deny,',
      'url,,deny,',
      'md5,' + SHA1_ABC + ',deny,2/30/2023',
    ].join('\n');
    const sink = await parseIndicators(csvFormat, temp.file('typed.csv', text), {
      typeColumn: { column: 'type', valueColumn: 'value', types: { sha1: 'sha1', IP: 'ip', domain: 'domain', md5: 'md5' } },
      dateAttributes: { seen: 'firstSeen' },
      listRule: { column: 'list', values: { allow: 'allow', deny: 'deny' }, otherwise: 'skip' },
    });
    expect(sink.stored.map((record) => [record.type, record.text, record.list, record.attributes])).toEqual([
      ['sha1', SHA1_ABC, 'deny', { firstSeen: '2023-11-14' }],
      ['ipv4', '31.41.59.26', 'allow', { firstSeen: '2023-11-14' }],
      ['domain', 'evil.example.com', 'deny', undefined],
    ]);
    expect(sink.filteredByReason).toEqual({ 'list-rule': 1, 'unsupported-type:mutex': 1, 'unsupported-type:(empty)': 1, 'no-indicator': 1 });
    expect(sink.badSamples).toEqual([{ line: 9, reason: 'hash-type-mismatch', content: `value: ${SHA1_ABC}` }]);
  });

  test('number attributes parse values', async () => {
    const text = ['sha256,size', `${SHA256_ABC},604874`, `${MD5_ABC.padEnd(64, '0')},12.5e3`, `${SHA1_ABC.padEnd(64, '1')},big`].join('\n');
    const sink = await parseIndicators(csvFormat, temp.file('sizes.csv', text), {
      columns: { sha256: 'sha256' },
      numberAttributes: { size: 'size' },
    });
    expect(sink.stored.map((record) => record.attributes)).toEqual([{ size: 604874 }, { size: 12500 }, { sizeRaw: 'big' }]);
  });

  test('type column and columns in one row', async () => {
    const text = ['type,value,sha256', `md5,${MD5_ABC},${SHA256_ABC}`, `path,C:\\x.dll,${SHA256_ABC}`, 'path,C:\\y.dll,'].join('\n');
    const sink = await parseIndicators(csvFormat, temp.file('both.csv', text), {
      columns: { sha256: 'sha256' },
      typeColumn: { column: 'type', valueColumn: 'value', types: { md5: 'md5' } },
    });
    expect(sink.countByType()).toEqual({ md5: 1, sha256: 2 });
    // The path rows are counted once each as unsupported, and not again as empty.
    expect(sink.filteredByReason).toEqual({ 'unsupported-type:path': 2 });
  });

  test('type values equal after normalization', async () => {
    const path = temp.file('types.csv', `type,value\nip,31.41.59.26\n`);
    const promise = parseIndicators(csvFormat, path, { typeColumn: { column: 'type', valueColumn: 'value', types: { IP: 'ip', ' ip': 'skip' } } });
    await expect(promise).rejects.toThrow(
      'Feed test-feed: typeColumn.types has "IP" -> ip and " ip" -> skip, which are the same value compared trimmed and case-insensitively; keep one',
    );
  });

  test('missing type and value columns', async () => {
    const path = temp.file('types.csv', `kind,ioc\nip,31.41.59.26\n`);
    const promise = parseIndicators(csvFormat, path, { typeColumn: { column: 'type', valueColumn: 'value', types: {} } });
    await expect(promise).rejects.toThrow(`Feed test-feed: ${path}: columns "type", "value" not found in the header; the header has columns "kind", "ioc"`);
  });
});
