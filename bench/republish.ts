/**
 * Republishes one feed every few seconds until the deadline, for the refresh-under-load case:
 *   node dist/bench/republish.js CONFIG FEED_ID INTERVAL_MS DEADLINE_MS
 * Each round appends a line to the feed's source, so each generation differs from the last, and
 * prints one line per publish.
 */
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { createBuildPool } from '../src/build/pool.js';
import { buildFeed } from '../src/refresh/refresh-feed.js';

const [configPath, feedId, intervalText, deadlineText] = process.argv.slice(2);
const config = loadConfig(configPath!);
const feed = config.feeds.find((candidate) => candidate.id === feedId)!;
const interval = Number(intervalText);
const deadline = Number(deadlineText);
const pool = createBuildPool(1);
let published = 0;
while (Date.now() + interval < deadline) {
  await new Promise((resolveWait) => setTimeout(resolveWait, interval));
  appendFileSync(feed.path, `198.51.${published % 250}.${(published * 7) % 250}\n`.replace('198.51', `45.${(published % 200) + 1}`));
  const manifest = await buildFeed({ dataDir: config.dataDir, build: config.build, pool, logger: silentLogger() }, feed);
  published++;
  process.stdout.write(`republished ${feed.id} ${manifest.generation} ${manifest.keys} keys\n`);
}
await pool.destroy();
process.stdout.write(`republish done: ${published} generations\n`);
