import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PassThrough } from 'node:stream';
import { hashListFormat } from '../../src/feeds/formats/hash-list.js';
import { hostsFormat } from '../../src/feeds/formats/hosts.js';
import { MAX_LINE_CHARACTERS, forEachLine } from '../../src/feeds/input.js';
import { makeTempDir, parseFile } from './helpers.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
/** Two good lines around two overlong ones, the last without a newline. */
const TEXT = `${HASH_A}\n${'x'.repeat(3 * 1024 * 1024)}\n${HASH_B}\n${'y'.repeat(2 * 1024 * 1024)}`;

describe('overlong lines', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('hash-list reports and skips them', async () => {
    const sink = await parseFile(hashListFormat, temp.file('long.txt', TEXT), {});
    expect(sink.records).toBe(2);
    expect(sink.badLineReport().byReason).toEqual({ 'line-too-long': 2 });
    expect(sink.badLineReport().samples.map((sample) => [sample.line, sample.content.length, sample.message])).toEqual([
      [2, 200, 'line is longer than 1048576 bytes'],
      [4, 200, 'line is longer than 1048576 bytes'],
    ]);
  });

  test('hosts sees them cut', async () => {
    const sink = await parseFile(hostsFormat, temp.file('long-hosts.txt', TEXT), {});
    expect(sink.badLineReport().total).toBe(4);
  });

  test('forEachLine cuts and numbers', async () => {
    const stream = new PassThrough();
    const lines: [number, number, string][] = [];
    const done = forEachLine(stream, (line, number) => {
      lines.push([number, line.length, line.slice(0, 1)]);
    });
    // Written in small chunks so the long line arrives in many pieces.
    const bytes = Buffer.from(`short\r\n${'z'.repeat(MAX_LINE_CHARACTERS + 10)}\r\nend\r\n`);
    for (let at = 0; at < bytes.length; at += 65_536) stream.write(bytes.subarray(at, at + 65_536));
    stream.end();
    await done;
    expect(lines).toEqual([
      [1, 5, 's'],
      [2, MAX_LINE_CHARACTERS, 'z'],
      [3, 3, 'e'],
    ]);
  });
});
