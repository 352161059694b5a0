import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { Config } from '@paperboy/config';
import type { Db } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import type { MetricsHandler } from '@paperboy/metrics';
import type { Taxonomy } from '@paperboy/pipeline';
import { Queues, type RedisClient } from '@paperboy/queue';
import type { ReadinessChecks } from '@paperboy/runtime/health';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { adminGuard } from './admin-guard.js';
import { registerEventRoutes } from './events/routes.js';
import type { EventHubOptions } from './events/stream.js';
import { registerFeeds } from './feeds/index.js';
import { setErrorHandler } from './plugins/error-handler.js';
import { redisRateLimitStore } from './plugins/rate-limit-store.js';
import { recordRoutes } from './plugins/route-list.js';
import { securityHeaders } from './plugins/security-headers.js';
import { AnswerCache } from './read/cache.js';
import { createReaderService } from './reader/service.js';
import { registerMetrics, registerQueueBoard } from './routes/admin.js';
import { registerDashboardPage } from './routes/dashboard.js';
import { registerFeedbackRoutes } from './routes/feedback.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOpenApi } from './routes/openapi.js';
import { registerPreferencesApi } from './routes/preferences-api.js';
import { registerReadApi } from './routes/read.js';
import { registerSubscriptionRoutes } from './routes/subscriptions.js';
import { sourceLister } from './sources.js';
import { createSubscriptionService } from './subscriptions/service.js';

export { type RegisteredRoute, registeredRoutes } from './plugins/route-list.js';

export interface ApiDeps {
  db: Db;
  /**
   * Where the read API and the dashboard page query (DATABASE_READ_URL: a replica); default `db`.
   * Only pages that neither write nor need to read their own writes use it.
   */
  readDb?: Db;
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** Where subscribe requests enqueue their confirmation mail (default: queues on `redis`). */
  jobs?: Queues;
  taxonomy: Taxonomy;
  /** Queues shown on the admin board, and whose depth /metrics reports. */
  queues?: readonly Queue[];
  /** Readiness checks and metrics of the process, for /readyz and /metrics. */
  readiness?: ReadinessChecks;
  metrics?: MetricsHandler;
  /**
   * How long the read API's lists and the dashboard page are served from memory, in milliseconds
   * (default PAPERBOY_READ_CACHE_MS: 2000, well under the lag a streaming replica may add; 0: never).
   * An answer is at most twice this old (src/read/cache.ts).
   */
  readCacheMs?: number;
  /** Per-IP limit on subscribe requests, per minute (default 10). */
  perIpPerMinute?: number;
  /** Per-IP limit on feedback links, per minute (default 60: a reader clicking through a digest stays well under). */
  feedbackPerIpPerMinute?: number;
  /** How long opposite feedback words on one paper count as a mail scanner's (default 2 minutes; reader/service.ts). */
  feedbackScannerWindowMs?: number;
  now?: () => Date;
  /** The live stream's poll and heartbeat periods (tests shorten them; events/stream.ts). */
  eventStream?: EventHubOptions;
}

/** The subscription API and its server-rendered pages: the plugins, then the routes of routes/. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  // X-Forwarded-For names the client only when it comes from a proxy named in PAPERBOY_TRUST_PROXY:
  // otherwise anyone could pick the address that every per-client limit counts.
  // A hop count is supported at run time, though Fastify's types omit it.
  const trustProxy = (
    Array.isArray(deps.config.trustProxy) ? [...deps.config.trustProxy] : deps.config.trustProxy
  ) as FastifyServerOptions['trustProxy'];
  const app = Fastify({ loggerInstance: deps.logger.child({ service: 'api' }) as FastifyBaseLogger, trustProxy });
  recordRoutes(app);
  setErrorHandler(app);
  await app.register(formbody);
  await app.register(helmet, securityHeaders(deps.config.mail.publicUrl.startsWith('https:')));
  await app.register(rateLimit, {
    global: false,
    // Redis unreachable: requests pass uncounted (a reader's click, a feed poll) rather than fail.
    skipOnError: true,
    store: redisRateLimitStore(deps.redis, `${deps.config.keyPrefix}:ratelimit:`, app.log),
  });

  const jobs =
    deps.jobs ?? new Queues(deps.redis, { prefix: deps.config.queuePrefix, fetchAttempts: deps.config.fetch.attempts });
  if (!deps.jobs) app.addHook('onClose', async () => jobs.close());
  const subscriptions = createSubscriptionService({
    db: deps.db,
    secret: deps.config.mail.secret,
    jobs,
    taxonomy: deps.taxonomy,
    now: deps.now ?? (() => new Date()),
    publicUrl: deps.config.mail.publicUrl,
  });
  const readers = createReaderService({
    db: deps.db,
    secret: deps.config.mail.secret,
    jobs,
    redis: deps.redis,
    keyPrefix: deps.config.keyPrefix,
    log: app.log,
    ...(deps.feedbackScannerWindowMs !== undefined ? { scannerWindowMs: deps.feedbackScannerWindowMs } : {}),
  });

  registerHealthRoutes(app, deps.readiness);
  // Queue depths and source health are for operators: behind the admin token (Prometheus sends it as a Bearer token).
  const admin = adminGuard(deps.config.adminToken);
  if (deps.metrics) registerMetrics(app, deps.metrics, admin);
  await registerQueueBoard(app, deps.queues ?? [], deps.config.adminToken);
  // Read-only pages go to the replica (a few seconds behind at worst); everything that writes, or
  // reads what it has just written (subscriptions, links, preferences), stays on the primary.
  const readDb = deps.readDb ?? deps.db;
  // One listing of the sources and their health for /api/sources and the dashboard page (and `paperboy sources`).
  const sources = sourceLister(readDb, deps.config, app.log);
  // One cache of rendered read answers for the process: nothing here writes what they show (read/cache.ts).
  const cache = new AnswerCache(deps.readCacheMs ?? deps.config.readCacheMs);
  registerReadApi(app, { db: readDb, taxonomy: deps.taxonomy, perMinute: deps.config.readPerMinute, sources, cache });
  registerDashboardPage(app, {
    db: readDb,
    sources,
    queues: deps.queues ?? [],
    stuckMinutes: deps.config.mail.stuckMinutes,
    guard: deps.config.publicDashboard ? undefined : admin,
    cache,
  });
  // The live stream reads the primary: its positions must never go backwards, which a replica
  // swapped for another behind a load balancer could do.
  registerEventRoutes(app, {
    db: deps.db,
    config: deps.config,
    taxonomy: deps.taxonomy,
    ...(deps.config.publicDashboard ? {} : { streamGuard: admin }),
    // Bearer only: the dashboard's cookie must not let a page of another origin on the site create an endpoint.
    adminGuard: adminGuard(deps.config.adminToken, { bearerOnly: true }),
    ...(deps.eventStream ? { hub: deps.eventStream } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  registerFeeds(app, { db: readDb, config: deps.config, taxonomy: deps.taxonomy, cache, links: subscriptions });
  registerOpenApi(app, deps.taxonomy, subscriptions.requestDocument, subscriptions.preferencesDocument);
  registerSubscriptionRoutes(app, {
    service: subscriptions,
    readers,
    topics: deps.taxonomy.topics.map((t) => ({ id: t.id, label: t.label })),
    perIpPerMinute: deps.perIpPerMinute ?? 10,
  });
  registerFeedbackRoutes(app, {
    subscriptions,
    readers,
    perIpPerMinute: deps.feedbackPerIpPerMinute ?? 60,
  });
  registerPreferencesApi(app, { subscriptions, readers });
  return app;
}
