/** The feed formats by name; a feed's `format` field selects one. */
import type { FeedFormat } from '../../build/types.js';
import { hashListFormat } from './hash-list.js';

export const FORMATS: ReadonlyMap<string, FeedFormat> = new Map(
  [hashListFormat].map((format) => [format.name, format]),
);

export function formatNames(): string[] {
  return [...FORMATS.keys()];
}
