/**
 * `npm run bench`: builds a synthetic store, measures the in-process costs, then drives the HTTP
 * server with autocannon from this process while the server runs in a child process on 127.0.0.1.
 * Every figure is printed beside the baseline it is compared with, measured in the same run.
 *
 * Options: --keys N (default 5,000,000 SHA-256), --duration S per round (default 5), --rounds R
 * (default 3; medians are reported), --connections C (default 16), --skip-http.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Packr } from 'msgpackr';
import { parseConfig, type VerdictConfig } from '../src/config.js';
import { buildFeed } from '../src/refresh/refresh-feed.js';
import { createBuildPool } from '../src/build/pool.js';
import { silentLogger } from '../src/logger.js';
import { Catalog } from '../src/store/catalog.js';
import { Matcher } from '../src/lookup.js';
import { ensureDemoData } from '../src/demo.js';
import { absentIndicators, absentSha256, writeIndicatorLists, writeSha256List, type MixedSamples } from './synthetic.js';
import { measureBloom } from './bloom.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..');
const ITEMS_PER_REQUEST = 1000;
/** Indicator feeds of the mixed case: 1 million IPs over 15 prefix lengths, 1 million domains, 500,000 URLs. */
const INDICATOR_COUNTS = { ips: 1_000_000, domains: 1_000_000, urls: 500_000 };
const DISTINCT_BODIES = 64;

const { values: options } = parseArgs({
  options: {
    keys: { type: 'string', default: '5000000' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'skip-http': { type: 'boolean', default: false },
  },
});
const KEYS = Number(options.keys);
const DURATION = Number(options.duration);
const ROUNDS = Number(options.rounds);
const CONNECTIONS = Number(options.connections);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Deterministic shuffle so bodies mix present and absent items in a fixed order. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Request bodies of 1,000 items, `presentShare` of them from the store, all distinct across bodies. */
function makeBatches(present: string[], absent: string[], presentShare: number): string[][] {
  const presentPerBody = Math.round(ITEMS_PER_REQUEST * presentShare);
  const batches: string[][] = [];
  let p = 0;
  let a = 0;
  for (let b = 0; b < DISTINCT_BODIES; b++) {
    const items: string[] = [];
    for (let i = 0; i < presentPerBody; i++) items.push(present[p++ % present.length]!);
    for (let i = presentPerBody; i < ITEMS_PER_REQUEST; i++) items.push(absent[a++ % absent.length]!);
    batches.push(shuffled(items, b + 1));
  }
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Build and in-process figures

interface BuildFigures {
  keysPerSecond: number;
  seconds: number;
  bytesPerKey: number;
  storeBytesPerKey: number;
  bloomBytesPerKey: number;
}

async function buildStore(config: VerdictConfig): Promise<BuildFigures> {
  const pool = createBuildPool(config.build.workerThreads);
  try {
    // Start the worker threads first, so thread start-up is not counted as build time.
    await Promise.all(Array.from({ length: 2 }, () => pool.run({ count: 0, keys: new Uint8Array(0), keyEnds: new Uint32Array(0), values: new Uint8Array(0), valueEnds: new Uint32Array(0), lmdbPath: join(config.dataDir, 'warm-up.mdb'), bloomPath: join(config.dataDir, 'warm-up.bloom'), bloom: { bitsPerKey: 10, hashes: 7 } })));
    const started = performance.now();
    const manifest = await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger: silentLogger() }, config.feeds[0]!);
    const seconds = (performance.now() - started) / 1000;
    return {
      keysPerSecond: manifest.records / seconds,
      seconds,
      bytesPerKey: (manifest.storeBytes + manifest.bloom.bytes) / manifest.keys,
      storeBytesPerKey: manifest.storeBytes / manifest.keys,
      bloomBytesPerKey: manifest.bloom.bytes / manifest.keys,
    };
  } finally {
    await pool.destroy();
  }
}

function nsPerItem(matcher: Matcher, batches: string[][], repeat: number): number {
  for (const batch of batches.slice(0, 4)) matcher.lookupMany(batch); // warm-up
  const started = process.hrtime.bigint();
  let items = 0;
  for (let r = 0; r < repeat; r++) {
    for (const batch of batches) {
      matcher.lookupMany(batch);
      items += batch.length;
    }
  }
  return Number(process.hrtime.bigint() - started) / items;
}

function measureBloomFalsePositives(catalog: Catalog, absent: string[]): number {
  const key = Buffer.alloc(33);
  let maybe = 0;
  const generation = catalog.serving[0]!;
  for (const hex of absent) {
    key[0] = 3;
    key.write(hex, 1, 'hex');
    const shard = generation.shards[((key[1]! << 8) | key[2]!) % generation.shards.length]!;
    if (shard.bloom.has(key, 3)) maybe++;
  }
  return maybe / absent.length;
}

// ---------------------------------------------------------------------------------------------
// HTTP figures

interface ChildServer {
  readonly url: string;
  stop(): Promise<void>;
}

async function startChild(mode: 'verdict' | 'baseline', argument: string, workDir: string): Promise<ChildServer> {
  const portFile = join(workDir, `${mode}.port`);
  rmSync(portFile, { force: true });
  const child: ChildProcess = spawn(process.execPath, [join(here, 'servers.js'), mode, argument, portFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 300_000;
  while (!existsSync(portFile)) {
    if (child.exitCode !== null) throw new Error(`${mode} server exited with code ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${mode} server was not ready within 300 s`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  const port = Number(readFileSync(portFile, 'utf8'));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolveStop) => {
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

interface LoadCase {
  readonly name: string;
  readonly itemsPerRequest: number;
  readonly requests: { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string | Buffer }[];
}

interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly itemsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function runLoad(url: string, loadCase: LoadCase): Promise<LoadFigures> {
  const rounds: autocannon.Result[] = [];
  // A short warm-up round lets V8 optimize the route before measuring.
  await autocannon({ url, connections: CONNECTIONS, duration: 1, requests: loadCase.requests });
  for (let round = 0; round < ROUNDS; round++) {
    rounds.push(await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests: loadCase.requests }));
  }
  const requestsPerSecond = median(rounds.map((result) => result.requests.average));
  return {
    requestsPerSecond,
    itemsPerSecond: requestsPerSecond * loadCase.itemsPerRequest,
    p50Ms: median(rounds.map((result) => result.latency.p50)),
    p99Ms: median(rounds.map((result) => result.latency.p99)),
    errors: rounds.reduce((sum, result) => sum + result.errors + result.timeouts, 0),
    non2xx: rounds.reduce((sum, result) => sum + result.non2xx, 0),
  };
}

function jsonCase(name: string, batches: string[][]): LoadCase {
  return {
    name,
    itemsPerRequest: ITEMS_PER_REQUEST,
    requests: batches.map((items) => ({
      method: 'POST' as const,
      path: '/v1/lookup',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    })),
  };
}

function msgpackCase(name: string, batches: string[][]): LoadCase {
  const packer = new Packr({ useRecords: false });
  return {
    name,
    itemsPerRequest: ITEMS_PER_REQUEST,
    requests: batches.map((items) => ({
      method: 'POST' as const,
      path: '/v1/lookup',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: packer.pack({ items: items.map((hex) => Buffer.from(hex, 'hex')) }),
    })),
  };
}

function singleCase(name: string, hashes: string[]): LoadCase {
  return { name, itemsPerRequest: 1, requests: hashes.map((hash) => ({ method: 'GET' as const, path: `/v1/lookup/${hash}` })) };
}

function printLoad(name: string, figures: LoadFigures, baseline?: { name: string; value: number; unit: 'items' | 'requests' }): void {
  const ratio =
    baseline === undefined
      ? ''
      : `  ${format((baseline.unit === 'items' ? figures.itemsPerSecond : figures.requestsPerSecond) / baseline.value, 2)}x ${baseline.name}`;
  log(
    `${name.padEnd(44)} ${format(figures.requestsPerSecond).padStart(8)} req/s ${format(figures.itemsPerSecond).padStart(11)} items/s` +
      `  p50 ${format(figures.p50Ms, 1).padStart(6)} ms  p99 ${format(figures.p99Ms, 1).padStart(6)} ms` +
      `  errors ${figures.errors} non-2xx ${figures.non2xx}${ratio}`,
  );
}

// ---------------------------------------------------------------------------------------------

/** Builds one feed of `config` and returns keys per second, parse to publish. */
async function timeBuild(config: VerdictConfig, feedId: string): Promise<{ seconds: number; keys: number }> {
  const pool = createBuildPool(config.build.workerThreads);
  try {
    const started = performance.now();
    const manifest = await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger: silentLogger() }, config.feeds.find((feed) => feed.id === feedId)!);
    return { seconds: (performance.now() - started) / 1000, keys: manifest.keys };
  } finally {
    await pool.destroy();
  }
}

function mixedBatches(present: MixedSamples, absent: MixedSamples, presentShare: number): string[][] {
  const all = (samples: MixedSamples): string[] => {
    const out: string[] = [];
    for (let i = 0; i < Math.min(samples.ips.length, samples.domains.length, samples.urls.length); i++) {
      out.push(samples.ips[i]!, samples.domains[i]!, samples.urls[i]!);
    }
    return out;
  };
  return makeBatches(all(present), all(absent), presentShare);
}

function republishDuring(configPath: string, feedId: string, intervalMs: number, seconds: number): { done: Promise<number> } {
  const deadline = Date.now() + seconds * 1000;
  const child = spawn(process.execPath, [join(here, 'republish.js'), configPath, feedId, String(intervalMs), String(deadline)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let published = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    published += (chunk.toString().match(/^republished /gm) ?? []).length;
  });
  return { done: new Promise((resolveDone) => child.once('exit', () => resolveDone(published))) };
}

async function main(): Promise<void> {
  const workDir = join(projectRoot, 'data', 'bench');
  mkdirSync(workDir, { recursive: true });
  log(`verdict bench: ${KEYS.toLocaleString('en-US')} SHA-256 keys, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}`);
  log(`load: autocannon in this process, server in a child process, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s, medians`);
  log();

  // Synthetic feeds, cached between runs and keyed by size.
  const listPath = join(workDir, `sha256-${KEYS}.txt`);
  const samplesPath = `${listPath}.samples.json`;
  let present: string[];
  if (existsSync(listPath) && existsSync(samplesPath)) {
    present = JSON.parse(readFileSync(samplesPath, 'utf8')) as string[];
  } else {
    present = writeSha256List(listPath, KEYS, 1, Math.max(1, Math.floor(KEYS / 100_000)));
    writeFileSync(samplesPath, JSON.stringify(present));
  }
  const absent = absentSha256(200_000, 7);

  const indicatorPaths = {
    ips: join(workDir, `ips-${INDICATOR_COUNTS.ips}.txt`),
    domains: join(workDir, `domains-${INDICATOR_COUNTS.domains}.txt`),
    urls: join(workDir, `urls-${INDICATOR_COUNTS.urls}.txt`),
  };
  const indicatorSamplesPath = join(workDir, `indicators-${INDICATOR_COUNTS.ips}.samples.json`);
  let indicatorPresent: MixedSamples;
  if (existsSync(indicatorSamplesPath) && Object.values(indicatorPaths).every((path) => existsSync(path))) {
    indicatorPresent = JSON.parse(readFileSync(indicatorSamplesPath, 'utf8')) as MixedSamples;
  } else {
    indicatorPresent = writeIndicatorLists(indicatorPaths, INDICATOR_COUNTS, 3);
    writeFileSync(indicatorSamplesPath, JSON.stringify(indicatorPresent));
  }
  const indicatorAbsent = absentIndicators(20_000, 9);
  const botnetPath = join(workDir, 'botnet.txt');
  writeFileSync(botnetPath, Array.from({ length: 10_000 }, (_, i) => `${23 + (i % 50)}.${(i >>> 8) & 255}.${i & 255}.${(i * 13) & 255}`).join('\n') + '\n');

  const dataDir = join(workDir, 'store');
  rmSync(dataDir, { recursive: true, force: true });
  const configPath = join(workDir, 'bench.config.json');
  const rawConfig = {
    dataDir: 'store',
    server: { host: '127.0.0.1', port: 0 },
    refresh: { schedule: false },
    feeds: [
      { id: 'bench-sha256', list: 'deny', format: 'hash-list', path: listPath },
      { id: 'bench-ips', list: 'deny', format: 'indicator-list', path: indicatorPaths.ips, options: { type: 'ip' } },
      { id: 'bench-domains', list: 'deny', format: 'indicator-list', path: indicatorPaths.domains, options: { type: 'domain' } },
      { id: 'bench-urls', list: 'deny', format: 'indicator-list', path: indicatorPaths.urls, options: { type: 'url' } },
      { id: 'bench-botnet', list: 'deny', format: 'indicator-list', path: botnetPath, options: { type: 'ip' }, guards: { rejectOlder: false } },
    ],
  };
  writeFileSync(configPath, JSON.stringify(rawConfig, null, 2));
  const config = parseConfig(rawConfig, configPath);

  // Build.
  const build = await buildStore(config);
  log('build (parse to publish)');
  log(`  hash-list: ${format(KEYS)} keys in ${format(build.seconds, 2)} s: ${format(build.keysPerSecond)} keys/s  (target >= 1,000,000)`);
  log(`  store ${format(build.storeBytesPerKey, 1)} B/key + bloom ${format(build.bloomBytesPerKey, 2)} B/key = ${format(build.bytesPerKey, 1)} B/key  (target <= 64)`);
  const indicatorBuilds: Record<string, { seconds: number; keys: number }> = {};
  for (const feedId of ['bench-ips', 'bench-domains', 'bench-urls', 'bench-botnet']) {
    const timing = await timeBuild(config, feedId);
    indicatorBuilds[feedId] = timing;
    log(`  ${feedId}: ${format(timing.keys)} keys in ${format(timing.seconds, 2)} s: ${format(timing.keys / timing.seconds)} keys/s`);
  }
  log();

  // In-process lookups.
  const catalog = new Catalog(config, silentLogger());
  catalog.refresh();
  const matcher = new Matcher(catalog);
  const missBatches = makeBatches(present, absent, 0);
  const hitBatches = makeBatches(present, absent, 1);
  const falsePositiveRate = measureBloomFalsePositives(catalog, absent);
  const inProcess: Record<string, number> = {};
  log('in-process (one thread, no HTTP; 1,000-item batches of strings)');
  inProcess['hashMiss'] = nsPerItem(matcher, missBatches, 5);
  log(`  SHA-256 miss                       ${format(inProcess['hashMiss']).padStart(6)} ns/item  (target <= 300)`);
  inProcess['hashHit'] = nsPerItem(matcher, hitBatches, 5);
  log(`  SHA-256 hit, bare hash list        ${format(inProcess['hashHit']).padStart(6)} ns/item`);
  const chunk = (items: string[]): string[][] => Array.from({ length: Math.ceil(items.length / 1000) }, (_, i) => items.slice(i * 1000, i * 1000 + 1000));
  for (const [name, items, target] of [
    ['IP miss', indicatorAbsent.ips, '2,000'],
    ['domain miss', indicatorAbsent.domains, '3,000'],
    ['URL miss', indicatorAbsent.urls, '15,000'],
    ['IP hit', indicatorPresent.ips, ''],
    ['domain hit (subdomain)', indicatorPresent.domains, ''],
    ['URL hit', indicatorPresent.urls, ''],
  ] as const) {
    inProcess[name] = nsPerItem(matcher, chunk([...items]), 3);
    log(`  ${name.padEnd(34)} ${format(inProcess[name]!).padStart(6)} ns/item${target === '' ? '' : `  (target <= ${target})`}`);
  }
  catalog.close();

  // Hits with attributes: the demo clean-file feed (CFMD layout, 1,000,000 records).
  const demo = ensureDemoData(join(projectRoot, 'data'));
  const demoConfig = parseConfig(JSON.parse(readFileSync(demo.paths.config, 'utf8')), demo.paths.config);
  const demoCatalog = new Catalog(demoConfig, silentLogger());
  demoCatalog.refresh();
  if (demoCatalog.missingFeeds().length > 0) {
    const pool = createBuildPool();
    for (const feed of demoConfig.feeds) await buildFeed({ dataDir: demoConfig.dataDir, build: demoConfig.build, pool, logger: silentLogger() }, feed);
    await pool.destroy();
    demoCatalog.refresh();
  }
  const cleanHashes = readFileSync(demo.paths.cleanFeed, 'latin1')
    .split('\n', 20_001)
    .slice(1, 20_001)
    .map((line) => line.slice(0, 64));
  const attributeBatches = makeBatches(cleanHashes, absent, 1).slice(0, 20);
  inProcess['hashHitAttributes'] = nsPerItem(new Matcher(demoCatalog), attributeBatches, 5);
  log(`  SHA-256 hit with attributes (CFMD) ${format(inProcess['hashHitAttributes']).padStart(6)} ns/item  (target <= 3,000)`);
  demoCatalog.close();
  log(`  bloom false-positive rate          ${format(falsePositiveRate * 100, 2).padStart(6)} %  (${format(absent.length)} absent keys)`);
  const bloom = measureBloom(1_000_000);
  log(`  bloom check, 1M keys: blocked filter ${format(bloom.blockedNsPerCheck)} ns; bloom-filters package ${format(bloom.packageNsPerCheck)} ns, with digest bits as indexes ${format(bloom.packageDigestBitsNsPerCheck)} ns`);
  log();

  if (options['skip-http']) return;

  // HTTP: baselines first, then verdict, one server at a time so they never share the CPU.
  const baselineServer = await startChild('baseline', listPath, workDir);
  const bare = await runLoad(baselineServer.url, { name: 'bare', itemsPerRequest: 1, requests: [{ method: 'GET', path: '/bare' }] });
  const setBatches1 = makeBatches(present, absent, 0.01);
  const set1 = await runLoad(baselineServer.url, jsonCase('set', setBatches1));
  await baselineServer.stop();

  const verdictServer = await startChild('verdict', configPath, workDir);
  const json1 = await runLoad(verdictServer.url, jsonCase('json 1%', setBatches1));
  const json50 = await runLoad(verdictServer.url, jsonCase('json 50%', makeBatches(present, absent, 0.5)));
  const msgpack1 = await runLoad(verdictServer.url, msgpackCase('msgpack 1%', setBatches1));
  const singles = [...present.slice(0, 10), ...absent.slice(0, 990)];
  const single = await runLoad(verdictServer.url, singleCase('single', shuffled(singles, 99)));
  const mixed1 = await runLoad(verdictServer.url, jsonCase('mixed 1%', mixedBatches(indicatorPresent, indicatorAbsent, 0.01)));

  // The JSON 1% case again while a feed is republished every 3 seconds by another process.
  const republish = republishDuring(configPath, 'bench-botnet', 3000, ROUNDS * DURATION + 2);
  const json1Refreshing = await runLoad(verdictServer.url, jsonCase('json 1% refreshing', setBatches1));
  const republished = await republish.done;
  await verdictServer.stop();

  log('HTTP (bulk: 1,000 items per request, 64 distinct bodies in rotation)');
  printLoad('baseline: bare Fastify GET', bare);
  printLoad('baseline: bulk JSON from an in-memory Set, 1%', set1);
  printLoad('bulk JSON SHA-256, 1% present', json1, { name: 'Set baseline (target >= 0.70)', value: set1.itemsPerSecond, unit: 'items' });
  printLoad('bulk JSON SHA-256, 50% present', json50, { name: 'Set baseline (target >= 700,000 items/s)', value: set1.itemsPerSecond, unit: 'items' });
  printLoad('bulk MessagePack raw digests, 1% present', msgpack1, { name: 'JSON 1% (target >= 1.00)', value: json1.itemsPerSecond, unit: 'items' });
  printLoad('single GET /v1/lookup/{hash}, 1% present', single, { name: 'bare GET (target >= 0.70)', value: bare.requestsPerSecond, unit: 'requests' });
  printLoad('bulk JSON IPs+domains+URLs, 1% present', mixed1, { name: 'SHA-256 JSON 1% (target >= 300,000 items/s)', value: json1.itemsPerSecond, unit: 'items' });
  printLoad(`bulk JSON SHA-256 1%, ${republished} republishes`, json1Refreshing, { name: 'same without refreshes (target >= 0.80, 0 errors)', value: json1.itemsPerSecond, unit: 'items' });

  const resultsPath = join(workDir, 'latest.json');
  writeFileSync(
    resultsPath,
    JSON.stringify({ date: new Date().toISOString(), keys: KEYS, build, indicatorBuilds, inProcess, falsePositiveRate, bloom, bare, set1, json1, json50, msgpack1, single, mixed1, json1Refreshing, republished }, null, 2),
  );
  log();
  log(`figures written to ${resultsPath}`);
}

await main();
