/**
 * `winbindex`: the per-file JSON of Winbindex, one object keyed by SHA-256. Each value may have
 * `fileInfo` (size, md5, sha1, version, description, machineType, signing data) and has
 * `windowsVersions`: Windows version -> update (a KB id, or `BASE` for the release's installation
 * image) -> `{ updateInfo, assemblies }` or `{ windowsVersionInfo, sourcePaths }`.
 *
 * Each entry adds its SHA-256 and, when fileInfo has them, its MD5 and SHA-1. All three get the same
 * attributes, each where present: `fileName`, `version`, `size`, `description`, `machineType`,
 * `signingStatus`, `signatureType`, `signingDate`, `windowsVersions` (version names) and `updates`
 * (KB ids). `BASE` is not an update, so `updates` leaves it out. Entries without fileInfo still add
 * their SHA-256.
 *
 * The document is streamed entry by entry with stream-json, so only one entry is in memory at a time.
 * Bad-line numbers are entry ordinals (1 for the first key), because the document may be one line.
 */
import { pipeline } from 'node:stream';
import streamJson from 'stream-json';
import StreamObject from 'stream-json/streamers/StreamObject.js';
import { VerdictError, isVerdictError } from '../../errors.js';
import type { Attributes, FeedFormat, ParseContext, RecordSink } from '../../build/types.js';
import { addHashOfType } from './typed-hash.js';

const { parser: jsonParser } = streamJson;
const { streamObject } = StreamObject;

/** Bad-line reason of an entry whose value is not a JSON object. */
export const ENTRY_NOT_OBJECT = 'winbindex-entry-not-object';

/** Update key of the file as shipped in a release's installation image. */
const BASE_UPDATE = 'BASE';

/** fileInfo fields copied unchanged into the attributes when present and not null. */
const COPIED_FILE_INFO_FIELDS = ['version', 'size', 'description', 'machineType', 'signingStatus', 'signatureType', 'signingDate'];

export interface WinbindexOptions {
  /** File name for every entry; by default each entry's name comes from its assemblies or source paths. */
  readonly fileName?: string;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds the file name in an entry's updates: the `name` of the first assembly file attribute, else
 * the last part of the first installation image path (`Windows\System32\user32.dll` -> `user32.dll`).
 */
export function fileNameOfEntry(windowsVersions: JsonObject): string | undefined {
  let fromSourcePath: string | undefined;
  for (const updates of Object.values(windowsVersions)) {
    if (!isObject(updates)) continue;
    for (const update of Object.values(updates)) {
      if (!isObject(update)) continue;
      if (isObject(update['assemblies'])) {
        for (const assembly of Object.values(update['assemblies'])) {
          if (!isObject(assembly) || !Array.isArray(assembly['attributes'])) continue;
          for (const attribute of assembly['attributes']) {
            if (isObject(attribute) && typeof attribute['name'] === 'string' && attribute['name'].length > 0) return attribute['name'];
          }
        }
      }
      const sourcePaths = update['sourcePaths'];
      if (fromSourcePath === undefined && Array.isArray(sourcePaths) && typeof sourcePaths[0] === 'string') {
        const name = sourcePaths[0].split(/[\\/]/).pop();
        if (name) fromSourcePath = name;
      }
    }
  }
  return fromSourcePath;
}

/** Builds the attributes of one entry (see the module comment). */
export function attributesOfEntry(entry: JsonObject, fileNameOption: string | undefined): Attributes {
  const attributes: Attributes = {};
  const windowsVersions = isObject(entry['windowsVersions']) ? entry['windowsVersions'] : {};

  const fileName = fileNameOption ?? fileNameOfEntry(windowsVersions);
  if (fileName !== undefined) attributes['fileName'] = fileName;

  const fileInfo = entry['fileInfo'];
  if (isObject(fileInfo)) {
    for (const field of COPIED_FILE_INFO_FIELDS) {
      const value = fileInfo[field];
      if (value !== undefined && value !== null) attributes[field] = value;
    }
  }

  const versions = Object.keys(windowsVersions);
  if (versions.length > 0) attributes['windowsVersions'] = versions;

  const updates = new Set<string>();
  for (const byUpdate of Object.values(windowsVersions)) {
    if (!isObject(byUpdate)) continue;
    for (const update of Object.keys(byUpdate)) if (update !== BASE_UPDATE) updates.add(update);
  }
  if (updates.size > 0) attributes['updates'] = [...updates];
  return attributes;
}

/** Adds the records of one entry, reporting its problems as bad lines numbered `ordinal`. */
function addEntry(sink: RecordSink, ordinal: number, key: string, value: unknown, fileNameOption: string | undefined): void {
  if (!isObject(value)) {
    sink.bad(ENTRY_NOT_OBJECT, ordinal, `${key}: ${JSON.stringify(value)}`);
    return;
  }

  const attributes = attributesOfEntry(value, fileNameOption);
  const reason = addHashOfType(sink, key, 'sha256', attributes);
  if (reason !== undefined) {
    // The key names the file; without it the entry's other hashes cannot be trusted either.
    sink.bad(reason, ordinal, key);
    return;
  }

  const fileInfo = value['fileInfo'];
  if (!isObject(fileInfo)) return;
  for (const type of ['md5', 'sha1'] as const) {
    const hash = fileInfo[type];
    if (hash === undefined || hash === null || hash === '') continue;
    const text = String(hash);
    const hashReason = addHashOfType(sink, text, type, attributes);
    if (hashReason !== undefined) sink.bad(hashReason, ordinal, `fileInfo.${type}: ${text}`);
  }
}

export const winbindexFormat: FeedFormat = {
  name: 'winbindex',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fileName: {
        type: 'string',
        minLength: 1,
        description:
          'File name attribute of every entry (default: the name in each entry\'s assemblies, else the last part of its installation image path).',
      },
    },
  },

  async parse(context: ParseContext): Promise<void> {
    const { sink, feedId } = context;
    const options = context.options as WinbindexOptions;

    const entries = streamObject();
    // pipeline destroys the last stream with the first error of any stage, which ends the loop below.
    pipeline(context.source.openText(), jsonParser(), entries, () => {});

    let ordinal = 0;
    try {
      for await (const item of entries as AsyncIterable<{ key: string; value: unknown }>) {
        ordinal++;
        addEntry(sink, ordinal, item.key, item.value, options.fileName);
      }
    } catch (error) {
      if (isVerdictError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new VerdictError(
        'VERDICT_ERR_FEED_FORMAT',
        {
          feed: feedId,
          detail: `${context.source.path} is not a Winbindex JSON object: ${message}`,
        },
        { cause: error },
      );
    } finally {
      entries.destroy();
    }
  },
};
