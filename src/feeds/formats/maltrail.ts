/**
 * `maltrail`: Maltrail's static trail files (`trails/static/malware/<family>.txt`), one trail per
 * line. A trail is, by its shape:
 *
 * - a URL with a scheme (`http://example.com/gate.php`), or a host and path without one
 *   (`example.com/wp-admin/x/`, `192.0.2.1/a.exe`): a URL entry;
 * - an IP address or CIDR range, with or without a port (`192.0.2.1`, `192.0.2.1:8080`,
 *   `[2001:db8::1]:443`): an IP entry;
 * - a domain, with or without a port (`example.com`, `example.com:8080`): a domain entry, in the
 *   feed's default match mode;
 * - a bare path (`/wp-content/x/`), which Maltrail matches in any host's URLs. verdict cannot look a
 *   path up on its own, so these legitimate trails are counted as filtered (`unsupported-path-only`).
 *
 * Entries are case-insensitive where the indicator is (hosts), and URL paths keep their case. The
 * port of an IP or domain trail becomes the `port` attribute (a number); lookups do not use it.
 *
 * `#` lines are comments, and text after white space and `#` is an inline comment. Two header
 * comments give attributes: `# Reference: <text>` sets the `reference` of the entries after it,
 * until the next one, and `# Aliases: A, B` sets `aliases` (a list) for the rest of the file. The
 * `malwareFamily` option adds that attribute to every entry, since the family is named only by the
 * file name.
 *
 * Invalid entries are bad lines with the reason the IP, domain or URL parser gives. A port that is
 * not a number from 0 to 65535 is a bad line `invalid-port`.
 */
import { forEachLine } from '../input.js';
import type { Attributes, FeedFormat, ParseContext, Rejection } from '../../build/types.js';
import { parseIpAddress, parseIpOrCidr, splitHostPort } from '../../indicators/ip.js';

/** Filter reason of a bare `/path` trail. */
export const PATH_ONLY_FILTER = 'unsupported-path-only';

/** Bad-line reason of a trail whose port is not a number from 0 to 65535. */
export const INVALID_PORT_REASON = 'invalid-port';

export interface MaltrailOptions {
  readonly malwareFamily?: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const REFERENCE = /^#\s*Reference\s*:\s*(.*)$/i;
const ALIASES = /^#\s*Aliases\s*:\s*(.*)$/i;
const INLINE_COMMENT = /\s#.*$/;
/** Digits and dots (IPv4), or any text with a colon once the port is split off (IPv6). */
const IP_SHAPE = /^[0-9.]+$|:/;

/** The kind of one trail and the text to add, before the sink parses it. */
type Trail =
  | { readonly kind: 'url'; readonly text: string }
  | { readonly kind: 'ip' | 'domain'; readonly text: string; readonly port?: number }
  | { readonly kind: 'path-only' }
  | { readonly kind: 'bad'; readonly reason: string; readonly message: string };

/** Classifies one trail (comment and white space removed) by its shape, as the module comment lists. */
export function classifyTrail(entry: string): Trail {
  if (entry.startsWith('/')) return { kind: 'path-only' };
  if (SCHEME.test(entry)) return { kind: 'url', text: entry };

  // A path after the host makes a URL, except after an address, where it is a CIDR prefix.
  const slash = entry.indexOf('/');
  if (slash !== -1) {
    if (parseIpOrCidr(entry).ok) return { kind: 'ip', text: entry };
    return { kind: 'url', text: entry };
  }

  const split = splitHostPort(entry);
  if ('error' in split) return { kind: 'bad', reason: INVALID_PORT_REASON, message: split.error };
  // Text shaped like an address goes to the IP parser even when invalid, so its message names the problem.
  const kind = parseIpAddress(split.host).ok || IP_SHAPE.test(split.host) ? 'ip' : 'domain';
  return split.port === undefined ? { kind, text: split.host } : { kind, text: split.host, port: split.port };
}

export const maltrailFormat: FeedFormat = {
  name: 'maltrail',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      malwareFamily: {
        type: 'string',
        minLength: 1,
        description: 'The `malwareFamily` attribute of every entry, e.g. "Emotet" for emotet.txt (default: none).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    const { malwareFamily } = context.options as MaltrailOptions;
    let reference: string | undefined;
    let aliases: string[] | undefined;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const trimmed = line.trim();
      if (trimmed.length === 0) return;
      if (trimmed.startsWith('#')) {
        const referenceMatch = REFERENCE.exec(trimmed);
        if (referenceMatch !== null && referenceMatch[1]!.length > 0) reference = referenceMatch[1]!.trim();
        const aliasesMatch = ALIASES.exec(trimmed);
        if (aliasesMatch !== null) {
          const names = aliasesMatch[1]!.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
          aliases = names.length > 0 ? names : undefined;
        }
        return;
      }

      const entry = trimmed.replace(INLINE_COMMENT, '');
      const trail = classifyTrail(entry);
      if (trail.kind === 'path-only') {
        sink.filtered(PATH_ONLY_FILTER);
        return;
      }
      if (trail.kind === 'bad') {
        sink.bad(trail.reason, lineNumber, line, trail.message);
        return;
      }

      const attributes: Attributes = {};
      if (malwareFamily !== undefined) attributes['malwareFamily'] = malwareFamily;
      if (aliases !== undefined) attributes['aliases'] = aliases;
      if (reference !== undefined) attributes['reference'] = reference;
      if (trail.kind !== 'url' && trail.port !== undefined) attributes['port'] = trail.port;
      const recorded = Object.keys(attributes).length > 0 ? attributes : undefined;

      let rejection: Rejection | undefined;
      if (trail.kind === 'url') rejection = sink.addUrl(trail.text, recorded);
      else if (trail.kind === 'ip') rejection = sink.addIp(trail.text, recorded);
      else rejection = sink.addDomain(trail.text, recorded);
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
    });
  },
};
