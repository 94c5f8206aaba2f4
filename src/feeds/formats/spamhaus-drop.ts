/**
 * `spamhaus-drop`: the Spamhaus DROP and EDROP lists (IPv4 and IPv6), in either of their two forms,
 * chosen per file by the first non-blank character (`{` means NDJSON):
 *
 *   text     `1.10.16.0/20 ; SBL256894`, with `;` comment lines (a `#` line is taken as one too)
 *   NDJSON   `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}` per line, ended by
 *            `{"type":"metadata","timestamp":...,"size":...,"records":N,"copyright":...}`
 *
 * The SBL id becomes the attributes `sblId` and `reference` (its page on spamhaus.org), and the RIR of
 * the NDJSON form `rir`. The metadata record is not an entry. Its `records` count is checked against
 * the entry lines read, so a truncated download shows as a bad line instead of as a shorter list:
 * `record-count-mismatch`, or `missing-metadata` when the file ends before the metadata record.
 */
import { forEachLine } from '../input.js';
import type { Attributes, FeedFormat, ParseContext, RecordSink } from '../../build/types.js';

const SBL_ID = /^SBL\d+$/;
const SBL_REFERENCE_BASE = 'https://www.spamhaus.org/sbl/query/';

/**
 * Builds an entry's attributes: the SBL id and its reference, or `description` when the text in the
 * SBL id's place is something else, and the RIR.
 */
function entryAttributes(sblText: string | undefined, rir: string | undefined): Attributes | undefined {
  let attributes: Attributes | undefined;
  if (sblText !== undefined && sblText.length > 0) {
    attributes = SBL_ID.test(sblText) ? { sblId: sblText, reference: `${SBL_REFERENCE_BASE}${sblText}` } : { description: sblText };
  }
  if (rir !== undefined && rir.length > 0) (attributes ??= {})['rir'] = rir;
  return attributes;
}

function addEntry(sink: RecordSink, cidr: string, attributes: Attributes | undefined, lineNumber: number, line: string): void {
  const rejection = sink.addIp(cidr, attributes);
  if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, line, rejection.message);
}

/** Adds the entry of a `CIDR ; SBLnnn` line; a line starting with `;` or `#` is a comment. */
function parseTextLine(sink: RecordSink, line: string, lineNumber: number): void {
  const trimmed = line.trim();
  if (trimmed.length === 0 || trimmed.startsWith(';') || trimmed.startsWith('#')) return;
  const semicolon = trimmed.indexOf(';');
  const cidr = semicolon === -1 ? trimmed : trimmed.slice(0, semicolon).trim();
  const comment = semicolon === -1 ? undefined : trimmed.slice(semicolon + 1).trim();
  addEntry(sink, cidr, entryAttributes(comment, undefined), lineNumber, line);
}

function describeJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}

interface Metadata {
  readonly records: unknown;
  readonly lineNumber: number;
  readonly line: string;
}

/** Reads the NDJSON form line by line, counting entry lines and keeping the metadata record. */
class NdjsonReader {
  entriesRead = 0;
  metadata: Metadata | undefined;

  constructor(private readonly sink: RecordSink) {}

  readLine(line: string, lineNumber: number): void {
    const trimmed = line.trim();
    if (trimmed.length === 0) return;

    let record: unknown;
    try {
      record = JSON.parse(trimmed);
    } catch (error) {
      // A broken line is most likely a broken entry, so it counts against the metadata's total.
      this.entriesRead++;
      this.sink.bad('invalid-json', lineNumber, line, `line is not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      this.entriesRead++;
      this.sink.bad('not-an-object', lineNumber, line, `expected a JSON object per line, found ${describeJsonType(record)}`);
      return;
    }

    const fields = record as Record<string, unknown>;
    if (fields['type'] === 'metadata') {
      this.metadata = { records: fields['records'], lineNumber, line };
      return;
    }
    this.entriesRead++;
    const cidr = fields['cidr'];
    if (typeof cidr !== 'string') {
      this.sink.bad('missing-cidr', lineNumber, line, `the record has no "cidr" string (found ${JSON.stringify(cidr) ?? 'nothing'})`);
      return;
    }
    const sblId = typeof fields['sblid'] === 'string' ? fields['sblid'].trim() : undefined;
    const rir = typeof fields['rir'] === 'string' ? fields['rir'].trim() : undefined;
    addEntry(this.sink, cidr, entryAttributes(sblId, rir), lineNumber, line);
  }

  /** Checks the metadata's record count against the entries read; `lastLine` is the file's line count. */
  finish(lastLine: number): void {
    const metadata = this.metadata;
    if (metadata === undefined) {
      this.sink.bad(
        'missing-metadata',
        lastLine + 1,
        '',
        `the file ends after ${this.entriesRead} entries without the {"type":"metadata",...} record; the download may be truncated`,
      );
      return;
    }
    const records = metadata.records;
    if (typeof records !== 'number' || !Number.isInteger(records) || records < 0) {
      this.sink.bad('invalid-metadata', metadata.lineNumber, metadata.line, `the metadata's "records" is ${JSON.stringify(records) ?? 'missing'}, not a count`);
      return;
    }
    if (records !== this.entriesRead) {
      this.sink.bad(
        'record-count-mismatch',
        metadata.lineNumber,
        metadata.line,
        `the metadata says ${records} records, but ${this.entriesRead} entry lines were read`,
      );
    }
  }
}

export const spamhausDropFormat: FeedFormat = {
  name: 'spamhaus-drop',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    let form: 'text' | 'ndjson' | undefined;
    const ndjson = new NdjsonReader(sink);
    let lastLine = 0;

    await forEachLine(context.source.openText(), (line, lineNumber) => {
      lastLine = lineNumber;
      if (form === undefined) {
        const first = line.trimStart();
        if (first.length === 0) return;
        form = first.startsWith('{') ? 'ndjson' : 'text';
      }
      if (form === 'ndjson') ndjson.readLine(line, lineNumber);
      else parseTextLine(sink, line, lineNumber);
    });

    if (form === 'ndjson') ndjson.finish(lastLine);
  },
};
