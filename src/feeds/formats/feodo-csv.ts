/**
 * `feodo-csv`: the abuse.ch Feodo Tracker botnet C2 blocklist in CSV:
 *
 *   ########...            banner of `#` lines
 *   "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"     (not commented)
 *   "2023-05-23 17:51:44","192.9.135.73","1194","online","2024-04-01","Pikabot"
 *   # END 28 entries       (often without a final newline)
 *
 * Each row adds `dst_ip` with the attributes `firstSeen` (ISO 8601 UTC), `port` (number), `status`,
 * `lastOnline` and `malwareFamily`; a value that is empty or not in the expected form is left out.
 * When the `# END N entries` footer disagrees with the rows read, or is missing, that is a bad line
 * (`record-count-mismatch`, `missing-footer`), because it means a truncated or altered download.
 *
 * One C2 address listening on several ports has one row per port, but it is one key: the store keeps
 * one record per key, the first one, so the port reported is that of the address's first row.
 *
 * Comment lines are blanked before csv-parse sees them (their line breaks stay, so line numbers hold),
 * because csv-parse's own `comment` option drops them unseen and the footer must be read. A line that
 * starts with `#` inside a quoted multi-line field would be blanked too; Feodo fields have no line breaks.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext, RecordSink } from '../../build/types.js';
import { quoteNames, readCsvRecords } from './csv-records.js';

const LF = 0x0a;
const CR = 0x0d;
const HASH_SIGN = 0x23;
const CRLF = Buffer.from('\r\n');
const NEWLINE = Buffer.from('\n');

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
 * Replaces each line starting with `#` by an empty line with the same line break, and hands its text
 * to `onComment`. Other bytes pass through unchanged.
 */
class CommentBlanker extends Transform {
  private lineNumber = 1;
  private atLineStart = true;
  private inComment = false;
  private comment = '';
  private commentEndsWithCr = false;

  constructor(private readonly onComment: (comment: CommentLine) => void) {
    super();
  }

  /** Lines seen so far, counting a last line without a line break. */
  get lines(): number {
    return this.atLineStart ? this.lineNumber - 1 : this.lineNumber;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (chunk[position] === HASH_SIGN) {
          this.inComment = true;
          this.comment = '';
        }
      }

      const newline = chunk.indexOf(LF, position);
      const end = newline === -1 ? chunk.length : newline;
      if (this.inComment) {
        if (end > position) {
          if (this.comment.length < MAX_COMMENT_CHARACTERS) this.comment += chunk.toString('utf8', position, Math.min(end, position + MAX_COMMENT_CHARACTERS));
          this.commentEndsWithCr = chunk[end - 1] === CR;
        }
        if (newline !== -1) {
          this.endComment();
          out.push(this.commentEndsWithCr ? CRLF : NEWLINE);
        }
      } else {
        out.push(chunk.subarray(position, newline === -1 ? chunk.length : newline + 1));
      }

      if (newline === -1) break;
      this.lineNumber++;
      this.atLineStart = true;
      position = newline + 1;
    }
    if (out.length === 0) callback();
    else callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    if (this.inComment) this.endComment();
    callback();
  }

  private endComment(): void {
    this.onComment({ text: this.comment.replace(/\r$/, '').trim(), lineNumber: this.lineNumber });
    this.inComment = false;
    this.commentEndsWithCr = false;
  }
}

/** `2023-05-23 17:51:44` (UTC) as `2023-05-23T17:51:44Z`, or undefined when it is not a valid date and time. */
function isoDateTime(value: string): string | undefined {
  const match = UTC_DATE_TIME.exec(value);
  if (match === null) return undefined;
  const iso = `${match[1]}T${match[2]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** A date (`2024-04-01`) kept as is, or a date and time in ISO 8601 UTC. */
function isoDate(value: string): string | undefined {
  if (DATE.test(value)) return Number.isNaN(Date.parse(value)) ? undefined : value;
  return isoDateTime(value);
}

function portNumber(value: string): number | undefined {
  if (!PORT.test(value)) return undefined;
  const port = Number(value);
  return port <= MAX_PORT ? port : undefined;
}

/** A sink that passes everything on and counts the bad lines reported through it. */
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
