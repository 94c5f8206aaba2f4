/**
 * A per-feed bloom filter of the hosts that URL entries carry. A URL lookup tries up to 5 hosts x 6
 * paths expressions, and each costs a digest and a bloom check on every URL feed; checking the
 * host first leaves one check per host for the hosts a feed has no entry for, which is almost
 * every host a lookup meets.
 */
import { BlockedBloomFilter } from './bloom.js';
import { digestStringInto } from '../indicators/digest.js';
import { BLOOM_PROBE_OFFSET, PROBE_BYTES } from '../indicators/keys.js';

/** Returns the host part of a Safe Browsing expression ("host/path?query" -> "host"). */
export function expressionHost(expression: string): string {
  const slash = expression.indexOf('/');
  return slash === -1 ? expression : expression.slice(0, slash);
}

/** Probe bytes of a host: a tag byte, then the host's 16-byte digest (with its own seed). */
function hostProbeInto(host: string, probe: Uint8Array): Uint8Array {
  probe[0] = 0;
  digestStringInto(host, probe, 1, 0x686f7374);
  return probe;
}

/** Collects the distinct hosts of a feed's URL entries while it is parsed. */
export class HostSetBuilder {
  private readonly hosts = new Set<string>();

  add(host: string): void {
    this.hosts.add(host);
  }

  get size(): number {
    return this.hosts.size;
  }

  /** Builds a filter containing every collected host, at 10 bits per host (about 1% false positives). */
  build(): BlockedBloomFilter {
    const filter = BlockedBloomFilter.create(Math.max(1, this.hosts.size));
    const probe = new Uint8Array(PROBE_BYTES);
    for (const host of this.hosts) filter.add(hostProbeInto(host, probe), BLOOM_PROBE_OFFSET);
    return filter;
  }
}

/** Lookup side: whether a feed may hold URL entries under `host`. */
export class HostFilter {
  private readonly probe = new Uint8Array(PROBE_BYTES);

  constructor(private readonly filter: BlockedBloomFilter) {}

  mayContain(host: string): boolean {
    return this.filter.has(hostProbeInto(host, this.probe), BLOOM_PROBE_OFFSET);
  }
}
