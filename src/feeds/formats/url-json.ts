/**
 * `url-json`: malicious-URL feeds in JSON (an array of records or NDJSON, see json-records.ts) read
 * through a field mapping in the options, so a provider's layout needs configuration, not code.
 * Bing's malicious-URL records, for example, are read with
 * `{ "url": "Url", "ip": "NetworkDestinationIPv4", "firstSeen": "FirstReportedDateTime", ... }`.
 *
 * Each record adds its URL as a URL entry and, when `fields.ip` is mapped and present, its IP
 * address as an IP entry with the same attributes. Attributes, each when present: `threatType`,
 * `firstSeen`, `lastSeen`, `asn`, `countryCode`, and one per entry of `fields.attributes`. Times are
 * normalized to ISO 8601 UTC as feed-timestamps.ts describes, and a time that does not parse is kept
 * as written in `firstSeenRaw` or `lastSeenRaw`. The ASN and country also go to the sink as the
 * record's context for tailored feeds. A field is named by its key, or by a dotted path into nested objects when no
 * key has that name. Unmapped fields are ignored.
 *
 * Bad lines: a record that is not an object (`record-not-object`), one without a URL (`missing-url`),
 * and every URL or IP the indicator modules reject, under their reasons.
 */
import type { Attributes, FeedFormat, IndicatorContext, ParseContext, RecordSink } from '../../build/types.js';
import { RECORD_NOT_OBJECT, isJsonObject, readJsonRecords, textOf, type JsonObject } from './json-records.js';
import { normalizeFeedTimestamp } from './feed-timestamps.js';

export interface UrlJsonFields {
  readonly url: string;
  readonly ip?: string;
  readonly threatType?: string;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly asn?: string;
  readonly country?: string;
  /** Field or dotted path -> attribute name. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface UrlJsonOptions {
  readonly fields: UrlJsonFields;
}

/** Bad-line reason of a record whose URL field is absent, null or empty. */
export const MISSING_URL = 'missing-url';

const ASN_TEXT = /^(?:AS)?(\d{1,10})$/i;
const COUNTRY_CODE = /^[A-Za-z]{2}$/;

/** A field reference resolved once: the key itself, and its parts for the dotted-path fallback. */
class FieldPath {
  private readonly parts: readonly string[];

  constructor(readonly name: string) {
    this.parts = name.split('.');
  }

  read(record: JsonObject): unknown {
    const direct = record[this.name];
    if (direct !== undefined || this.parts.length === 1) return direct;
    let value: unknown = record;
    for (const part of this.parts) {
      if (!isJsonObject(value)) return undefined;
      value = value[part];
    }
    return value;
  }
}


/** Returns a field's value as an attribute: strings trimmed, other JSON values as they are, and undefined for null, '' and []. */
function attributeValueOf(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return textOf(value);
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

function asnOf(value: unknown): number | undefined {
  const match = ASN_TEXT.exec(textOf(value) ?? '');
  if (match === null) return undefined;
  const asn = Number(match[1]);
  return asn >= 1 && asn <= 0xffffffff ? asn : undefined;
}

function countryOf(value: unknown): string | undefined {
  const text = textOf(value);
  return text !== undefined && COUNTRY_CODE.test(text) ? text.toUpperCase() : undefined;
}

class UrlJsonReader {
  private readonly url: FieldPath;
  private readonly ip: FieldPath | undefined;
  private readonly threatType: FieldPath | undefined;
  private readonly firstSeen: FieldPath | undefined;
  private readonly lastSeen: FieldPath | undefined;
  private readonly asn: FieldPath | undefined;
  private readonly country: FieldPath | undefined;
  private readonly extra: readonly (readonly [FieldPath, string])[];

  constructor(
    private readonly sink: RecordSink,
    fields: UrlJsonFields,
  ) {
    const optional = (name: string | undefined): FieldPath | undefined => (name === undefined ? undefined : new FieldPath(name));
    this.url = new FieldPath(fields.url);
    this.ip = optional(fields.ip);
    this.threatType = optional(fields.threatType);
    this.firstSeen = optional(fields.firstSeen);
    this.lastSeen = optional(fields.lastSeen);
    this.asn = optional(fields.asn);
    this.country = optional(fields.country);
    this.extra = Object.entries(fields.attributes ?? {}).map(([path, attribute]) => [new FieldPath(path), attribute] as const);
  }

  handle(record: unknown, number: number, text: string): void {
    const { sink } = this;
    if (!isJsonObject(record)) {
      sink.bad(RECORD_NOT_OBJECT, number, text, `record is ${Array.isArray(record) ? 'an array' : JSON.stringify(record)}, not a JSON object`);
      return;
    }

    const url = textOf(this.url.read(record));
    if (url === undefined) {
      const value = this.url.read(record);
      const name = JSON.stringify(this.url.name);
      const message = value === undefined ? `record has no ${name} field` : `${name} is ${JSON.stringify(value)}, not a URL`;
      sink.bad(MISSING_URL, number, text, message);
      return;
    }

    const { attributes, context } = this.describe(record);
    const rejection = sink.addUrl(url, attributes, undefined, context);
    if (rejection !== undefined) sink.bad(rejection.reason, number, text, `${this.url.name}: ${rejection.message}`);

    if (this.ip === undefined) return;
    const ip = textOf(this.ip.read(record));
    if (ip === undefined) return;
    const ipRejection = sink.addIp(ip, attributes, undefined, context);
    if (ipRejection !== undefined) sink.bad(ipRejection.reason, number, text, `${this.ip.name}: ${ipRejection.message}`);
  }

  private describe(record: JsonObject): { attributes: Attributes; context: IndicatorContext } {
    const attributes: Attributes = {};
    const threatType = this.threatType === undefined ? undefined : textOf(this.threatType.read(record));
    if (threatType !== undefined) attributes['threatType'] = threatType;
    this.addTime(attributes, 'firstSeen', this.firstSeen, record);
    this.addTime(attributes, 'lastSeen', this.lastSeen, record);

    const asn = this.asn === undefined ? undefined : asnOf(this.asn.read(record));
    const country = this.country === undefined ? undefined : countryOf(this.country.read(record));
    if (asn !== undefined) attributes['asn'] = asn;
    if (country !== undefined) attributes['countryCode'] = country;

    for (const [path, attribute] of this.extra) {
      const value = attributeValueOf(path.read(record));
      if (value !== undefined) attributes[attribute] = value;
    }
    return { attributes, context: { asn, country } };
  }

  private addTime(attributes: Attributes, name: string, path: FieldPath | undefined, record: JsonObject): void {
    if (path === undefined) return;
    const value = path.read(record);
    const time = normalizeFeedTimestamp(value);
    if (time !== undefined) {
      attributes[name] = time;
      return;
    }
    const raw = textOf(value);
    if (raw !== undefined) attributes[`${name}Raw`] = raw;
  }
}

const FIELD_NAME = { type: 'string', minLength: 1 } as const;

export const urlJsonFormat: FeedFormat = {
  name: 'url-json',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['fields'],
    properties: {
      fields: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          url: { ...FIELD_NAME, description: 'Field of the URL, the entry every record adds.' },
          ip: { ...FIELD_NAME, description: 'Field of the IP address the URL is hosted on; when present it is added as an IP entry too.' },
          threatType: { ...FIELD_NAME, description: 'Field of the threatType attribute.' },
          firstSeen: { ...FIELD_NAME, description: 'Field of the firstSeen attribute, a timestamp normalized to ISO 8601 UTC.' },
          lastSeen: { ...FIELD_NAME, description: 'Field of the lastSeen attribute, a timestamp normalized to ISO 8601 UTC.' },
          asn: { ...FIELD_NAME, description: 'Field of the AS number of the host, used for tailoring and as the asn attribute.' },
          country: { ...FIELD_NAME, description: 'Field of the two-letter country code of the host, used for tailoring and as the countryCode attribute.' },
          attributes: {
            type: 'object',
            additionalProperties: { type: 'string', minLength: 1 },
            description: 'Attribute name for the value of each named field.',
          },
        },
        description: 'Field names of the records, each a key or a dotted path into nested objects.',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const options = context.options as unknown as UrlJsonOptions;
    const reader = new UrlJsonReader(context.sink, options.fields);
    await readJsonRecords(context, (record, number, text) => reader.handle(record, number, text));
  },
};
