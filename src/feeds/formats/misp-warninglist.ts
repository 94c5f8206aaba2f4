/**
 * `misp-warninglist`: MISP warning lists (github.com/MISP/misp-warninglists), the lists of known
 * benign or shared infrastructure (cloud ranges, popular sites, private address space) that MISP uses
 * to flag false positives. They suit allow feeds.
 *
 *   {"description": "...", "list": ["10.0.0.0/8", ...], "matching_attributes": ["ip-src", ...],
 *    "name": "List of RFC 1918 CIDR blocks", "type": "cidr", "version": 5}
 *
 * How each value of `list` is read depends on `type`:
 *
 *   cidr                  IP entries (addresses and CIDR ranges)
 *   hostname              domain entries, in the feed's default match mode; an IP address among them
 *                         is an IP entry
 *   string                each value by its shape: a hash, an IP address or CIDR range, a URL (with a
 *                         scheme, or a host and a path), or a domain. Anything else (user agents, file
 *                         names, e-mail addresses) is counted as filtered (`unsupported-string`).
 *   substring, regex      patterns verdict cannot look up: every value is counted as filtered
 *                         (`unsupported-type`)
 *
 * Another `type`, or none, fails the parse. The list's `name` becomes the `warninglist` attribute of
 * every entry.
 *
 * The published files sort their keys, so `type` and `name` come after `list`. To stream a large
 * list without holding it, the file is read twice: once for the fields other than `list`, then for
 * the values of `list`, one at a time. Bad-line numbers are value positions in `list` (1 for the
 * first), since the whole document may be one line. A value that is not a string is a bad line
 * (`entry-not-string`), and so is an invalid one, with the reason the IP, domain or URL parser gives.
 *
 * Warning lists of private address space (rfc1918) hold only reserved ranges: a feed reading one
 * must keep reserved space (indicator policy `reserved: true`), or every entry is filtered as
 * `reserved`.
 */
import { pipeline } from 'node:stream';
import streamJson from 'stream-json';
import Ignore from 'stream-json/filters/Ignore.js';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import StreamObject from 'stream-json/streamers/StreamObject.js';
import { VerdictError, isVerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext, RecordSink, Rejection } from '../../build/types.js';
import { normalizeDomain } from '../../indicators/domain.js';
import { parseIpAddress, parseIpOrCidr } from '../../indicators/ip.js';

const { parser: jsonParser } = streamJson;
const { ignore } = Ignore;
const { pick } = Pick;
const { streamArray } = StreamArray;
const { streamObject } = StreamObject;

export const WarninglistFilter = {
  unsupportedString: 'unsupported-string',
  unsupportedType: 'unsupported-type',
} as const;

/** Bad-line reason of a list value that is not a string. */
export const ENTRY_NOT_STRING = 'entry-not-string';

export type WarninglistType = 'cidr' | 'hostname' | 'string' | 'substring' | 'regex';

const LIST_TYPES: readonly WarninglistType[] = ['cidr', 'hostname', 'string', 'substring', 'regex'];

/** The fields of a warning list besides its values. */
export interface WarninglistHeader {
  readonly name?: string;
  readonly type?: string;
  readonly hasList: boolean;
}

const HASH = /^(?:[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Classifies a value of a `string` list by its shape; undefined for anything verdict cannot look up. */
export function kindOfString(value: string): 'hash' | 'ip' | 'url' | 'domain' | undefined {
  const text = value.trim();
  if (HASH.test(text)) return 'hash';
  if (SCHEME.test(text)) return 'url';
  if (parseIpOrCidr(text).ok) return 'ip';
  const slash = text.indexOf('/');
  if (slash !== -1) {
    const host = text.slice(0, slash);
    return parseIpAddress(host).ok || normalizeDomain(host).ok ? 'url' : undefined;
  }
  return normalizeDomain(text).ok ? 'domain' : undefined;
}

function formatError(context: ParseContext, detail: string, cause?: unknown): VerdictError {
  return new VerdictError('VERDICT_ERR_FEED_FORMAT', { feed: context.feedId, detail }, cause === undefined ? undefined : { cause });
}

/** Reads every top-level field except the values of `list`, which are skipped without being kept. */
async function readHeader(context: ParseContext): Promise<WarninglistHeader> {
  let hasList = false;
  const fields = streamObject();
  const skipList = ignore({
    filter: (stack) => {
      if (stack.length !== 1 || stack[0] !== 'list') return false;
      hasList = true;
      return true;
    },
  });
  // pipeline destroys the last stream with the first error of any stage, which ends the loop below.
  pipeline(context.source.openText(), jsonParser({ streamValues: false }), skipList, fields, () => {});

  let name: string | undefined;
  let type: string | undefined;
  try {
    for await (const { key, value } of fields as AsyncIterable<{ key: string; value: unknown }>) {
      if (key === 'name' && typeof value === 'string') name = value;
      if (key === 'type' && typeof value === 'string') type = value;
    }
  } catch (error) {
    if (isVerdictError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw formatError(context, `${context.source.path} is not a MISP warning list JSON object: ${message}`, error);
  } finally {
    fields.destroy();
  }
  return { ...(name !== undefined ? { name } : {}), ...(type !== undefined ? { type } : {}), hasList };
}

/** Calls `onValue` with each value of the top-level `list` array and its position (1 for the first). */
async function readListValues(context: ParseContext, onValue: (value: unknown, position: number) => void): Promise<void> {
  const values = streamArray();
  pipeline(context.source.openText(), jsonParser({ streamValues: false }), pick({ filter: 'list', once: true }), values, () => {});

  let position = 0;
  // An error of the sink is not a JSON error and must not be reported as one.
  let handlerFailed = false;
  try {
    for await (const { value } of values as AsyncIterable<{ key: number; value: unknown }>) {
      try {
        onValue(value, ++position);
      } catch (error) {
        handlerFailed = true;
        throw error;
      }
    }
  } catch (error) {
    if (handlerFailed || isVerdictError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw formatError(context, `${context.source.path}: "list" is not a JSON array of values (after value ${position}): ${message}`, error);
  } finally {
    values.destroy();
  }
}

/** Adds one value of a list of `type`; returns the rejection to report, if any. */
function addValue(sink: RecordSink, type: WarninglistType, value: string, attributes: Attributes | undefined): Rejection | undefined {
  switch (type) {
    case 'cidr':
      return sink.addIp(value, attributes);
    case 'hostname':
      return parseIpAddress(value).ok ? sink.addIp(value, attributes) : sink.addDomain(value.trim(), attributes);
    case 'string': {
      const kind = kindOfString(value);
      if (kind === undefined) {
        sink.filtered(WarninglistFilter.unsupportedString);
        return undefined;
      }
      if (kind === 'hash') {
        const reason = sink.addHash(value, attributes);
        return reason === undefined ? undefined : { reason, message: `${JSON.stringify(value)} is not a valid hash` };
      }
      if (kind === 'ip') return sink.addIp(value, attributes);
      if (kind === 'url') return sink.addUrl(value, attributes);
      return sink.addDomain(value.trim(), attributes);
    }
    case 'substring':
    case 'regex':
      sink.filtered(WarninglistFilter.unsupportedType);
      return undefined;
  }
}

export const mispWarninglistFormat: FeedFormat = {
  name: 'misp-warninglist',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {},
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink } = context;
    const path = context.source.path;

    const header = await readHeader(context);
    if (header.type === undefined) {
      throw formatError(context, `${path} has no "type" field; a MISP warning list names its type (${LIST_TYPES.join(', ')})`);
    }
    const type = header.type as WarninglistType;
    if (!LIST_TYPES.includes(type)) {
      throw formatError(context, `${path} has the type ${JSON.stringify(header.type)}, which is not one of ${LIST_TYPES.join(', ')}`);
    }
    if (!header.hasList) throw formatError(context, `${path} has no "list" field with the warning list's values`);

    const attributes: Attributes | undefined = header.name === undefined ? undefined : { warninglist: header.name };
    await readListValues(context, (value, position) => {
      if (typeof value !== 'string') {
        const shown = JSON.stringify(value) ?? String(value);
        sink.bad(ENTRY_NOT_STRING, position, shown, `list value ${position} is ${shown}, not a string`);
        return;
      }
      const rejection = addValue(sink, type, value, attributes);
      if (rejection !== undefined) sink.bad(rejection.reason, position, value, rejection.message);
    });
  },
};
