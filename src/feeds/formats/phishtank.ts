/**
 * `phishtank`: PhishTank's database of verified phishing URLs, in either of its published forms,
 * `online-valid.csv` and `online-valid.json`:
 *
 *   phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target
 *   8012345,https://example.com/login,https://www.phishtank.com/phish_detail.php?phish_id=8012345,2026-01-27T10:00:00+00:00,yes,2026-01-27T10:05:00+00:00,yes,Other
 *
 *   [{"phish_id": 8012345, "url": "https://example.com/login", ..., "target": "Other",
 *     "details": [{"ip_address": "192.0.2.1", "announcing_network": "64500", "country": "US", ...}]}]
 *
 * The form is the `form` option, or by default the first character that is not white space: `[`
 * starts the JSON array, anything else the CSV header row. The JSON array is streamed element by
 * element, so bad-line numbers there are element positions (1 for the first).
 *
 * Each record adds its `url` as a URL entry, with the attributes `phishId`, `reference` (the
 * phish_detail_url page), `submittedAt` and `verifiedAt` (ISO 8601 UTC) and `target` (the brand
 * phished, `Other` when PhishTank does not know), each where present. In the JSON form, the first
 * `details` item's announcing network (ASN) and country go to the indicator policy, which uses them
 * to tailor entries whose host is an IP address to a feed's constituency.
 *
 * A record whose `verified` or `online` field is `no` is counted as filtered (`unverified`,
 * `offline`) unless the `includeUnverified` or `includeOffline` option keeps it. The online-valid
 * files contain neither. An invalid URL is a bad line with the reason the URL parser gives; a JSON
 * element that is not an object, or has no `url`, is a bad line (`record-not-object`, `missing-url`); a `url` that is not a string counts as missing.
 */
import { pipeline, Readable } from 'node:stream';
import streamJson from 'stream-json';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { VerdictError, isVerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, IndicatorContext, ParseContext, RecordSink, Rejection } from '../../build/types.js';
import { quoteNames, readCsvRecords } from './csv-records.js';
import { normalizeFeedTimestamp } from './feed-timestamps.js';
import { sniffFirstCharacter } from './json-records.js';

const { parser: jsonParser } = streamJson;
const { streamArray } = StreamArray;

export type PhishtankForm = 'auto' | 'csv' | 'json';

export interface PhishtankOptions {
  readonly form?: PhishtankForm;
  readonly includeUnverified?: boolean;
  readonly includeOffline?: boolean;
}

export const PhishtankFilter = {
  unverified: 'unverified',
  offline: 'offline',
} as const;

export const PhishtankBadReason = {
  notObject: 'record-not-object',
  missingUrl: 'missing-url',
} as const;

/** The fields of a PhishTank record that verdict reads, as text. */
interface PhishRecord {
  readonly url: string | undefined;
  readonly phishId?: string;
  readonly detailUrl?: string;
  readonly submissionTime?: string;
  readonly verified?: string;
  readonly verificationTime?: string;
  readonly online?: string;
  readonly target?: string;
}

/** Converts a field value to trimmed text. Numbers and booleans are written out, and anything else is undefined. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed.length > 0 ? trimmed : undefined;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Tests whether a yes/no field is no. A missing or unrecognized value does not filter the record. */
function saysNo(value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  return lower === 'no' || lower === 'false' || lower === 'n' || lower === '0';
}

/** Outcome of one record: counted as filtered, or added, or rejected by the sink. */
type PhishOutcome = { readonly filtered: string } | { readonly rejection: Rejection | undefined };

/** Adds one record unless the options filter it. */
function addPhish(sink: RecordSink, record: PhishRecord, options: PhishtankOptions, context: IndicatorContext | undefined): PhishOutcome {
  if (!options.includeUnverified && saysNo(record.verified)) return { filtered: PhishtankFilter.unverified };
  if (!options.includeOffline && saysNo(record.online)) return { filtered: PhishtankFilter.offline };

  const attributes: Attributes = {};
  if (record.phishId !== undefined) attributes['phishId'] = record.phishId;
  if (record.detailUrl !== undefined) attributes['reference'] = record.detailUrl;
  // A time in another form is kept as written rather than dropped.
  if (record.submissionTime !== undefined) attributes['submittedAt'] = normalizeFeedTimestamp(record.submissionTime) ?? record.submissionTime;
  if (record.verificationTime !== undefined) attributes['verifiedAt'] = normalizeFeedTimestamp(record.verificationTime) ?? record.verificationTime;
  if (record.target !== undefined) attributes['target'] = record.target;
  const kept = Object.keys(attributes).length > 0 ? attributes : undefined;
  return { rejection: sink.addUrl(record.url ?? '', kept, undefined, context) };
}

function report(sink: RecordSink, result: PhishOutcome, number: number, content: () => string): void {
  if ('filtered' in result) sink.filtered(result.filtered);
  else if (result.rejection !== undefined) sink.bad(result.rejection.reason, number, content(), result.rejection.message);
}

/** Builds the constituency context of a JSON record from the ASN and country of its first `details` item. */
function contextOfDetails(details: unknown): IndicatorContext | undefined {
  if (!Array.isArray(details) || typeof details[0] !== 'object' || details[0] === null) return undefined;
  const first = details[0] as Record<string, unknown>;
  const asn = Number(textOf(first['announcing_network']));
  const country = textOf(first['country']);
  if (!Number.isInteger(asn) && country === undefined) return undefined;
  return { ...(Number.isInteger(asn) ? { asn } : {}), ...(country !== undefined ? { country } : {}) };
}

async function parseCsv(context: ParseContext, options: PhishtankOptions): Promise<void> {
  const { sink, feedId } = context;
  let index: Record<string, number> = {};

  const onHeader = (header: string[]): void => {
    const names = header.map((name) => name.toLowerCase());
    if (!names.includes('url')) {
      throw new VerdictError('VERDICT_ERR_FEED_FORMAT', {
        feed: feedId,
        detail: `${context.source.path}: no "url" column in the header; the header has columns ${quoteNames(header)}`,
      });
    }
    index = Object.fromEntries(names.map((name, position) => [name, position]));
  };

  const onRecord = (fields: string[], lineNumber: number, raw: string): void => {
    const field = (name: string): string | undefined => (index[name] === undefined ? undefined : textOf(fields[index[name]!]));
    const record: PhishRecord = {
      url: fields[index['url']!],
      phishId: field('phish_id'),
      detailUrl: field('phish_detail_url'),
      submissionTime: field('submission_time'),
      verified: field('verified'),
      verificationTime: field('verification_time'),
      online: field('online'),
      target: field('target'),
    };
    report(sink, addPhish(sink, record, options, undefined), lineNumber, () => raw);
  };

  await readCsvRecords(context, ',', { onHeader, onRecord });
}

/** Adds one element of the JSON array, reporting it as a bad line numbered `number` when it is not a record. */
function addElement(sink: RecordSink, value: unknown, number: number, options: PhishtankOptions): void {
  const content = (): string => JSON.stringify(value) ?? String(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.bad(PhishtankBadReason.notObject, number, content(), `element ${number} is ${content()}, not an object`);
    return;
  }
  const item = value as Record<string, unknown>;
  const url = typeof item['url'] === 'string' ? textOf(item['url']) : undefined;
  if (url === undefined) {
    sink.bad(PhishtankBadReason.missingUrl, number, content(), `element ${number} has no "url" field with a URL`);
    return;
  }
  const record: PhishRecord = {
    url,
    phishId: textOf(item['phish_id']),
    detailUrl: textOf(item['phish_detail_url']),
    submissionTime: textOf(item['submission_time']),
    verified: textOf(item['verified']),
    verificationTime: textOf(item['verification_time']),
    online: textOf(item['online']),
    target: textOf(item['target']),
  };
  report(sink, addPhish(sink, record, options, contextOfDetails(item['details'])), number, content);
}

async function parseJson(context: ParseContext, options: PhishtankOptions): Promise<void> {
  const { sink, feedId } = context;
  const elements = streamArray();
  // pipeline destroys the last stream with the first error of any stage, which ends the loop below.
  pipeline(context.source.openText(), jsonParser({ streamValues: false }), elements, () => {});

  let number = 0;
  // An error of the sink is not a JSON error and must not be reported as one.
  let handlerFailed = false;
  try {
    for await (const { value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      number++;
      try {
        addElement(sink, value, number, options);
      } catch (error) {
        handlerFailed = true;
        throw error;
      }
    }
  } catch (error) {
    if (handlerFailed || isVerdictError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new VerdictError(
      'VERDICT_ERR_FEED_FORMAT',
      { feed: feedId, detail: `${context.source.path} is not a PhishTank JSON array: ${message}` },
      { cause: error },
    );
  } finally {
    elements.destroy();
  }
}

export const phishtankFormat: FeedFormat = {
  name: 'phishtank',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      form: {
        type: 'string',
        enum: ['auto', 'csv', 'json'],
        default: 'auto',
        description: 'The file\'s form. "auto" (the default) reads JSON when the first character is "[", else CSV.',
      },
      includeUnverified: {
        type: 'boolean',
        default: false,
        description: 'Keep records whose `verified` field is "no" (default false: they are counted as filtered).',
      },
      includeOffline: {
        type: 'boolean',
        default: false,
        description: 'Keep records whose `online` field is "no" (default false: they are counted as filtered).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const options = context.options as PhishtankOptions;
    let form = options.form ?? 'auto';
    let parsed = context;
    if (form === 'auto') {
      // The source is read once: the sniffed chunks are replayed to the parser.
      const { first, chunks } = await sniffFirstCharacter(context.source.openText());
      const stream = Readable.from(chunks, { objectMode: false });
      form = first === 0x5b ? 'json' : 'csv';
      parsed = { ...context, source: { path: context.source.path, openText: () => stream } };
    }
    if (form === 'json') await parseJson(parsed, options);
    else await parseCsv(parsed, options);
  },
};
