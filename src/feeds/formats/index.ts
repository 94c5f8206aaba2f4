/** The feed formats by name; a feed's `format` field selects one. */
import type { FeedFormat } from '../../build/types.js';
import { checksumsFormat } from './checksums.js';
import { csvFormat } from './csv.js';
import { hashListFormat } from './hash-list.js';
import { nsrlRds2Format } from './nsrl-rds2.js';
import { nsrlRds3Format } from './nsrl-rds3.js';
import { winbindexFormat } from './winbindex.js';

export const FORMATS: ReadonlyMap<string, FeedFormat> = new Map(
  [hashListFormat, checksumsFormat, csvFormat, nsrlRds2Format, nsrlRds3Format, winbindexFormat].map((format) => [
    format.name,
    format,
  ]),
);

export function formatNames(): string[] {
  return [...FORMATS.keys()];
}
