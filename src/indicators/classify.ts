/**
 * Classifies a lookup item as a hash, IP address, CIDR range, domain or URL by strict rules, or
 * by the type the client forces with a prefix (`ip:1.2.3.4`) or a typed object
 * (`{"type": "url", "value": "..."}`).
 *
 * Bare items, in order: exactly 32, 40 or 64 hex digits is a hash; a scheme (`http://`) makes a URL;
 * a `/` makes a CIDR range when the whole item parses as one, else a URL when the part before the
 * first `/` is a host; an IPv4 dotted quad or an IPv6 address is an IP; a valid multi-label name is
 * a domain. Anything else is invalid, and the error names the problem of the closest type: a
 * string of hex digits or a `0x` prefix gets the hash error.
 */
import type { ErrorCode, ErrorParams } from '../errors.js';
import { DIGEST_BYTES, normalizeHashInto, type HashType } from './hash.js';
import { parseIpOrCidr, type IpNetwork } from './ip.js';
import { normalizeDomain, normalizeDomainFast } from './domain.js';
import { canonicalizeUrl, type CanonicalUrl } from './url.js';

export type ItemType = HashType | 'ipv4' | 'ipv6' | 'cidr' | 'domain' | 'url';

export type ClassifiedItem =
  | { readonly kind: 'hash'; readonly type: HashType; readonly key: Uint8Array }
  | { readonly kind: 'ip'; readonly type: 'ipv4' | 'ipv6'; readonly network: IpNetwork }
  | { readonly kind: 'cidr'; readonly type: 'cidr'; readonly network: IpNetwork }
  | { readonly kind: 'domain'; readonly type: 'domain'; readonly name: string }
  | { readonly kind: 'url'; readonly type: 'url'; readonly url: CanonicalUrl };

export interface ItemProblem {
  readonly kind: 'invalid';
  readonly code: ErrorCode;
  readonly params: ErrorParams;
  /** The type the item was taken for, when one was forced or recognized. */
  readonly type?: ItemType;
}

const FORCED_TYPES = ['md5', 'sha1', 'sha256', 'hash', 'ip', 'cidr', 'domain', 'url'] as const;
type ForcedType = (typeof FORCED_TYPES)[number];
const FORCED_PREFIX = /^(md5|sha1|sha256|hash|ip|cidr|domain|url):(?!\/\/)/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const HEX_ONLY = /^[0-9a-f]+$/i;
/** Characters an IP address can be written with; other text with a colon ("javascript:x") is no IP. */
const IP_SHAPE = /^[0-9a-f:.]+$/i;
const IP_RANGE_SHAPE = /^[0-9a-f:.]+\/\d+$/i;

function problem(code: ErrorCode, params: ErrorParams = {}, type?: ItemType): ItemProblem {
  return type === undefined ? { kind: 'invalid', code, params } : { kind: 'invalid', code, params, type };
}

function describe(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function classifyHash(value: string, forced?: HashType): ClassifiedItem | ItemProblem {
  const key = new Uint8Array(33);
  const result = normalizeHashInto(value, key);
  if (typeof result !== 'string') return problem(result.code, result.params, forced);
  if (forced !== undefined && result !== forced) {
    const expected = 2 * DIGEST_BYTES[forced];
    return problem('VERDICT_ERR_ITEM_HASH_TYPE_MISMATCH', { type: forced, expected, length: value.trim().length }, forced);
  }
  return { kind: 'hash', type: result, key: key.subarray(0, 1 + DIGEST_BYTES[result]) };
}

function classifyIp(value: string, allowCidr: boolean): ClassifiedItem | ItemProblem {
  const parsed = parseIpOrCidr(value);
  if (!parsed.ok) return problem('VERDICT_ERR_ITEM_INVALID_IP', { detail: parsed.message }, allowCidr ? 'cidr' : undefined);
  const network = parsed.network;
  const full = network.family === 4 ? 32 : 128;
  if (!value.includes('/') || network.prefix === full && !allowCidr) {
    return { kind: 'ip', type: network.family === 4 ? 'ipv4' : 'ipv6', network };
  }
  return { kind: 'cidr', type: 'cidr', network };
}

function classifyDomain(value: string): ClassifiedItem | ItemProblem {
  const fast = normalizeDomainFast(value);
  if (fast !== undefined) return { kind: 'domain', type: 'domain', name: fast };
  const parsed = normalizeDomain(value);
  if (!parsed.ok) return problem('VERDICT_ERR_ITEM_INVALID_DOMAIN', { detail: parsed.message }, 'domain');
  return { kind: 'domain', type: 'domain', name: parsed.name };
}

function classifyUrl(value: string): ClassifiedItem | ItemProblem {
  const parsed = canonicalizeUrl(value);
  if (!parsed.ok) return problem('VERDICT_ERR_ITEM_INVALID_URL', { detail: parsed.message }, 'url');
  return { kind: 'url', type: 'url', url: parsed.url };
}

function classifyForced(type: ForcedType, value: string): ClassifiedItem | ItemProblem {
  switch (type) {
    case 'md5':
    case 'sha1':
    case 'sha256':
      return classifyHash(value, type);
    case 'hash':
      return classifyHash(value);
    case 'ip': {
      const result = classifyIp(value.trim(), false);
      if (result.kind === 'cidr') return problem('VERDICT_ERR_ITEM_INVALID_IP', { detail: `${describe(value)} is a CIDR range; use cidr: for ranges` }, result.network.family === 4 ? 'ipv4' : 'ipv6');
      return result;
    }
    case 'cidr':
      return classifyIp(value.trim(), true);
    case 'domain':
      return classifyDomain(value.trim());
    case 'url':
      return classifyUrl(value);
  }
}

/** Classifies a bare string by the strict rules above. */
function classifyBare(raw: string): ClassifiedItem | ItemProblem {
  const value = raw.trim().replace(/^\uFEFF/, '');
  if (value.length === 0) return problem('VERDICT_ERR_ITEM_EMPTY');
  if ((value.length === 32 || value.length === 40 || value.length === 64) && HEX_ONLY.test(value)) return classifyHash(value);
  if (SCHEME.test(value)) return classifyUrl(value);

  const slash = value.indexOf('/');
  if (slash !== -1) {
    const cidr = parseIpOrCidr(value);
    if (cidr.ok) return classifyIp(value, true);
    // Address characters and a numeric prefix: a range with a problem, never a URL path.
    if (IP_RANGE_SHAPE.test(value)) return problem('VERDICT_ERR_ITEM_INVALID_IP', { detail: cidr.message }, 'cidr');
    // A written port ("host:8080/path") belongs to the URL, not to the host name.
    const host = value.slice(0, slash).replace(/:\d{1,5}$/, '');
    if (parseIpOrCidr(host).ok || normalizeDomain(host).ok) return classifyUrl(value);
  }

  if (IP_SHAPE.test(value) && (/^[0-9.]+$/.test(value) || value.includes(':'))) {
    const ip = parseIpOrCidr(value);
    if (ip.ok) return classifyIp(value, false);
    if (!HEX_ONLY.test(value)) return problem('VERDICT_ERR_ITEM_INVALID_IP', { detail: ip.message });
  }

  const domain = classifyDomain(value);
  if (domain.kind === 'domain') return domain;

  // Nothing fits: report the problem of the closest type.
  const hashLength = value.length === 32 || value.length === 40 || value.length === 64;
  if (HEX_ONLY.test(value) || /^0x/i.test(value) || (hashLength && !/[\\/:\s]/.test(value))) {
    return classifyHash(raw);
  }
  if (value.includes('.') && !/\s/.test(value)) return domain;
  return problem('VERDICT_ERR_ITEM_UNRECOGNIZED', { item: describe(value) });
}

/** Classifies one lookup item: a string (bare or with a type prefix) or a `{type, value}` object. */
export function classifyItem(item: string | { type: unknown; value: unknown }): ClassifiedItem | ItemProblem {
  if (typeof item === 'string') {
    const forced = FORCED_PREFIX.exec(item);
    if (forced !== null) return classifyForced(forced[1]!.toLowerCase() as ForcedType, item.slice(forced[0].length));
    return classifyBare(item);
  }
  const type = typeof item.type === 'string' ? item.type.toLowerCase() : undefined;
  if (type === undefined || !(FORCED_TYPES as readonly string[]).includes(type)) {
    let shown: string;
    try {
      // Scalars are shown as written; arrays and objects by kind, since they may nest without limit.
      shown =
        item.type !== null && typeof item.type === 'object'
          ? `(${Array.isArray(item.type) ? 'array' : 'object'})`
          : (JSON.stringify(item.type) ?? String(item.type));
    } catch {
      shown = '(unprintable)';
    }
    return problem('VERDICT_ERR_ITEM_UNKNOWN_TYPE', { type: shown.length > 100 ? `${shown.slice(0, 100)}…` : shown });
  }
  if (typeof item.value !== 'string') {
    return problem('VERDICT_ERR_ITEM_NOT_STRING', { kind: item.value === null ? 'null' : typeof item.value });
  }
  return classifyForced(type as ForcedType, item.value);
}
