import { describe, expect, it } from 'vitest';
import { commandLogLevel, createLogger, jobLogger, redactUrl } from './index.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    stream: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

describe('logger', () => {
  it('gives every job line its queue, job id, job name and source (null when the job has none)', () => {
    const { logger, lines } = capture();
    jobLogger(logger, {
      queueName: 'crawl',
      id: '42',
      name: 'crawl-page',
      data: { source: 'hf-daily', url: 'https://x' },
    }).info('page crawled');
    jobLogger(logger, { queueName: 'notify', id: '7', name: 'send-digest', data: { deliveryId: 1 } }).warn(
      { deliveryId: 1 },
      'digest not sent',
    );
    expect(lines.map(({ queue, jobId, job, source, msg }) => ({ queue, jobId, job, source, msg }))).toEqual([
      { queue: 'crawl', jobId: '42', job: 'crawl-page', source: 'hf-daily', msg: 'page crawled' },
      { queue: 'notify', jobId: '7', job: 'send-digest', source: null, msg: 'digest not sent' },
    ]);
  });

  it('redacts secrets by key: SMTP URL, passwords, tokens, the HMAC secret, connection URLs', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        smtpUrl: 'smtp://user:hunter2@mail:587',
        config: {
          smtpUrl: 'smtp://u:p@m',
          databaseUrl: 'postgres://u:pw@db/x',
          redisUrl: 'redis://:pw@r',
          adminToken: 'a'.repeat(20),
          secret: 's'.repeat(20),
        },
        password: 'hunter2',
        token: 'abc',
      },
      'settings',
    );
    const line = JSON.stringify(lines[0]);
    for (const secret of ['hunter2', 'pw@', 'aaaaaaaaaaaaaaaaaaaa', 'ssssssssssssssssssss', '"abc"', 'u:p@m'])
      expect(line).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      smtpUrl: '[redacted]',
      password: '[redacted]',
      token: '[redacted]',
      config: { secret: '[redacted]', adminToken: '[redacted]' },
    });
  });

  it('logs request URLs without their tokens', () => {
    const { logger, lines } = capture();
    logger.info(
      { req: { method: 'GET', url: '/confirm?token=eyJzZWNyZXQ&x=1', hostname: 'h', ip: '127.0.0.1' } },
      'incoming request',
    );
    expect(lines[0]!.req).toEqual({
      method: 'GET',
      url: '/confirm?token=[redacted]&x=1',
      host: 'h',
      remoteAddress: '127.0.0.1',
    });
    expect(redactUrl('/admin/queues?x=1&TOKEN=abc#f')).toBe('/admin/queues?x=1&TOKEN=[redacted]#f');
    expect(redactUrl('postgres://paperboy:s3cret@db:5432/paperboy')).toBe(
      'postgres://paperboy:[redacted]@db:5432/paperboy',
    );
    expect(redactUrl('https://huggingface.co/papers?date=2026-11-28')).toBe(
      'https://huggingface.co/papers?date=2026-11-28',
    );
  });

  it('keeps a command run by hand at warnings unless --verbose or an explicit LOG_LEVEL asks for more', () => {
    expect(commandLogLevel('info', { verbose: false, levelSet: false })).toBe('warn');
    expect(commandLogLevel('info', { verbose: true, levelSet: false })).toBe('info');
    expect(commandLogLevel('debug', { verbose: true, levelSet: false })).toBe('debug');
    expect(commandLogLevel('info', { verbose: false, levelSet: true })).toBe('info');
    expect(commandLogLevel('error', { verbose: true, levelSet: true })).toBe('error');
  });
});
