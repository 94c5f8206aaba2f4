import { describe, expect, test } from 'vitest';
import { hashListFormat } from '../../src/feeds/formats/hash-list.js';
import { corpusFile, parseFile } from './helpers.js';

// Expected numbers come from shell commands run in the corpus folder, written beside each number.
describe('hash-list on signature-base hash-iocs.txt', () => {
  const file = corpusFile('hashes/signature-base_hash-iocs.txt');

  test('record counts per type', async () => {
    const sink = await parseFile(hashListFormat, file);
    // grep -vE '^\s*(#|;|$)' hashes/signature-base_hash-iocs.txt | awk -F'[ \t;,]' '{print length($1)}' | sort | uniq -c
    expect(sink.countByType()).toEqual({ md5: 1039, sha1: 926, sha256: 1259 });
    expect(sink.records).toBe(3224);
  });

  test('distinct keys per type', async () => {
    const sink = await parseFile(hashListFormat, file);
    // grep -vE '^\s*(#|;|$)' hashes/signature-base_hash-iocs.txt | awk -F'[ \t;,]' '{print tolower($1)}' \
    //   | awk '{if (!seen[$1]++) u[length($1)]++} END {for (k in u) print k, u[k]}'
    expect(sink.uniqueByType()).toEqual({ md5: 986, sha1: 893, sha256: 1174 });
    // grep -vE '^\s*(#|;|$)' hashes/signature-base_hash-iocs.txt | awk -F'[ \t;,]' '{print tolower($1)}' \
    //   | sort | uniq -c | awk '$1 > 1 {s += $1 - 1} END {print s}'   -> 171
    // (153 distinct hashes repeat; compared case-sensitively, 141 do)
    expect(sink.duplicateCount()).toBe(171);
  });

  test('no bad or filtered lines', async () => {
    const sink = await parseFile(hashListFormat, file);
    // grep -vE '^\s*(#|;|$)' hashes/signature-base_hash-iocs.txt \
    //   | grep -cvE '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})([;, \t]|$)'   -> 0
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
  });

  test('scores and descriptions', async () => {
    const sink = await parseFile(hashListFormat, file);
    const scored = sink.added.filter((record) => record.attributes?.['score'] !== undefined);
    const described = sink.added.filter((record) => record.attributes?.['description'] !== undefined);
    // grep -cE '^[0-9A-Fa-f]+;[0-9]{1,3};' hashes/signature-base_hash-iocs.txt
    expect(scored).toHaveLength(430);
    // grep -vE '^\s*(#|;|$)' hashes/signature-base_hash-iocs.txt | grep -cE '^[0-9A-Fa-f]+[ \t;,]+[^ \t;,]'
    expect(described).toHaveLength(3224);
    expect(sink.recordsOf('bf4f41403280c1b115650d470f9b260a5c9042c04d9bcc2a6ca504a66379b2d6')[0]?.attributes).toEqual({
      score: 55,
      description: 'Vulnerable Log4j library ./apache-log4j-2.0-alpha2-bin/log4j-core-2.0-alpha2.jar',
    });
  });

  test('upper-case hashes stored in lower case', async () => {
    const sink = await parseFile(hashListFormat, file);
    // grep -n 'FFF4F28287677CAABC60C8AB36786C370226588D' hashes/signature-base_hash-iocs.txt   -> one line
    const records = sink.recordsOf('fff4f28287677caabc60c8ab36786c370226588d');
    expect(records).toHaveLength(1);
    expect(records[0]?.type).toBe('sha1');
  });
});

describe('hash-list on the ESET NukeSped files', () => {
  // wc -l hashes/eset_nukesped_lazarus_samples.*    -> 555 lines each
  // awk '{print length($1)}' FILE | sort | uniq -c    -> 555 of one length per file
  // awk '{print tolower($1)}' FILE | sort -u | wc -l  -> 555 (no duplicates)
  // grep -cvE '^[0-9a-fA-F]+$' FILE                   -> 0 (no other lines)
  test.each([
    { name: 'eset_nukesped_lazarus_samples.md5', type: 'md5' },
    { name: 'eset_nukesped_lazarus_samples.sha1', type: 'sha1' },
    { name: 'eset_nukesped_lazarus_samples.sha256', type: 'sha256' },
  ] as const)('$name', async ({ name, type }) => {
    const sink = await parseFile(hashListFormat, corpusFile(`hashes/${name}`));
    const expected = { md5: 0, sha1: 0, sha256: 0, [type]: 555 };
    expect(sink.countByType()).toEqual(expected);
    expect(sink.uniqueByType()).toEqual(expected);
    expect(sink.duplicateCount()).toBe(0);
    expect(sink.badTotal).toBe(0);
    expect(sink.filteredTotal).toBe(0);
    expect(sink.added.every((record) => record.attributes === undefined)).toBe(true);
  });
});
