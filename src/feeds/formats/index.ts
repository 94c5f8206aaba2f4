/** The feed formats by name; a feed's `format` field selects one. */
import type { FeedFormat } from '../../build/types.js';
import { adblockFormat } from './adblock.js';
import { checksumsFormat } from './checksums.js';
import { csvFormat } from './csv.js';
import { ctipFormat } from './ctip.js';
import { feodoCsvFormat } from './feodo-csv.js';
import { hashListFormat } from './hash-list.js';
import { hostsFormat } from './hosts.js';
import { indicatorListFormat } from './indicator-list.js';
import { ipsumFormat } from './ipsum.js';
import { maltrailFormat } from './maltrail.js';
import { mispWarninglistFormat } from './misp-warninglist.js';
import { nsrlRds2Format } from './nsrl-rds2.js';
import { nsrlRds3Format } from './nsrl-rds3.js';
import { phishtankFormat } from './phishtank.js';
import { spamhausDropFormat } from './spamhaus-drop.js';
import { urlJsonFormat } from './url-json.js';
import { urlhausCsvFormat } from './urlhaus-csv.js';
import { winbindexFormat } from './winbindex.js';

const ALL_FORMATS: readonly FeedFormat[] = [
  // File hashes.
  hashListFormat,
  checksumsFormat,
  csvFormat,
  nsrlRds2Format,
  nsrlRds3Format,
  winbindexFormat,
  // IP addresses, domains and URLs.
  indicatorListFormat,
  spamhausDropFormat,
  ipsumFormat,
  feodoCsvFormat,
  hostsFormat,
  adblockFormat,
  maltrailFormat,
  urlhausCsvFormat,
  phishtankFormat,
  mispWarninglistFormat,
  ctipFormat,
  urlJsonFormat,
];

export const FORMATS: ReadonlyMap<string, FeedFormat> = new Map(ALL_FORMATS.map((format) => [format.name, format]));

export function formatNames(): string[] {
  return [...FORMATS.keys()];
}
