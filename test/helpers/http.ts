/** undici requests to a test server on 127.0.0.1, decoding JSON and MessagePack replies. */
import { pack, unpack } from 'msgpackr';
import { request } from 'undici';
import type { BatchResult, LookupResult } from '../../src/lookup.js';

export interface Reply<T = unknown> {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: T;
}

/** Decodes a reply body by its content type: MessagePack, JSON, or text otherwise. */
function decode(contentType: string, bytes: Buffer): unknown {
  if (contentType.startsWith('application/msgpack')) return unpack(bytes);
  if (contentType.startsWith('application/json')) return JSON.parse(bytes.toString('utf8'));
  return bytes.toString('utf8');
}

export async function send<T = unknown>(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply<T>> {
  const response = await request(`${baseUrl}${path}`, { method, headers: options.headers ?? {}, body: options.body });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  const header = response.headers['content-type'];
  const contentType = typeof header === 'string' ? header : '';
  return { status: response.statusCode, contentType, headers: response.headers, body: decode(contentType, bytes) as T };
}

export function getJson<T = unknown>(baseUrl: string, path: string): Promise<Reply<T>> {
  return send<T>(baseUrl, 'GET', path);
}

/** POSTs `{items}` as JSON to /v1/lookup. */
export function lookupJson(baseUrl: string, items: readonly unknown[], headers: Record<string, string> = {}): Promise<Reply<BatchResult>> {
  return send<BatchResult>(baseUrl, 'POST', '/v1/lookup', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ items }),
  });
}

/** POSTs `{items}` as MessagePack to /v1/lookup. Items may be strings or raw digests. */
export function lookupMsgpack(
  baseUrl: string,
  items: readonly unknown[],
  contentType = 'application/msgpack',
  headers: Record<string, string> = {},
): Promise<Reply<BatchResult>> {
  return send<BatchResult>(baseUrl, 'POST', '/v1/lookup', {
    headers: { 'content-type': contentType, ...headers },
    body: pack({ items }),
  });
}

/** Looks up one item with a bulk request and returns its result, throwing when the status is not 200. */
export async function lookupOne(baseUrl: string, item: string): Promise<LookupResult> {
  const reply = await lookupJson(baseUrl, [item]);
  if (reply.status !== 200) throw new Error(`lookup of ${item} returned ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body.results[0]!;
}
