import { destination, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  level: string;
  name?: string;
  /** Pretty output; defaults to on when stderr is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go instead of stderr (tests). */
  stream?: { write(line: string): unknown };
}

/** Paths whose values never reach the logs. */
export const redactPaths = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.cookie',
  'smtpUrl',
  '*.smtpUrl',
  '*.headers.cookie',
  'adminToken',
  '*.adminToken',
  'databaseUrl',
  '*.databaseUrl',
  'redisUrl',
  '*.redisUrl',
];

/** Query parameters that carry credentials: subscriber links, the admin board's `?token=`. */
const SECRET_QUERY = /([?&](?:token|secret|password|key|access_token)=)[^&#]*/gi;

/** A URL fit for logs: no password in its user info, no token in its query. */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, '$1:[redacted]@')
    .replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * Fastify logs each request as `req`; the URL is logged without its tokens (subscriber links
 * and the admin board carry them in the query).
 */
const serializers = {
  req: (req: {
    method?: string;
    url?: string;
    host?: string;
    hostname?: string;
    ip?: string;
    socket?: { remoteAddress?: string };
  }) => ({
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host ?? req.hostname,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  }),
};

/**
 * Logs go to stderr so stdout carries only a command's output. JSON by default,
 * readable (pino-pretty) when stderr is a terminal.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    name: settings.name ?? 'paperboy',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { pid: process.pid },
    serializers,
  };
  if (settings.stream) return pino(options, settings.stream);
  const pretty = settings.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options, destination({ dest: 2, sync: false }));
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The log level of a command run by hand (`demo`, `ingest`, `sources`…): its report is the output, so
 * logs stay at warnings unless asked for: `--verbose` shows info (or the configured level, if more
 * detailed), and a LOG_LEVEL that was set explicitly is taken as it is.
 */
export function commandLogLevel(configured: string, asked: { verbose: boolean; levelSet: boolean }): string {
  if (asked.levelSet) return configured;
  if (!asked.verbose) return 'warn';
  return LEVELS.indexOf(configured) < LEVELS.indexOf('info') ? configured : 'info';
}

/**
 * A child logger for one job: every line carries its queue, job id, job name and source. The
 * source is the payload's `source` (crawl and ingest jobs); jobs that are not about one source
 * (digests, dashboard refreshes) carry `source: null`, so every job line has the same fields.
 */
export function jobLogger(
  logger: Logger,
  job: { queueName: string; id?: string | undefined; name: string; data?: unknown },
): Logger {
  const source =
    job.data && typeof job.data === 'object' && 'source' in job.data && (job.data as { source: unknown }).source != null
      ? String((job.data as { source: unknown }).source)
      : null;
  return logger.child({ queue: job.queueName, jobId: job.id ?? null, job: job.name, source });
}
