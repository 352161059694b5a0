import type { Config } from '@paperboy/config';
import { positionAfter as after, type Db, EventRepository, type StoredEvent, WebhookRepository } from '@paperboy/db';
import { FetchError, postJson } from '@paperboy/http';
import { jobLogger, type Logger } from '@paperboy/logger';
import type { Metrics } from '@paperboy/metrics';
import { envelopeOf, signatureHeader, withoutUrlSecrets } from '@paperboy/pipeline';
import { DelayedError, type DeliverWebhookPayload, type Job } from '@paperboy/queue';
import { retryDelayMs } from '../webhooks/backoff.js';
import { sendInOrder } from '../webhooks/in-order.js';

export interface DeliverWebhookResult {
  endpointId: number;
  /** skipped: the endpoint is gone or disabled; caught-up: nothing left to send; disabled: by this run. */
  outcome: 'skipped' | 'caught-up' | 'disabled';
  delivered: number;
  failed: number;
}

export interface DeliverWebhookDeps {
  db: Db;
  logger: Logger;
  config: Config;
  metrics?: Metrics;
  /** An endpoint failing every attempt this long is disabled; default PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES (tests pass less). */
  disableAfterMs?: number;
  /** Events read per round; default 500. */
  batchSize?: number;
  /** How long one job delivers before it gives its worker slot back (it continues as the next job); default 10 s. */
  budgetMs?: number;
}

const WEBHOOK_ADDRESS_POLICY = { verb: 'deliver to', setting: 'PAPERBOY_WEBHOOK_ALLOW_PRIVATE' };

/** What one event's deliveries are ordered by: its paper, else its source, else nothing but itself. */
export function orderKey(event: StoredEvent): string {
  if (event.paperId !== null) return `paper:${event.paperId}`;
  if (event.source !== null) return `source:${event.source}`;
  return `event:${event.position.id}`;
}

/** A duration as an operator reads it: minutes, or seconds when under one. */
const spoken = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** Puts the job back until `at` without spending an attempt (BullMQ's pattern: move, then DelayedError). */
async function delayUntil(job: Job, token: string | undefined, at: number): Promise<never> {
  if (!token) throw new Error('deliver-webhook: cannot delay the job without its lock token');
  await job.moveToDelayed(Math.max(at, Date.now()), token);
  throw new DelayedError();
}

/**
 * deliver-webhook: walks one endpoint's position in the outbox forward, posting each event that
 * passes its filter as a signed JSON envelope. All delivery state is in Postgres (the position and
 * the failure run), so a lost job loses nothing: the relay offers it again.
 * - Up to PAPERBOY_WEBHOOK_CONCURRENCY requests in flight, events of one paper one after another.
 * - The position moves through the longest run of accepted events (2xx) from its start; after a
 *   failure (any other status, a timeout, a refused address) the job waits out the backoff
 *   (PAPERBOY_WEBHOOK_RETRY_BASE_MS doubled per failure, up to PAPERBOY_WEBHOOK_RETRY_MAX_MS) and
 *   starts again there; an endpoint failing for PAPERBOY_WEBHOOK_DISABLE_AFTER_MINUTES is disabled.
 * - Works in rounds for at most `budgetMs`, then continues as its own next run.
 */
export function createDeliverWebhookHandler(deps: DeliverWebhookDeps) {
  const webhooks = new WebhookRepository(deps.db);
  const events = new EventRepository(deps.db);
  const settings = deps.config.webhooks;
  const disableAfterMs = deps.disableAfterMs ?? settings.disableAfterMinutes * 60_000;
  const batchSize = deps.batchSize ?? 500;
  const budgetMs = deps.budgetMs ?? 10_000;
  const userAgent = deps.config.fetch.userAgent;

  return async (payload: DeliverWebhookPayload, job: Job, token?: string): Promise<DeliverWebhookResult> => {
    const log = jobLogger(deps.logger, job).child({ endpoint: payload.endpointId });
    const started = Date.now();
    const result: DeliverWebhookResult = {
      endpointId: payload.endpointId,
      outcome: 'caught-up',
      delivered: 0,
      failed: 0,
    };
    for (;;) {
      const endpoint = await webhooks.get(payload.endpointId);
      if (!endpoint?.enabled) return { ...result, outcome: 'skipped' };
      const label = String(endpoint.id);
      // The backoff is read from Postgres: a job offered again early (Redis lost the delayed one) still waits.
      if (endpoint.consecutiveFailures > 0 && endpoint.lastFailureAt) {
        const due =
          endpoint.lastFailureAt.getTime() +
          retryDelayMs(endpoint.id, endpoint.consecutiveFailures, settings.retryBaseMs, settings.retryMaxMs);
        if (due > Date.now() + 5) await delayUntil(job, token, due);
      }
      const filter = { types: endpoint.eventTypes, topics: endpoint.topics };
      const filtered = endpoint.eventTypes.length > 0 || endpoint.topics.length > 0;
      // Read before the batch: every event up to it is settled, so a short batch has seen all that
      // pass the filter up to it, and the position may pass over the rest (keeps the relay's query cheap).
      const head = filtered ? await events.head() : undefined;
      const batch = await events.after(endpoint.cursor, filter, batchSize);
      if (batch.length === 0) {
        if (head && after(head, endpoint.cursor)) await webhooks.advance(endpoint.id, head, 0, endpoint.cursor);
        return result;
      }

      let lastStatus: number | null = null;
      let lastError = '';
      const sent = await sendInOrder(batch, {
        concurrency: settings.concurrency,
        keyOf: orderKey,
        send: async (event) => {
          const body = JSON.stringify(envelopeOf(event));
          const timer = deps.metrics?.webhookDeliverySeconds.startTimer({ endpoint: label });
          let ok = false;
          try {
            const answer = await postJson(endpoint.url, body, {
              headers: {
                'user-agent': userAgent,
                'paperboy-signature': signatureHeader(endpoint.secret, Math.floor(Date.now() / 1000), body),
                'paperboy-event-id': event.eventId,
                'paperboy-event-type': event.type,
              },
              timeoutMs: settings.timeoutMs,
              allowPrivate: settings.allowPrivate,
              policy: WEBHOOK_ADDRESS_POLICY,
            });
            ok = answer.status >= 200 && answer.status < 300;
            if (ok) lastStatus = answer.status;
            else {
              lastStatus = answer.status;
              lastError = `HTTP ${answer.status}${answer.excerpt ? `: ${answer.excerpt.replace(/\s+/g, ' ').trim()}` : ''}`;
            }
          } catch (error) {
            // Only the request's own failures count against the endpoint; anything else is a bug or an outage: rethrow.
            if (!(error instanceof FetchError)) throw error;
            lastStatus = null;
            lastError = withoutUrlSecrets(error.message, endpoint.url);
          } finally {
            timer?.();
          }
          deps.metrics?.webhookDeliveries.inc({ endpoint: label, outcome: ok ? 'delivered' : 'failed' });
          return ok;
        },
      });
      result.delivered += sent.accepted;
      result.failed += sent.failed;

      if (sent.prefix > 0) {
        let through = batch[sent.prefix - 1]!.position;
        if (sent.prefix === batch.length && batch.length < batchSize && head && after(head, through)) through = head;
        await webhooks.advance(endpoint.id, through, sent.prefix, endpoint.cursor);
        if (sent.failed === 0 && lastStatus !== null) await webhooks.recordSuccessStatus(endpoint.id, lastStatus);
      }
      if (sent.failed > 0) {
        const run = await webhooks.recordFailure(endpoint.id, { status: lastStatus, error: lastError });
        if (!run) return { ...result, outcome: 'skipped' }; // removed meanwhile
        const failingMs = Date.now() - run.failingSince.getTime();
        if (failingMs >= disableAfterMs) {
          const reason = `failed every delivery for ${spoken(failingMs)} (${run.consecutiveFailures} attempts); last error: ${lastError}`;
          await webhooks.setEnabled(endpoint.id, false, reason.slice(0, 1000));
          deps.metrics?.webhooksDisabled.inc({ endpoint: label });
          log.warn(
            { failures: run.consecutiveFailures, failingSince: run.failingSince, lastError },
            'webhook endpoint disabled after failing persistently; `paperboy webhooks enable` turns it back on',
          );
          return { ...result, outcome: 'disabled' };
        }
        const waitMs = retryDelayMs(endpoint.id, run.consecutiveFailures, settings.retryBaseMs, settings.retryMaxMs);
        log.info(
          { failures: run.consecutiveFailures, lastStatus, lastError, retryInMs: waitMs, delivered: result.delivered },
          'webhook delivery failed; retrying after backoff',
        );
        await delayUntil(job, token, Date.now() + waitMs);
      }
      if (batch.length < batchSize) return result;
      // More to send: give the worker slot back now and then (other endpoints wait for it), continuing at once.
      if (Date.now() - started >= budgetMs) await delayUntil(job, token, Date.now());
    }
  };
}
