import type { Config } from '@paperboy/config';
import { type Db, DigestRepository, lazyLinkSecret, SubscriberRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { MailPermanentError, MailTemporaryError, type MailTransport } from '@paperboy/mail';
import type { Metrics } from '@paperboy/metrics';
import { type Job, type SendDigestPayload, type SendDigestResult, UnrecoverableError } from '@paperboy/queue';
import { DigestCandidates } from '../candidates.js';
import { buildDigestMail } from '../digest-mail.js';
import type { MailRateLimit } from '../mail-rate.js';
import { finishAnnouncing } from '../period-events.js';

/**
 * send-digest: one subscriber's digest for one period, at most once. The planner now queues
 * send-digests (a chunk of deliveries, the same guarantee per delivery); this job stays for jobs
 * queued before an upgrade and for `digest resend-stuck`.
 *
 * The delivery is claimed in the database (planned → claimed) before the SMTP transaction, and a
 * claimed delivery is never claimed again. So a digest the server accepted is never sent a second
 * time, whatever crashes or retries follow: a crash between the claim and the end of the SMTP
 * transaction leaves the delivery `claimed`, and that digest is not sent (at most once, not at
 * least once: missing one digest beats sending two). A 4xx SMTP reply releases the claim and the
 * job retries with backoff; a 5xx marks the delivery failed and counts a bounce.
 * A delivery left claimed that way is "stuck" after PAPERBOY_STUCK_DELIVERY_MINUTES: counted in
 * /metrics and on the dashboard, and re-sent only when an operator runs `paperboy digest
 * resend-stuck --yes` (which releases the claim and queues a new job: at least once, for those).
 */
export function createSendDigestHandler(deps: {
  db: Db;
  logger: Logger;
  config: Config;
  transport: MailTransport;
  candidates?: DigestCandidates;
  metrics?: Metrics;
  rateLimit?: MailRateLimit;
}) {
  const subscribers = new SubscriberRepository(deps.db);
  const candidates = deps.candidates ?? new DigestCandidates(deps.db, { weights: deps.config.ranking });
  const linkSecret = lazyLinkSecret(deps.db, deps.config.mail.secret);
  return async (payload: SendDigestPayload, job: Job): Promise<SendDigestResult> => {
    const log = jobLogger(deps.logger, job);
    await deps.rateLimit?.take(1); // one mail of PAPERBOY_MAIL_PER_MINUTE, before the claim
    const claim = await subscribers.claimDelivery(payload.deliveryId);
    if (!claim) {
      await deps.rateLimit?.giveBack(1);
      log.info({ deliveryId: payload.deliveryId }, 'delivery already claimed, done or no longer wanted: nothing sent');
      return { outcome: 'not-claimed', papers: 0 };
    }
    const papers = await candidates.digestPapers(claim.subscriberId);
    if (papers.length === 0 && deps.config.mail.skipEmpty) {
      await finishAnnouncing(deps.db, deps.metrics, async (trx) => {
        await new SubscriberRepository(trx).finishDelivery(payload.deliveryId, {
          status: 'skipped',
          error: 'no papers',
        });
        return [payload.deliveryId];
      });
      deps.metrics?.countEmail('skipped');
      return { outcome: 'skipped', papers: 0 };
    }
    const mail = buildDigestMail(
      { ...deps.config.mail, secret: await linkSecret() },
      { id: claim.subscriberId, email: claim.email, tokenVersion: claim.tokenVersion },
      claim.periodKey,
      papers,
    );
    let sent: Awaited<ReturnType<typeof deps.transport.send>>;
    try {
      sent = await deps.transport.send(mail);
    } catch (error) {
      const err = error as Error;
      if (error instanceof MailPermanentError) {
        await finishAnnouncing(deps.db, deps.metrics, async (trx) => {
          await new SubscriberRepository(trx).finishDelivery(payload.deliveryId, {
            status: 'failed',
            error: err.message,
          });
          return [payload.deliveryId];
        });
        deps.metrics?.countEmail('failed');
        const bounced = await subscribers.recordHardBounce(claim.subscriberId, deps.config.mail.bounceLimit);
        log.warn({ deliveryId: payload.deliveryId, err: err.message, bounced }, 'digest refused permanently');
        throw new UnrecoverableError(err.message);
      }
      if (error instanceof MailTemporaryError && error.uncertain) {
        // The server may have accepted it (no reply, the connection lost or timed out): sending it
        // again could deliver it twice. Left claimed, it is at most once; after
        // PAPERBOY_STUCK_DELIVERY_MINUTES it shows as stuck, for an operator to re-send or not.
        await subscribers.noteDeliveryError(payload.deliveryId, `outcome unknown: ${err.message}`);
        log.warn(
          { deliveryId: payload.deliveryId, err: err.message },
          'digest outcome unknown (no reply from the SMTP server): left claimed, not retried',
        );
        throw new UnrecoverableError(`outcome unknown, left claimed: ${err.message}`);
      }
      await subscribers.releaseDelivery(payload.deliveryId, err.message);
      log.warn({ deliveryId: payload.deliveryId, err: err.message }, 'digest not sent: will retry');
      throw err;
    }
    await finishAnnouncing(deps.db, deps.metrics, async (trx) => {
      await new SubscriberRepository(trx).finishDelivery(payload.deliveryId, {
        status: 'sent',
        messageId: sent.messageId,
        ...(sent.response ? { response: sent.response } : {}),
      });
      await new DigestRepository(trx).recordDeliveredPapers(
        claim.subscriberId,
        payload.deliveryId,
        papers.map((p) => p.id),
      );
      return [payload.deliveryId];
    });
    deps.metrics?.countEmail('sent');
    log.info({ deliveryId: payload.deliveryId, papers: papers.length }, 'digest sent');
    return { outcome: 'sent', papers: papers.length, messageId: sent.messageId };
  };
}
