/**
 * Streams the records of a CSV source with a header row through csv-parse, for the `csv` and
 * `nsrl-rds2` formats. Records whose field count differs from the header's, and records csv-parse
 * rejects, become bad lines; the parse goes on after them.
 */
import { pipeline } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
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

/** A record as csv-parse emits it with the `raw` option. */
interface RawRecord {
  readonly record: string[];
  readonly raw: string;
}

/** A record csv-parse rejected, kept until the records parsed before it have been handled. */
interface SkippedRecord {
  /** How many records csv-parse had emitted before this one. */
  readonly after: number;
  readonly reason: string;
  readonly raw: string;
}

/** Formats column names for a message: `"a", "b"`. */
export function quoteNames(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

/** Converts a csv-parse error code to a bad-line reason: `CSV_QUOTE_NOT_CLOSED` becomes `csv-quote-not-closed`. */
export function reasonOfCsvError(code: string): string {
  return `csv-${code.replace(/^CSV_/, '').toLowerCase().replaceAll('_', '-')}`;
}

/** Removes the record delimiter from the end of a record's raw text. */
function withoutDelimiter(raw: string): string {
  let end = raw.length;
  while (end > 0 && (raw.charCodeAt(end - 1) === 0x0a || raw.charCodeAt(end - 1) === 0x0d)) end--;
  return end === raw.length ? raw : raw.slice(0, end);
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** Reads the header and every record of `context.source`, separated by `delimiter`. */
export async function readCsvRecords(context: ParseContext, delimiter: string, handlers: CsvRecordHandlers): Promise<void> {
  const { sink, feedId } = context;
  const path = context.source.path;

  // on_skip runs while csv-parse parses, ahead of the records still buffered for the loop below, so
  // rejected records wait here and are reported in input order.
  const skipped: SkippedRecord[] = [];
  const parser: Parser = parse({
    delimiter,
    raw: true,
    // csv-parse otherwise takes the first line ending it meets for the whole file, and a file that
    // mixes LF and CRLF then leaves a stray CR at the end of every later row.
    record_delimiter: ['\r\n', '\n'],
    // Field counts are checked below so that such a record is a bad line and not the end of the parse.
    relax_column_count: true,
    // csv-parse 6 does not find the next record after an invalid closing quote: it swallows the
    // records that follow. So a stray quote is kept as a character, and the format judges the field
    // (as an invalid hash, for example).
    relax_quotes: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      if (error === undefined) return;
      // After an oversized record the parser is inside a field that never ends, and without a
      // header no record can be read: both end the parse.
      if (error.code === 'CSV_MAX_RECORD_SIZE' || parser.info.records === 0) throw error;
      skipped.push({ after: parser.info.records, reason: reasonOfCsvError(error.code), raw: withoutDelimiter(raw ?? '') });
    },
  });
  // pipeline destroys the parser with the source's error (an undecodable encoding, an I/O error),
  // so the loop below throws it. The callback only keeps that error from being unhandled.
  pipeline(context.source.openText(), parser, () => {});

  // Lines are counted here from each record's raw text because csv-parse 6.2 counts a CRLF inside a
  // quoted field as two lines, so its `info.lines` drifts in CRLF files. Empty lines reach the loop
  // as records (skip_empty_lines is off) so that they are counted too.
  let nextLine = 1;
  let emitted = 0;
  let skippedReported = 0;
  const reportSkipped = (): void => {
    while (skippedReported < skipped.length && skipped[skippedReported]!.after <= emitted) {
      const record = skipped[skippedReported++]!;
      sink.bad(record.reason, nextLine, record.raw);
      nextLine += 1 + countNewlines(record.raw);
    }
  };

  let header: string[] | undefined;
  try {
    for await (const { record, raw: rawWithDelimiter } of parser as AsyncIterable<RawRecord>) {
      reportSkipped();
      emitted++;
      const raw = withoutDelimiter(rawWithDelimiter);
      const lineNumber = nextLine;
      nextLine += 1 + countNewlines(raw);
      if (record.length === 1 && record[0] === '') continue;

      if (header === undefined) {
        header = record.map((name) => name.trim());
        handlers.onHeader(header);
        continue;
      }
      if (record.length !== header.length) {
        sink.bad(FIELD_COUNT_REASON, lineNumber, raw);
        continue;
      }
      handlers.onRecord(record, lineNumber, raw);
    }
    reportSkipped();
  } catch (error) {
    if (isVerdictError(error)) throw error;
    if (error instanceof CsvError) {
      throw new VerdictError('VERDICT_ERR_FEED_FORMAT', { feed: feedId, detail: describeCsvError(path, error, header === undefined) }, { cause: error });
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

function describeCsvError(path: string, error: CsvError, beforeHeader: boolean): string {
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    // csv-parse's line count can run ahead in CRLF files (see readCsvRecords), hence "near".
    return `${path}: the record near line ${String(error['lines'])} is longer than ${MAX_RECORD_BYTES} bytes, most likely because a quoted field is never closed; fix the quoting`;
  }
  if (beforeHeader) return `${path}: the header row is not valid CSV: ${error.message}`;
  return `${path} is not valid CSV: ${error.message}`;
}
