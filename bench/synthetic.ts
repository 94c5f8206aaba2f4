/** Deterministic synthetic feeds for the benchmarks. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { DeterministicRandom } from '../src/demo.js';

/**
 * Writes `count` random SHA-256 hashes, one per line, to `path` and returns every `sampleEvery`-th
 * one (the benchmark's "present" items).
 */
export function writeSha256List(path: string, count: number, seed: number, sampleEvery = 1000): string[] {
  const random = new DeterministicRandom(seed);
  const fd = openSync(path, 'w');
  const samples: string[] = [];
  let chunk: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const hash = random.hex(32);
      if (i % sampleEvery === 0) samples.push(hash);
      chunk.push(hash);
      if (chunk.length === 65_536) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  return samples;
}

/** `count` random SHA-256 hashes from a seed no feed uses: absent from every bench store. */
export function absentSha256(count: number, seed: number): string[] {
  const random = new DeterministicRandom(seed ^ 0xa5a5_a5a5);
  return Array.from({ length: count }, () => random.hex(32));
}

/**
 * Prefix lengths of the synthetic IP feed, weighted as in real blocklists: mostly single addresses,
 * then /24s and small ranges, a few wide ones. 11 IPv4 and 4 IPv6 lengths; wide ranges stay rare so
 * that addresses outside the feed's space really miss.
 */
const IPV4_PREFIXES = [32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 24, 24, 24, 31, 30, 29, 28, 27, 26, 22] as const;
const IPV4_RARE_PREFIXES = [20, 16] as const;
const IPV6_PREFIXES = [128, 128, 128, 64, 56, 48] as const;

function ipv4Text(random: DeterministicRandom, prefix: number, firstOctetBase = 11): string {
  // Feed entries fall in 11.0.0.0 to 99.255.255.255 and absent addresses in 111 to 199: both public
  // space, so the reserved-range policy keeps every entry, and no absent address is inside an entry.
  const first = firstOctetBase + random.below(89);
  const value = ((first << 24) | (random.nextUint32() & 0xffffff)) >>> 0;
  const masked = prefix === 32 ? value : (value & (~0 << (32 - prefix))) >>> 0;
  const text = [masked >>> 24, (masked >>> 16) & 255, (masked >>> 8) & 255, masked & 255].join('.');
  return prefix === 32 ? text : `${text}/${prefix}`;
}

function ipv6Text(random: DeterministicRandom, prefix: number, firstGroup = 0x2a00): string {
  // Global unicast under the first group, then random groups; the builder masks host bits of prefixes.
  const groups = [firstGroup | random.below(0x100)];
  for (let i = 1; i < 8; i++) groups.push(random.below(0x10000));
  const text = groups.map((group) => group.toString(16)).join(':');
  return prefix === 128 ? text : `${text}/${prefix}`;
}

export interface MixedSamples {
  readonly ips: string[];
  readonly domains: string[];
  readonly urls: string[];
}

/**
 * Writes an IP list (`ipCount` entries, 80% IPv4 over 10 prefix lengths), a domain list and a URL
 * list for the indicator benchmark, and returns present items to query: addresses inside IP
 * entries, subdomains of domain entries, and the entry URLs.
 */
export function writeIndicatorLists(
  paths: { ips: string; domains: string; urls: string },
  counts: { ips: number; domains: number; urls: number },
  seed: number,
  samples = 10_000,
): MixedSamples {
  const random = new DeterministicRandom(seed);
  const out: MixedSamples = { ips: [], domains: [], urls: [] };
  const every = (count: number): number => Math.max(1, Math.floor(count / samples));

  const ipLines: string[] = [];
  for (let i = 0; i < counts.ips; i++) {
    const v4 = i % 5 !== 0;
    const rare = i % 1000 === 1;
    const prefix = v4
      ? rare
        ? IPV4_RARE_PREFIXES[random.below(IPV4_RARE_PREFIXES.length)]!
        : IPV4_PREFIXES[random.below(IPV4_PREFIXES.length)]!
      : IPV6_PREFIXES[random.below(IPV6_PREFIXES.length)]!;
    const entry = v4 ? ipv4Text(random, prefix) : ipv6Text(random, prefix);
    ipLines.push(entry);
    if (i % every(counts.ips) === 0) out.ips.push(entry.split('/')[0]!);
  }
  writeLines(paths.ips, ipLines);

  const domainLines: string[] = [];
  for (let i = 0; i < counts.domains; i++) {
    const name = `${random.hex(4)}${random.hex(4).slice(0, 4)}.${['com', 'net', 'org', 'info', 'ru', 'cn', 'top', 'xyz'][random.below(8)]}`;
    domainLines.push(name);
    if (i % every(counts.domains) === 0) out.domains.push(`www.${name}`);
  }
  writeLines(paths.domains, domainLines);

  const urlLines: string[] = [];
  for (let i = 0; i < counts.urls; i++) {
    const url = `http://${random.hex(4)}.example${random.below(1000)}.com/${random.hex(4)}/${random.hex(8)}.php?id=${random.below(100000)}`;
    urlLines.push(url);
    if (i % every(counts.urls) === 0) out.urls.push(url);
  }
  writeLines(paths.urls, urlLines);
  return out;
}

/** Absent items of each type, from a seed no feed uses. */
export function absentIndicators(count: number, seed: number): MixedSamples {
  const random = new DeterministicRandom(seed ^ 0x5a5a_5a5a);
  const out: MixedSamples = { ips: [], domains: [], urls: [] };
  for (let i = 0; i < count; i++) {
    out.ips.push(i % 5 === 0 ? ipv6Text(random, 128, 0x2c00) : ipv4Text(random, 32, 111));
    out.domains.push(`mail.${random.hex(4)}absent.com`);
    out.urls.push(`https://www.${random.hex(4)}.absent.org/a/b/${random.hex(4)}.html?q=${random.below(1000)}`);
  }
  return out;
}

function writeLines(path: string, lines: string[]): void {
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < lines.length; start += 65_536) writeSync(fd, `${lines.slice(start, start + 65_536).join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}
