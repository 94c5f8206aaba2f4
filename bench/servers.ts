/**
 * Servers the benchmark drives from another process. Run as
 *   node dist/bench/servers.js verdict CONFIG PORT_FILE
 *   node dist/bench/servers.js baseline HASH_LIST PORT_FILE
 * Each listens on 127.0.0.1 port 0 and writes its port to PORT_FILE when ready.
 *
 * The baseline is the floor verdict is compared against: a bare Fastify route, and the bulk route
 * answered from an in-memory Set of the same hashes with the same response schema.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Fastify from 'fastify';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { bulkLookupSchema } from '../src/http/schemas.js';

async function startBaseline(hashListPath: string): Promise<number> {
  const set = new Set<string>();
  const text = readFileSync(hashListPath, 'latin1');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) set.add(text.slice(start, end));
    start = end + 1;
  }

  const app = Fastify({ bodyLimit: 16 * 1024 * 1024 });
  app.get('/bare', async () => ({ ok: true }));
  app.post('/v1/lookup', { schema: { response: { 200: bulkLookupSchema.response[200] } } }, async (request) => {
    const items = (request.body as { items: string[] }).items;
    const counts = { allow: 0, deny: 0, unknown: 0, invalid: 0 };
    const results = items.map((item) => {
      const found = set.has(item);
      if (found) counts.deny++;
      else counts.unknown++;
      return { item, type: 'sha256', verdict: found ? 'deny' : 'unknown', matches: found ? [{ feed: 'set', list: 'deny', generation: 'memory' }] : [] };
    });
    return { results, counts };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as { port: number }).port;
}

async function startVerdict(configPath: string): Promise<number> {
  const config = loadConfig(configPath);
  const server = await startServer(config, { logger: silentLogger(), host: '127.0.0.1', port: 0 });
  return Number(new URL(server.url).port);
}

const [mode, argument, portFile] = process.argv.slice(2);
if (mode === undefined || argument === undefined || portFile === undefined) {
  process.stderr.write('usage: servers.js verdict CONFIG PORT_FILE | baseline HASH_LIST PORT_FILE\n');
  process.exit(64);
}
const port = mode === 'baseline' ? await startBaseline(argument) : await startVerdict(argument);
writeFileSync(portFile, String(port));
