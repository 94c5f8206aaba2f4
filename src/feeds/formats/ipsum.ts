/**
 * `ipsum`: the IPsum feed (stamparm/ipsum), a `#` header and then `IP<TAB>count` lines, where the
 * count is the number of public blocklists that list the address. The count becomes the attribute
 * `blocklistCount`; option `minCount` (default 1) leaves out addresses on fewer lists, counted as
 * filtered (`below-min-count`).
 */
import { forEachLine } from '../input.js';
import type { FeedFormat, ParseContext } from '../../build/types.js';

export const DEFAULT_MIN_COUNT = 1;

/** Filter reason of an address listed by fewer blocklists than `minCount`. */
export const BELOW_MIN_COUNT_FILTER = 'below-min-count';

const FIELD_SEPARATOR = /[ \t]+/;
const COUNT = /^\d{1,9}$/;

export const ipsumFormat: FeedFormat = {
  name: 'ipsum',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minCount: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_MIN_COUNT,
        description: 'Keep only addresses listed by at least this many blocklists (default 1: all).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    const minCount = (context.options['minCount'] as number | undefined) ?? DEFAULT_MIN_COUNT;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      const trimmed = line.trim();
      if (trimmed.length === 0 || trimmed.startsWith('#')) return;

      const fields = trimmed.split(FIELD_SEPARATOR);
      if (fields.length !== 2) {
        sink.bad('field-count', lineNumber, line, `expected an IP address and a count separated by a tab, found ${fields.length} field${fields.length === 1 ? '' : 's'}`);
        return;
      }
      const [address, countText] = fields as [string, string];
      if (!COUNT.test(countText)) {
        sink.bad('invalid-count', lineNumber, line, `blocklist count ${JSON.stringify(countText)} is not a whole number`);
        return;
      }

      // The count is checked before the address, so a line below minCount is filtered even when its
      // address would have been rejected: it was never going to be stored.
      const count = Number(countText);
      if (count < minCount) {
        sink.filtered(BELOW_MIN_COUNT_FILTER);
        return;
      }
      const rejection = sink.addIp(address, { blocklistCount: count });
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
    });
  },
};
