/**
 * fetchListing against real HTTP servers on 127.0.0.1 (port 0), parseListing on fixed bodies, and
 * listDirectory on a temporary folder.
 */
import { describe, test, expect, beforeEach, afterEach, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent } from 'undici';
import { isVerdictError, type VerdictError } from '../../src/errors.js';
import type { FetchDependencies } from '../../src/sources/http-fetch.js';
import { fetchListing, listDirectory, parseListing } from '../../src/sources/listing.js';

interface TestServer {
  readonly base: string;
  readonly port: number;
  readonly received: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const agent = new Agent({ connect: { timeout: 5000 } });

async function startServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  const received: TestServer['received'] = [];
  const server = createServer((request, response) => {
    received.push({ path: request.url ?? '', headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    base: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

/** Serves `body` with `contentType` at every path. */
function serve(body: string, contentType: string): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': contentType }).end(body);
  };
}

function deps(): { deps: FetchDependencies; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return {
    deps: { dispatcher: agent, sleep: async () => undefined, random: () => 0.5, env: {}, logger },
    lines,
  };
}

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'verdict-listing-test-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(folder, { recursive: true, force: true });
});

afterAll(async () => {
  await agent.close();
});

async function failure(promise: Promise<unknown>): Promise<VerdictError> {
  try {
    await promise;
  } catch (error) {
    if (isVerdictError(error)) return error;
    throw error;
  }
  throw new Error('expected the listing to fail');
}

const APACHE_INDEX = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head><title>Index of /deltas</title></head>
 <body>
<h1>Index of /deltas</h1>
<table>
 <tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th></tr>
 <tr><td><a href="/">Parent Directory</a></td></tr>
 <tr><td><a href="../">Parent Directory</a></td></tr>
 <tr><td><a href="delta-2026-12-03.csv.gz">delta-2026-12-03.csv.gz</a></td></tr>
 <tr><td><a href='delta-2026-12-01.csv.gz'>delta-2026-12-01.csv.gz</a></td></tr>
 <tr><td><a class="file" HREF=delta-2026-12-02.csv.gz>delta-2026-12-02.csv.gz</a></td></tr>
 <tr><td><a href="delta-2026-12-01.csv.gz#top">again</a></td></tr>
 <tr><td><a href="old/">old/</a></td></tr>
 <tr><td><a href="notes%20and%20more.txt?raw=1&amp;v=2">notes and more.txt</a></td></tr>
 <tr><td><a href="mailto:feeds@127.0.0.1">mail</a></td></tr>
 <tr><td><a name="bottom">no href</a></td></tr>
</table>
</body></html>
`;

describe('fetchListing', () => {
  test('an Apache-style HTML index', async () => {
    const server = await startServer(serve(APACHE_INDEX, 'text/html;charset=UTF-8'));

    const urls = await fetchListing(`${server.base}/deltas/`, deps().deps, { feedId: 'f1' });

    expect(urls).toEqual([
      `${server.base}/deltas/delta-2026-12-01.csv.gz`,
      `${server.base}/deltas/delta-2026-12-02.csv.gz`,
      `${server.base}/deltas/delta-2026-12-03.csv.gz`,
      `${server.base}/deltas/notes%20and%20more.txt?raw=1&v=2`,
    ]);
  });

  test('a JSON array of names, URLs and objects', async () => {
    const server = await startServer((request, response) => {
      const base = `http://127.0.0.1:${(request.socket.localPort ?? 0).toString()}`;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(['b.csv', 'a.csv', `${base}/other/c.csv`, 'a.csv', { name: 'd.csv' }, { url: 'e.csv', size: 3 }]));
    });

    const urls = await fetchListing(`${server.base}/feeds/index.json`, deps().deps);

    expect(urls).toEqual([
      `${server.base}/feeds/a.csv`,
      `${server.base}/feeds/b.csv`,
      `${server.base}/other/c.csv`,
      `${server.base}/feeds/d.csv`,
      `${server.base}/feeds/e.csv`,
    ]);
  });

  test('a plain text list with comments, blank lines and CRLF', async () => {
    const server = await startServer(serve('# daily files\r\n\r\nz.txt\r\n./y.txt\n  x.txt  \n/top/w.txt\n', 'text/plain'));

    const urls = await fetchListing(`${server.base}/list/files.txt`, deps().deps);

    expect(urls).toEqual([
      `${server.base}/top/w.txt`,
      `${server.base}/list/x.txt`,
      `${server.base}/list/y.txt`,
      `${server.base}/list/z.txt`,
    ]);
  });

  test('entries resolve against the URL after redirects', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/dir') response.writeHead(301, { location: '/dir/' }).end();
      else response.writeHead(200, { 'content-type': 'text/html' }).end('<a href="../">../</a>\n<a href="f1.txt">f1.txt</a>');
    });

    const urls = await fetchListing(`${server.base}/dir`, deps().deps);

    expect(urls).toEqual([`${server.base}/dir/f1.txt`]);
  });

  test('same-origin entries keep the listing credentials; they stay out of the logs', async () => {
    const server = await startServer(serve(`a.txt\nhttp://127.0.0.2:9/b.txt\n`, 'text/plain'));
    const { deps: dependencies, lines } = deps();

    const urls = await fetchListing(`http://alice:s3cret-pw@127.0.0.1:${server.port}/d/`, dependencies, { feedId: 'f1' });

    expect(urls).toEqual([`http://alice:s3cret-pw@127.0.0.1:${server.port}/d/a.txt`, 'http://127.0.0.2:9/b.txt']);
    expect(server.received[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
    expect(lines.join('\n')).not.toContain('s3cret-pw');
  });

  test('headers with ${NAME} placeholders are expanded for the listing request', async () => {
    const server = await startServer(serve('a.txt\n', 'text/plain'));
    const { deps: dependencies } = deps();

    await fetchListing(`${server.base}/d/`, { ...dependencies, env: { LIST_TOKEN: 'tok-1234' } }, {
      headers: { Authorization: 'Bearer ${LIST_TOKEN}' },
    });

    expect(server.received[0]!.headers['authorization']).toBe('Bearer tok-1234');
  });

  test('a JSON object is not a listing', async () => {
    const server = await startServer(serve('{"files": ["a.csv"]}', 'application/json'));

    const error = await failure(fetchListing(`${server.base}/index.json`, deps().deps, { feedId: 'f1' }));

    expect(error.code).toBe('VERDICT_ERR_FETCH_UNEXPECTED_CONTENT');
    expect(error.message).toBe(
      `Feed f1: ${server.base}/index.json did not return listing content: the listing is JSON but not an array of file names or URLs; check the URL and the credentials (an HTML page is usually a login or error page)`,
    );
  });

  test('a 404 listing is the fetch error', async () => {
    const server = await startServer((_request, response) => void response.writeHead(404).end());
    const error = await failure(fetchListing(`${server.base}/gone/`, deps().deps, { feedId: 'f1', retries: 0 }));
    expect(error.message).toBe(`Feed f1: ${server.base}/gone/ returned HTTP status 404; check the feed URL, the file may have moved or been removed`);
  });

  test('an empty listing is an empty list', async () => {
    const server = await startServer(serve('', 'text/plain'));
    expect(await fetchListing(`${server.base}/empty/`, deps().deps)).toEqual([]);
  });
});

describe('parseListing', () => {
  const source = { feedId: 'f1', listingUrl: 'http://127.0.0.1:8/x/', finalUrl: 'http://127.0.0.1:8/x/' };

  test.each([
    ['nginx autoindex', '<html><body><h1>Index of /x/</h1><hr><pre><a href="../">../</a>\n<a href="b.txt">b.txt</a>  01-Dec-2026\n<a href="a.txt">a.txt</a></pre></body></html>', 'text/html', ['a.txt', 'b.txt']],
    ['entities in href', '<a href="a&amp;b.txt">x</a><a href="&#x63;.txt">y</a><a href="&#100;.txt">z</a>', undefined, ['a&b.txt', 'c.txt', 'd.txt']],
    ['JSON with a BOM', '\uFEFF["2.txt", "10.txt", "1.txt"]', undefined, ['1.txt', '10.txt', '2.txt']],
    ['names sorted by file name, not by path', 'z/a.txt\na/b.txt\n', 'text/plain', ['z/a.txt', 'a/b.txt']],
  ])('%s', (_name, body, contentType, names) => {
    expect(parseListing(body, { ...source, contentType })).toEqual(names.map((name) => `http://127.0.0.1:8/x/${name}`));
  });

  test('a text entry that is not a URL is an error naming it', () => {
    expect(() => parseListing('a.txt\nhttp://[bad\n', source)).toThrow(
      'Feed f1: http://127.0.0.1:8/x/ did not return listing content: the entry "http://[bad" is not a file name or an http(s) URL; check the URL and the credentials (an HTML page is usually a login or error page)',
    );
  });

  test('invalid JSON item names its index', () => {
    expect(() => parseListing('["a.txt", 7]', source)).toThrow(
      'item 1 of the listing is neither a string nor an object with a url, href or name field',
    );
  });
});

describe('listDirectory', () => {
  test('regular files only, hidden and .part files skipped, sorted', () => {
    for (const name of ['b.txt', 'a.txt', '.hidden', 'c.txt.part', 'B.txt']) writeFileSync(join(folder, name), name);
    mkdirSync(join(folder, 'sub'));
    writeFileSync(join(folder, 'sub', 'inner.txt'), 'x');
    symlinkSync(join(folder, 'a.txt'), join(folder, 'link.txt'));
    symlinkSync(join(folder, 'sub'), join(folder, 'link-dir'));
    symlinkSync(join(folder, 'missing.txt'), join(folder, 'dangling.txt'));

    expect(listDirectory(folder)).toEqual(['B.txt', 'a.txt', 'b.txt', 'link.txt'].map((name) => join(folder, name)));
  });

  test('an empty folder', () => {
    expect(listDirectory(folder)).toEqual([]);
  });

  test('a missing folder is FEED_UNREADABLE', () => {
    const missing = join(folder, 'nope');
    expect(() => listDirectory(missing, 'f1')).toThrow(
      `Feed f1: source ${missing} cannot be read: ENOENT: no such file or directory, scandir '${missing}'`,
    );
  });
});
