import { describe, test, expect } from 'vitest';
import { ERRORS, VerdictError, formatMessage, isVerdictError, type ErrorCode } from '../../src/errors.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('ERRORS catalogue', () => {
  test('catalogue is not empty', () => {
    expect(codes.length).toBeGreaterThan(0);
  });

  test.each(codes)('%s code shape', (code) => {
    expect(code).toMatch(/^VERDICT_ERR_[A-Z]+_[A-Z_]+$/);
  });

  test.each(codes)('%s status 4xx/5xx', (code) => {
    const { status } = ERRORS[code];
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
  });

  test.each(codes)('%s placeholders are words', (code) => {
    // Every brace must belong to a {name} placeholder, or formatMessage leaves it unfilled.
    const withoutPlaceholders = ERRORS[code].message.replace(/\{\w+\}/g, '');
    expect(withoutPlaceholders).not.toMatch(/[{}]/);
  });
});

describe('formatMessage', () => {
  test('fills every parameter', () => {
    expect(formatMessage('VERDICT_ERR_REQUEST_TOO_MANY_ITEMS', { count: 5000, max: 1000 })).toBe(
      'Request has 5000 items, more than the maximum of 1000 per request; split the batch',
    );
  });

  test('fills a repeated template', () => {
    expect(formatMessage('VERDICT_ERR_FEED_TOO_MANY_BAD_LINES', { feed: 'cfmd', bad: 7, total: 10, percent: 70, threshold: 5 })).toBe(
      'Feed cfmd: 7 of 10 lines (70%) could not be parsed, more than the threshold of 5%; the previous generation keeps serving',
    );
  });

  test('keeps unknown placeholder visible', () => {
    expect(formatMessage('VERDICT_ERR_FEED_LOCKED', { feed: 'cfmd' })).toBe(
      'Feed cfmd is being built by process {pid}; wait for it to finish',
    );
  });

  test('keeps all placeholders without params', () => {
    expect(formatMessage('VERDICT_ERR_ROUTE_NOT_FOUND')).toBe('Route {method} {url} not found');
  });

  test('template without placeholders', () => {
    expect(formatMessage('VERDICT_ERR_ITEM_EMPTY')).toBe('Item is empty');
  });

  test('ignores extra parameters', () => {
    expect(formatMessage('VERDICT_ERR_SERVICE_NOT_READY', { feeds: 'nsrl', unused: 'x' })).toBe('No generation is loaded yet for feeds: nsrl');
  });

  test('zero and empty values fill', () => {
    expect(formatMessage('VERDICT_ERR_ITEM_BAD_LENGTH', { length: 0 })).toBe(
      'Hash has 0 characters; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits',
    );
    expect(formatMessage('VERDICT_ERR_SERVICE_NOT_READY', { feeds: '' })).toBe('No generation is loaded yet for feeds: ');
  });

  test('values are not expanded again', () => {
    expect(formatMessage('VERDICT_ERR_SERVICE_NOT_READY', { feeds: '{feeds}' })).toBe('No generation is loaded yet for feeds: {feeds}');
    expect(formatMessage('VERDICT_ERR_SERVICE_NOT_READY', { feeds: "$& $1 $'" })).toBe("No generation is loaded yet for feeds: $& $1 $'");
  });

  test('inherited names are not parameters', () => {
    // A placeholder named like an Object.prototype member must not pick up the inherited value.
    const params = Object.create({ feeds: 'inherited' }) as Record<string, string>;
    expect(formatMessage('VERDICT_ERR_SERVICE_NOT_READY', params)).toBe('No generation is loaded yet for feeds: {feeds}');
  });
});

describe('VerdictError', () => {
  test('carries code, status, params', () => {
    const params = { count: 2000, max: 1000 };
    const error = new VerdictError('VERDICT_ERR_REQUEST_TOO_MANY_ITEMS', params);
    expect(error.code).toBe('VERDICT_ERR_REQUEST_TOO_MANY_ITEMS');
    expect(error.status).toBe(413);
    expect(error.params).toEqual({ count: 2000, max: 1000 });
    expect(error.message).toBe('Request has 2000 items, more than the maximum of 1000 per request; split the batch');
    expect(error.name).toBe('VerdictError');
  });

  test('is an Error', () => {
    const error = new VerdictError('VERDICT_ERR_ITEM_EMPTY');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(VerdictError);
    expect(error.params).toEqual({});
    expect(error.status).toBe(400);
    expect(error.message).toBe('Item is empty');
  });

  test('keeps its cause', () => {
    const cause = new Error('disk full');
    const error = new VerdictError('VERDICT_ERR_BUILD_FAILED', { feed: 'cfmd', detail: cause.message }, { cause });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('Feed cfmd: build failed: disk full');
    expect(error.status).toBe(500);
  });

  test.each(codes)('%s status from catalogue', (code) => {
    expect(new VerdictError(code).status).toBe(ERRORS[code].status);
  });

  test('isVerdictError tells them apart', () => {
    expect(isVerdictError(new VerdictError('VERDICT_ERR_FEED_NOT_FOUND', { feed: 'x' }))).toBe(true);
    expect(isVerdictError(new Error('x'))).toBe(false);
    expect(isVerdictError({ code: 'VERDICT_ERR_FEED_NOT_FOUND', status: 404 })).toBe(false);
    expect(isVerdictError(undefined)).toBe(false);
  });
});
