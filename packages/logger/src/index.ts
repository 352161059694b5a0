import { pino, destination, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  level: string;
  name?: string;
  /** Pretty output; defaults to on when stderr is a terminal. */
  pretty?: boolean;
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
];

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
  };
  const pretty = settings.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino(options, destination({ dest: 2, sync: false }));
}

/** A child logger for one job: every line carries its queue, job id and source. */
export function jobLogger(
  logger: Logger,
  job: { queueName: string; id?: string | undefined; name: string; data?: unknown },
): Logger {
  const source =
    job.data && typeof job.data === 'object' && 'source' in job.data ? String((job.data as { source: unknown }).source) : undefined;
  return logger.child({ queue: job.queueName, jobId: job.id, job: job.name, ...(source ? { source } : {}) });
}
