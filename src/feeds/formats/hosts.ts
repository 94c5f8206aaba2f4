/**
 * `hosts`: blocklists in hosts-file form, `ADDRESS NAME [NAME...]`, as in `0.0.0.0 evil.example` or
 * `127.0.0.1 a.example b.example`.
 *
 * - The address is where the blocklist sends the names (a sink such as 0.0.0.0), not an indicator:
 *   it must be an IP address and is then ignored.
 * - Each name is a domain entry whose match mode comes from the feed's policy.
 * - `#` starts a comment, at the start of a line or after an entry. The text of an inline comment
 *   becomes the `description` attribute of the line's names.
 * - The names every hosts file carries for the machine itself (`localhost`, `broadcasthost`,
 *   `ip6-loopback`, `0.0.0.0`, ...) are counted as filtered (`hosts-boilerplate`): they are
 *   legitimately present but are not blocklist entries.
 *
 * A line whose first word is not an IP address is a bad line (`hosts-missing-address`), and so is an
 * address with no name after it (`hosts-missing-name`). Invalid names are bad lines with the reason
 * the domain parser gives; the line's other names are still added.
 */
import { forEachLine } from '../input.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import { parseIpAddress } from '../../indicators/ip.js';

/** Filter reason of the machine's own names (see HOSTS_BOILERPLATE). */
export const HOSTS_BOILERPLATE_FILTER = 'hosts-boilerplate';

export const HostsBadReason = {
  missingAddress: 'hosts-missing-address',
  missingName: 'hosts-missing-name',
} as const;

/**
 * Names of the local machine and of IPv6 multicast groups, as the default hosts files of Linux,
 * macOS and Windows and the headers of the common blocklists (StevenBlack, blocklistproject) list them.
 */
export const HOSTS_BOILERPLATE: ReadonlySet<string> = new Set([
  'localhost',
  'localhost.localdomain',
  'localhost4',
  'localhost4.localdomain4',
  'localhost6',
  'localhost6.localdomain6',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

const WHITE_SPACE = /[ \t]+/;

export const hostsFormat: FeedFormat = {
  name: 'hosts',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const hash = line.indexOf('#');
      const entry = (hash === -1 ? line : line.slice(0, hash)).trim();
      if (entry.length === 0) return;
      const comment = hash === -1 ? '' : line.slice(hash + 1).trim();

      const [address, ...names] = entry.split(WHITE_SPACE) as [string, ...string[]];
      // macOS lists `fe80::1%lo0 localhost`: the zone names an interface and does not matter here.
      const zone = address.indexOf('%');
      const parsed = parseIpAddress(zone === -1 ? address : address.slice(0, zone));
      if (!parsed.ok) {
        sink.bad(
          HostsBadReason.missingAddress,
          lineNumber,
          line,
          `expected an IP address before the names: ${parsed.message}`,
        );
        return;
      }
      if (names.length === 0) {
        sink.bad(HostsBadReason.missingName, lineNumber, line, `the address ${address} has no name after it; expected ADDRESS NAME [NAME...]`);
        return;
      }

      const attributes: Attributes | undefined = comment.length > 0 ? { description: comment } : undefined;
      for (const name of names) {
        if (HOSTS_BOILERPLATE.has(name.toLowerCase())) {
          sink.filtered(HOSTS_BOILERPLATE_FILTER);
          continue;
        }
        const rejection = sink.addDomain(name, attributes);
        if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
      }
    });
  },
};
