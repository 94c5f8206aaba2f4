/**
 * `nsrl-rds3`: a NIST NSRL RDS 3 SQLite database, read through its `FILE` view (or a table of that
 * name) with the columns sha256, sha1, md5, file_name, file_size and package_id.
 *
 * Each row adds its SHA-256, SHA-1 and MD5 with the attributes `fileName`, `size` and `packageId`,
 * each left out when empty. Rows are numbered from 1 in the order SQLite returns them, and bad-line
 * samples carry that number. Empty hash cells are skipped; a row with none is filtered (`no-hash`).
 *
 * The database is opened read-only from `source.path`: SQLite needs random access, so this is the
 * one format that does not read `openText()`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import type { HashType } from '../../indicators/hash.js';
import { NO_HASH_FILTER, addHashOfType } from './typed-hash.js';
import { HASH_TYPES_OPTION, selectedHashTypes } from './nsrl-rds2.js';

/** Rows read between two yields to the event loop; better-sqlite3 reads synchronously. */
const ROWS_PER_TURN = 10_000;

/** Attribute columns of FILE and the attribute each becomes. */
const ATTRIBUTE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['file_name', 'fileName'],
  ['file_size', 'size'],
  ['package_id', 'packageId'],
];

const DECIMAL_INTEGER = /^\d+$/;

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim().length === 0);
}

/** Finds the FILE table or view and returns its type and lower-case column names; throws when the file has none. */
function describeFileObject(context: ParseContext, db: Database.Database): { type: string; columns: string[] } {
  const path = context.source.path;
  let found: { type: string; name: string } | undefined;
  try {
    found = db
      .prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'FILE' COLLATE NOCASE")
      .get() as { type: string; name: string } | undefined;
  } catch (error) {
    if (sqliteCode(error) === 'SQLITE_NOTADB') {
      throw new VerdictError(
        'VERDICT_ERR_FEED_FORMAT',
        { feed: context.feedId, detail: `${path} is not an SQLite database; nsrl-rds3 reads the SQLite file of an NSRL RDS 3 release` },
        { cause: error },
      );
    }
    throw error;
  }

  if (found === undefined) {
    const objects = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").pluck().all() as string[];
    throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
      feed: context.feedId,
      detail: `${path} has no FILE table or view, which every NSRL RDS 3 database has; its tables and views are: ${objects.length > 0 ? objects.join(', ') : '(none)'}`,
    });
  }

  const columns = (db.prepare(`PRAGMA table_info("${found.name}")`).all() as Array<{ name: string }>).map((column) =>
    column.name.toLowerCase(),
  );
  return { type: found.type, columns };
}

export const nsrlRds3Format: FeedFormat = {
  name: 'nsrl-rds3',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hashTypes: HASH_TYPES_OPTION,
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const path = context.source.path;
    const wanted: readonly HashType[] = selectedHashTypes(context.options);

    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new VerdictError(
        'VERDICT_ERR_FEED_UNREADABLE',
        { feed: feedId, path, detail: error instanceof Error ? error.message : String(error) },
        { cause: error },
      );
    }

    let rowNumber = 0;
    try {
      const file = describeFileObject(context, db);
      const missing = wanted.filter((type) => !file.columns.includes(type));
      if (missing.length > 0) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail: `${path}: the FILE ${file.type} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; its columns are ${file.columns.join(', ')}`,
        });
      }
      const attributeColumns = ATTRIBUTE_COLUMNS.filter(([column]) => file.columns.includes(column));

      // Selecting by position with raw() avoids building an object per row.
      const selected = [...wanted, ...attributeColumns.map(([column]) => column)];
      const statement = db.prepare(`SELECT ${selected.map((column) => `"${column}"`).join(', ')} FROM "FILE"`).raw(true);

      for (const row of statement.iterate() as IterableIterator<unknown[]>) {
        rowNumber++;
        if (rowNumber % ROWS_PER_TURN === 0) await nextTurn();

        let attributes: Attributes | undefined;
        for (let i = 0; i < attributeColumns.length; i++) {
          const value = row[wanted.length + i];
          if (isEmpty(value)) continue;
          const attribute = attributeColumns[i]![1];
          // A size stored as text (SQLite columns take any type) is still reported as a number.
          const numeric = attribute === 'size' && typeof value === 'string' && DECIMAL_INTEGER.test(value);
          (attributes ??= {})[attribute] = numeric ? Number(value) : value;
        }

        let nonEmpty = 0;
        for (let i = 0; i < wanted.length; i++) {
          const value = row[i];
          if (isEmpty(value)) continue;
          nonEmpty++;
          const text = String(value);
          const reason = addHashOfType(sink, text, wanted[i]!, attributes);
          if (reason !== undefined) sink.bad(reason, rowNumber, `${wanted[i]}: ${text}`);
        }
        if (nonEmpty === 0) sink.filtered(NO_HASH_FILTER);
      }
    } catch (error) {
      // A corrupt file, or a FILE view over tables that are missing, fails inside SQLite.
      if (error instanceof Database.SqliteError) {
        const where = rowNumber === 0 ? 'querying FILE' : `reading row ${rowNumber + 1} of FILE`;
        throw new VerdictError(
          'VERDICT_ERR_FEED_FORMAT',
          { feed: feedId, detail: `${path}: ${where} failed: ${error.code}: ${error.message}` },
          { cause: error },
        );
      }
      throw error;
    } finally {
      db.close();
    }
  },
};
