/**
 * `verdict lookup`: the compiled command run as a child process against real feeds built into LMDB
 * in a temporary folder, plus the line parser and the progress bar on their own.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputLineParser, MAX_LINE_CHARACTERS, formatSummary, type InputEntry } from '../src/cli-lookup.js';
import { ProgressBar, formatProgress } from '../src/progress.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const HEADER = 'path,hash,type,verdict,conflict,feeds,lists,categories,error';

const digest = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('hex');

/** In the deny feed "threats" (category malware), with the description "dropper". */
const DENY_SHA256 = digest('sha256', 'dropper');
/** In the deny feed, without a description. */
const DENY_MD5 = digest('md5', 'dropper');
/** In the allow feed "clean", with the description "notepad.exe". */
const ALLOW_SHA256 = digest('sha256', 'notepad');
const ALLOW_SHA1 = digest('sha1', 'notepad');
/** In both feeds: deny, with a conflict. */
const BOTH_SHA256 = digest('sha256', 'both');
const UNKNOWN_SHA256 = digest('sha256', 'unknown');
const UNKNOWN_MD5 = digest('md5', 'unknown');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let configPath: string;

/** Runs `node dist/src/cli.js ...args`, writing `stdin` to its standard input. */
function runCli(args: readonly string[], stdin: string | Buffer = ''): Promise<Run> {
  // Without VERDICT_LOG_LEVEL the command logs warnings only, as in normal use.
  const env = { ...process.env };
  delete env['VERDICT_LOG_LEVEL'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function lookup(args: readonly string[], stdin?: string | Buffer): Promise<Run> {
  return runCli(['lookup', '--config', configPath, ...args], stdin);
}

/** Writes an input file into the temporary folder and returns its path. */
function input(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function csv(...rows: string[]): string {
  return [HEADER, ...rows].map((row) => `${row}\n`).join('');
}

function summary(items: number, deny: number, allow: number, unknown: number, invalid: number): string {
  return `verdict lookup: ${items} ${items === 1 ? 'item' : 'items'}: ${deny} deny, ${allow} allow, ${unknown} unknown, ${invalid} invalid\n`;
}

function generation(feedId: string): string {
  return readFileSync(join(dir, 'data', 'feeds', feedId, 'CURRENT'), 'utf8').trim();
}

function writeConfig(path: string, dataDir: string, feeds: readonly Record<string, unknown>[]): void {
  writeFileSync(path, JSON.stringify({ dataDir, build: { workerThreads: 1 }, feeds }));
}

const FEEDS = [
  { id: 'threats', list: 'deny', format: 'hash-list', path: 'deny.txt', category: 'malware', shards: 2 },
  { id: 'clean', list: 'allow', format: 'hash-list', path: 'allow.txt', shards: 2 },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verdict-lookup-'));
  configPath = join(dir, 'verdict.json');
  writeFileSync(join(dir, 'deny.txt'), `# deny\n${DENY_SHA256} dropper\n${DENY_MD5}\n${BOTH_SHA256}\n`);
  writeFileSync(join(dir, 'allow.txt'), `${ALLOW_SHA256} notepad.exe\n${ALLOW_SHA1}\n${BOTH_SHA256}\n`);
  writeConfig(configPath, 'data', FEEDS);

  const build = await runCli(['build', '--config', configPath]);
  if (build.status !== 0) throw new Error(`verdict build failed: ${build.stderr}`);
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('verdict lookup input layouts', () => {
  test('plain hash list', async () => {
    const file = input('plain.txt', `# header\n${DENY_SHA256}\n\n${ALLOW_SHA1} notepad copy\n  ${UNKNOWN_SHA256}  \n${BOTH_SHA256}\t;; both\n`);

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `,${DENY_SHA256},sha256,deny,false,threats,deny,malware,`,
        `notepad copy,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`,
        `,${UNKNOWN_SHA256},sha256,unknown,false,,,,`,
        `both,${BOTH_SHA256},sha256,deny,true,threats;clean,deny;allow,malware;,`,
      ),
    );
    expect(run.stderr).toBe(summary(4, 2, 1, 1, 0));
    expect(run.status).toBe(0);
  });

  test('sha256sum text and binary', async () => {
    const file = input('sums.sha256', `${DENY_SHA256}  bin/drop per.exe\n${ALLOW_SHA256} *C:\\Windows\\notepad.exe\n${UNKNOWN_SHA256}   lead space\n`);

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `bin/drop per.exe,${DENY_SHA256},sha256,deny,false,threats,deny,malware,`,
        `C:\\Windows\\notepad.exe,${ALLOW_SHA256},sha256,allow,false,clean,allow,,`,
        ` lead space,${UNKNOWN_SHA256},sha256,unknown,false,,,,`,
      ),
    );
    expect(run.stderr).toBe(summary(3, 1, 1, 1, 0));
    expect(run.status).toBe(0);
  });

  test('sha256sum escaped paths', async () => {
    const file = input('escaped.sha256', `\\${DENY_SHA256}  dir\\\\new\\nline\n\\${ALLOW_SHA256} *cr\\rhere\n`);

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `"dir\\new\nline",${DENY_SHA256},sha256,deny,false,threats,deny,malware,`,
        `"cr\rhere",${ALLOW_SHA256},sha256,allow,false,clean,allow,,`,
      ),
    );
    expect(run.stderr).toBe(summary(2, 1, 1, 0, 0));
    expect(run.status).toBe(0);
  });

  test('md5sum and sha1sum', async () => {
    const file = input('sums.md5', `${DENY_MD5}  dropper.bin\n${UNKNOWN_MD5} *other.bin\n${ALLOW_SHA1}  notepad.exe\n`);

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `dropper.bin,${DENY_MD5},md5,deny,false,threats,deny,malware,`,
        `other.bin,${UNKNOWN_MD5},md5,unknown,false,,,,`,
        `notepad.exe,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`,
      ),
    );
    expect(run.stderr).toBe(summary(3, 1, 1, 1, 0));
    expect(run.status).toBe(0);
  });

  test('BSD-style lines', async () => {
    const file = input(
      'bsd.txt',
      [
        `MD5 (dropper.bin) = ${DENY_MD5}`,
        `SHA1 (notepad (copy).exe) = ${ALLOW_SHA1}`,
        `SHA256 (a) = ${UNKNOWN_SHA256}`,
        `SHA-256 (b) = ${BOTH_SHA256}`,
        `\\SHA256 (new\\nline) = ${DENY_SHA256}`,
        `SHA256(openssl.bin)= ${ALLOW_SHA256}`,
      ].join('\n'),
    );

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `dropper.bin,${DENY_MD5},md5,deny,false,threats,deny,malware,`,
        `notepad (copy).exe,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`,
        `a,${UNKNOWN_SHA256},sha256,unknown,false,,,,`,
        `b,${BOTH_SHA256},sha256,deny,true,threats;clean,deny;allow,malware;,`,
        `"new\nline",${DENY_SHA256},sha256,deny,false,threats,deny,malware,`,
        `openssl.bin,${ALLOW_SHA256},sha256,allow,false,clean,allow,,`,
      ),
    );
    expect(run.stderr).toBe(summary(6, 3, 2, 1, 0));
    expect(run.status).toBe(0);
  });

  test('hashdeep rows', async () => {
    const file = input(
      'audit.hashdeep',
      [
        '%%%% HASHDEEP-1.0',
        '%%%% size,md5,sha256,filename',
        '## Invoked from: /home/analyst',
        '## $ hashdeep -r /evidence',
        '##',
        `4096,${DENY_MD5},${ALLOW_SHA256},/evidence/a,b.exe`,
        `12,${UNKNOWN_MD5},${UNKNOWN_SHA256},/evidence/c.txt`,
      ].join('\n') + '\n',
    );

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `"/evidence/a,b.exe",${DENY_MD5},md5,deny,false,threats,deny,malware,`,
        `"/evidence/a,b.exe",${ALLOW_SHA256},sha256,allow,false,clean,allow,,`,
        `/evidence/c.txt,${UNKNOWN_MD5},md5,unknown,false,,,,`,
        `/evidence/c.txt,${UNKNOWN_SHA256},sha256,unknown,false,,,,`,
      ),
    );
    expect(run.stderr).toBe(summary(4, 1, 1, 2, 0));
    expect(run.status).toBe(0);
  });

  test('CRLF and BOM', async () => {
    const file = input('windows.txt', `\uFEFF${DENY_SHA256}  a.exe\r\n# note\r\n\r\n${ALLOW_SHA1}\r\n`);

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(`a.exe,${DENY_SHA256},sha256,deny,false,threats,deny,malware,`, `,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`),
    );
    expect(run.stderr).toBe(summary(2, 1, 1, 0, 0));
    expect(run.status).toBe(0);
  });

  test('UTF-16 with BOM', async () => {
    const text = `\uFEFF${DENY_MD5}  \u00e9t\u00e9.bin\r\n`;
    const file = input('utf16.txt', Buffer.from(text, 'utf16le'));

    const run = await lookup([file]);

    expect(run.stdout).toBe(csv(`\u00e9t\u00e9.bin,${DENY_MD5},md5,deny,false,threats,deny,malware,`));
    expect(run.stderr).toBe(summary(1, 1, 0, 0, 0));
  });

  test('stdin with -', async () => {
    const run = await lookup(['-'], `${DENY_MD5}  x\n${UNKNOWN_SHA256}\n`);

    expect(run.stdout).toBe(csv(`x,${DENY_MD5},md5,deny,false,threats,deny,malware,`, `,${UNKNOWN_SHA256},sha256,unknown,false,,,,`));
    expect(run.stderr).toBe(summary(2, 1, 0, 1, 0));
    expect(run.status).toBe(0);
  });

  test('stdin without a file argument', async () => {
    const run = await lookup([], `${ALLOW_SHA1}\n`);

    expect(run.stdout).toBe(csv(`,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`));
    expect(run.stderr).toBe(summary(1, 0, 1, 0, 0));
  });

  test('last line without newline', async () => {
    const run = await lookup([], `${UNKNOWN_MD5}\n${DENY_MD5}`);

    expect(run.stdout).toBe(csv(`,${UNKNOWN_MD5},md5,unknown,false,,,,`, `,${DENY_MD5},md5,deny,false,threats,deny,malware,`));
  });
});

describe('verdict lookup invalid lines', () => {
  test('bad lines become invalid rows', async () => {
    const file = input(
      'bad.txt',
      [
        `${DENY_MD5}  ok.bin`,
        'not-a-hash  notes.txt',
        `0x${UNKNOWN_MD5}`,
        `SHA512 (big.iso) = ${UNKNOWN_SHA256}`,
        `MD5 (short.bin) = ${UNKNOWN_SHA256}`,
        `\\${UNKNOWN_MD5}  bad\\tescape`,
        `${UNKNOWN_SHA256.slice(0, 63)}`,
      ].join('\n'),
    );

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        `ok.bin,${DENY_MD5},md5,deny,false,threats,deny,malware,`,
        'notes.txt,not-a-hash,,invalid,false,,,,"Hash contains the non-hex character ""n"" (U+006E) at position 1"',
        `,0x${UNKNOWN_MD5},,invalid,false,,,,Hash starts with a 0x prefix; send the hex digits alone`,
        `big.iso,${UNKNOWN_SHA256},,invalid,false,,,,"unsupported algorithm ""SHA512""; expected MD5, SHA1 or SHA256"`,
        `short.bin,${UNKNOWN_SHA256},md5,invalid,false,,,,MD5 line has a hash of 64 characters; expected 32 hex digits (MD5)`,
        `bad\\tescape,${UNKNOWN_MD5},,invalid,false,,,,"escaped path contains the unknown escape ""\\t""; expected \\\\, \\n or \\r"`,
        `,${UNKNOWN_SHA256.slice(0, 63)},,invalid,false,,,,"Hash has 63 characters; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits"`,
      ),
    );
    expect(run.stderr).toBe(summary(7, 1, 0, 0, 6));
    expect(run.status).toBe(0);
  });

  test('non-hex character named', async () => {
    const run = await lookup([], `${'z'.repeat(64)}\n`);

    expect(run.stdout).toBe(csv(`,${'z'.repeat(64)},,invalid,false,,,,"Hash contains the non-hex character ""z"" (U+007A) at position 1"`));
  });

  test('domain read as a hash', async () => {
    const run = await lookup([], 'example.com  notes.txt\n');

    expect(run.stdout).toBe(csv('notes.txt,example.com,,invalid,false,,,,"Hash contains the non-hex character ""x"" (U+0078) at position 2"'));
  });

  test('hashdeep row problems', async () => {
    const file = input(
      'bad.hashdeep',
      [
        '%%%% HASHDEEP-1.0',
        '%%%% size,md5,sha256,filename',
        `12,${UNKNOWN_MD5}`,
        `big,${UNKNOWN_MD5},${UNKNOWN_SHA256},/x`,
        `12,${UNKNOWN_SHA256},${UNKNOWN_SHA256},/y`,
      ].join('\n'),
    );

    const run = await lookup([file]);

    expect(run.stdout).toBe(
      csv(
        ',,,invalid,false,,,,"hashdeep row has 2 fields; the column line names 4 (size,md5,sha256,filename)"',
        '/x,,,invalid,false,,,,"hashdeep size field ""big"" is not a number of bytes"',
        `/y,${UNKNOWN_SHA256},md5,invalid,false,,,,hashdeep md5 field has a hash of 64 characters; expected 32 hex digits (MD5)`,
        `/y,${UNKNOWN_SHA256},sha256,unknown,false,,,,`,
      ),
    );
    expect(run.stderr).toBe(summary(4, 0, 0, 1, 3));
  });

  test('overlong line skipped', async () => {
    const file = input('long.txt', `${'a'.repeat(MAX_LINE_CHARACTERS + 10)}\n${DENY_MD5}\n`);

    const run = await lookup(['--format', 'jsonl', file]);

    const rows = run.stdout.trimEnd().split('\n').map((row) => JSON.parse(row) as Record<string, unknown>);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      line: 1,
      path: null,
      item: '',
      type: null,
      verdict: 'invalid',
      conflict: false,
      matches: [],
      error: `line is longer than ${MAX_LINE_CHARACTERS} characters`,
    });
    expect(rows[1]!['line']).toBe(2);
    expect(rows[1]!['verdict']).toBe('deny');
  });
});

describe('verdict lookup output', () => {
  test('jsonl rows', async () => {
    const file = input('json.txt', `${BOTH_SHA256}  both.exe\nbogus\n${UNKNOWN_MD5}\n`);

    const run = await lookup(['--format', 'jsonl', file]);

    const rows = run.stdout.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[3]).toBe('');
    expect(JSON.parse(rows[0]!)).toEqual({
      line: 1,
      path: 'both.exe',
      item: BOTH_SHA256,
      type: 'sha256',
      verdict: 'deny',
      conflict: true,
      matches: [
        { feed: 'threats', list: 'deny', category: 'malware', generation: generation('threats') },
        { feed: 'clean', list: 'allow', generation: generation('clean') },
      ],
      error: null,
    });
    expect(JSON.parse(rows[1]!)).toEqual({
      line: 2,
      path: null,
      item: 'bogus',
      type: null,
      verdict: 'invalid',
      conflict: false,
      matches: [],
      error: 'Hash contains the non-hex character "o" (U+006F) at position 2',
    });
    expect(JSON.parse(rows[2]!)).toEqual({
      line: 3,
      path: null,
      item: UNKNOWN_MD5,
      type: 'md5',
      verdict: 'unknown',
      conflict: false,
      matches: [],
      error: null,
    });
    expect(run.stderr).toBe(summary(3, 1, 0, 1, 1));
  });

  test('jsonl attributes', async () => {
    const run = await lookup(['--format', 'jsonl'], `${DENY_SHA256}\n${ALLOW_SHA256}\n`);

    const rows = run.stdout.trimEnd().split('\n').map((row) => JSON.parse(row) as { matches: unknown[] });
    expect(rows[0]!.matches).toEqual([
      { feed: 'threats', list: 'deny', category: 'malware', generation: generation('threats'), attributes: { description: 'dropper' } },
    ]);
    expect(rows[1]!.matches).toEqual([{ feed: 'clean', list: 'allow', generation: generation('clean'), attributes: { description: 'notepad.exe' } }]);
  });

  test('csv quoting', async () => {
    const run = await lookup([], `${UNKNOWN_MD5}  say "hi", then\n`);

    expect(run.stdout).toBe(csv(`"say ""hi"", then",${UNKNOWN_MD5},md5,unknown,false,,,,`));
  });

  test.each([
    ['=HYPERLINK("http://x","y"),z', `"'=HYPERLINK(""http://x"",""y""),z"`],
    ['+cmd', "'+cmd"],
    ['-rf', "'-rf"],
    ['@SUM(A1)', "'@SUM(A1)"],
  ])('csv formula %s neutralized', async (path, cell) => {
    const run = await lookup([], `${UNKNOWN_MD5}  ${path}\n`);

    expect(run.stdout).toBe(csv(`${cell},${UNKNOWN_MD5},md5,unknown,false,,,,`));
  });

  test('order kept across batches', async () => {
    const hashes = [DENY_MD5, ALLOW_SHA1, UNKNOWN_SHA256];
    const lines = Array.from({ length: 2500 }, (_, index) => `${hashes[index % 3]}  f${index}`);
    const file = input('many.txt', `${lines.join('\n')}\n`);

    const run = await lookup([file]);

    const rows = run.stdout.trimEnd().split('\n');
    expect(rows).toHaveLength(2501);
    expect(rows[1]).toBe(`f0,${DENY_MD5},md5,deny,false,threats,deny,malware,`);
    expect(rows[1001]).toBe(`f1000,${ALLOW_SHA1},sha1,allow,false,clean,allow,,`);
    expect(rows[2500]).toBe(`f2499,${DENY_MD5},md5,deny,false,threats,deny,malware,`);
    expect(rows.slice(1).every((row, index) => row.startsWith(`f${index},${hashes[index % 3]},`))).toBe(true);
    expect(run.stderr).toBe(summary(2500, 834, 833, 833, 0));
  });

  test('stdout closed early', async () => {
    const lines = Array.from({ length: 50_000 }, (_, index) => `${UNKNOWN_SHA256}  file-${index}`);
    const file = input('huge.txt', `${lines.join('\n')}\n`);
    const env = { ...process.env };
    delete env['VERDICT_LOG_LEVEL'];

    const child = spawn(process.execPath, [CLI, 'lookup', '--config', configPath, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Like `| head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(status).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('verdict lookup exit codes', () => {
  test('--fail-on deny with a deny', async () => {
    const run = await lookup(['--fail-on', 'deny'], `${UNKNOWN_MD5}\n${DENY_MD5}\n`);

    expect(run.status).toBe(2);
    expect(run.stderr).toBe(summary(2, 1, 0, 1, 0));
  });

  test('--fail-on deny without one', async () => {
    const run = await lookup(['--fail-on', 'deny'], `${UNKNOWN_MD5}\n${ALLOW_SHA1}\n`);

    expect(run.status).toBe(0);
  });

  test('--fail-on invalid', async () => {
    const run = await lookup(['--fail-on', 'invalid'], 'nope\n');

    expect(run.status).toBe(2);
  });

  test('--fail-on unknown', async () => {
    const run = await lookup(['--fail-on', 'unknown'], `${UNKNOWN_MD5}\n`);

    expect(run.status).toBe(2);
  });

  test('bad --format', async () => {
    const run = await lookup(['--format', 'xml'], `${DENY_MD5}\n`);

    expect(run.status).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('verdict: invalid --format "xml": expected csv or jsonl');
  });

  test('bad --fail-on', async () => {
    const run = await lookup(['--fail-on', 'malware'], `${DENY_MD5}\n`);

    expect(run.status).toBe(64);
    expect(run.stderr.split('\n')[0]).toBe('verdict: invalid --fail-on "malware": expected one of deny, allow, unknown, invalid');
  });

  test('missing input file', async () => {
    const missing = join(dir, 'absent.txt');

    const run = await lookup([missing]);

    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`verdict lookup: cannot read input "${missing}": ENOENT: no such file or directory, open '${missing}'\n`);
  });

  test('directory as input', async () => {
    const run = await lookup([dir]);

    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`verdict lookup: cannot read input "${dir}": it is a directory; expected a file of hashes or - for standard input\n`);
  });
});

describe('verdict lookup feed builds', () => {
  test('builds missing feeds first', async () => {
    const config = join(dir, 'fresh.json');
    writeConfig(config, 'fresh-data', FEEDS);

    const run = await runCli(['lookup', '--config', config], `${DENY_MD5}\n`);

    expect(run.stdout).toBe(csv(`,${DENY_MD5},md5,deny,false,threats,deny,malware,`));
    expect(run.stderr).toBe(
      'verdict lookup: building feeds that have no generation: threats, clean\n' +
        'verdict lookup: built threats: 3 keys\n' +
        'verdict lookup: built clean: 3 keys\n' +
        summary(1, 1, 0, 0, 0),
    );
    expect(run.status).toBe(0);
  });

  test('unbuildable feed named', async () => {
    const config = join(dir, 'broken.json');
    writeConfig(config, 'broken-data', [...FEEDS, { id: 'gone', list: 'deny', format: 'hash-list', path: 'gone.txt' }]);

    const run = await runCli(['lookup', '--config', config], `${DENY_MD5}\n`);

    const lines = run.stderr.trimEnd().split('\n');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines).toContain(
      `verdict lookup: building gone failed: Feed gone: source ${join(dir, 'gone.txt')} cannot be read: ENOENT: no such file or directory, stat '${join(dir, 'gone.txt')}' (VERDICT_ERR_FEED_UNREADABLE)`,
    );
    expect(lines.at(-1)).toBe('verdict: No generation is loaded yet for feeds: gone (VERDICT_ERR_SERVICE_NOT_READY)');
  });
});

describe('InputLineParser', () => {
  const parse = (...lines: string[]): InputEntry[] => {
    const parser = new InputLineParser();
    const out: InputEntry[] = [];
    lines.forEach((line, index) => parser.parse(line, index + 1, out));
    return out;
  };
  const H = UNKNOWN_SHA256;
  const M = UNKNOWN_MD5;

  test.each([
    ['plain', H, [{ line: 1, path: undefined, hash: H }]],
    ['plain with text', `${H} some file`, [{ line: 1, path: 'some file', hash: H }]],
    ['plain with comma', `${H},desc`, [{ line: 1, path: 'desc', hash: H }]],
    ['plain with tab', `${H}\tname.exe`, [{ line: 1, path: 'name.exe', hash: H }]],
    ['text mode', `${H}  a  b `, [{ line: 1, path: 'a  b ', hash: H }]],
    ['binary mode', `${H} *a.exe`, [{ line: 1, path: 'a.exe', hash: H }]],
    ['escaped', `\\${H}  a\\\\b`, [{ line: 1, path: 'a\\b', hash: H }]],
    ['BSD MD5', `MD5 (x) = ${M}`, [{ line: 1, path: 'x', hash: M, declaredType: 'md5' }]],
    ['BSD SHA2-256', `SHA2-256(x)= ${H}`, [{ line: 1, path: 'x', hash: H, declaredType: 'sha256' }]],
    ['comment', '# note', []],
    ['indented comment', '   # note', []],
    ['blank', ' \t ', []],
  ])('%s', (_name, line, expected) => {
    expect(parse(line)).toEqual(expected);
  });

  test('escaped plain line rejected', () => {
    expect(parse(`\\${H}`)).toEqual([
      { line: 1, path: undefined, hash: H, error: 'a line starting with a backslash must be an escaped checksum line ("\\HASH  path")' },
    ]);
  });

  test('hashdeep sha1 and tiger columns', () => {
    const sha1 = digest('sha1', 'x');
    const entries = parse('%%%% HASHDEEP-1.0', '%%%% size,sha1,tiger,filename', `3,${sha1},${'0'.repeat(48)},/a`);

    expect(entries).toEqual([{ line: 3, path: '/a', hash: sha1, declaredType: 'sha1' }]);
  });

  test('hashdeep row with one field', () => {
    expect(parse('%%%% md5,filename', M)).toEqual([
      { line: 2, path: undefined, hash: '', error: 'hashdeep row has 1 field; the column line names 2 (md5,filename)' },
    ]);
  });

  test('hashdeep row before columns', () => {
    expect(parse('%%%% HASHDEEP-1.0', `1,${M},/a`)).toEqual([
      { line: 2, path: undefined, hash: '', error: 'hashdeep row has no valid "%%%% size,md5,...,filename" column line before it' },
    ]);
  });

  test('hashdeep bad column line', () => {
    expect(parse('%%%% HASHDEEP-1.0', '%%%% filename,md5')).toEqual([
      {
        line: 2,
        path: undefined,
        hash: '',
        error: 'hashdeep column line "filename,md5" is invalid; expected names such as size,md5,sha256 ending with filename',
      },
    ]);
  });

  test('hashdeep without hash columns', () => {
    expect(parse('%%%% size,tiger,filename', `1,${'0'.repeat(48)},/a`)).toEqual([
      { line: 2, path: '/a', hash: '', error: 'hashdeep columns size,tiger,filename include no md5, sha1 or sha256 column' },
    ]);
  });

  test('new hashdeep header resets columns', () => {
    const entries = parse('%%%% size,md5,filename', '%%%% HASHDEEP-1.0', `1,${M},/a`);

    expect(entries[0]!.error).toBe('hashdeep row has no valid "%%%% size,md5,...,filename" column line before it');
  });
});

describe('summary and progress', () => {
  test('summary singular', () => {
    expect(formatSummary(1, { deny: 0, allow: 0, unknown: 1, invalid: 0 })).toBe('verdict lookup: 1 item: 0 deny, 0 allow, 1 unknown, 0 invalid');
  });

  test('progress with known size', () => {
    const text = formatProgress('verdict lookup', { items: 1200, bytes: 600, elapsedMs: 3000 }, 1000);

    expect(text).toBe('verdict lookup [##############----------]  60%  1,200 items  400 items/s');
  });

  test('progress without size', () => {
    expect(formatProgress('verdict lookup', { items: 5, bytes: 10, elapsedMs: 0 }, undefined)).toBe('verdict lookup  5 items  0 items/s');
  });

  test('progress redraw throttled', () => {
    let now = 0;
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (text) => writes.push(text) > 0, columns: 40 }, { label: 'run', now: () => now });

    bar.update(1, 0);
    now = 50;
    bar.update(2, 0);
    now = 100;
    bar.update(3, 0);

    expect(writes).toEqual(['\r\x1b[2Krun  1 items  0 items/s', '\r\x1b[2Krun  3 items  30 items/s']);
  });

  test('progress cut to width', () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (text) => writes.push(text) > 0, columns: 10 }, { label: 'verdict lookup', now: () => 0 });

    bar.update(1, 0);

    expect(writes).toEqual(['\r\x1b[2Kverdict l']);
  });

  test('progress zero columns', () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (text) => writes.push(text) > 0, columns: 0 }, { label: 'run', now: () => 0 });

    bar.update(1, 0);

    expect(writes).toEqual(['\r\x1b[2Krun  1 items  0 items/s']);
  });

  test('progress clear', () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ write: (text) => writes.push(text) > 0 }, { label: 'run', now: () => 0 });

    bar.clear();
    bar.update(1, 0);
    bar.clear();
    bar.clear();

    expect(writes).toEqual(['\r\x1b[2Krun  1 items  0 items/s', '\r\x1b[2K']);
  });
});
