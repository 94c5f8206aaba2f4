/** The pino logger shared by the server, builder and command line. Logs go to stderr as JSON lines. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env['VERDICT_LOG_LEVEL'] ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'verdict' },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
