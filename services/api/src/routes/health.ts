import { checkReadiness, type ReadinessChecks } from '@paperboy/runtime/health';
import type { FastifyInstance } from 'fastify';
import type { HealthAnswer, ReadinessAnswer } from '../contract/responses.js';

/**
 * GET /healthz (alive) and, given the process's checks, GET /readyz (503 naming what failed).
 * Probes come every few seconds for months: their requests are not logged at info (a readiness
 * failure is, as a warning).
 */
export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessChecks | undefined): void {
  const quiet = { logLevel: 'warn' } as const;
  app.get<{ Reply: HealthAnswer }>('/healthz', quiet, async () => ({ status: 'ok' }));
  if (!readiness) return;
  app.get<{ Reply: { 200: ReadinessAnswer; 503: ReadinessAnswer } }>('/readyz', quiet, async (request, reply) => {
    const result = await checkReadiness(readiness);
    if (result.status !== 'ok') request.log.warn({ checks: result.checks }, 'not ready');
    return reply.code(result.status === 'ok' ? 200 : 503).send(result);
  });
}
