import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'worker' | 'producer';

/**
 * Workers block on Redis and must wait out a restart (maxRetriesPerRequest: null, as BullMQ
 * requires); producers fail a command after a few retries instead of hanging.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  };
  const redis = new Redis(url, options);
  // Errors surface through commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}

export class RedisUnavailableError extends Error {}

/** One quick round trip, so a command can say "Redis is not reachable at …" instead of waiting forever. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnavailableError(`Redis is not reachable at ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}
