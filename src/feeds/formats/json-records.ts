/**
 * Streams the records of a JSON feed that is either one array of records or NDJSON (one record per
 * line), for the `ctip` and `url-json` formats. The first character that is not white space decides:
 * `[` starts an array, which stream-json reads element by element; anything else is read as NDJSON.
 *
 * Record numbers are 1-based: the line number in NDJSON, the element's position in an array (the
 * array may be a single line). An NDJSON line that is not valid JSON is a bad line (`invalid-json`)
 * and blank lines are skipped. Invalid JSON inside an array ends the parse with an error, because
 * stream-json cannot resume after it and a cut-off download must not publish as a short feed.
 */
import { pipeline, Readable } from 'node:stream';
import streamJson from 'stream-json';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { VerdictError, isVerdictError } from '../../errors.js';
import type { ParseContext } from '../../build/types.js';
import { forEachLine } from '../input.js';

const { parser: jsonParser } = streamJson;
const { streamArray } = StreamArray;

/** Bad-line reason of an NDJSON line that is not valid JSON. */
export const INVALID_JSON = 'invalid-json';

/** Bad-line reason of a record that is valid JSON but not an object. */
export const RECORD_NOT_OBJECT = 'record-not-object';

/**
 * Receives one record with its number. `line` is the record's text in NDJSON; array elements have
 * none, and recordText() serializes them for a bad-line sample.
 */
export type JsonRecordHandler = (record: unknown, number: number, line: string | undefined) => void;

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of a record for a bad-line sample: its NDJSON line, else the element serialized. */
export function recordText(record: unknown, line: string | undefined): string {
  return line ?? JSON.stringify(record) ?? String(record);
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * Reads chunks until one holds a character that is not white space and returns that character
 * (undefined for a blank source), with a stream that replays the chunks read and then the rest.
 */
async function sniffFirstCharacter(source: Readable): Promise<{ first: number | undefined; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const held: Buffer[] = [];
  let first: number | undefined;
  let done = false;
  while (first === undefined && !done) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    held.push(next.value);
    for (const byte of next.value) {
      if (!isJsonSpace(byte)) {
        first = byte;
        break;
      }
    }
  }

  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* held;
      if (done) return;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
    } finally {
      // Closes the source when the consumer stops early.
      await iterator.return?.();
    }
  }
  return { first, stream: Readable.from(replay(), { objectMode: false }) };
}

/** Reads every record of `context.source` (a JSON array or NDJSON) and hands each to `onRecord`. */
export async function readJsonRecords(context: ParseContext, onRecord: JsonRecordHandler): Promise<void> {
  const { first, stream } = await sniffFirstCharacter(context.source.openText());
  if (first === 0x5b) {
    await readArray(context, stream, onRecord);
    return;
  }
  await forEachLine(stream, (line, lineNumber) => {
    if (line.trim().length === 0) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      context.sink.bad(INVALID_JSON, lineNumber, line, (error as Error).message);
      return;
    }
    onRecord(record, lineNumber, line);
  });
}

async function readArray(context: ParseContext, stream: Readable, onRecord: JsonRecordHandler): Promise<void> {
  const elements = streamArray();
  // pipeline destroys the last stream with the first error of any stage, which ends the loop below.
  pipeline(stream, jsonParser(), elements, () => {});

  let count = 0;
  // An error of the handler is not a JSON error and must not be reported as one.
  let handlerFailed = false;
  try {
    for await (const element of elements as AsyncIterable<{ key: number; value: unknown }>) {
      count++;
      try {
        onRecord(element.value, element.key + 1, undefined);
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
      {
        feed: context.feedId,
        detail: `${context.source.path} is not a valid JSON array after element ${count}: ${message}`,
      },
      { cause: error },
    );
  } finally {
    elements.destroy();
  }
}
