/** JSON Schemas of the HTTP API. Response schemas also drive Fastify's fast serializer. */

const errorResponse = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'code', 'message'],
} as const;

const match = {
  type: 'object',
  properties: {
    feed: { type: 'string' },
    list: { type: 'string', enum: ['allow', 'deny'] },
    category: { type: 'string' },
    generation: { type: 'string' },
    entry: { type: 'string' },
    matchedBy: { type: 'string' },
    firstSeen: { type: 'string' },
    lastSeen: { type: 'string' },
    attributes: { type: 'object', additionalProperties: true },
  },
  required: ['feed', 'list', 'generation'],
} as const;

export const lookupResult = {
  type: 'object',
  properties: {
    item: { type: 'string' },
    type: { type: 'string' },
    canonical: { type: 'string' },
    verdict: { type: 'string', enum: ['allow', 'deny', 'unknown', 'invalid'] },
    conflict: { type: 'boolean' },
    truncated: { type: 'boolean' },
    code: { type: 'string' },
    error: { type: 'string' },
    matches: { type: 'array', items: match },
  },
  required: ['item', 'verdict', 'matches'],
} as const;

const counts = {
  type: 'object',
  properties: {
    allow: { type: 'integer' },
    deny: { type: 'integer' },
    unknown: { type: 'integer' },
    invalid: { type: 'integer' },
  },
  required: ['allow', 'deny', 'unknown', 'invalid'],
} as const;

export const bulkLookupSchema = {
  body: {
    type: 'object',
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        description:
          'Hashes, IP addresses, CIDR ranges, domains or URLs as strings (optionally prefixed with a type such as ip:), {type, value} objects, or in MessagePack raw 16, 20 or 32 byte digests.',
      },
    },
  },
  response: {
    200: { type: 'object', properties: { results: { type: 'array', items: lookupResult }, counts }, required: ['results', 'counts'] },
    '4xx': errorResponse,
    '5xx': errorResponse,
  },
} as const;

export const singleLookupSchema = {
  params: {
    type: 'object',
    properties: { value: { type: 'string', maxLength: 4096 } },
    required: ['value'],
  },
  response: { 200: lookupResult, '4xx': errorResponse, '5xx': errorResponse },
} as const;

const feedStatus = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    list: { type: 'string' },
    category: { type: 'string' },
    format: { type: 'string' },
    source: { type: 'string' },
    generation: { type: 'string' },
    createdAt: { type: 'string' },
    loadedAt: { type: 'string' },
    keys: { type: 'integer' },
    keysByType: { type: 'object', additionalProperties: { type: 'integer' } },
    records: { type: 'integer' },
    duplicates: { type: 'integer' },
    badLines: { type: 'object', additionalProperties: true },
    filtered: { type: 'object', additionalProperties: true },
    sourceSha256: { type: 'string' },
    kind: { type: 'string' },
    mode: { type: 'string' },
    hostBitsCleared: { type: 'integer' },
    etag: { type: 'string' },
    lastModified: { type: 'string' },
    sourceModifiedAt: { type: 'string' },
    lastAttemptAt: { type: 'string' },
    lastSuccessAt: { type: 'string' },
    lastUnchangedAt: { type: 'string' },
    nextRefreshAt: { type: 'string' },
    refreshing: { type: 'boolean' },
    intervalSeconds: { type: 'integer' },
    ageSeconds: { type: 'integer' },
    stale: { type: 'boolean' },
    lastError: { type: 'object', additionalProperties: true },
    refused: { type: 'array', items: { type: 'object', additionalProperties: true } },
    delta: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'list', 'format', 'stale'],
} as const;

export const feedsSchema = {
  response: { 200: { type: 'object', properties: { feeds: { type: 'array', items: feedStatus } }, required: ['feeds'] } },
} as const;

export const adminRefreshSchema = {
  params: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } }, required: ['id'] },
  response: {
    200: {
      type: 'object',
      properties: {
        feed: { type: 'string' },
        status: { type: 'string', enum: ['published', 'unchanged', 'refused'] },
        generation: { type: 'string' },
        keys: { type: 'integer' },
        reasons: { type: 'array', items: { type: 'object', properties: { guard: { type: 'string' }, message: { type: 'string' } } } },
      },
      required: ['feed', 'status'],
    },
    '4xx': errorResponse,
    '5xx': errorResponse,
  },
} as const;

export const readySchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        feeds: { type: 'array', items: { type: 'string' } },
        stale: { type: 'array', items: { type: 'string' } },
      },
      required: ['status'],
    },
    503: errorResponse,
  },
} as const;
