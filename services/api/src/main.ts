import { createAppContext } from '@paperboy/app';
import { loadConfig } from '@paperboy/config';
import { createDb, StuckDeliveryRepository } from '@paperboy/db';
import { metricsHandler } from '@paperboy/metrics';
import { loadTaxonomy } from '@paperboy/pipeline';
import { QueueName } from '@paperboy/queue';
import { listenError, readinessChecks, runService, warnIfDatabaseNotReady } from '@paperboy/runtime';
import { buildApi } from './app.js';
import { readPoolOptions } from './read-pool.js';
import { publicUrlProblem, startupSummary } from './startup.js';

// Entrypoint of the API process: subscribe, confirm and unsubscribe pages, the read API, the
// dashboard page, health and metrics. Listens on HOST (default 0.0.0.0: every interface) and PORT (default 3000).
await runService('api', async () => {
  const config = loadConfig();
  const ctx = createAppContext(config, { name: 'api' });
  // Subscriber links (confirm, unsubscribe, preferences) are signed with PAPERBOY_SECRET (loadConfig
  // refused a short or published one), else with the secret kept in the database (read on first use).
  await warnIfDatabaseNotReady(ctx);
  // The read API and the dashboard query a pool of their own: DATABASE_READ_URL (a streaming
  // replica) when set, else the primary. Its connections carry PAPERBOY_API_STATEMENT_TIMEOUT_MS as
  // statement_timeout (read-pool.ts), so no read can hold a connection (and its client) for long; writes
  // (subscriptions, links), migrations and every other process keep no such limit. Closed with the
  // other connections.
  const replica = config.databaseReadUrl !== config.databaseUrl;
  const readDb = createDb(
    config.databaseReadUrl,
    readPoolOptions(config, (error) =>
      ctx.logger.warn({ err: error.message }, `Postgres ${replica ? 'read replica' : 'read'} connection lost`),
    ),
  );
  ctx.lifecycle.addResource('read database', () => readDb.destroy());
  const stuck = new StuckDeliveryRepository(ctx.db);
  ctx.metrics.watchStuckDeliveries(config.mail.stuckMinutes, () => stuck.countStuck(config.mail.stuckMinutes));
  const app = await buildApi({
    db: ctx.db,
    readDb,
    config,
    logger: ctx.logger,
    redis: ctx.producerRedis,
    // Confirmation mails are queued here and sent by the notifier (the API holds no mail transport).
    jobs: ctx.queues,
    taxonomy: loadTaxonomy(config.taxonomyPath),
    queues: Object.values(QueueName).map((name) => ctx.queues.get(name)),
    // The replica's own check only when it is one (the read pool on the primary is the primary).
    readiness: readinessChecks({ ...ctx, ...(replica ? { readDb } : {}) }),
    metrics: metricsHandler(ctx.metrics.registry),
  });
  const { host, port } = config.api;
  await app.listen({ host, port }).catch((error: unknown) => {
    throw listenError('PORT', port, error);
  });
  // PORT=0 listens on a free port: the address says which.
  const address = app.server.address();
  const listeningPort = typeof address === 'object' && address ? address.port : port;
  ctx.logger.info(startupSummary(config, listeningPort), 'API started');
  const problem = publicUrlProblem(config.mail.publicUrl, listeningPort);
  if (problem) ctx.logger.warn(problem);
  ctx.lifecycle.addWorker({ name: 'http', run: async () => {}, close: async () => void (await app.close()) });
  ctx.lifecycle.installSignalHandlers();
});
