/**
 * `indicator-list`: a plain list with one indicator per line: IP addresses and CIDR ranges (FireHOL
 * `.netset` and `.ipset` files, firewall external lists), domains, URLs (OpenPhish) or hashes.
 *
 * - Lines whose first non-blank character is `#`, `;` or `!` are comments; blank lines are skipped.
 * - An inline comment starts at white space followed by `#` or `;` and runs to the line end. A `#`
 *   with no white space before it is part of the entry, as in a URL fragment (`/a.html#x`).
 * - Option `type` sets the type of every entry, or `auto` (the default) decides per line, in order:
 *   a scheme (`http://`) makes a URL, and 32, 40 or 64 hex digits a hash. Text shaped like an IP
 *   address or CIDR range (digits and dots, or hex digits and colons, with an optional `/prefix`) is
 *   an IP. Any other text containing `/` is a URL without a scheme, and everything else a domain.
 * - A URL entry is the whole line without its inline comment, because URLs may contain raw spaces. Any
 *   other entry is one word: text after it is a bad line (`unexpected-text`), since reading only the
 *   first word of an unknown layout could store something the feed did not mean.
 *
 * Invalid entries are bad lines with the reason the indicator parser gives (`invalid-prefix`,
 * `invalid-character`, `invalid-url`, `bad-hash-length`, ...). Reserved address space and ranges
 * wider than the feed's limit are handled by the feed's indicator policy (filtered as `reserved`, or
 * rejected as `range-too-wide`).
 */
import { forEachLine } from '../input.js';
import type { FeedFormat, ParseContext, Rejection } from '../../build/types.js';

export type IndicatorListType = 'auto' | 'ip' | 'domain' | 'url' | 'hash';

export const DEFAULT_INDICATOR_LIST_TYPE: IndicatorListType = 'auto';

/** Bad-line reason of a non-URL entry followed by more text on its line. */
export const UNEXPECTED_TEXT_REASON = 'unexpected-text';

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HASH = /^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;
/**
 * The shape of an IPv4 or IPv6 address with an optional decimal prefix. Such text is reported with
 * the IP parser's message when it is not valid (`1.2.3.256`, `10.0.0.0/33`) rather than taken for a
 * domain or a URL path.
 */
const IP_SHAPE = /^(?:[0-9.]+|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)(?:\/[0-9]+)?$/;
/** White space followed by `#` or `;`: the start of an inline comment. */
const INLINE_COMMENT = /[ \t][#;]/;
const WHITE_SPACE = /[ \t]/;

const COMMENT_STARTS = new Set(['#', ';', '!']);

/** Decides the type of one entry in `auto` mode, following the order in the module comment. */
export function guessIndicatorType(entry: string): Exclude<IndicatorListType, 'auto'> {
  if (SCHEME.test(entry)) return 'url';
  if (HASH.test(entry)) return 'hash';
  if (IP_SHAPE.test(entry)) return 'ip';
  if (entry.includes('/')) return 'url';
  return 'domain';
}

/** Strips white space and the inline comment from a line; returns undefined for a blank or comment line. */
function entryText(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed.length === 0 || COMMENT_STARTS.has(trimmed[0]!)) return undefined;
  const comment = INLINE_COMMENT.exec(trimmed);
  return comment === null ? trimmed : trimmed.slice(0, comment.index).trimEnd();
}

export const indicatorListFormat: FeedFormat = {
  name: 'indicator-list',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      type: {
        type: 'string',
        enum: ['auto', 'ip', 'domain', 'url', 'hash'],
        default: DEFAULT_INDICATOR_LIST_TYPE,
        description: 'Type of every entry. "auto" (the default) decides per line between IP/CIDR, URL, hash and domain.',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    const listType = (context.options['type'] as IndicatorListType | undefined) ?? DEFAULT_INDICATOR_LIST_TYPE;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const text = entryText(line);
      if (text === undefined) return;

      const space = WHITE_SPACE.exec(text);
      const firstWord = space === null ? text : text.slice(0, space.index);
      const type = listType === 'auto' ? guessIndicatorType(firstWord) : listType;
      if (type !== 'url' && space !== null) {
        const rest = text.slice(space.index).trim();
        sink.bad(
          UNEXPECTED_TEXT_REASON,
          lineNumber,
          line,
          `expected one entry per line, but ${JSON.stringify(firstWord)} is followed by ${JSON.stringify(rest)}`,
        );
        return;
      }

      let rejection: Rejection | undefined;
      switch (type) {
        case 'ip':
          rejection = sink.addIp(text);
          break;
        case 'domain':
          rejection = sink.addDomain(text);
          break;
        case 'url':
          rejection = sink.addUrl(text);
          break;
        case 'hash': {
          const reason = sink.addHash(text);
          if (reason !== undefined) {
            rejection = { reason, message: `${JSON.stringify(text)} is not an MD5, SHA-1 or SHA-256 hash (32, 40 or 64 hex digits)` };
          }
          break;
        }
      }
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
    });
  },
};
