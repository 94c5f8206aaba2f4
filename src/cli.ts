#!/usr/bin/env node
/**
 * The `verdict` command: build feeds, serve lookups, check a batch offline, or run the demo.
 * Exit codes: 0 success, 1 failure, 2 `--fail-on` matched, 64 usage error.
 */
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type FeedConfig, type VerdictConfig } from './config.js';
import { VerdictError, isVerdictError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { buildFeed, refreshFeed, refusalError, type RefreshContext } from './refresh/refresh-feed.js';
import { publishGeneration, rollbackFeed } from './refresh/manage.js';
import { createBuildPool } from './build/pool.js';
import { Catalog } from './store/catalog.js';
import { startServer, type RunningServer } from './server.js';
import { ensureDemoData } from './demo.js';
import { runLookupCommand } from './cli-lookup.js';
import { EXIT_FAILURE, EXIT_FAIL_ON_MATCH, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export { EXIT_FAILURE, EXIT_FAIL_ON_MATCH, EXIT_OK, EXIT_USAGE };

const USAGE = `Usage:
  verdict build  --config FILE [--feed ID]           build every feed (or one) into a new generation and publish it
  verdict serve  --config FILE [--host H] [--port P]  serve lookups; builds feeds that have no generation first
  verdict lookup --config FILE [--format csv|jsonl] [--fail-on deny|allow|unknown|invalid] [FILE|-]
                                                      check hashes offline against the local stores
  verdict refresh --config FILE [--feed ID]          fetch every feed (or one) and rebuild it if its source changed
  verdict publish --config FILE --feed ID --generation G [--force]
                                                      publish an existing generation; --force skips the guards
  verdict rollback --config FILE --feed ID            return the feed to the generation published before the serving one
  verdict demo   [--data-dir DIR] [--host H] [--port P]
                                                      generate the default data, build it and serve it (npm start)

Options:
  --config FILE   JSON configuration (see README.md, "Configuration")
  --feed ID       the feed to build, refresh, publish or roll back
  --generation G  the generation folder name to publish (see GET /v1/feeds, "refused")
  --force         publish even when the generation fails its guards
  --host H        listen address (default from the configuration, else 127.0.0.1)
  --port P        listen port, 0 for any free port (default from the configuration, else 8080)
  --format F      lookup output: csv (default) or jsonl
  --fail-on V     lookup exits with status 2 when any item gets verdict V
  --data-dir DIR  demo data folder (default: data/ in the verdict package)
  -h, --help      show this help`;

class UsageError extends Error {}

function requireConfig(path: string | undefined): VerdictConfig {
  if (path === undefined) throw new UsageError('missing --config FILE');
  return loadConfig(path);
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port "${value}": expected an integer from 0 to 65535`);
  return port;
}

/**
 * Runs `action` for each feed with a shared worker pool, after removing leftovers of dead builds.
 * A feed whose action throws is reported on stderr and the others still run. Returns the exit code.
 */
async function forEachFeed(
  config: VerdictConfig,
  feeds: readonly FeedConfig[],
  logger: Logger,
  action: (feed: FeedConfig, context: RefreshContext) => Promise<boolean>,
): Promise<number> {
  new Catalog(config, logger).cleanUpPartialBuilds();
  const pool = createBuildPool(config.build.workerThreads);
  let failed = 0;
  try {
    for (const feed of feeds) {
      try {
        if (!(await action(feed, { dataDir: config.dataDir, build: config.build, pool, logger }))) failed++;
      } catch (error) {
        failed++;
        process.stderr.write(`${feed.id}: ${(error as Error).message}\n`);
      }
    }
  } finally {
    await pool.destroy();
  }
  return failed === 0 ? EXIT_OK : EXIT_FAILURE;
}

async function runBuild(config: VerdictConfig, feedId: string | undefined, logger: Logger): Promise<number> {
  const feeds = feedId === undefined ? config.feeds : [requireFeed(config, feedId)];
  return forEachFeed(config, feeds, logger, async (feed, context) => {
    const manifest = await buildFeed(context, feed);
    const types = Object.entries(manifest.keysByType)
      .map(([type, count]) => `${type} ${count}`)
      .join(', ');
    process.stdout.write(
      `${feed.id}: published ${manifest.generation}: ${manifest.keys} keys (${types}), ${manifest.duplicates} duplicates, ${manifest.badLines.total} bad lines, ${manifest.buildMs} ms\n`,
    );
    return true;
  });
}

function requireFeed(config: VerdictConfig, feedId: string | undefined): FeedConfig {
  if (feedId === undefined) throw new UsageError('missing --feed ID');
  const feed = config.feeds.find((candidate) => candidate.id === feedId);
  if (feed === undefined) {
    throw new VerdictError('VERDICT_ERR_FEED_NOT_FOUND', { feed: feedId, configured: config.feeds.map((candidate) => candidate.id).join(', ') });
  }
  return feed;
}

async function runRefresh(config: VerdictConfig, feedId: string | undefined, logger: Logger): Promise<number> {
  const feeds = feedId === undefined ? config.feeds : [requireFeed(config, feedId)];
  return forEachFeed(config, feeds, logger, async (feed, context) => {
    const outcome = await refreshFeed(context, feed);
    if (outcome.status === 'refused') {
      process.stderr.write(`${feed.id}: ${refusalError(feed, outcome.manifest, outcome.failures).message}\n`);
      return false;
    }
    if (outcome.status === 'published') {
      process.stdout.write(`${feed.id}: published ${outcome.manifest.generation}: ${outcome.manifest.keys} keys\n`);
    } else {
      process.stdout.write(`${feed.id}: unchanged${outcome.generation === undefined ? '' : `, ${outcome.generation} keeps serving`}\n`);
    }
    return true;
  });
}

/** Resolves when SIGINT or SIGTERM arrives, then closes the server. */
function closeOnSignal(server: RunningServer, logger: Logger): Promise<number> {
  return new Promise((resolveExit) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      server.close().then(
        () => resolveExit(EXIT_OK),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolveExit(EXIT_FAILURE);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function printReady(url: string, examples?: { cleanSha256: string; denyMd5: string }): void {
  const items = examples ? [examples.cleanSha256, examples.denyMd5, '0'.repeat(64)] : ['0'.repeat(64)];
  process.stdout.write(
    `verdict is serving at ${url}\n` +
      `Try a bulk lookup:\n` +
      `  curl -s ${url}/v1/lookup -H 'content-type: application/json' -d '${JSON.stringify({ items })}'\n` +
      `Feed status: curl -s ${url}/v1/feeds\n` +
      `Stop with Ctrl+C.\n`,
  );
}

export async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      feed: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      format: { type: 'string' },
      'fail-on': { type: 'string' },
      'data-dir': { type: 'string' },
      generation: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  const logger = createLogger();

  switch (command) {
    case 'build':
      return runBuild(requireConfig(values.config), values.feed, logger);
    case 'refresh':
      return runRefresh(requireConfig(values.config), values.feed, logger);
    case 'publish': {
      const config = requireConfig(values.config);
      if (values.generation === undefined) throw new UsageError('publish needs --generation G');
      const feed = requireFeed(config, values.feed);
      const previous = publishGeneration(config, feed, values.generation, values.force ?? false, logger);
      process.stdout.write(`${feed.id}: published ${values.generation}${previous === undefined ? '' : ` (was ${previous})`}\n`);
      return EXIT_OK;
    }
    case 'rollback': {
      const config = requireConfig(values.config);
      const feed = requireFeed(config, values.feed);
      const target = rollbackFeed(config, feed, logger);
      process.stdout.write(`${feed.id}: rolled back to ${target}\n`);
      return EXIT_OK;
    }
    case 'serve': {
      const config = requireConfig(values.config);
      const server = await startServer(config, { logger, host: values.host, port: parsePort(values.port) });
      printReady(server.url);
      return closeOnSignal(server, logger);
    }
    case 'lookup': {
      const config = requireConfig(values.config);
      if (positionals.length > 1) throw new UsageError(`lookup takes one input file or -, got ${positionals.length}`);
      return runLookupCommand(config, {
        input: positionals[0] ?? '-',
        format: values.format ?? 'csv',
        failOn: values['fail-on'],
        logger,
      });
    }
    case 'demo': {
      const packageRoot = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../' : '../../', import.meta.url));
      const dataDir = resolve(values['data-dir'] ?? resolve(packageRoot, 'data'));
      const started = performance.now();
      const demo = ensureDemoData(dataDir);
      if (demo.generated) logger.info({ dataDir, ms: Math.round(performance.now() - started) }, 'demo data generated');
      const config = loadConfig(demo.paths.config);
      const server = await startServer(config, { logger, host: values.host, port: parsePort(values.port) });
      logger.info({ ms: Math.round(performance.now() - started) }, 'demo ready');
      printReady(server.url, demo.examples);
      return closeOnSignal(server, logger);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** True when this file is the process entry point, also through the npm `bin` symlink. */
function isEntryPoint(): boolean {
  if (process.argv[1] === undefined) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`verdict: ${(error as Error).message}\n\n${USAGE}\n`);
        process.exitCode = EXIT_USAGE;
      } else {
        // System errors (a busy port, an unknown host) read best as their message; anything else is a bug, shown with its stack.
        const systemError = typeof (error as NodeJS.ErrnoException).code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined;
        const text = isVerdictError(error) ? `${error.message} (${error.code})` : systemError ? (error as Error).message : (error as Error).stack;
        process.stderr.write(`verdict: ${text}\n`);
        process.exitCode = EXIT_FAILURE;
      }
    },
  );
}
