import { isRedisClusterUrl, parseRedisClusterUrl } from '@paperboy/config';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'worker' | 'producer';

/** One Redis server or a Redis Cluster (REDIS_URL=redis+cluster://…): everything paperboy runs works on either. */
export type RedisClient = Redis | Cluster;

const retryStrategy = (attempt: number) => Math.min(attempt * 200, 5000);

/**
 * Workers block on Redis and must wait out a restart (maxRetriesPerRequest: null, as BullMQ
 * requires); producers fail a command after a few retries instead of hanging. A
 * `redis+cluster://` URL gives an ioredis Cluster seeded with its nodes.
 */
export function createRedis(url: string, role: RedisRole): RedisClient {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    connectTimeout: 5000,
    retryStrategy,
  };
  const redis = isRedisClusterUrl(url) ? createCluster(url, options) : new Redis(url, options);
  // Errors surface through commands; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis;
}

function createCluster(url: string, options: RedisOptions, clusterOptions: ClusterOptions = {}): Cluster {
  const target = parseRedisClusterUrl(url);
  return new Cluster(target.nodes, {
    redisOptions: {
      ...options,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    // The cluster's own reconnects (every node lost) back off as a single server's do.
    clusterRetryStrategy: retryStrategy,
    ...clusterOptions,
  });
}

/**
 * Whether the client has lost its connection and not got it back (reconnecting, or given up): a
 * command would only wait out its retries and fail, so a caller that can do without Redis skips it
 * at once. A client still making its first connection is not down: its commands wait for it.
 */
export function isRedisDown(redis: RedisClient): boolean {
  return redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end';
}

export class RedisUnavailableError extends Error {}

/** One quick round trip, so a command can say "Redis is not reachable at …" instead of waiting forever. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const quick: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  };
  const redis = isRedisClusterUrl(url)
    ? createCluster(url, quick, { lazyConnect: true, clusterRetryStrategy: () => null })
    : new Redis(url, quick);
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
  if (isRedisClusterUrl(url)) return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}
