/**
 * The error catalogue: every error verdict reports has a stable code, an HTTP status and a message
 * template. Clients and tests rely on the codes; the README's error table is checked against this list.
 */

export interface ErrorDefinition {
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the error's parameters. */
  readonly message: string;
}

export const ERRORS = {
  // Request-level errors returned by the HTTP API.
  VERDICT_ERR_REQUEST_MALFORMED_JSON: { status: 400, message: 'Request body is not valid JSON: {detail}' },
  VERDICT_ERR_REQUEST_MALFORMED_MSGPACK: { status: 400, message: 'Request body is not valid MessagePack: {detail}' },
  VERDICT_ERR_REQUEST_INVALID_BODY: { status: 400, message: 'Request body is invalid: {detail}' },
  VERDICT_ERR_REQUEST_INVALID_URL: { status: 400, message: 'Request URL is invalid: {detail}; percent-encode the value in the path' },
  VERDICT_ERR_REQUEST_TOO_MANY_ITEMS: {
    status: 413,
    message: 'Request has {count} items, more than the maximum of {max} per request; split the batch',
  },
  VERDICT_ERR_REQUEST_BODY_TOO_LARGE: {
    status: 413,
    message: 'Request body is larger than the maximum of {max} bytes; split the batch',
  },
  VERDICT_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Content type {contentType} is not supported; send application/json or application/msgpack',
  },
  VERDICT_ERR_REQUEST_NOT_ACCEPTABLE: {
    status: 406,
    message: 'None of the accepted media types ({accept}) can be produced; accept application/json or application/msgpack',
  },
  VERDICT_ERR_ADMIN_UNAUTHORIZED: {
    status: 401,
    message: 'Admin requests need the header Authorization: Bearer <token>, with the token from the variable named by server.adminTokenEnv',
  },
  VERDICT_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'Route {method} {url} not found' },
  VERDICT_ERR_FEED_NOT_FOUND: { status: 404, message: 'Feed {feed} is not configured (configured feeds: {configured})' },
  VERDICT_ERR_SERVICE_NOT_READY: { status: 503, message: 'No generation is loaded yet for feeds: {feeds}' },
  VERDICT_ERR_SERVICE_INTERNAL: { status: 500, message: 'Internal error: {detail}' },

  // Per-item errors, reported inside a lookup result with verdict "invalid".
  VERDICT_ERR_ITEM_EMPTY: { status: 400, message: 'Item is empty' },
  VERDICT_ERR_ITEM_NOT_STRING: {
    status: 400,
    message: 'Item must be a string, an object with type and value fields or, in MessagePack, a 16, 20 or 32 byte digest; got {kind}',
  },
  VERDICT_ERR_ITEM_BAD_LENGTH: {
    status: 400,
    message: 'Hash has {length} characters; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits',
  },
  VERDICT_ERR_ITEM_HASH_TYPE_MISMATCH: {
    status: 400,
    message: 'Hash forced as {type} has {length} hex digits; {type} takes {expected}',
  },
  VERDICT_ERR_ITEM_HEX_PREFIX: { status: 400, message: 'Hash starts with a 0x prefix; send the hex digits alone' },
  VERDICT_ERR_ITEM_NOT_HEX: { status: 400, message: 'Hash contains the non-hex character {character} at position {position}' },
  VERDICT_ERR_ITEM_UNRECOGNIZED: {
    status: 400,
    message: 'Item {item} is not a hash, IP address, CIDR range, domain or URL; prefix it with md5:, sha1:, sha256:, ip:, cidr:, domain: or url: to force a type',
  },
  VERDICT_ERR_ITEM_UNKNOWN_TYPE: {
    status: 400,
    message: 'Item type {type} is not supported; use one of md5, sha1, sha256, hash, ip, cidr, domain, url',
  },
  VERDICT_ERR_ITEM_INVALID_IP: { status: 400, message: 'Invalid IP address or CIDR range: {detail}' },
  VERDICT_ERR_ITEM_INVALID_DOMAIN: { status: 400, message: 'Invalid domain name: {detail}' },
  VERDICT_ERR_ITEM_INVALID_URL: { status: 400, message: 'Invalid URL: {detail}' },
  VERDICT_ERR_ITEM_BAD_DIGEST_LENGTH: {
    status: 400,
    message: 'Binary digest has {length} bytes; expected 16 (MD5), 20 (SHA-1) or 32 (SHA-256)',
  },

  // Configuration and build errors, reported by the command line and in the feed status.
  VERDICT_ERR_CONFIG_INVALID: { status: 500, message: 'Configuration {path} is invalid: {detail}' },
  VERDICT_ERR_CONFIG_UNREADABLE: { status: 500, message: 'Configuration {path} cannot be read: {detail}' },
  VERDICT_ERR_FEED_UNREADABLE: { status: 500, message: 'Feed {feed}: source {path} cannot be read: {detail}' },
  VERDICT_ERR_FEED_ENCODING: { status: 500, message: 'Feed {feed}: {detail}' },
  VERDICT_ERR_FEED_FORMAT: { status: 500, message: 'Feed {feed}: {detail}' },
  VERDICT_ERR_FEED_TOO_MANY_BAD_LINES: {
    status: 500,
    message:
      'Feed {feed}: {bad} of {total} lines ({percent}%) could not be parsed, more than the threshold of {threshold}%; the previous generation keeps serving',
  },
  VERDICT_ERR_FEED_LOCKED: { status: 409, message: 'Feed {feed} is being built by process {pid}; wait for it to finish' },
  VERDICT_ERR_BUILD_FAILED: { status: 500, message: 'Feed {feed}: build failed: {detail}' },
  VERDICT_ERR_GENERATION_REFUSED: {
    status: 422,
    message:
      'Feed {feed}: generation {generation} was not published: {reasons}. It is kept for inspection; publish it anyway with verdict publish --feed {feed} --generation {generation} --force',
  },
  VERDICT_ERR_GENERATION_NOT_FOUND: { status: 404, message: 'Feed {feed}: generation {generation} not found (available: {available})' },
  VERDICT_ERR_GENERATION_NO_PREVIOUS: { status: 409, message: 'Feed {feed}: no earlier published generation to roll back to' },
  VERDICT_ERR_GENERATION_INVALID: { status: 500, message: 'Feed {feed}: generation {generation} cannot be opened: {detail}' },

  // Feed download errors (src/sources/http-fetch.ts). URLs in messages never carry credentials.
  VERDICT_ERR_FETCH_FAILED: {
    status: 502,
    message: 'Feed {feed}: request to {url} failed: {detail}; check the URL and that the host is reachable from this machine',
  },
  VERDICT_ERR_FETCH_TIMEOUT: {
    status: 502,
    message: 'Feed {feed}: request to {url} timed out after {timeoutMs} ms; raise refresh.timeoutSeconds or check the server',
  },
  VERDICT_ERR_FETCH_TOO_LARGE: {
    status: 502,
    message: 'Feed {feed}: {url} is larger than the limit of {maxBytes} bytes after decompression; raise refresh.maxBytes if the feed really is this large',
  },
  VERDICT_ERR_FETCH_TRUNCATED: {
    status: 502,
    message: 'Feed {feed}: response body from {url} is truncated ({detail}); the connection was cut, so check the server or the network if this repeats',
  },
  VERDICT_ERR_FETCH_CHECKSUM: {
    status: 502,
    message: 'Feed {feed}: {url} has SHA-256 {actual}, not the expected {expected}; update refresh.sha256 if the file changed on purpose, otherwise the download is corrupt or was tampered with',
  },
  VERDICT_ERR_FETCH_UNEXPECTED_CONTENT: {
    status: 502,
    message: 'Feed {feed}: {url} did not return {expected} content: {detail}; check the URL and the credentials (an HTML page is usually a login or error page)',
  },
  VERDICT_ERR_FETCH_HTTP_STATUS: { status: 502, message: 'Feed {feed}: {url} returned HTTP status {httpStatus}; {advice}' },
  VERDICT_ERR_FETCH_HEADER_ENV: {
    status: 500,
    message: 'Feed {feed}: header {header} for {url} uses environment variable {variable}, which is not set or empty; set it in the environment of the verdict process',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export type ErrorParams = Record<string, string | number>;

/** Fills a message template; a placeholder without a parameter is left as written so the gap is visible. */
export function formatMessage(code: ErrorCode, params: ErrorParams = {}): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** An error with a catalogue code; `status` is the HTTP status the API returns. */
export class VerdictError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, options?: { cause?: unknown }) {
    super(formatMessage(code, params), options);
    this.name = 'VerdictError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.params = params;
  }
}

export function isVerdictError(error: unknown): error is VerdictError {
  return error instanceof VerdictError;
}
