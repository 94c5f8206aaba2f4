import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { FORMATS, formatNames } from '../../src/feeds/formats/index.js';

describe('format registry', () => {
  test('all formats registered', () => {
    expect(formatNames().sort()).toEqual([
      'adblock',
      'checksums',
      'csv',
      'ctip',
      'feodo-csv',
      'hash-list',
      'hosts',
      'indicator-list',
      'ipsum',
      'maltrail',
      'misp-warninglist',
      'nsrl-rds2',
      'nsrl-rds3',
      'phishtank',
      'spamhaus-drop',
      'url-json',
      'urlhaus-csv',
      'winbindex',
    ]);
  });

  test.each([...FORMATS.keys()])('%s schema rejects unknown options', (name) => {
    const schema = FORMATS.get(name)!.optionsSchema;
    expect(schema['additionalProperties']).toBe(false);
    // strict mode fails on unknown keywords and on keywords that need a type.
    const validate = new Ajv({ strict: true }).compile(schema);
    expect(validate({ unknownOption: 1 })).toBe(false);
  });

  test.each([
    { label: 'description attribute', name: 'hash-list', options: { descriptionAttribute: 'comment' }, valid: true },
    { label: 'no options', name: 'checksums', options: {}, valid: true },
    { label: 'hash columns', name: 'csv', options: { columns: { md5: 'md5', hashes: 'auto' } }, valid: true },
    {
      label: 'all options',
      name: 'csv',
      options: {
        delimiter: ';',
        columns: { sha256: 'sha256' },
        attributes: { name: 'fileName' },
        listRule: { column: 'kind', values: { clean: 'allow', bad: 'deny', test: 'skip' }, otherwise: 'skip' },
      },
      valid: true,
    },
    { label: 'no columns', name: 'csv', options: {}, valid: false },
    { label: 'empty columns', name: 'csv', options: { columns: {} }, valid: false },
    { label: 'unknown hash type', name: 'csv', options: { columns: { md5: 'crc32' } }, valid: false },
    { label: 'empty delimiter', name: 'csv', options: { columns: { md5: 'md5' }, delimiter: '' }, valid: false },
    { label: 'list rule without otherwise', name: 'csv', options: { columns: { md5: 'md5' }, listRule: { column: 'kind', values: {} } }, valid: false },
    {
      label: 'unknown list action',
      name: 'csv',
      options: { columns: { md5: 'md5' }, listRule: { column: 'kind', values: { a: 'block' }, otherwise: 'deny' } },
      valid: false,
    },
    { label: 'one hash type', name: 'nsrl-rds2', options: { hashTypes: ['sha1'] }, valid: true },
    { label: 'empty hashTypes', name: 'nsrl-rds2', options: { hashTypes: [] }, valid: false },
    { label: 'repeated hash type', name: 'nsrl-rds3', options: { hashTypes: ['sha256', 'sha256'] }, valid: false },
    { label: 'unknown hash type', name: 'nsrl-rds3', options: { hashTypes: ['crc32'] }, valid: false },
    { label: 'file name', name: 'winbindex', options: { fileName: 'user32.dll' }, valid: true },
    { label: 'empty file name', name: 'winbindex', options: { fileName: '' }, valid: false },
  ])('$name: $label', ({ name, options, valid }) => {
    const validate = new Ajv({ strict: true }).compile(FORMATS.get(name)!.optionsSchema);
    expect(validate(options)).toBe(valid);
  });
});
