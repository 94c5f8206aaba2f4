/**
 * The embedded default data behind `npm start`: a deterministic clean-file feed in the shape of
 * Microsoft's Clean File Meta Data (SHA-256, file name, version, product, size) and a deny feed of
 * mixed MD5, SHA-1 and SHA-256, with the configuration that serves them. The same seed always gives
 * the same files, so hashes in the README and in printed examples stay valid.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DEMO_CLEAN_RECORDS = 1_000_000;
export const DEMO_DENY_RECORDS = 100_000;
/** Bumped whenever the generated content changes, so old files are regenerated. */
const DEMO_DATA_VERSION = 3;
const SEED = 0x5eed_2026;

/** SplitMix32-style generator: small, fast, and identical on every platform. */
export class DeterministicRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  below(limit: number): number {
    return this.nextUint32() % limit;
  }

  /** `bytes` random bytes as lower-case hex; `bytes` must be a multiple of 4. */
  hex(bytes: number): string {
    for (let i = 0; i < bytes; i += 4) this.scratch.writeUInt32BE(this.nextUint32(), i);
    return this.scratch.toString('hex', 0, bytes);
  }

  private readonly scratch = Buffer.alloc(64);
}

const FILE_NAMES = [
  'kernel32.dll', 'ntdll.dll', 'user32.dll', 'gdi32.dll', 'advapi32.dll', 'shell32.dll', 'ole32.dll', 'combase.dll',
  'msvcrt.dll', 'ws2_32.dll', 'crypt32.dll', 'wininet.dll', 'explorer.exe', 'svchost.exe', 'lsass.exe', 'winlogon.exe',
  'powershell.exe', 'cmd.exe', 'notepad.exe', 'mspaint.exe', 'msedge.dll', 'ntoskrnl.exe', 'tcpip.sys', 'ndis.sys',
  'win32k.sys', 'dxgkrnl.sys', 'MsMpEng.exe', 'mpengine.dll', 'WINWORD.EXE', 'EXCEL.EXE', 'OUTLOOK.EXE', 'mso.dll',
];
const PRODUCTS = [
  'Microsoft® Windows® Operating System',
  'Microsoft Office',
  'Microsoft Edge',
  'Microsoft Defender Antivirus',
  'Microsoft .NET Framework',
  'Microsoft SQL Server',
];
const MALWARE = [
  'Trojan:Win32/Emotet.A!ml', 'Backdoor:Win32/Qakbot.K', 'Ransom:Win32/LockBit.B', 'Trojan:Win64/CobaltStrike.C',
  'TrojanDownloader:O97M/Donoff', 'Backdoor:Linux/Mirai.B', 'Trojan:Win32/IcedID.RPX!MTB', 'PWS:Win32/RedLine.GG',
];

export interface DemoPaths {
  readonly directory: string;
  readonly config: string;
  readonly cleanFeed: string;
  readonly denyFeed: string;
  readonly examples: string;
}

export interface DemoExamples {
  readonly cleanSha256: string;
  readonly cleanFileName: string;
  readonly denyMd5: string;
  readonly denySha256: string;
}

export function demoPaths(dataDir: string): DemoPaths {
  const directory = join(dataDir, 'demo');
  return {
    directory,
    config: join(dataDir, 'verdict.config.json'),
    cleanFeed: join(directory, 'clean-files.csv'),
    denyFeed: join(directory, 'deny-hashes.txt'),
    examples: join(directory, 'examples.json'),
  };
}

/** Appends text to a file through a large buffer; far faster than one write per line. */
class BufferedWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private pending = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.parts.length > 0) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.pending = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function generateCleanFeed(path: string, records: number, random: DeterministicRandom): { sha256: string; fileName: string } {
  const writer = new BufferedWriter(`${path}.partial`);
  writer.write('SHA256,FileName,FileVersion,ProductName,ProductVersion,FileSize\r\n');
  let first = { sha256: '', fileName: '' };
  for (let i = 0; i < records; i++) {
    const sha256 = random.hex(32);
    const fileName = FILE_NAMES[random.below(FILE_NAMES.length)]!;
    const product = PRODUCTS[random.below(PRODUCTS.length)]!;
    const build = 10_000 + random.below(12_000);
    const revision = random.below(5_000);
    const version = `10.0.${build}.${revision}`;
    const size = 4_096 + random.below(32 * 1024 * 1024);
    if (i === 0) first = { sha256, fileName };
    // Product names contain no comma or quote, so no field needs quoting.
    writer.write(`${sha256},${fileName},${version},${product},10.0.${build}.${revision},${size}\r\n`);
  }
  writer.close();
  renameSync(`${path}.partial`, path);
  return first;
}

/** Digest sizes of the deny feed in turn: MD5, SHA-1, SHA-256. */
const DENY_DIGEST_BYTES = [16, 20, 32] as const;

function generateDenyFeed(path: string, records: number, random: DeterministicRandom): { md5: string; sha256: string } {
  const writer = new BufferedWriter(`${path}.partial`);
  writer.write('# verdict demo deny list: MD5, SHA-1 and SHA-256 of made-up samples; HASH;DESCRIPTION\n');
  let md5 = '';
  let sha256 = '';
  for (let i = 0; i < records; i++) {
    const bytes = DENY_DIGEST_BYTES[i % 3]!;
    const hash = random.hex(bytes);
    if (md5 === '' && bytes === 16) md5 = hash;
    if (sha256 === '' && bytes === 32) sha256 = hash;
    writer.write(`${hash};${MALWARE[random.below(MALWARE.length)]}\n`);
  }
  writer.close();
  renameSync(`${path}.partial`, path);
  return { md5, sha256 };
}

function demoConfig(paths: DemoPaths): unknown {
  return {
    dataDir: 'store',
    server: { host: '127.0.0.1', port: 8080 },
    feeds: [
      {
        id: 'demo-clean-files',
        list: 'allow',
        kind: 'clean-file',
        category: 'clean-file',
        format: 'csv',
        path: 'demo/clean-files.csv',
        options: {
          columns: { SHA256: 'sha256' },
          attributes: {
            FileName: 'fileName',
            FileVersion: 'version',
            ProductName: 'product',
            ProductVersion: 'productVersion',
          },
          numberAttributes: { FileSize: 'size' },
        },
      },
      { id: 'demo-deny-hashes', list: 'deny', kind: 'threat-intel', category: 'malware', format: 'hash-list', path: 'demo/deny-hashes.txt' },
    ],
    $comment: `Generated by verdict demo from ${paths.directory}; edit freely, it is rewritten only when missing.`,
  };
}

/**
 * Writes the demo feeds and configuration under `dataDir` unless a complete set of the current
 * version is already there. Returns the paths and example hashes to print.
 */
export function ensureDemoData(dataDir: string): { paths: DemoPaths; examples: DemoExamples; generated: boolean } {
  const paths = demoPaths(dataDir);
  if (existsSync(paths.examples) && existsSync(paths.config)) {
    const stored = JSON.parse(readFileSync(paths.examples, 'utf8')) as DemoExamples & { version: number };
    if (stored.version === DEMO_DATA_VERSION && existsSync(paths.cleanFeed) && existsSync(paths.denyFeed)) {
      return { paths, examples: stored, generated: false };
    }
  }
  mkdirSync(paths.directory, { recursive: true });
  const random = new DeterministicRandom(SEED);
  const clean = generateCleanFeed(paths.cleanFeed, DEMO_CLEAN_RECORDS, random);
  const deny = generateDenyFeed(paths.denyFeed, DEMO_DENY_RECORDS, random);
  const examples: DemoExamples = { cleanSha256: clean.sha256, cleanFileName: clean.fileName, denyMd5: deny.md5, denySha256: deny.sha256 };
  writeFileSync(paths.config, `${JSON.stringify(demoConfig(paths), null, 2)}\n`);
  // The examples file is written last: its presence marks a complete set.
  writeFileSync(paths.examples, `${JSON.stringify({ version: DEMO_DATA_VERSION, ...examples }, null, 2)}\n`);
  return { paths, examples, generated: true };
}
