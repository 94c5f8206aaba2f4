/**
 * Opens feed files as streams of UTF-8 bytes. Every format reads its source through here, so byte
 * order marks, UTF-16 and the source fingerprint are handled once.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { VerdictError } from '../errors.js';
import type { FeedSource } from '../build/types.js';

const READ_CHUNK_BYTES = 1 << 20;
/** Bytes inspected for an encoding guess when the file has no byte order mark. */
const SNIFF_BYTES = 4096;

export interface SourceFingerprint {
  readonly sha256: string;
  readonly bytes: number;
}

type Decoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * Strips a UTF-8 BOM, decodes UTF-16 with a BOM to UTF-8, and rejects NUL-heavy input that has no
 * BOM (UTF-16 written without one), while hashing the raw bytes for the fingerprint.
 */
class TextNormalizer extends Transform {
  private decoding: Decoding | undefined;
  private decoder: TextDecoder | undefined;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly feedId: string,
    private readonly path: string,
    private readonly hash: Hash,
    private readonly onBytes: (count: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.onBytes(chunk.length);
    if (this.decoding === undefined) {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      if (this.pending.length < SNIFF_BYTES) {
        callback();
        return;
      }
      const error = this.chooseDecoding();
      chunk = this.pending;
      this.pending = Buffer.alloc(0);
      if (error) {
        callback(error);
        return;
      }
      chunk = this.stripBom(chunk);
    }
    callback(null, this.decode(chunk, false));
  }

  override _flush(callback: TransformCallback): void {
    if (this.decoding === undefined) {
      const error = this.chooseDecoding();
      if (error) {
        callback(error);
        return;
      }
      const rest = this.stripBom(this.pending);
      this.pending = Buffer.alloc(0);
      const out = this.decode(rest, true);
      callback(null, out.length > 0 ? out : undefined);
      return;
    }
    const tail = this.decode(Buffer.alloc(0), true);
    callback(null, tail.length > 0 ? tail : undefined);
  }

  private chooseDecoding(): VerdictError | undefined {
    const head = this.pending;
    if (head[0] === 0xff && head[1] === 0xfe) this.decoding = 'utf-16le';
    else if (head[0] === 0xfe && head[1] === 0xff) this.decoding = 'utf-16be';
    else this.decoding = 'utf-8';

    if (this.decoding !== 'utf-8') {
      this.decoder = new TextDecoder(this.decoding);
      return undefined;
    }
    const sample = head.subarray(0, SNIFF_BYTES);
    let nulBytes = 0;
    for (const byte of sample) if (byte === 0) nulBytes++;
    if (sample.length > 0 && nulBytes * 10 > sample.length) {
      return new VerdictError('VERDICT_ERR_FEED_ENCODING', {
        feed: this.feedId,
        detail: `${this.path} looks like UTF-16 without a byte order mark (${nulBytes} NUL bytes in the first ${sample.length}); convert it to UTF-8 or save it with a BOM`,
      });
    }
    return undefined;
  }

  private stripBom(chunk: Buffer): Buffer {
    if (this.decoding === 'utf-8' && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) return chunk.subarray(3);
    if (this.decoding !== 'utf-8') return chunk.subarray(2);
    return chunk;
  }

  private decode(chunk: Buffer, end: boolean): Buffer {
    if (this.decoder === undefined) return chunk;
    return Buffer.from(this.decoder.decode(chunk, { stream: !end }), 'utf8');
  }
}

/** A feed source on the local file system. `fingerprint()` is complete once openText() was read to its end. */
export class FileFeedSource implements FeedSource {
  private hash: Hash | undefined;
  private bytesRead = 0;
  private finished = false;

  constructor(
    readonly feedId: string,
    readonly path: string,
  ) {}

  openText(): Readable {
    this.hash = createHash('sha256');
    this.bytesRead = 0;
    this.finished = false;
    const file = createReadStream(this.path, { highWaterMark: READ_CHUNK_BYTES });
    const normalizer = new TextNormalizer(this.feedId, this.path, this.hash, (count) => {
      this.bytesRead += count;
    });
    file.on('error', (cause) => {
      normalizer.destroy(
        new VerdictError('VERDICT_ERR_FEED_UNREADABLE', { feed: this.feedId, path: this.path, detail: cause.message }, { cause }),
      );
    });
    file.on('end', () => {
      this.finished = true;
    });
    return file.pipe(normalizer);
  }

  /** SHA-256 and size of the raw file; reads the file again unless openText() already read all of it. */
  async fingerprint(): Promise<SourceFingerprint> {
    if (this.finished && this.hash) return { sha256: this.hash.digest('hex'), bytes: this.bytesRead };
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(this.path, { highWaterMark: READ_CHUNK_BYTES })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), bytes };
  }
}

/**
 * Calls `onLine` for each line of a UTF-8 byte stream with its 1-based number. CR before LF is
 * removed, and a last line without a newline is still delivered.
 */
export async function forEachLine(stream: Readable, onLine: (line: string, lineNumber: number) => void): Promise<void> {
  let carry = '';
  let lineNumber = 0;
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream) {
    const text = carry + decoder.decode(chunk as Buffer, { stream: true });
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      onLine(text.slice(start, end), ++lineNumber);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    carry = text.slice(start);
  }
  carry += decoder.decode();
  if (carry.length > 0) {
    const end = carry.charCodeAt(carry.length - 1) === 13 ? carry.length - 1 : carry.length;
    onLine(carry.slice(0, end), ++lineNumber);
  }
}
