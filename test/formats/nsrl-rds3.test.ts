import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nsrlRds3Format } from '../../src/feeds/formats/nsrl-rds3.js';
import { corpusFile, makeTempDir, parseFile } from './helpers.js';

function digest(algorithm: 'md5' | 'sha1' | 'sha256', content: string): string {
  return createHash(algorithm).update(content).digest('hex');
}

interface MetadataRow {
  readonly id: number;
  readonly objectId: number;
  readonly fileName: string;
  readonly extension: string;
  readonly bytes: number;
  readonly content: string;
  readonly sha1?: string;
}

/**
 * Builds an RDS 3 database with the schema of hashlookup-nsrl's curated RDS 2021.12.2, where FILE is a
 * view joining METADATA and PACKAGE_OBJECT. The hashes of each row are those of its `content`.
 */
function buildDatabase(file: string, packages: Array<[objectId: number, packageId: number]>, rows: MetadataRow[]): void {
  const db = new Database(file);
  // better-sqlite3 turns foreign keys on, the sqlite3 shell leaves them off. The schema's defaults
  // break them (extractee_id 0 names no METADATA row), and the orphan row below breaks them on purpose.
  db.pragma('foreign_keys = OFF');
  db.exec(fs.readFileSync(corpusFile('nsrl/hashlookup-nsrl_RDS_2021.12.2_curated.schema.sql'), 'utf8'));
  const insertPackage = db.prepare('INSERT INTO PACKAGE_OBJECT (package_object_id, package_id, object_id) VALUES (?, ?, ?)');
  packages.forEach(([objectId, packageId], index) => insertPackage.run(index + 1, packageId, objectId));
  const insertFile = db.prepare(
    `INSERT INTO METADATA (metadata_id, object_id, key_hash, path, file_name, extension, bytes, crc32, md5, sha1, sha256)
     VALUES (@id, @objectId, 'key', '/', @fileName, @extension, @bytes, '00000000', @md5, @sha1, @sha256)`,
  );
  for (const row of rows) {
    insertFile.run({
      id: row.id,
      objectId: row.objectId,
      fileName: row.fileName,
      extension: row.extension,
      bytes: row.bytes,
      md5: digest('md5', row.content),
      sha1: row.sha1 ?? digest('sha1', row.content),
      sha256: digest('sha256', row.content),
    });
  }
  db.close();
}

const PACKAGES: Array<[number, number]> = [
  [1, 100],
  [2, 100],
  [3, 200],
  [4, 300],
];

const ROWS: MetadataRow[] = [
  { id: 1, objectId: 1, fileName: 'user32', extension: 'dll', bytes: 3, content: 'abc' },
  { id: 2, objectId: 2, fileName: 'README', extension: '', bytes: 0, content: '' },
  // The same content in another package: duplicate keys with other attributes.
  { id: 3, objectId: 3, fileName: 'copy', extension: 'dll', bytes: 3, content: 'abc' },
  { id: 4, objectId: 4, fileName: 'broken', extension: 'bin', bytes: 1, content: 'x', sha1: 'not-a-sha1' },
  // No PACKAGE_OBJECT row for object 99, so the FILE view leaves this row out.
  { id: 5, objectId: 99, fileName: 'orphan', extension: 'txt', bytes: 1, content: 'orphan' },
];

describe('nsrl-rds3', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    temp.remove();
  });

  test('FILE view rows', async () => {
    const file = path.join(temp.dir, 'RDS.db');
    buildDatabase(file, PACKAGES, ROWS);
    const sink = await parseFile(nsrlRds3Format, file);

    // Four FILE rows (metadata 1 to 4); the SHA-1 of row 4 is invalid; "abc" appears twice.
    expect(sink.countByType()).toEqual({ md5: 4, sha1: 3, sha256: 4 });
    expect(sink.uniqueByType()).toEqual({ md5: 3, sha1: 2, sha256: 3 });
    expect(sink.recordsOf(digest('sha256', 'orphan'))).toEqual([]);
    expect(sink.filteredTotal).toBe(0);

    // FILE has no ORDER BY, so the row number of the bad row is looked up in SQLite's own order.
    const db = new Database(file, { readonly: true });
    const order = db.prepare('SELECT sha1 FROM FILE').pluck().all() as string[];
    db.close();
    expect(sink.badSamples).toEqual([{ line: order.indexOf('NOT-A-SHA1') + 1, reason: 'non-hex-character', content: 'sha1: NOT-A-SHA1' }]);

    expect(sink.recordsOf(digest('sha256', 'abc')).map((record) => record.attributes)).toEqual(
      expect.arrayContaining([
        { fileName: 'user32.dll', size: 3, packageId: 100 },
        { fileName: 'copy.dll', size: 3, packageId: 200 },
      ]),
    );
    expect(sink.recordsOf(digest('md5', ''))[0]?.attributes).toEqual({ fileName: 'README', size: 0, packageId: 100 });
  });

  test.each([
    { hashTypes: ['sha256'], expected: { md5: 0, sha1: 0, sha256: 4 }, bad: 0 },
    { hashTypes: ['sha1', 'md5'], expected: { md5: 4, sha1: 3, sha256: 0 }, bad: 1 },
  ])('hashTypes $hashTypes', async ({ hashTypes, expected, bad }) => {
    const file = path.join(temp.dir, 'RDS.db');
    buildDatabase(file, PACKAGES, ROWS);
    const sink = await parseFile(nsrlRds3Format, file, { hashTypes });
    expect(sink.countByType()).toEqual(expected);
    expect(sink.badTotal).toBe(bad);
  });

  test('FILE as a table with text sizes', async () => {
    const file = path.join(temp.dir, 'table.db');
    const db = new Database(file);
    db.exec('CREATE TABLE file (sha256 TEXT, sha1 TEXT, md5 TEXT, file_name TEXT, file_size TEXT, package_id INTEGER)');
    db.prepare('INSERT INTO file VALUES (?, ?, ?, ?, ?, ?)').run(digest('sha256', 'a'), '', null, 'a.txt', '1', 7);
    db.prepare('INSERT INTO file VALUES (?, ?, ?, ?, ?, ?)').run(null, null, '', 'empty.txt', '', null);
    db.close();

    const sink = await parseFile(nsrlRds3Format, file);
    expect(sink.added).toEqual([{ type: 'sha256', hex: digest('sha256', 'a'), attributes: { fileName: 'a.txt', size: 1, packageId: 7 }, list: undefined }]);
    expect(sink.filteredByReason).toEqual({ 'no-hash': 1 });
    expect(sink.badTotal).toBe(0);
  });

  test('file that is not SQLite', async () => {
    const file = temp.file('NSRLFile.txt', '"SHA-1","MD5"\n');
    const promise = parseFile(nsrlRds3Format, file);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(
      `Feed test-feed: ${file} is not an SQLite database; nsrl-rds3 reads the SQLite file of an NSRL RDS 3 release`,
    );
  });

  test('database without FILE', async () => {
    const file = path.join(temp.dir, 'other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE METADATA (md5 TEXT); CREATE VIEW PKG AS SELECT 1 AS package_id');
    db.close();
    await expect(parseFile(nsrlRds3Format, file)).rejects.toThrow(
      `Feed test-feed: ${file} has no FILE table or view, which every NSRL RDS 3 database has; its tables and views are: METADATA, PKG`,
    );
  });

  test('empty file is an empty database', async () => {
    const file = temp.file('empty.db', '');
    await expect(parseFile(nsrlRds3Format, file)).rejects.toThrow(
      `Feed test-feed: ${file} has no FILE table or view, which every NSRL RDS 3 database has; its tables and views are: (none)`,
    );
  });

  test('FILE without a hash column', async () => {
    const file = path.join(temp.dir, 'partial.db');
    const db = new Database(file);
    db.exec('CREATE TABLE FILE (sha1 TEXT, file_name TEXT)');
    db.close();
    await expect(parseFile(nsrlRds3Format, file)).rejects.toThrow(
      `Feed test-feed: ${file}: the FILE table has no columns md5, sha256; its columns are sha1, file_name`,
    );
  });

  test('FILE view over a dropped table', async () => {
    const file = path.join(temp.dir, 'broken-view.db');
    const db = new Database(file);
    db.exec('CREATE TABLE METADATA (sha256 TEXT, sha1 TEXT, md5 TEXT); CREATE VIEW FILE AS SELECT sha256, sha1, md5 FROM METADATA');
    db.exec('DROP TABLE METADATA');
    db.close();
    const promise = parseFile(nsrlRds3Format, file);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_FORMAT' });
    await expect(promise).rejects.toThrow(`Feed test-feed: ${file}: querying FILE failed: SQLITE_ERROR: no such table: main.METADATA`);
  });

  test('missing file', async () => {
    const file = path.join(temp.dir, 'absent.db');
    const promise = parseFile(nsrlRds3Format, file);
    await expect(promise).rejects.toMatchObject({ code: 'VERDICT_ERR_FEED_UNREADABLE' });
    await expect(promise).rejects.toThrow(`Feed test-feed: source ${file} cannot be read: unable to open database file`);
  });
});
