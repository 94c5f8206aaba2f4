/**
 * `urlhaus-csv`: the CSV exports of abuse.ch URLhaus (`csv_online`, `csv_recent`, the full dump):
 *
 *   ################################################################
 *   # abuse.ch URLhaus Database Dump (CSV - online URLs only)      #
 *   ...
 *   # id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
 *   "3764679","2026-01-27 17:53:08","http://192.0.2.1:8080/a.exe","online",...
 *
 * The banner is `#` lines, and the column header is itself one of them: the first `#` line whose
 * comma-separated names include `url` is read as the header, and every other `#` line is skipped. An
 * uncommented header row works too. Fields are quoted CSV, read with csv-parse (csv-records.ts).
 *
 * Each row adds its `url` as a URL entry. Attributes, each where its column is present and not empty:
 *
 *   urlhausId                 id
 *   dateAdded, lastOnline     dateadded, last_online, as ISO 8601 UTC (URLhaus writes UTC without a zone)
 *   status                    url_status: `online` or `offline`
 *   threatType                threat, e.g. `malware_download`
 *   tags                      tags as a list; URLhaus writes `None` for no tags
 *   reference                 urlhaus_link, the URL's page on URLhaus
 *   reporter                  reporter
 *
 * With the `onlineOnly` option, rows whose url_status is not `online` are counted as filtered
 * (`offline`). An invalid URL is a bad line with the reason the URL parser gives; a row with another
 * field count than the header is a bad line `csv-field-count`.
 *
 * NOTE: a `#` at the start of a line inside a quoted field that spans lines would be read as a
 * comment. URLhaus rows are single lines, since a URL cannot contain a raw line break.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { VerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext } from '../../build/types.js';
import { quoteNames, readCsvRecords } from './csv-records.js';
import { normalizeFeedTimestamp } from './feed-timestamps.js';

/** Filter reason of a row left out by the onlineOnly option. */
export const OFFLINE_FILTER = 'offline';

/** Column names of the URLhaus CSV and the attribute each becomes; `url` is the entry itself. */
const ATTRIBUTE_COLUMNS = {
  id: 'urlhausId',
  dateadded: 'dateAdded',
  url_status: 'status',
  last_online: 'lastOnline',
  threat: 'threatType',
  tags: 'tags',
  urlhaus_link: 'reference',
  reporter: 'reporter',
} as const;

type AttributeColumn = keyof typeof ATTRIBUTE_COLUMNS;

const TIMESTAMP_COLUMNS: ReadonlySet<string> = new Set(['dateadded', 'last_online']);

/** The tags value URLhaus writes for a URL without tags. */
const NO_TAGS = 'None';

export interface UrlhausCsvOptions {
  readonly onlineOnly?: boolean;
}

const HASH_SIGN = 0x23;
const LF = 0x0a;
const CR = 0x0d;
/** Maximum bytes of a comment line kept to be checked for the header, which is far shorter. */
const MAX_COMMENT_BYTES = 64 * 1024;

/** True when the text of a comment line (without `#`) names the columns, url among them. */
export function isCommentedHeader(text: string): boolean {
  const names = text.split(',').map((name) => name.trim().toLowerCase());
  return names.length > 1 && names.includes('url');
}

/**
 * Blanks the `#` lines of a byte stream, keeping their line breaks so that line numbers stay right,
 * and uncomments the first one that isCommentedHeader accepts, so csv-parse reads it as the header.
 */
class CommentedHeaderCsv extends Transform {
  private atLineStart = true;
  /** The bytes of the comment line being read, or undefined outside a comment line. */
  private comment: Buffer[] | undefined;
  private commentBytes = 0;
  private headerFound = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: Buffer[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (this.atLineStart && chunk[position] === HASH_SIGN) this.comment = [];
      this.atLineStart = false;

      const newline = chunk.indexOf(LF, position);
      const end = newline === -1 ? chunk.length : newline + 1;
      if (this.comment === undefined) {
        out.push(chunk.subarray(position, end));
      } else {
        if (this.commentBytes < MAX_COMMENT_BYTES) {
          this.comment.push(chunk.subarray(position, end));
          this.commentBytes += end - position;
        }
        if (newline !== -1) out.push(this.endComment(true));
      }
      if (newline === -1) break;
      this.atLineStart = true;
      position = newline + 1;
    }
    callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.comment === undefined ? undefined : this.endComment(false));
  }

  /** Replaces the comment line just read by the header text, or else by its line break alone. */
  private endComment(withLineBreak: boolean): Buffer {
    const bytes = Buffer.concat(this.comment!);
    this.comment = undefined;
    this.commentBytes = 0;
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === LF || bytes[end - 1] === CR)) end--;
    const lineBreak = bytes.subarray(end);
    const text = bytes.toString('utf8', 0, end).replace(/^#+/, '');
    if (!this.headerFound && isCommentedHeader(text)) {
      this.headerFound = true;
      return Buffer.concat([Buffer.from(text.trim(), 'utf8'), withLineBreak ? lineBreak : Buffer.alloc(0)]);
    }
    return withLineBreak ? Buffer.from(lineBreak) : Buffer.alloc(0);
  }
}

function attributeValue(column: AttributeColumn, value: string): unknown {
  if (column === 'tags') {
    if (value === NO_TAGS) return undefined;
    const tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag.length > 0);
    return tags.length > 0 ? tags : undefined;
  }
  // A timestamp URLhaus wrote in another form is kept as written rather than dropped.
  if (TIMESTAMP_COLUMNS.has(column)) return normalizeFeedTimestamp(value) ?? value;
  return value;
}

export const urlhausCsvFormat: FeedFormat = {
  name: 'urlhaus-csv',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      onlineOnly: {
        type: 'boolean',
        default: false,
        description: 'Skip rows whose url_status is not "online", counting them as filtered (default false).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const onlineOnly = (context.options as UrlhausCsvOptions).onlineOnly ?? false;
    const source = context.source;
    const uncommented: ParseContext = {
      ...context,
      source: {
        path: source.path,
        // pipeline destroys the transform with the source's error, so readCsvRecords receives it.
        openText: () => pipeline(source.openText(), new CommentedHeaderCsv(), () => {}),
      },
    };

    let urlIndex = -1;
    let statusIndex = -1;
    let columns: { readonly index: number; readonly column: AttributeColumn }[] = [];

    const onHeader = (header: string[]): void => {
      const names = header.map((name) => name.toLowerCase());
      urlIndex = names.indexOf('url');
      if (urlIndex === -1) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail: `${source.path}: no "url" column in the header; the header has columns ${quoteNames(header)}`,
        });
      }
      statusIndex = names.indexOf('url_status');
      if (onlineOnly && statusIndex === -1) {
        throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
          feed: feedId,
          detail: `${source.path}: the onlineOnly option needs a "url_status" column, which the header lacks; the header has columns ${quoteNames(header)}`,
        });
      }
      columns = (Object.keys(ATTRIBUTE_COLUMNS) as AttributeColumn[])
        .map((column) => ({ index: names.indexOf(column), column }))
        .filter(({ index }) => index !== -1);
    };

    const onRecord = (fields: string[], lineNumber: number, raw: string): void => {
      if (onlineOnly && fields[statusIndex]!.trim().toLowerCase() !== 'online') {
        sink.filtered(OFFLINE_FILTER);
        return;
      }

      let attributes: Attributes | undefined;
      for (const { index, column } of columns) {
        const text = fields[index]!.trim();
        if (text.length === 0) continue;
        const value = attributeValue(column, text);
        if (value !== undefined) (attributes ??= {})[ATTRIBUTE_COLUMNS[column]] = value;
      }
      const rejection = sink.addUrl(fields[urlIndex]!, attributes);
      if (rejection !== undefined) sink.bad(rejection.reason, lineNumber, raw, rejection.message);
    };

    await readCsvRecords(uncommented, ',', { onHeader, onRecord });
  },
};
