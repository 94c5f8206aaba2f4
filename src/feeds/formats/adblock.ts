/**
 * `adblock`: Adblock Plus, uBlock Origin and AdGuard filter lists, of which verdict reads the rules
 * that block a whole host.
 *
 * - `||example.com^` blocks the domain and its subdomains: a domain entry in mode `both`, whatever
 *   the feed's default mode, because that is what the rule means. `||example.com^|` and
 *   `||example.com` (no separator, as DNS blocklists write it) are read the same way, and
 *   `||*.example.com^` is subdomains only. `||192.0.2.1^` is an IP entry.
 * - Options after `$` (`||example.com^$third-party,script`) do not change the entry. They are kept
 *   as the `options` attribute, a list of strings, so a match shows what the rule was limited to.
 *   Rules whose options make them modify requests instead of blocking them (`removeparam`, `csp`,
 *   `redirect-rule`, `cookie`, `elemhide`, ... see NON_BLOCKING_OPTIONS) are `unsupported-rule`.
 * - Comments (`! ...`, `# ...`), headers (`[Adblock Plus 2.0]`) and blank lines are skipped.
 * - Exception rules (`@@||example.com^`) allow what other rules block: they are not allow-list
 *   entries of this feed, so they are counted as filtered (`exception-rule`). Rules with the
 *   `badfilter` option cancel another rule and are counted the same way.
 * - Cosmetic rules (`##`, `#@#`, `#?#`, `#$#`, AdGuard's `$$`), URL path rules (`||example.com/ads/`,
 *   `/banner/*`), address rules (`|https://...`) and regular expressions (`/ads[0-9]/`) are legitimate
 *   rules that verdict cannot look up; they are counted as filtered (`unsupported-rule`).
 *
 * NOTE: a `badfilter` rule may come after the rule it cancels, and lists are streamed, so the
 * cancelled rule is still added.
 *
 * An invalid host in a host rule is a bad line with the reason the domain or IP parser gives.
 */
import { forEachLine } from '../input.js';
import type { Attributes, FeedFormat, ParseContext, Rejection } from '../../build/types.js';
import { parseIpAddress } from '../../indicators/ip.js';

export const AdblockFilter = {
  exception: 'exception-rule',
  unsupported: 'unsupported-rule',
} as const;

/**
 * Options of uBlock Origin and AdGuard network rules that rewrite, redirect or exempt a request instead
 * of blocking it, so a rule carrying one is not a deny entry for its host.
 */
export const NON_BLOCKING_OPTIONS: ReadonlySet<string> = new Set([
  'removeparam',
  'queryprune',
  'csp',
  'inline-script',
  'inline-font',
  'redirect-rule',
  'replace',
  'cookie',
  'removeheader',
  'permissions',
  'referrerpolicy',
  'urltransform',
  'uritransform',
  'hls',
  'jsonprune',
  'xmlprune',
  'stealth',
  'content',
  'jsinject',
  'extension',
  'urlblock',
  'elemhide',
  'ehide',
  'generichide',
  'ghide',
  'specifichide',
  'shide',
  'genericblock',
]);

/** Cosmetic and HTML filtering separators: `##`, `#@#`, `#?#`, `#@?#`, `#$#`, `#%#`, `$$`, `$@$`. */
const COSMETIC = /#@?[?$%]?#|\$@?\$/;
/** Characters that make a `||` pattern more than a host: a path, a wildcard, an anchor, a port. */
const NOT_HOST = /[/*^|:?=&\\\s[\]]/;

/** Extracts the host of a `||` pattern without its `^`, `^|` or `|` ending; undefined when the pattern has a path. */
function hostOfAnchoredPattern(pattern: string): string | undefined {
  let host = pattern.slice(2);
  if (host.endsWith('^|')) host = host.slice(0, -2);
  else if (host.endsWith('^') || host.endsWith('|')) host = host.slice(0, -1);
  // A leading `*.` is the one wildcard a host rule may have: subdomains only.
  const body = host.startsWith('*.') ? host.slice(2) : host;
  if (body.length === 0 || NOT_HOST.test(body)) return undefined;
  return host;
}

/** Returns the name of an option: `domain` for `domain=a.com`, `third-party` for `~third-party`. */
function optionName(option: string): string {
  const equals = option.indexOf('=');
  return (equals === -1 ? option : option.slice(0, equals)).replace(/^~/, '').toLowerCase();
}

/** Splits the text after `$` into the rule's options, without empty items. */
function splitOptions(text: string): string[] {
  return text
    .split(',')
    .map((option) => option.trim())
    .filter((option) => option.length > 0);
}

export const adblockFormat: FeedFormat = {
  name: 'adblock',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const rule = line.trim();
      if (rule.length === 0 || rule.startsWith('!')) return;
      if (rule.startsWith('[') && rule.endsWith(']')) return;
      if (rule === '#' || rule.startsWith('# ')) return;

      if (COSMETIC.test(rule)) {
        sink.filtered(AdblockFilter.unsupported);
        return;
      }
      if (rule.startsWith('@@')) {
        sink.filtered(AdblockFilter.exception);
        return;
      }

      const dollar = rule.indexOf('$');
      const pattern = dollar === -1 ? rule : rule.slice(0, dollar);
      const options = dollar === -1 ? [] : splitOptions(rule.slice(dollar + 1));
      if (options.some((option) => optionName(option) === 'badfilter')) {
        sink.filtered(AdblockFilter.exception);
        return;
      }
      if (options.some((option) => NON_BLOCKING_OPTIONS.has(optionName(option)))) {
        sink.filtered(AdblockFilter.unsupported);
        return;
      }

      const host = pattern.startsWith('||') ? hostOfAnchoredPattern(pattern) : undefined;
      if (host === undefined) {
        sink.filtered(AdblockFilter.unsupported);
        return;
      }

      const attributes: Attributes | undefined = options.length > 0 ? { options } : undefined;
      let rejection: Rejection | undefined;
      if (parseIpAddress(host).ok) rejection = sink.addIp(host, attributes);
      // The `.` marker makes the entry match the domain and its subdomains, as `||` does.
      else rejection = sink.addDomain(host.startsWith('*.') ? host : `.${host}`, attributes);
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
    });
  },
};
