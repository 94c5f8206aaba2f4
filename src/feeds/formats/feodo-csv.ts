/**
 * `feodo-csv`: the abuse.ch Feodo Tracker botnet C2 blocklist in CSV:
 *
 *   ########...            banner of `#` lines
 *   "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"     (not commented)
 *   "2023-05-23 17:51:44","192.9.135.73","1194","online","2024-04-01","Pikabot"
 *   # END 28 entries       (possibly without a final newline)
 *
 * Each row adds `dst_ip` with the attributes `firstSeen` (ISO 8601 UTC), `port` (number), `status`,
 * `lastOnline` and `malwareFamily`. An attribute whose value is empty or not in the expected form is
 * left out, and the address is still added. A `# END N entries` footer that disagrees with the rows
 * read is a bad line (`record-count-mismatch`), and so is a missing footer (`missing-footer`),
 * because either means a truncated or altered download.
 *
 * One C2 address listening on several ports has one row per port, but it is one key: the store keeps
 * one record per key, the first one, so the port reported is that of the address's first row.
 *
 * Comment lines are blanked before csv-parse reads them (their line breaks stay, so line numbers hold),
 * because csv-parse's own `comment` option drops them unseen and the footer must be read. CRLF line
 * breaks become LF on the way, including any inside a quoted field. A line starting with `#` inside
 * a quoted multi-line field would be blanked too, but Feodo fields have no line breaks.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext, RecordSink } from '../../build/types.js';
import { quoteNames, readCsvRecords } from './csv-records.js';

const LF = 0x0a;
const CR = 0x0d;
const HASH_SIGN = 0x23;
const CR_BYTE = Buffer.from('\r');

/** Characters of a comment line kept for the footer check; the footer is about 20. */
const MAX_COMMENT_CHARACTERS = 256;

const FOOTER = /^#\s*END\s+(\d+)\s+entr(?:y|ies)\s*$/i;
const UTC_DATE_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:Z| UTC)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PORT = /^\d{1,5}$/;
const MAX_PORT = 65535;

/** Header names of the columns read, by the attribute or role they fill. */
const COLUMNS = {
  ip: 'dst_ip',
  firstSeen: 'first_seen_utc',
  port: 'dst_port',
  status: 'c2_status',
  lastOnline: 'last_online',
  malwareFamily: 'malware',
} as const;

type ColumnRole = keyof typeof COLUMNS;

interface CommentLine {
  readonly text: string;
  readonly lineNumber: number;
}

/**
 * Replaces each line starting with `#` by an empty line and hands its text to `onComment`, and writes
 * every CRLF line break as LF. csv-parse takes the first line break it meets as the record delimiter
 * of the whole file, so the blanked lines and the rows must end alike. Other bytes pass through.
 */
class CommentBlanker extends Transform {
  private lineNumber = 1;
  private atLineStart = true;
  private inComment = false;
  private comment = '';
  /** A CR that ended the previous chunk outside a comment, dropped if an LF follows. */
  private heldCr = false;

  constructor(private readonly onComment: (comment: CommentLine) => void) {
    super();
  }

  /** Lines seen so far, counting a last line without a line break. */
  get lines(): number {
    return this.atLineStart ? this.lineNumber - 1 : this.lineNumber;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    if (this.heldCr) {
      this.heldCr = false;
      if (chunk[0] !== LF) out.push(CR_BYTE);
    }

    // Bytes from passStart on pass through once the next comment, CRLF or chunk end is found.
    let passStart = 0;
    let position = 0;
    while (position < chunk.length) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (chunk[position] === HASH_SIGN) {
          if (position > passStart) out.push(chunk.subarray(passStart, position));
          this.inComment = true;
          this.comment = '';
        }
      }

      const newline = chunk.indexOf(LF, position);
      if (this.inComment) {
        this.collectComment(chunk, position, newline === -1 ? chunk.length : newline);
        // The comment's bytes are dropped; its LF passes through as the blank line's break.
        passStart = newline === -1 ? chunk.length : newline;
        if (newline !== -1) this.endComment();
      } else if (newline > position && chunk[newline - 1] === CR) {
        out.push(chunk.subarray(passStart, newline - 1));
        passStart = newline;
      }

      if (newline === -1) break;
      this.lineNumber++;
      this.atLineStart = true;
      position = newline + 1;
    }

    let passEnd = chunk.length;
    if (!this.inComment && passEnd > passStart && chunk[passEnd - 1] === CR) {
      this.heldCr = true;
      passEnd--;
    }
    if (passEnd > passStart) out.push(passStart === 0 && passEnd === chunk.length ? chunk : chunk.subarray(passStart, passEnd));

    if (out.length === 0) callback();
    else callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    // A CR held at the end of the file ends its last line, as in forEachLine, so it is dropped.
    if (this.inComment) this.endComment();
    callback();
  }

  /** Keeps the start of a comment line's text, enough for the footer check. */
  private collectComment(chunk: Buffer, start: number, end: number): void {
    if (end > start && this.comment.length < MAX_COMMENT_CHARACTERS) {
      this.comment += chunk.toString('utf8', start, Math.min(end, start + MAX_COMMENT_CHARACTERS));
    }
  }

  private endComment(): void {
    this.onComment({ text: this.comment.trim(), lineNumber: this.lineNumber });
    this.inComment = false;
  }
}

/** Converts `2023-05-23 17:51:44` (UTC) to `2023-05-23T17:51:44Z`; returns undefined when Date.parse rejects it. */
function isoDateTime(value: string): string | undefined {
  const match = UTC_DATE_TIME.exec(value);
  if (match === null) return undefined;
  const iso = `${match[1]}T${match[2]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** Returns a date (`2024-04-01`) as is, a date and time in ISO 8601 UTC, or undefined when Date.parse rejects it. */
function isoDate(value: string): string | undefined {
  if (DATE.test(value)) return Number.isNaN(Date.parse(value)) ? undefined : value;
  return isoDateTime(value);
}

function portNumber(value: string): number | undefined {
  if (!PORT.test(value)) return undefined;
  const port = Number(value);
  return port <= MAX_PORT ? port : undefined;
}

/** Wraps `sink` to call `onBad` for each bad line reported through the wrapper. */
function countingBadLines(sink: RecordSink, onBad: () => void): RecordSink {
  return {
    add: (key, keyLength, attributes, list) => sink.add(key, keyLength, attributes, list),
    addHash: (value, attributes, list) => sink.addHash(value, attributes, list),
    addIp: (text, attributes, list, context) => sink.addIp(text, attributes, list, context),
    addDomain: (text, attributes, list) => sink.addDomain(text, attributes, list),
    addUrl: (text, attributes, list, context) => sink.addUrl(text, attributes, list, context),
    bad: (reason, lineNumber, content, message) => {
      onBad();
      sink.bad(reason, lineNumber, content, message);
    },
    filtered: (reason) => sink.filtered(reason),
  };
}

export const feodoCsvFormat: FeedFormat = {
  name: 'feodo-csv',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const path = context.source.path;

    let footer: { count: number; comment: CommentLine } | undefined;
    const blanker = new CommentBlanker((comment) => {
      const match = FOOTER.exec(comment.text);
      if (match !== null) footer = { count: Number(match[1]), comment };
    });
    const openText = (): Readable => {
      // pipeline destroys the blanker with the source's error, so csv-parse and the caller see it.
      pipeline(context.source.openText(), blanker, () => {});
      return blanker;
    };

    // Rows read: those handed to onRecord and those csv-records reports as bad.
    let rows = 0;
    const csvSink = countingBadLines(sink, () => rows++);
    let columns: Partial<Record<ColumnRole, number>> = {};

    const onHeader = (header: string[]): void => {
      const found: Partial<Record<ColumnRole, number>> = {};
      for (const [role, name] of Object.entries(COLUMNS) as [ColumnRole, string][]) {
        const index = header.indexOf(name);
        if (index !== -1) found[role] = index;
      }
      // Only the address is required: a renamed attribute column loses that attribute, not the feed.
      if (found.ip === undefined) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail: `${path}: column "${COLUMNS.ip}" not found in the header; the header has columns ${quoteNames(header)}`,
        });
      }
      columns = found;
    };

    const onRecord = (fields: string[], lineNumber: number, raw: string): void => {
      rows++;
      const value = (role: ColumnRole): string => (columns[role] === undefined ? '' : fields[columns[role]]!.trim());

      const attributes: Attributes = {};
      const firstSeen = isoDateTime(value('firstSeen'));
      if (firstSeen !== undefined) attributes['firstSeen'] = firstSeen;
      const port = portNumber(value('port'));
      if (port !== undefined) attributes['port'] = port;
      const status = value('status');
      if (status.length > 0) attributes['status'] = status;
      const lastOnline = isoDate(value('lastOnline'));
      if (lastOnline !== undefined) attributes['lastOnline'] = lastOnline;
      const malwareFamily = value('malwareFamily');
      if (malwareFamily.length > 0) attributes['malwareFamily'] = malwareFamily;

      const rejection = sink.addIp(value('ip'), Object.keys(attributes).length > 0 ? attributes : undefined);
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, raw, rejection.message);
    };

    await readCsvRecords({ ...context, source: { path, openText }, sink: csvSink }, ',', { onHeader, onRecord });

    if (footer === undefined) {
      sink.bad('missing-footer', blanker.lines + 1, '', `the file ends after ${rows} rows without the "# END N entries" line; the download may be truncated`);
    } else if (footer.count !== rows) {
      sink.bad(
        'record-count-mismatch',
        footer.comment.lineNumber,
        footer.comment.text,
        `the footer says ${footer.count} entries, but ${rows} rows were read`,
      );
    }
  },
};
