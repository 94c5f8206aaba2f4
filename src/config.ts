/**
 * Configuration: one JSON file, validated against a schema, defaults applied, then frozen.
 * Relative paths (dataDir, each feed's path) are resolved against the configuration file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { VerdictError } from './errors.js';
import { FORMATS, formatNames } from './feeds/formats/index.js';
import type { ListKind } from './build/types.js';
import { IndicatorPolicy, type ConstituencyConfig, type IndicatorPolicyConfig } from './build/indicator-policy.js';
import type { DomainMatchMode } from './indicators/domain.js';

/** Default shards per feed: on 2 cores, 4 shards kept both build threads busy (see bench/RESULTS.md). */
export const DEFAULT_SHARDS = 4;
export const DEFAULT_BLOOM_BITS_PER_KEY = 10;
export const DEFAULT_BLOOM_HASHES = 7;
export const DEFAULT_KEEP_GENERATIONS = 3;
export const DEFAULT_MAX_BAD_LINE_PERCENT = 10;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_MAX_ITEMS_PER_REQUEST = 10_000;
/** 16 MiB: 10,000 SHA-256 in JSON take about 0.7 MB, so this leaves room for typed items. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** How often the server checks each feed's CURRENT file for a newly published generation. */
export const DEFAULT_RELOAD_INTERVAL_MS = 1000;

/** What a feed carries; it sets the default refresh interval and retention. */
export const FEED_KINDS = ['clean-file', 'malicious-url', 'botnet', 'threat-intel'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

/** Default refresh intervals by kind: clean-file metadata and malicious-URL files every 3 hours, botnet feeds hourly. */
export const DEFAULT_INTERVAL_SECONDS: Readonly<Record<FeedKind, number>> = {
  'clean-file': 3 * 3600,
  'malicious-url': 3 * 3600,
  botnet: 3600,
  'threat-intel': 6 * 3600,
};
/** Delta feeds drop records not seen for this long: 5 days, the malicious-URL feed's full-set period. */
export const DEFAULT_RETENTION_DAYS = 5;
export const DEFAULT_JITTER_PERCENT = 10;
export const DEFAULT_FETCH_TIMEOUT_SECONDS = 300;
/** 4 GiB: NSRL RDS downloads are the largest feeds in use, at about 2 to 3 GiB compressed. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;
export const DEFAULT_FETCH_RETRIES = 4;
export const DEFAULT_MAX_SHRINK_PERCENT = 50;
export const DEFAULT_MAX_CONCURRENT_BUILDS = 1;

export type FeedSourceConfig =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'url'; readonly url: string };

export interface RefreshConfig {
  readonly mode: 'full' | 'delta';
  readonly intervalSeconds: number;
  readonly jitterPercent: number;
  readonly retentionDays: number;
  readonly timeoutSeconds: number;
  readonly maxBytes: number;
  readonly retries: number;
  /** Request headers; a value may name environment variables as ${NAME}, expanded at fetch time and never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly sha256?: string;
  /** The URL or folder lists several (delta) files instead of being one. */
  readonly listing: boolean;
}

export interface GuardConfig {
  readonly allowEmpty: boolean;
  readonly maxShrinkPercent: number;
  readonly rejectOlder: boolean;
}

export interface FeedConfig {
  readonly id: string;
  readonly list: ListKind;
  readonly format: string;
  readonly kind: FeedKind;
  readonly source: FeedSourceConfig;
  /** Absolute path of a local source (file or folder); for a URL source, the URL. */
  readonly path: string;
  readonly refresh: RefreshConfig;
  readonly guards: GuardConfig;
  readonly category?: string;
  readonly shards: number;
  readonly maxBadLinePercent: number;
  readonly options: Readonly<Record<string, unknown>>;
  /** What the feed keeps of IP, domain and URL entries: width limits, reserved space, tailoring. */
  readonly policy: IndicatorPolicyConfig;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly maxItemsPerRequest: number;
  readonly bodyLimitBytes: number;
  readonly reloadIntervalMs: number;
  /** Name of the environment variable holding the bearer token the admin API requires; none when unset. */
  readonly adminTokenEnv?: string;
}

export interface BuildConfig {
  readonly bloomBitsPerKey: number;
  readonly bloomHashes: number;
  readonly keepGenerations: number;
  /** Worker threads for shard builds; 0 means one per CPU core. */
  readonly workerThreads: number;
}

export interface SchedulerConfig {
  /** Whether `verdict serve` refreshes feeds on their intervals. */
  readonly schedule: boolean;
  readonly maxConcurrentBuilds: number;
}

export interface VerdictConfig {
  /** Absolute path of the configuration file (or a label for an in-memory one). */
  readonly source: string;
  readonly dataDir: string;
  readonly server: ServerConfig;
  readonly refresh: SchedulerConfig;
  readonly build: BuildConfig;
  readonly feeds: readonly FeedConfig[];
}

const FEED_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['dataDir', 'feeds'],
  properties: {
    $schema: { type: 'string' },
    $comment: { type: 'string' },
    dataDir: { type: 'string', minLength: 1 },
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        maxItemsPerRequest: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        bodyLimitBytes: { type: 'integer', minimum: 1024 },
        reloadIntervalMs: { type: 'integer', minimum: 50 },
        adminTokenEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      },
    },
    refresh: {
      type: 'object',
      additionalProperties: false,
      properties: {
        schedule: { type: 'boolean' },
        maxConcurrentBuilds: { type: 'integer', minimum: 1, maximum: 64 },
      },
    },
    build: {
      type: 'object',
      additionalProperties: false,
      properties: {
        bloomBitsPerKey: { type: 'number', minimum: 2, maximum: 64 },
        bloomHashes: { type: 'integer', minimum: 1, maximum: 16 },
        keepGenerations: { type: 'integer', minimum: 1, maximum: 100 },
        workerThreads: { type: 'integer', minimum: 0, maximum: 256 },
      },
    },
    feeds: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'list', 'format'],
        oneOf: [{ required: ['path'] }, { required: ['url'] }],
        properties: {
          id: { type: 'string', pattern: FEED_ID_PATTERN },
          list: { enum: ['allow', 'deny'] },
          format: { type: 'string' },
          path: { type: 'string', minLength: 1 },
          url: { type: 'string', pattern: '^[hH][tT][tT][pP][sS]?://' },
          kind: { enum: FEED_KINDS },
          refresh: {
            type: 'object',
            additionalProperties: false,
            properties: {
              mode: { enum: ['full', 'delta'] },
              intervalSeconds: { type: 'integer', minimum: 1 },
              jitterPercent: { type: 'number', minimum: 0, maximum: 100 },
              retentionDays: { type: 'number', exclusiveMinimum: 0 },
              timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
              maxBytes: { type: 'integer', minimum: 1 },
              retries: { type: 'integer', minimum: 0, maximum: 20 },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
              listing: { type: 'boolean' },
            },
          },
          guards: {
            type: 'object',
            additionalProperties: false,
            properties: {
              allowEmpty: { type: 'boolean' },
              maxShrinkPercent: { type: 'number', minimum: 0, maximum: 100 },
              rejectOlder: { type: 'boolean' },
            },
          },
          category: { type: 'string', minLength: 1, maxLength: 200 },
          shards: { type: 'integer', minimum: 1, maximum: 256 },
          maxBadLinePercent: { type: 'number', minimum: 0, maximum: 100 },
          options: { type: 'object' },
          reserved: { type: 'boolean' },
          minPrefixLength: {
            type: 'object',
            additionalProperties: false,
            properties: { ipv4: { type: 'integer', minimum: 0, maximum: 32 }, ipv6: { type: 'integer', minimum: 0, maximum: 128 } },
          },
          domainMatch: { enum: ['exact', 'subdomains', 'both'] },
          constituency: {
            type: 'object',
            additionalProperties: false,
            properties: {
              cidrs: { type: 'array', items: { type: 'string', minLength: 1 } },
              asns: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 4294967295 } },
              countries: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z]{2}$' } },
              tlds: { type: 'array', items: { type: 'string', pattern: '^\\.?[A-Za-z0-9-]+$' } },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateConfig = ajv.compile(CONFIG_SCHEMA);
const optionValidators = new Map(
  [...FORMATS.values()].map((format) => [format.name, ajv.compile(format.optionsSchema)] as const),
);

/** Turns an Ajv error into "feeds[1].list: must be equal to one of the allowed values (allow, deny)". */
function describeSchemaError(error: ErrorObject, prefix = ''): string {
  const where = (prefix + error.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')).replace(/^\./, '') || '(root)';
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'enum') message += ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`;
  if (error.keyword === 'additionalProperties') message = `has unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'required') message = `is missing required field "${(error.params as { missingProperty: string }).missingProperty}"`;
  return `${where}: ${message}`;
}

/** Validates a parsed configuration object; `source` is the file it came from (paths resolve against its folder). */
export function parseConfig(raw: unknown, source: string): VerdictConfig {
  if (!validateConfig(raw)) {
    const detail = (validateConfig.errors ?? []).map((error) => describeSchemaError(error)).join('; ');
    throw new VerdictError('VERDICT_ERR_CONFIG_INVALID', { path: source, detail });
  }
  const input = raw as {
    dataDir: string;
    server?: Partial<ServerConfig>;
    build?: Partial<BuildConfig>;
    refresh?: Partial<SchedulerConfig>;
    feeds: {
      id: string;
      list: ListKind;
      format: string;
      path?: string;
      url?: string;
      kind?: FeedKind;
      refresh?: Partial<Omit<RefreshConfig, 'headers'>> & { headers?: Record<string, string> };
      guards?: Partial<GuardConfig>;
      category?: string;
      shards?: number;
      maxBadLinePercent?: number;
      options?: Record<string, unknown>;
      reserved?: boolean;
      minPrefixLength?: { ipv4?: number; ipv6?: number };
      domainMatch?: DomainMatchMode;
      constituency?: ConstituencyConfig;
    }[];
  };
  const base = dirname(source);
  const resolvePath = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));

  const problems: string[] = [];
  const seen = new Set<string>();
  input.feeds.forEach((feed, index) => {
    if (seen.has(feed.id)) problems.push(`feeds[${index}].id: duplicate feed id "${feed.id}"`);
    seen.add(feed.id);
    const validate = optionValidators.get(feed.format);
    if (validate === undefined) {
      problems.push(`feeds[${index}].format: unknown format "${feed.format}" (known: ${formatNames().join(', ')})`);
      return;
    }
    if (!validate(feed.options ?? {})) {
      for (const error of validate.errors ?? []) problems.push(describeSchemaError(error, `.feeds[${index}].options`));
    }
    try {
      new IndicatorPolicy(policyOf(feed));
    } catch (error) {
      problems.push(`feeds[${index}].constituency: ${(error as Error).message}`);
    }
  });
  if (problems.length > 0) throw new VerdictError('VERDICT_ERR_CONFIG_INVALID', { path: source, detail: problems.join('; ') });

  const config: VerdictConfig = {
    source,
    dataDir: resolvePath(input.dataDir),
    server: {
      host: input.server?.host ?? DEFAULT_HOST,
      port: input.server?.port ?? DEFAULT_PORT,
      maxItemsPerRequest: input.server?.maxItemsPerRequest ?? DEFAULT_MAX_ITEMS_PER_REQUEST,
      bodyLimitBytes: input.server?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      reloadIntervalMs: input.server?.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS,
      ...(input.server?.adminTokenEnv === undefined ? {} : { adminTokenEnv: input.server.adminTokenEnv }),
    },
    refresh: {
      schedule: input.refresh?.schedule ?? true,
      maxConcurrentBuilds: input.refresh?.maxConcurrentBuilds ?? DEFAULT_MAX_CONCURRENT_BUILDS,
    },
    build: {
      bloomBitsPerKey: input.build?.bloomBitsPerKey ?? DEFAULT_BLOOM_BITS_PER_KEY,
      bloomHashes: input.build?.bloomHashes ?? DEFAULT_BLOOM_HASHES,
      keepGenerations: input.build?.keepGenerations ?? DEFAULT_KEEP_GENERATIONS,
      workerThreads: input.build?.workerThreads ?? 0,
    },
    feeds: input.feeds.map((feed) => ({
      id: feed.id,
      list: feed.list,
      format: feed.format,
      kind: feed.kind ?? 'threat-intel',
      source: feed.url !== undefined ? { kind: 'url' as const, url: feed.url } : { kind: 'path' as const, path: resolvePath(feed.path!) },
      path: feed.url ?? resolvePath(feed.path!),
      refresh: {
        mode: feed.refresh?.mode ?? 'full',
        intervalSeconds: feed.refresh?.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS[feed.kind ?? 'threat-intel'],
        jitterPercent: feed.refresh?.jitterPercent ?? DEFAULT_JITTER_PERCENT,
        retentionDays: feed.refresh?.retentionDays ?? DEFAULT_RETENTION_DAYS,
        timeoutSeconds: feed.refresh?.timeoutSeconds ?? DEFAULT_FETCH_TIMEOUT_SECONDS,
        maxBytes: feed.refresh?.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
        retries: feed.refresh?.retries ?? DEFAULT_FETCH_RETRIES,
        headers: { ...(feed.refresh?.headers ?? {}) },
        ...(feed.refresh?.sha256 === undefined ? {} : { sha256: feed.refresh.sha256.toLowerCase() }),
        listing: feed.refresh?.listing ?? false,
      },
      guards: {
        allowEmpty: feed.guards?.allowEmpty ?? false,
        maxShrinkPercent: feed.guards?.maxShrinkPercent ?? DEFAULT_MAX_SHRINK_PERCENT,
        rejectOlder: feed.guards?.rejectOlder ?? true,
      },
      ...(feed.category === undefined ? {} : { category: feed.category }),
      shards: feed.shards ?? DEFAULT_SHARDS,
      maxBadLinePercent: feed.maxBadLinePercent ?? DEFAULT_MAX_BAD_LINE_PERCENT,
      options: Object.freeze({ ...(feed.options ?? {}) }),
      policy: policyOf(feed),
    })),
  };
  return deepFreeze(config);
}

function policyOf(feed: {
  reserved?: boolean;
  minPrefixLength?: { ipv4?: number; ipv6?: number };
  domainMatch?: DomainMatchMode;
  constituency?: ConstituencyConfig;
}): IndicatorPolicyConfig {
  return {
    ...(feed.reserved === undefined ? {} : { reserved: feed.reserved }),
    ...(feed.minPrefixLength === undefined ? {} : { minPrefixLength: feed.minPrefixLength }),
    ...(feed.domainMatch === undefined ? {} : { domainMatch: feed.domainMatch }),
    ...(feed.constituency === undefined ? {} : { constituency: feed.constituency }),
  };
}

/** Reads, validates and freezes a configuration file. */
export function loadConfig(path: string): VerdictConfig {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new VerdictError('VERDICT_ERR_CONFIG_UNREADABLE', { path: absolute, detail: (error as Error).message }, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new VerdictError('VERDICT_ERR_CONFIG_INVALID', { path: absolute, detail: `not valid JSON: ${(error as Error).message}` }, { cause: error });
  }
  return parseConfig(raw, absolute);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
