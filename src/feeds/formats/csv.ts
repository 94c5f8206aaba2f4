/**
 * `csv`: CSV with a header row (RFC 4180 quoting), its columns mapped by name in the feed's options.
 *
 * - `columns` maps each indicator column to its type: `md5`, `sha1`, `sha256`, `auto` (a hash typed
 *   by its length), `ip` (an address or CIDR range), `domain`, `url`, or `indicator` (each cell typed
 *   on its own: 32, 40 or 64 hex digits is a hash, an IP address or CIDR range is an IP, text with a
 *   scheme or a `/` is a URL, anything else is a domain). A hash, IP or domain cell may list several
 *   values separated by `,`, `;` or white space; a URL or indicator cell holds one value, because
 *   URLs contain those characters. Empty cells and empty pieces are skipped.
 * - `typeColumn` reads files with one indicator per row and its type in another column: the value
 *   column's cell is added as the type its type cell maps to in `types` (compared trimmed and
 *   case-insensitively). Types mapped to `skip` are counted as `skipped-type:<type>`, and types
 *   missing from the map (file paths, command lines, GUIDs) as `unsupported-type:<type>`, with the
 *   type lower-cased (an empty type cell is `(empty)`), because they are legitimate entries of the
 *   feed that verdict cannot look up.
 * - `attributes` maps a column to the attribute its trimmed value becomes; empty values are left out.
 * - `dateAttributes` maps a date column to an attribute holding its ISO 8601 date (`2022-12-07`); the
 *   cell may be M/D/YYYY, ISO 8601 or another form feed-timestamps.ts reads. A cell that is not a
 *   date is kept as written under the attribute's name with `Raw` appended.
 * - `listRule` puts each row on the allow or deny list, or skips it, by the value of one column.
 *
 * A configured column missing from the header fails the parse. A row with another field count than
 * the header is a bad line (`csv-field-count`), and so is each value that is not a valid indicator of
 * its type. The sample content of a bad value is `column: value`, because samples clip whole rows.
 * A row that adds nothing is counted as filtered: `no-hash` when every column is a hash column,
 * else `no-indicator`.
 */
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ListKind, ParseContext, RecordSink } from '../../build/types.js';
import type { HashType } from '../../indicators/hash.js';
import { parseIpOrCidr } from '../../indicators/ip.js';
import { NO_HASH_FILTER, addHashOfType } from './typed-hash.js';
import { quoteNames, readCsvRecords } from './csv-records.js';
import { normalizeFeedDate } from './feed-timestamps.js';

export type CsvHashColumnType = HashType | 'auto';
export type CsvColumnType = CsvHashColumnType | 'ip' | 'domain' | 'url' | 'indicator';
/** Action for a type column value: the indicator type of the row, or `skip` to count the row as skipped. */
export type CsvTypeAction = HashType | 'ip' | 'domain' | 'url' | 'indicator' | 'skip';
export type ListRuleAction = ListKind | 'skip';

export interface CsvTypeColumn {
  /** Column holding each row's indicator type. */
  readonly column: string;
  /** Column holding each row's indicator. */
  readonly valueColumn: string;
  /** Action per type value; values are compared trimmed and case-insensitively. */
  readonly types: Readonly<Record<string, CsvTypeAction>>;
}

export interface CsvListRule {
  readonly column: string;
  /** Action per cell value; values are compared trimmed and case-insensitively. */
  readonly values: Readonly<Record<string, ListRuleAction>>;
  /** Action for values not in `values`, including an empty cell. */
  readonly otherwise: ListRuleAction;
}

export interface CsvOptions {
  readonly delimiter?: string;
  /** Indicator columns by header name; the feed sets this, typeColumn, or both. */
  readonly columns?: Readonly<Record<string, CsvColumnType>>;
  readonly typeColumn?: CsvTypeColumn;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Date column -> attribute holding its ISO 8601 date. */
  readonly dateAttributes?: Readonly<Record<string, string>>;
  readonly numberAttributes?: Readonly<Record<string, string>>;
  readonly listRule?: CsvListRule;
}

export const DEFAULT_DELIMITER = ',';

/** Filter reason of a row the list rule skips. */
export const LIST_RULE_FILTER = 'list-rule';

/** Filter reason of a row that adds nothing when some column is not a hash column. */
export const NO_INDICATOR_FILTER = 'no-indicator';

/** Separators between hashes, IPs or domains in one cell. */
const LIST_SEPARATORS = /[\s,;]+/;

const LIST_RULE_ACTIONS = ['allow', 'deny', 'skip'];
const HASH_COLUMN_TYPES: readonly string[] = ['md5', 'sha1', 'sha256', 'auto'];
const COLUMN_TYPES = [...HASH_COLUMN_TYPES, 'ip', 'domain', 'url', 'indicator'];
const TYPE_ACTIONS = ['md5', 'sha1', 'sha256', 'ip', 'domain', 'url', 'indicator', 'skip'];

/** Hex digest lengths that make an `indicator` cell a hash. */
const HASH_TEXT = /^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

interface IndicatorColumn {
  readonly name: string;
  readonly index: number;
  readonly type: CsvColumnType;
}

interface ValueColumn {
  readonly index: number;
  readonly attribute: string;
}

interface ResolvedTypeColumn {
  readonly index: number;
  readonly valueIndex: number;
  readonly valueName: string;
  readonly types: ReadonlyMap<string, CsvTypeAction>;
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

/**
 * Lower-cases and trims the keys of a value -> action map (`listRule.values`, `typeColumn.types`),
 * rejecting two spellings of one value with different actions. `option` names the map in the error.
 */
function normalizeValueMap<Action extends string>(feedId: string, option: string, map: Readonly<Record<string, Action>>): Map<string, Action> {
  const values = new Map<string, Action>();
  const spellings = new Map<string, string>();
  for (const [value, action] of Object.entries(map)) {
    const normalized = value.trim().toLowerCase();
    const earlier = values.get(normalized);
    if (earlier !== undefined && earlier !== action) {
      throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
        feed: feedId,
        detail: `${option} has ${JSON.stringify(spellings.get(normalized))} -> ${earlier} and ${JSON.stringify(value)} -> ${action}, which are the same value compared trimmed and case-insensitively; keep one`,
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

/** Types an `indicator` cell: a hash, an IP address or CIDR range, a URL, or else a domain. */
export function indicatorTypeOf(value: string): 'auto' | 'ip' | 'url' | 'domain' {
  if (HASH_TEXT.test(value)) return 'auto';
  if (parseIpOrCidr(value).ok) return 'ip';
  if (URL_SCHEME.test(value) || value.includes('/')) return 'url';
  return 'domain';
}

/**
 * Adds one value as an indicator of `type` and returns what is wrong with it, or undefined when it
 * was added or filtered by the feed's policy.
 */
function addIndicator(
  sink: RecordSink,
  value: string,
  type: CsvColumnType,
  attributes: Attributes | undefined,
  list: ListKind | undefined,
): { reason: string; message?: string } | undefined {
  const resolved = type === 'indicator' ? indicatorTypeOf(value) : type;
  switch (resolved) {
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'auto': {
      const reason = addHashOfType(sink, value, resolved, attributes, list);
      return reason === undefined ? undefined : { reason };
    }
    case 'ip':
      return sink.addIp(value, attributes, list);
    case 'domain':
      return sink.addDomain(value, attributes, list);
    case 'url':
      return sink.addUrl(value, attributes, list);
  }
}

/** Splits a cell into its values: one trimmed value for URL and indicator columns, else the separated values. */
function piecesOf(cell: string, type: CsvColumnType): string[] {
  if (type === 'url' || type === 'indicator') {
    const value = cell.trim();
    return value.length === 0 ? [] : [value];
  }
  return cell.split(LIST_SEPARATORS).filter((piece) => piece.length > 0);
}

export const csvFormat: FeedFormat = {
  name: 'csv',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    // The properties repeated here only satisfy Ajv's strictRequired check; their schemas are below.
    anyOf: [
      { required: ['columns'], properties: { columns: true } },
      { required: ['typeColumn'], properties: { typeColumn: true } },
    ],
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
        additionalProperties: { type: 'string', enum: COLUMN_TYPES },
        description:
          'Indicator columns by header name, each with its type: md5, sha1, sha256, auto (a hash typed by its length), ip, domain, url, or indicator (each cell typed on its own). Required unless typeColumn is set.',
      },
      typeColumn: {
        type: 'object',
        additionalProperties: false,
        required: ['column', 'valueColumn', 'types'],
        properties: {
          column: { type: 'string', minLength: 1, description: 'Column holding each row\'s indicator type.' },
          valueColumn: { type: 'string', minLength: 1, description: 'Column holding each row\'s indicator.' },
          types: {
            type: 'object',
            additionalProperties: { type: 'string', enum: TYPE_ACTIONS },
            description:
              'Indicator type (or skip) of each type value, compared trimmed and case-insensitively; rows of other types are counted as unsupported-type:<type>.',
          },
        },
        description: 'Reads one indicator per row, typed by the value of another column.',
      },
      attributes: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
        description: 'Attribute name for the value of each named column.',
      },
      numberAttributes: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
        description:
          'Attribute name for the numeric value of each named column (a file size, a score); a value that is not a number is kept in "<attribute>Raw".',
      },
      dateAttributes: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
        description:
          'Attribute name for the ISO 8601 date of each named date column (M/D/YYYY, ISO 8601 and other common forms); a value that is not a date is kept in "<attribute>Raw".',
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
    const ruleValues = options.listRule === undefined ? undefined : normalizeValueMap(feedId, 'listRule.values', options.listRule.values);
    const typeValues = options.typeColumn === undefined ? undefined : normalizeValueMap(feedId, 'typeColumn.types', options.typeColumn.types);
    const columnTypes = Object.entries(options.columns ?? {});
    const emptyRowFilter =
      options.typeColumn === undefined && columnTypes.every(([, type]) => HASH_COLUMN_TYPES.includes(type)) ? NO_HASH_FILTER : NO_INDICATOR_FILTER;

    let indicatorColumns: IndicatorColumn[] = [];
    let attributeColumns: AttributeColumn[] = [];
    let dateColumns: ValueColumn[] = [];
    let numberColumns: ValueColumn[] = [];
    let typeColumn: ResolvedTypeColumn | undefined;
    let listRule: ResolvedListRule | undefined;

    const onHeader = (header: string[]): void => {
      const names = [
        ...columnTypes.map(([name]) => name),
        ...Object.keys(options.attributes ?? {}),
        ...Object.keys(options.dateAttributes ?? {}),
        ...Object.keys(options.numberAttributes ?? {}),
      ];
      if (options.typeColumn !== undefined) names.push(options.typeColumn.column, options.typeColumn.valueColumn);
      if (options.listRule !== undefined) names.push(options.listRule.column);
      const indexes = resolveColumns(feedId, context.source.path, header, names);

      indicatorColumns = columnTypes.map(([name, type]) => ({ name, index: indexes.get(name)!, type }));
      attributeColumns = Object.entries(options.attributes ?? {}).map(([name, attribute]) => ({
        index: indexes.get(name)!,
        attribute,
      }));
      dateColumns = Object.entries(options.dateAttributes ?? {}).map(([name, attribute]) => ({ index: indexes.get(name)!, attribute }));
      numberColumns = Object.entries(options.numberAttributes ?? {}).map(([name, attribute]) => ({ index: indexes.get(name)!, attribute }));
      if (options.typeColumn !== undefined) {
        typeColumn = {
          index: indexes.get(options.typeColumn.column)!,
          valueIndex: indexes.get(options.typeColumn.valueColumn)!,
          valueName: options.typeColumn.valueColumn,
          types: typeValues!,
        };
      }
      if (options.listRule !== undefined) {
        listRule = { index: indexes.get(options.listRule.column)!, values: ruleValues!, otherwise: options.listRule.otherwise };
      }
    };

    const addPiece = (column: string, piece: string, type: CsvColumnType, attributes: Attributes | undefined, list: ListKind | undefined, lineNumber: number): void => {
      const problem = addIndicator(sink, piece, type, attributes, list);
      if (problem !== undefined) sink.bad(problem.reason, lineNumber, `${column}: ${piece}`, problem.message);
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
      for (const column of numberColumns) {
        const value = fields[column.index]!.trim();
        if (value.length === 0) continue;
        const number = Number(value);
        if (Number.isFinite(number)) (attributes ??= {})[column.attribute] = number;
        else (attributes ??= {})[`${column.attribute}Raw`] = value;
      }
      for (const column of dateColumns) {
        const value = fields[column.index]!.trim();
        if (value.length === 0) continue;
        const date = normalizeFeedDate(value);
        if (date !== undefined) (attributes ??= {})[column.attribute] = date;
        else (attributes ??= {})[`${column.attribute}Raw`] = value;
      }

      // Entries seen in the row, added or not; a row with none is counted as empty.
      let entries = 0;
      if (typeColumn !== undefined) {
        const value = fields[typeColumn.valueIndex]!.trim();
        if (value.length > 0) {
          entries++;
          const type = fields[typeColumn.index]!.trim().toLowerCase();
          const action = typeColumn.types.get(type);
          if (action === undefined) sink.filtered(`unsupported-type:${type.length === 0 ? '(empty)' : type}`);
          else if (action === 'skip') sink.filtered(`skipped-type:${type.length === 0 ? '(empty)' : type}`);
          else addPiece(typeColumn.valueName, value, action, attributes, list, lineNumber);
        }
      }
      for (const column of indicatorColumns) {
        for (const piece of piecesOf(fields[column.index]!, column.type)) {
          entries++;
          addPiece(column.name, piece, column.type, attributes, list, lineNumber);
        }
      }
      if (entries === 0) sink.filtered(emptyRowFilter);
    };

    await readCsvRecords(context, delimiter, { onHeader, onRecord });
  },
};
