import { describe, expect, test } from 'vitest';
import { normalizeFeedDate, normalizeFeedTimestamp } from '../../src/feeds/formats/feed-timestamps.js';

// 2023-11-14T21:33:19Z is 1699997599 s after the Unix epoch, and as Windows FILETIME
// (1699997599000 + 11644473600000) * 10000 = 133444711990000000 ticks (python3 datetime).
const ISO = '2023-11-14T21:33:19.000Z';

describe('normalizeFeedTimestamp', () => {
  test.each([
    { value: '2023-11-14T21:33:19Z', expected: ISO },
    { value: '2023-11-14t21:33:19z', expected: ISO },
    { value: '2023-11-14T21:33:19', expected: ISO },
    { value: '  2023-11-14T21:33:19Z\t', expected: ISO },
    { value: '2023-11-14T21:33:19.1234567Z', expected: '2023-11-14T21:33:19.123Z' },
    { value: '2023-11-14T21:33:19,5Z', expected: '2023-11-14T21:33:19.500Z' },
    { value: '2023-11-14T22:33:19+01:00', expected: ISO },
    { value: '2023-11-14T16:03:19-0530', expected: ISO },
    { value: '2023-11-14T23:33:19+02', expected: ISO },
    { value: '2023-11-14 21:33:19', expected: ISO },
    { value: '2023-11-14 21:33:19 UTC', expected: ISO },
    { value: '2023-11-14T21:33Z', expected: '2023-11-14T21:33:00.000Z' },
    { value: '2023-11-14', expected: '2023-11-14T00:00:00.000Z' },
    { value: '/Date(1699997599000)/', expected: ISO },
    { value: '/Date(1699997599000+0100)/', expected: ISO },
    { value: '11/14/2023 9:33:19 PM', expected: ISO },
    { value: '11/14/2023 09:33:19 pm', expected: ISO },
    { value: '11/14/2023 21:33:19', expected: ISO },
    { value: '11/14/2023 12:05:00 AM', expected: '2023-11-14T00:05:00.000Z' },
    { value: '11/14/2023 12:05 PM', expected: '2023-11-14T12:05:00.000Z' },
    { value: '11/14/2023', expected: '2023-11-14T00:00:00.000Z' },
    { value: 'Tuesday November 14 2023 21:33:19.0000', expected: ISO },
    { value: 'Nov 14, 2023', expected: '2023-11-14T00:00:00.000Z' },
    { value: 'Sept 14 2023 9:33:19 PM', expected: '2023-09-14T21:33:19.000Z' },
    { value: 133444711990000000, expected: ISO },
    { value: '133444711990000000', expected: ISO },
    { value: 1699997599000, expected: ISO },
    { value: 1699997599, expected: ISO },
    { value: 1699997599.5, expected: '2023-11-14T21:33:19.500Z' },
  ])('$value', ({ value, expected }) => {
    expect(normalizeFeedTimestamp(value)).toBe(expected);
  });

  test.each([
    { label: 'empty', value: '' },
    { label: 'blank', value: '   ' },
    { label: 'null', value: null },
    { label: 'object', value: { time: 1 } },
    { label: 'word', value: 'yesterday' },
    { label: 'month 19', value: '19/20/2022' },
    { label: 'February 30', value: '2/30/2023' },
    { label: 'ISO February 30', value: '2023-02-30T00:00:00Z' },
    { label: 'hour 25', value: '2023-11-14T25:00:00Z' },
    { label: 'minute 60', value: '2023-11-14T21:60:00Z' },
    { label: '13 PM', value: '11/14/2023 13:00:00 PM' },
    { label: 'zone +24', value: '2023-11-14T21:33:19+24:00' },
    { label: 'unknown month', value: 'Foo 14 2023' },
    { label: 'short digit string', value: '20231114' },
    { label: 'negative number', value: -1 },
    { label: 'infinite', value: Number.POSITIVE_INFINITY },
    { label: 'year 10000', value: '/Date(253402300800000)/' },
  ])('rejects $label', ({ value }) => {
    expect(normalizeFeedTimestamp(value)).toBeUndefined();
  });
});

describe('normalizeFeedDate', () => {
  test.each([
    { value: '12/7/2022', expected: '2022-12-07' },
    { value: '2022-12-07', expected: '2022-12-07' },
    { value: '2022-12-07T23:30:00-05:00', expected: '2022-12-08' },
    { value: '19/20/2022', expected: undefined },
  ])('$value', ({ value, expected }) => {
    expect(normalizeFeedDate(value)).toBe(expected);
  });
});
