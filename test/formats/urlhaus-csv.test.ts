import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { urlhausCsvFormat } from '../../src/feeds/formats/urlhaus-csv.js';
import { corpusFile, makeTempDir, utf8WithBom } from './helpers.js';
import { parseIndicators, type IndicatorSink } from './indicator-sink.js';

const BANNER = [
  '################################################################',
  '# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #',
  '#                                                              #',
  '################################################################',
  '#',
  '# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter',
];

function row(id: number, url: string, status = 'online', tags = 'elf,mirai'): string {
  return `"${id}","2026-01-27 17:53:08","${url}","${status}","","malware_download","${tags}","https://urlhaus.abuse.ch/url/${id}/","tester"`;
}

// Expected numbers come from Python, run in the corpus folder:
//   rows = list(csv.reader(l for l in open('urls/urlhaus_csv_online_2026-01-27.head5009.csv', newline='') if not l.startswith('#')))
//   def expr(u):  # the Safe Browsing entry expression, as far as these URLs need it
//       host, _, path = re.sub(r'^[a-z]+://', '', u, flags=re.I).partition('/')
//       b = ('/' + path).encode()
//       while (n := urllib.parse.unquote_to_bytes(b)) != b: b = n
//       b = re.sub(rb'/+', b'/', b)
//       return host.split(':')[0].lower() + ''.join('%%%02X' % c if c <= 32 or c >= 127 or c in b'#%' else chr(c) for c in b)
// Lines 1 to 9 are the banner and the commented header, so rows[i] is on line i + 10.
describe('urlhaus-csv on the online export', () => {
  const file = corpusFile('urls/urlhaus_csv_online_2026-01-27.head5009.csv');
  let sink: IndicatorSink;
  beforeAll(async () => {
    sink = await parseIndicators(urlhausCsvFormat, file);
  });

  test('one URL entry per row', async () => {
    // len(rows) -> 5000, each with 9 fields (Counter(len(r) for r in rows))
    expect(sink.countByType()).toEqual({ url: 5000 });
    // len({expr(r[2]) for r in rows}): http and https, ports, escapes and "//" of one host and path fall together
    expect(sink.distinctByType()).toEqual({ url: 4892 });
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test('attributes of the first row', async () => {
    // line 10
    expect(sink.stored[0]).toEqual({
      type: 'url',
      key: sink.stored[0]!.key,
      text: '111.92.243.40/02.08.2022.exe',
      attributes: {
        urlhausId: '3764679',
        dateAdded: '2026-01-27T17:53:08.000Z',
        status: 'online',
        lastOnline: '2026-01-27T17:53:08.000Z',
        threatType: 'malware_download',
        tags: ['censys', 'CobaltStrike'],
        reference: 'https://urlhaus.abuse.ch/url/3764679/',
        reporter: 'DaveLikesMalwre',
      },
      list: undefined,
    });
  });

  test('None means no tags', async () => {
    // sum(1 for r in rows if r[6] == 'None') -> 280
    expect(sink.stored.filter((record) => record.attributes?.['tags'] === undefined)).toHaveLength(280);
    // sum(len(r[6].split(',')) for r in rows if r[6] != 'None') -> 12188
    expect(sink.stored.reduce((sum, record) => sum + ((record.attributes?.['tags'] as string[] | undefined)?.length ?? 0), 0)).toBe(12188);
  });

  test.each([
    {
      // line 14: .../Inutiliza%C3%A7%C3%A3o/... with port 8070
      id: '3653696',
      text: '177.70.102.228/TmpFTP/01/Inutiliza%C3%A7%C3%A3o/2021-03-01/info.zip',
    },
    {
      // line 1208: an escaped "/" in the path and a query string
      id: '3759067',
      text: 'firebasestorage.googleapis.com/v0/b/rodriakd-8413d.appspot.com/o/SV/jsGeorgia.txt?alt=media&token=defe7278-6441-4cf1-b0ff-d7ee24652110',
    },
  ])('canonical URL of $id', async ({ id, text }) => {
    expect(sink.stored.filter((record) => record.attributes?.['urlhausId'] === id).map((record) => record.text)).toEqual([text]);
  });
});

describe('urlhaus-csv on generated files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('uncommented header', async () => {
    const text = ['id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter', row(1, 'http://evil.example.com/a.sh')].join('\n');
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', text));
    expect(sink.stored.map((record) => record.text)).toEqual(['evil.example.com/a.sh']);
  });

  test('header with only a url column', async () => {
    const text = ['# url', '# url,note', '"http://evil.example.com/a.sh","x"'].join('\n');
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', text));
    // "# url" names a single column, so the header is the line after it
    expect(sink.stored.map((record) => [record.text, record.attributes])).toEqual([['evil.example.com/a.sh', undefined]]);
  });

  test('onlineOnly filters offline rows', async () => {
    const text = [...BANNER, row(1, 'http://a.example.com/x'), row(2, 'http://b.example.com/x', 'offline'), row(3, 'http://c.example.com/x')].join('\n');
    const path = temp.file('urlhaus.csv', text);
    const all = await parseIndicators(urlhausCsvFormat, path);
    expect(all.stored.map((record) => record.attributes?.['status'])).toEqual(['online', 'offline', 'online']);
    const online = await parseIndicators(urlhausCsvFormat, path, { onlineOnly: true });
    expect(online.stored.map((record) => record.text)).toEqual(['a.example.com/x', 'c.example.com/x']);
    expect(online.filteredByReason).toEqual({ offline: 1 });
  });

  test('empty values are left out', async () => {
    const text = [...BANNER, row(1, 'http://a.example.com/x', 'online', 'None'), '"2","","http://b.example.com/","","","","","",""'].join('\n');
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', text));
    expect(sink.stored.map((record) => record.attributes)).toEqual([
      {
        urlhausId: '1',
        dateAdded: '2026-01-27T17:53:08.000Z',
        status: 'online',
        threatType: 'malware_download',
        reference: 'https://urlhaus.abuse.ch/url/1/',
        reporter: 'tester',
      },
      { urlhausId: '2' },
    ]);
  });

  test('bad rows keep their line numbers', async () => {
    const text = [
      ...BANNER,
      row(1, 'http://a.example.com/x'),
      '# a comment between rows',
      row(2, 'http:///no-host'),
      '"3","2026-01-27 17:53:08","http://c.example.com/x"',
      row(4, 'http://d.example.com:x/'),
      row(5, 'http://e.example.com/x'),
    ].join('\n');
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', text));
    expect(sink.stored.map((record) => record.text)).toEqual(['a.example.com/x', 'e.example.com/x']);
    expect(sink.badSamples.map((sample) => [sample.line, sample.reason])).toEqual([
      [9, 'empty-host'],
      [10, 'csv-field-count'],
      [11, 'invalid-port'],
    ]);
  });

  test.each([
    { name: 'header', offset: 20 },
    { name: 'row', offset: -40 },
  ])('$name across a read chunk boundary', async ({ offset }) => {
    // Files are read in chunks of 1 MiB: filler comments put the header line (offset > 0) or the
    // first row (offset < 0) across the end of the first chunk.
    const header = BANNER.at(-1)!;
    const first = row(1, 'http://a.example.com/x');
    const fillerBytes = 2 ** 20 - (offset > 0 ? offset : header.length + 1 - offset);
    const fillerLine = `#${'-'.repeat(99)}\n`;
    const filler = fillerLine.repeat(Math.floor(fillerBytes / fillerLine.length)) + `#${'-'.repeat((fillerBytes % fillerLine.length) - 2)}\n`;
    expect(filler.length).toBe(fillerBytes);
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', `${filler}${header}\n${first}\n${row(2, 'http://b.example.com/y')}\n`));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['urlhausId']])).toEqual([
      ['a.example.com/x', '1'],
      ['b.example.com/y', '2'],
    ]);
    expect(sink.badTotal).toBe(0);
  });

  test('timestamp in another form is kept as written', async () => {
    const text = [...BANNER, '"1","yesterday","http://a.example.com/x","online","","","","",""'].join('\n');
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', text));
    expect(sink.stored[0]?.attributes).toEqual({ urlhausId: '1', dateAdded: 'yesterday', status: 'online' });
  });

  test('no url column fails the parse', async () => {
    const path = temp.file('urlhaus.csv', ['# banner', 'id,link,note', '"1","http://a.example.com/","x"'].join('\n'));
    await expect(parseIndicators(urlhausCsvFormat, path)).rejects.toThrow(
      `Feed test-feed: ${path}: no "url" column in the header; the header has columns "id", "link", "note"`,
    );
  });

  test('onlineOnly needs url_status', async () => {
    const path = temp.file('urlhaus.csv', ['# id,url', '"1","http://a.example.com/"'].join('\n'));
    await expect(parseIndicators(urlhausCsvFormat, path, { onlineOnly: true })).rejects.toThrow(
      `Feed test-feed: ${path}: the onlineOnly option needs a "url_status" column, which the header lacks; the header has columns "id", "url"`,
    );
  });

  test('banner only fails the parse', async () => {
    const path = temp.file('urlhaus.csv', BANNER.slice(0, 5).join('\n'));
    await expect(parseIndicators(urlhausCsvFormat, path)).rejects.toThrow(`Feed test-feed: ${path} is empty; expected a CSV header row naming the columns`);
  });

  test.each([
    { name: 'CRLF', content: [...BANNER, row(1, 'http://a.example.com/x'), row(2, 'http://b.example.com/y'), ''].join('\r\n') },
    { name: 'BOM', content: utf8WithBom([...BANNER, row(1, 'http://a.example.com/x'), row(2, 'http://b.example.com/y')].join('\n')) },
  ])('$name', async ({ content }) => {
    const sink = await parseIndicators(urlhausCsvFormat, temp.file('urlhaus.csv', content));
    expect(sink.stored.map((record) => [record.text, record.attributes?.['tags']])).toEqual([
      ['a.example.com/x', ['elf', 'mirai']],
      ['b.example.com/y', ['elf', 'mirai']],
    ]);
    expect(sink.badTotal).toBe(0);
  });
});
