/**
 * `csv`: CSV with a header row (RFC 4180 quoting), its columns mapped by name in the feed's options.
 *
 * - `columns` maps each hash column to `md5`, `sha1`, `sha256` or `auto` (typed by length). A cell may
 *   list several hashes separated by `,`, `;` or white space; empty cells and empty pieces are skipped.
 * - `attributes` maps a column to the attribute its trimmed value becomes; empty values are left out.
 * - `listRule` puts each row on the allow or deny list, or skips it, by the value of one column.
 *
 * A configured column missing from the header fails the parse. A row with another field count than
 * the header is a bad line (`csv-field-count`), and so is each hash piece that is not a valid hash.
 * The sample content of a bad piece is `column: piece`, because samples clip whole rows.
 */
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ListKind, ParseContext } from '../../build/types.js';
import type { HashType } from '../../indicators/hash.js';
import { NO_HASH_FILTER, addHashOfType } from './typed-hash.js';
import { quoteNames, readCsvRecords } from './csv-records.js';

export type CsvHashColumnType = HashType | 'auto';
export type ListRuleAction = ListKind | 'skip';

export interface CsvListRule {
  readonly column: string;
  /** Action per cell value; values are compared trimmed and case-insensitively. */
  readonly values: Readonly<Record<string, ListRuleAction>>;
  /** Action for values not in `values`, including an empty cell. */
  readonly otherwise: ListRuleAction;
}

export interface CsvOptions {
  readonly delimiter?: string;
  readonly columns: Readonly<Record<string, CsvHashColumnType>>;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly listRule?: CsvListRule;
}

export const DEFAULT_DELIMITER = ',';

/** Filter reason of a row the list rule skips. */
export const LIST_RULE_FILTER = 'list-rule';

/** Separators between hashes in one cell. */
const HASH_SEPARATORS = /[\s,;]+/;

const LIST_RULE_ACTIONS = ['allow', 'deny', 'skip'];

interface HashColumn {
  readonly name: string;
  readonly index: number;
  readonly type: CsvHashColumnType;
}

interface AttributeColumn {
  readonly index: number;
  readonly attribute: string;
}

interface ResolvedListRule {
  readonly index: number;
  readonly values: ReadonlyMap<string, ListRuleAction>;
  readonly otherwise: ListRuleAction;
}

/** Lower-cases and trims the list rule's values, rejecting two spellings of one value with different actions. */
function normalizeRuleValues(feedId: string, rule: CsvListRule): Map<string, ListRuleAction> {
  const values = new Map<string, ListRuleAction>();
  const spellings = new Map<string, string>();
  for (const [value, action] of Object.entries(rule.values)) {
    const normalized = value.trim().toLowerCase();
    const earlier = values.get(normalized);
    if (earlier !== undefined && earlier !== action) {
      throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
        feed: feedId,
        detail: `listRule.values has ${JSON.stringify(spellings.get(normalized))} -> ${earlier} and ${JSON.stringify(value)} -> ${action}, which are the same value compared trimmed and case-insensitively; keep one`,
      });
    }
    values.set(normalized, action);
    spellings.set(normalized, value);
  }
  return values;
}

/** Finds the index of each named column in the header, failing with every missing or repeated name at once. */
function resolveColumns(feedId: string, path: string, header: string[], names: Iterable<string>): Map<string, number> {
  const indexes = new Map<string, number>();
  const missing: string[] = [];
  const repeated: string[] = [];
  for (const name of names) {
    if (indexes.has(name)) continue;
    const first = header.indexOf(name);
    if (first === -1) missing.push(name);
    else if (header.indexOf(name, first + 1) !== -1) repeated.push(name);
    else indexes.set(name, first);
  }

  const problems: string[] = [];
  if (missing.length > 0) problems.push(`column${missing.length > 1 ? 's' : ''} ${quoteNames(missing)} not found`);
  if (repeated.length > 0) problems.push(`column${repeated.length > 1 ? 's' : ''} ${quoteNames(repeated)} named more than once`);
  if (problems.length > 0) {
    throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
      feed: feedId,
      detail: `${path}: ${problems.join(' and ')} in the header; the header has columns ${quoteNames(header)}`,
    });
  }
  return indexes;
}

export const csvFormat: FeedFormat = {
  name: 'csv',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['columns'],
    properties: {
      delimiter: {
        type: 'string',
        minLength: 1,
        default: DEFAULT_DELIMITER,
        description: 'Field delimiter (default ",").',
      },
      columns: {
        type: 'object',
        minProperties: 1,
        additionalProperties: { type: 'string', enum: ['md5', 'sha1', 'sha256', 'auto'] },
        description: 'Hash columns by header name, each with its hash type; "auto" types each hash by its length.',
      },
      attributes: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
        description: 'Attribute name for the value of each named column.',
      },
      listRule: {
        type: 'object',
        additionalProperties: false,
        required: ['column', 'values', 'otherwise'],
        properties: {
          column: { type: 'string', minLength: 1 },
          values: { type: 'object', additionalProperties: { type: 'string', enum: LIST_RULE_ACTIONS } },
          otherwise: { type: 'string', enum: LIST_RULE_ACTIONS },
        },
        description:
          'Puts each row on the allow or deny list, or skips it, by the value of one column (compared trimmed and case-insensitively).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const options = context.options as unknown as CsvOptions;
    const delimiter = options.delimiter ?? DEFAULT_DELIMITER;
    const ruleValues = options.listRule === undefined ? undefined : normalizeRuleValues(feedId, options.listRule);

    let hashColumns: HashColumn[] = [];
    let attributeColumns: AttributeColumn[] = [];
    let listRule: ResolvedListRule | undefined;

    const onHeader = (header: string[]): void => {
      const names = [...Object.keys(options.columns), ...Object.keys(options.attributes ?? {})];
      if (options.listRule !== undefined) names.push(options.listRule.column);
      const indexes = resolveColumns(feedId, context.source.path, header, names);

      hashColumns = Object.entries(options.columns).map(([name, type]) => ({ name, index: indexes.get(name)!, type }));
      attributeColumns = Object.entries(options.attributes ?? {}).map(([name, attribute]) => ({
        index: indexes.get(name)!,
        attribute,
      }));
      if (options.listRule !== undefined) {
        listRule = { index: indexes.get(options.listRule.column)!, values: ruleValues!, otherwise: options.listRule.otherwise };
      }
    };

    const onRecord = (fields: string[], lineNumber: number): void => {
      let list: ListKind | undefined;
      if (listRule !== undefined) {
        const action = listRule.values.get(fields[listRule.index]!.trim().toLowerCase()) ?? listRule.otherwise;
        if (action === 'skip') {
          sink.filtered(LIST_RULE_FILTER);
          return;
        }
        list = action;
      }

      let attributes: Attributes | undefined;
      for (const column of attributeColumns) {
        const value = fields[column.index]!.trim();
        if (value.length > 0) (attributes ??= {})[column.attribute] = value;
      }

      let pieces = 0;
      for (const column of hashColumns) {
        const cell = fields[column.index]!;
        if (cell.length === 0) continue;
        for (const piece of cell.split(HASH_SEPARATORS)) {
          if (piece.length === 0) continue;
          pieces++;
          const reason = addHashOfType(sink, piece, column.type, attributes, list);
          if (reason !== undefined) sink.bad(reason, lineNumber, `${column.name}: ${piece}`);
        }
      }
      if (pieces === 0) sink.filtered(NO_HASH_FILTER);
    };

    await readCsvRecords(context, delimiter, { onHeader, onRecord });
  },
};
