/**
 * Streams the records of a CSV source with a header row through csv-parse, for the `csv` and
 * `nsrl-rds2` formats. Records whose field count differs from the header's, and records csv-parse
 * rejects, become bad lines; the parse goes on after them.
 */
import { pipeline } from 'node:stream';
import { CsvError, parse, type Info } from 'csv-parse';
import { VerdictError, isVerdictError } from '../../errors.js';
import type { ParseContext } from '../../build/types.js';

/** Bad-line reason of a record whose field count differs from the header's. */
export const FIELD_COUNT_REASON = 'csv-field-count';

/**
 * Upper bound on one record, in bytes. An unclosed quote makes the rest of the file one field, and
 * without this bound a multi-gigabyte source would be read into memory before the error shows.
 */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

export interface CsvRecordHandlers {
  /** Receives the header row, trimmed. Throws when the header lacks a column the feed needs. */
  onHeader(header: string[]): void;
  /** Receives each record that has as many fields as the header, with the line it starts on. */
  onRecord(fields: string[], lineNumber: number, raw: string): void;
}

interface ParsedRecord {
  readonly record: string[];
  readonly info: Info;
  readonly raw: string;
}

/** The bad-line reason of a csv-parse error code: `CSV_QUOTE_NOT_CLOSED` becomes `csv-quote-not-closed`. */
export function reasonOfCsvError(code: string): string {
  return `csv-${code.replace(/^CSV_/, '').toLowerCase().replaceAll('_', '-')}`;
}

/** The raw text of a record without its record delimiter. */
function withoutDelimiter(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === 0x0a || raw.charCodeAt(end - 1) === 0x0d)) end--;
  return end === raw.length ? raw : raw.slice(0, end);
}

/** The line a record starts on: csv-parse reports the line it ends on, and quoted fields may span lines. */
function startLineOf(endLine: number, raw: string): number {
  let newlines = 0;
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) newlines++;
  return endLine - newlines;
}

/** Reads the header and every record of `context.source`, separated by `delimiter`. */
export async function readCsvRecords(context: ParseContext, delimiter: string, handlers: CsvRecordHandlers): Promise<void> {
  const { sink, feedId } = context;
  const path = context.source.path;

  const parser = parse({
    delimiter,
    info: true,
    raw: true,
    // Field counts are checked here so that such a record is a bad line and not the end of the parse.
    relax_column_count: true,
    // csv-parse 6 does not find the next record after an invalid closing quote (it swallows the
    // records that follow), so a stray quote is kept as a character and the field is judged by the
    // format, for example as an invalid hash.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      if (error === undefined) return;
      // After an oversized record the parser is inside the field that never ends; stop here.
      if (error.code === 'CSV_MAX_RECORD_SIZE') throw error;
      const line = typeof error.lines === 'number' ? error.lines : 0;
      sink.bad(reasonOfCsvError(error.code), line, withoutDelimiter(raw ?? ''));
    },
  });
  // pipeline destroys the parser with the source's error (an undecodable encoding, an I/O error),
  // and the loop below then throws it; the callback only keeps that error from being unhandled.
  pipeline(context.source.openText(), parser, () => {});

  let header: string[] | undefined;
  try {
    for await (const parsed of parser as AsyncIterable<ParsedRecord>) {
      const { record, info } = parsed;
      if (header === undefined) {
        header = record.map((name) => name.trim());
        handlers.onHeader(header);
        continue;
      }

      const raw = withoutDelimiter(parsed.raw);
      const lineNumber = startLineOf(info.lines, raw);
      if (record.length !== header.length) {
        sink.bad(FIELD_COUNT_REASON, lineNumber, raw);
        continue;
      }
      handlers.onRecord(record, lineNumber, raw);
    }
  } catch (error) {
    if (isVerdictError(error)) throw error;
    if (error instanceof CsvError) {
      throw new VerdictError('VERDICT_ERR_FEED_FORMAT', { feed: feedId, detail: describeCsvError(path, error) }, { cause: error });
    }
    throw error;
  } finally {
    parser.destroy();
  }

  if (header === undefined) {
    throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
      feed: feedId,
      detail: `${path} is empty; expected a CSV header row naming the columns`,
    });
  }
}

function describeCsvError(path: string, error: CsvError): string {
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return `${path} line ${String(error.lines)}: a record is longer than ${MAX_RECORD_BYTES} bytes, most likely because a quoted field is never closed; fix the quoting`;
  }
  return `${path} is not valid CSV: ${error.message}`;
}
