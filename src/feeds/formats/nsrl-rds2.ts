/**
 * `nsrl-rds2`: the `NSRLFile.txt` of a NIST NSRL RDS 2.x release, a quoted CSV with the header
 * `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"`.
 *
 * Columns are found by header name (case-insensitive), so a `SHA-256` column is read too when a file
 * has one. Each row adds its SHA-1, MD5 and SHA-256 with the attributes `fileName`, `size` (a number),
 * `productCode`, `opSystemCode` and `specialCode`, each left out when empty (`size` also when FileSize
 * is not a decimal integer). A row whose hash cells are all empty is counted as filtered (`no-hash`).
 */
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import { HASH_TYPES, type HashType } from '../../indicators/hash.js';
import { NO_HASH_FILTER, addHashOfType } from './typed-hash.js';
import { quoteNames, readCsvRecords } from './csv-records.js';

/** Hash column names of NSRLFile.txt by hash type. */
const HASH_COLUMNS: Readonly<Record<HashType, string>> = { sha1: 'SHA-1', md5: 'MD5', sha256: 'SHA-256' };

/** Columns every NSRLFile.txt has; a file without them is some other CSV. */
const REQUIRED_COLUMNS = ['SHA-1', 'MD5'];

/** Text columns and the attribute each becomes; FileSize is handled apart because it becomes a number. */
const TEXT_ATTRIBUTE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['FileName', 'fileName'],
  ['ProductCode', 'productCode'],
  ['OpSystemCode', 'opSystemCode'],
  ['SpecialCode', 'specialCode'],
];

const DECIMAL_INTEGER = /^\d+$/;

/** JSON Schema of a `hashTypes` option, shared with nsrl-rds3. */
export const HASH_TYPES_OPTION = {
  type: 'array',
  items: { type: 'string', enum: [...HASH_TYPES] },
  minItems: 1,
  uniqueItems: true,
  default: [...HASH_TYPES],
  description: 'Hash types to load (default all three); leaving one out makes a smaller store.',
} as const;

/** Returns the `hashTypes` option, or all types when it is absent. */
export function selectedHashTypes(options: Record<string, unknown>): readonly HashType[] {
  return (options['hashTypes'] as HashType[] | undefined) ?? HASH_TYPES;
}

interface IndexedHashColumn {
  readonly name: string;
  readonly index: number;
  readonly type: HashType;
}

export const nsrlRds2Format: FeedFormat = {
  name: 'nsrl-rds2',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hashTypes: HASH_TYPES_OPTION,
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const wanted = selectedHashTypes(context.options);

    let hashColumns: IndexedHashColumn[] = [];
    let textColumns: Array<{ index: number; attribute: string }> = [];
    let sizeIndex = -1;

    const onHeader = (header: string[]): void => {
      const lowerHeader = header.map((name) => name.toLowerCase());
      const indexOf = (name: string): number => lowerHeader.indexOf(name.toLowerCase());

      const missing = REQUIRED_COLUMNS.filter((name) => indexOf(name) === -1);
      if (missing.length > 0) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail:
            `${context.source.path}: column${missing.length > 1 ? 's' : ''} ${quoteNames(missing)} not found in the header; ` +
            `an NSRL RDS 2 NSRLFile.txt starts with "SHA-1","MD5","CRC32","FileName",...; the header has columns ${quoteNames(header)}`,
        });
      }

      hashColumns = wanted
        .map((type) => ({ name: HASH_COLUMNS[type], index: indexOf(HASH_COLUMNS[type]), type }))
        .filter((column) => column.index !== -1);
      if (hashColumns.length === 0) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail: `${context.source.path}: no column for the hash types ${wanted.join(', ')} chosen by the hashTypes option; the header has columns ${quoteNames(header)}`,
        });
      }
      textColumns = TEXT_ATTRIBUTE_COLUMNS.map(([name, attribute]) => ({ index: indexOf(name), attribute })).filter(
        (column) => column.index !== -1,
      );
      sizeIndex = indexOf('FileSize');
    };

    const onRecord = (fields: string[], lineNumber: number): void => {
      let attributes: Attributes | undefined;
      for (const column of textColumns) {
        const value = fields[column.index]!.trim();
        if (value.length > 0) (attributes ??= {})[column.attribute] = value;
      }
      if (sizeIndex !== -1) {
        const size = fields[sizeIndex]!.trim();
        if (DECIMAL_INTEGER.test(size)) (attributes ??= {})['size'] = Number(size);
      }

      let nonEmpty = 0;
      for (const column of hashColumns) {
        const value = fields[column.index]!;
        if (value.trim().length === 0) continue;
        nonEmpty++;
        const reason = addHashOfType(sink, value, column.type, attributes);
        if (reason !== undefined) sink.bad(reason, lineNumber, `${column.name}: ${value}`);
      }
      if (nonEmpty === 0) sink.filtered(NO_HASH_FILTER);
    };

    await readCsvRecords(context, ',', { onHeader, onRecord });
  },
};
