import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { isRedisDown, type RedisClient } from '@paperboy/queue';

/**
 * Counts one request in KEYS[1]'s window of ARGV[1] ms and returns { count, ms left }. A key left
 * without an expiry (it cannot happen through this script, but a lost PEXPIRE would ban a client for
 * ever) gets one. One key, so it works on Redis Cluster too.
 */
const COUNT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

/**
 * The per-client limits' store for @fastify/rate-limit: a fixed window per key in Redis, shared by
 * every API process, under `<namespace><key>`. Our limits are made with `app.rateLimit()` and name
 * their purpose in their key (`feedback:<ip>`); the plugin's own Redis store would put the route's
 * method and URL before it, which such a limit does not have (keys read `…undefinedundefined-…`). A
 * limit set in a route's config gets its method and URL, as with the plugin's store.
 *
 * While Redis is unreachable the limits are not counted (registered with `skipOnError`): a reader's
 * click or a feed reader's poll is answered rather than failed, and a warning is logged at most once
 * a minute. A Redis known to be down fails the count at once instead of after the client's retries.
 */
export function redisRateLimitStore(
  redis: RedisClient,
  namespace: string,
  log: { warn(details: object, message: string): void },
): FastifyRateLimitStoreCtor {
  let warnedAt = Number.NEGATIVE_INFINITY;
  const failed = (error: Error) => {
    if (Date.now() - warnedAt >= 60_000) {
      warnedAt = Date.now();
      log.warn({ err: error.message }, 'per-client limits not counted: Redis unreachable (requests let through)');
    }
    return error;
  };
  class RedisWindowStore implements FastifyRateLimitStore {
    private readonly prefix: string;

    constructor(options: FastifyRateLimitOptions & { routeInfo?: { method?: string; url?: string } } = {}) {
      const route = options.routeInfo;
      this.prefix = route?.method && route.url ? `${namespace}${route.method}${route.url}:` : namespace;
    }

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow?: number,
    ): void {
      if (isRedisDown(redis)) {
        callback(failed(new Error(`Redis is ${redis.status}`)));
        return;
      }
      redis.eval(COUNT, 1, `${this.prefix}${key}`, timeWindow ?? 60_000).then(
        (reply) => {
          const [current, ttl] = reply as [number, number];
          callback(null, { current, ttl });
        },
        (error: Error) => callback(failed(error)),
      );
    }

    child(
      routeOptions: FastifyRateLimitOptions & { routeInfo?: { method?: string; url?: string } },
    ): FastifyRateLimitStore {
      return new RedisWindowStore(routeOptions);
    }
  }
  return RedisWindowStore;
}
