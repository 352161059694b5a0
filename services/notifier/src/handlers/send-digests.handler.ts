import type { Config } from '@paperboy/config';
import { type Db, type DigestPaper, DigestRepository, lazyLinkSecret, SubscriberRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { MailPermanentError, MailTemporaryError, type MailTransport, type SendResult } from '@paperboy/mail';
import { countEmittedEvents, type Metrics } from '@paperboy/metrics';
import { type Job, type SendDigestsPayload, type SendDigestsResult, UnrecoverableError } from '@paperboy/queue';
import { DigestCandidates } from '../candidates.js';
import { buildDigestMail } from '../digest-mail.js';
import type { MailRateLimit } from '../mail-rate.js';
import { announceFinishedPeriods, finishAnnouncing } from '../period-events.js';

interface SentDigest {
  deliveryId: number;
  subscriberId: number;
  paperIds: number[];
  sent: SendResult;
}

/**
 * Writes sent deliveries (status and delivered papers, in one transaction of two statements) as
 * their sends complete: while one write runs, the sends completing meanwhile gather for the next
 * one, so a quiet chunk writes each mail at once and a busy one writes in groups. A crash loses at
 * most the group being written and the mails still in SMTP: left claimed (stuck), never re-sent.
 * The same transaction announces the digest periods it completes (digest.period_sent).
 */
class SentWriter {
  private pending: SentDigest[] = [];
  private running: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    private readonly db: Db,
    private readonly metrics?: Metrics,
  ) {}

  add(digest: SentDigest): void {
    this.pending.push(digest);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0);
      try {
        const events = await this.db.transaction().execute(async (trx) => {
          await new SubscriberRepository(trx).finishDeliveries(
            group.map((d) => ({
              deliveryId: d.deliveryId,
              status: 'sent' as const,
              messageId: d.sent.messageId,
              ...(d.sent.response ? { response: d.sent.response } : {}),
            })),
          );
          await new DigestRepository(trx).recordDeliveredPapersOf(group);
          return announceFinishedPeriods(
            trx,
            group.map((d) => d.deliveryId),
          );
        });
        countEmittedEvents(this.metrics, events);
      } catch (error) {
        // Those stay claimed (stuck): sent, but not recorded as sent. Never re-sent by themselves.
        this.failure ??= error;
      }
    }
    this.running = null;
  }

  /** Waits for every write; throws the first write's failure. */
  async done(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}

/**
 * Mails being rendered or sent at once by one process, across its chunks: a mail is rendered only
 * when a slot is free, so the rendered mails held in memory are bounded by the slots (a few per
 * pooled connection), not by PAPERBOY_NOTIFY_CONCURRENCY × PAPERBOY_MAIL_CHUNK_SIZE.
 */
export class SendSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.free = Math.max(1, slots);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/** A chunk whose mails got a 4xx (deferred): those were released and the job is retried. */
export class DigestsDeferredError extends Error {}

/**
 * send-digests: the digests of a chunk of planned deliveries, each at most once.
 *
 * The guarantee is the one of send-digest (one delivery per job, kept for jobs queued before the
 * upgrade), per delivery: the chunk's mails are taken from the shared rate limit, then the chunk is
 * claimed in one statement (planned → claimed; a delivery claimed once is never claimed again, so
 * two workers on the same chunk, or a retry of it, split it and never send one digest twice). The
 * claimed ones are rendered and handed to the pooled transport together; each outcome is its own:
 * - accepted (2xx): finished `sent` with its papers recorded, in bulk as sends complete;
 * - a 4xx (or no connection at all): the claim is released (planned again); once the chunk is done
 *   the job throws and BullMQ retries it with backoff, and the retry claims only those still planned;
 * - a 5xx: finished `failed`, a bounce counted (at the limit the subscriber is bounced); not retried;
 * - no reply (connection lost or timed out after the message went out): the server may have taken
 *   it, so it stays claimed, with the error noted: stuck after PAPERBOY_STUCK_DELIVERY_MINUTES,
 *   re-sent only by `paperboy digest resend-stuck --yes`. The job then fails for good ("outcome
 *   unknown, left claimed"), once the chunk's other mails are done, unless a 4xx asks for a retry.
 * A crash (or kill) mid-chunk leaves the chunk's claimed and unfinished deliveries claimed: they are
 * stuck, listed by `paperboy digest stuck`, and not sent again unless an operator says so. So a
 * crash costs at most the chunks in flight (PAPERBOY_NOTIFY_CONCURRENCY of PAPERBOY_MAIL_CHUNK_SIZE).
 */
export function createSendDigestsHandler(deps: {
  db: Db;
  logger: Logger;
  config: Config;
  transport: MailTransport;
  candidates?: DigestCandidates;
  metrics?: Metrics;
  rateLimit?: MailRateLimit;
  /** Shared by the process's chunks (default: 2 per pooled connection). */
  slots?: SendSlots;
}) {
  const subscribers = new SubscriberRepository(deps.db);
  const candidates = deps.candidates ?? new DigestCandidates(deps.db, { weights: deps.config.ranking });
  const slots = deps.slots ?? new SendSlots(2 * deps.config.mail.connections);
  const linkSecret = lazyLinkSecret(deps.db, deps.config.mail.secret);
  return async (payload: SendDigestsPayload, job: Job): Promise<SendDigestsResult> => {
    const log = jobLogger(deps.logger, job);
    const ids = [...new Set(payload.deliveryIds)];
    const secret = await linkSecret(); // before the claim: a failed look-up must not leave claims behind
    // Taken before the claim, so no delivery waits for the limit while claimed (and stuck, if we die).
    await deps.rateLimit?.take(ids.length);
    const claims = await subscribers.claimDeliveries(ids).catch(async (error) => {
      await deps.rateLimit?.giveBack(ids.length).catch(() => {});
      throw error;
    });
    const result: SendDigestsResult = { claimed: claims.length, sent: 0, skipped: 0, failed: 0, uncertain: 0 };
    if (claims.length === 0) {
      await deps.rateLimit?.giveBack(ids.length);
      log.info({ deliveries: ids.length }, 'chunk already claimed, done or no longer wanted: nothing sent');
      return result;
    }
    let papersOf: Map<number, DigestPaper[]>;
    try {
      papersOf = await candidates.digestPapersOf(claims.map((c) => c.subscriberId));
    } catch (error) {
      // Nothing was handed to SMTP yet: give the claims back for the retry (if Postgres is away,
      // this fails too and they stay claimed, stuck: at most once either way).
      await subscribers
        .releaseDeliveries(
          claims.map((c) => c.deliveryId),
          `not sent: ${(error as Error).message}`,
        )
        .catch(() => {});
      throw error;
    }
    const empty = deps.config.mail.skipEmpty
      ? claims.filter((c) => (papersOf.get(c.subscriberId) ?? []).length === 0)
      : [];
    if (empty.length > 0) {
      await finishAnnouncing(deps.db, deps.metrics, async (trx) => {
        await new SubscriberRepository(trx).finishDeliveries(
          empty.map((c) => ({ deliveryId: c.deliveryId, status: 'skipped' as const, error: 'no papers' })),
        );
        return empty.map((c) => c.deliveryId);
      });
      result.skipped = empty.length;
      for (let i = 0; i < empty.length; i++) deps.metrics?.countEmail('skipped');
    }
    await deps.rateLimit?.giveBack(ids.length - claims.length + empty.length);

    const writer = new SentWriter(deps.db, deps.metrics);
    const skipped = new Set(empty.map((c) => c.deliveryId));
    const deferred: string[] = [];
    const outcomes = await Promise.allSettled(
      claims
        .filter((c) => !skipped.has(c.deliveryId))
        .map(async (claim) => {
          const papers = papersOf.get(claim.subscriberId) ?? [];
          let sent: SendResult;
          try {
            sent = await slots.run(() =>
              deps.transport.send(
                buildDigestMail(
                  { ...deps.config.mail, secret },
                  { id: claim.subscriberId, email: claim.email, tokenVersion: claim.tokenVersion },
                  claim.periodKey,
                  papers,
                ),
              ),
            );
          } catch (error) {
            const err = error as Error;
            const at = { deliveryId: claim.deliveryId, err: err.message };
            if (error instanceof MailPermanentError) {
              await finishAnnouncing(deps.db, deps.metrics, async (trx) => {
                await new SubscriberRepository(trx).finishDelivery(claim.deliveryId, {
                  status: 'failed',
                  error: err.message,
                });
                return [claim.deliveryId];
              });
              result.failed += 1;
              deps.metrics?.countEmail('failed');
              const bounced = await subscribers.recordHardBounce(claim.subscriberId, deps.config.mail.bounceLimit);
              log.warn({ ...at, bounced }, 'digest refused permanently');
              return;
            }
            if (error instanceof MailTemporaryError && error.uncertain) {
              // The server may have accepted it: left claimed (at most once), stuck for an operator to decide.
              await subscribers.noteDeliveryError(claim.deliveryId, `outcome unknown: ${err.message}`);
              result.uncertain += 1;
              log.warn(at, 'digest outcome unknown (no reply from the SMTP server): left claimed, not retried');
              return;
            }
            // A 4xx, no connection, or a failure before SMTP (rendering): not sent, so released for the retry.
            await subscribers.releaseDelivery(claim.deliveryId, err.message);
            deferred.push(err.message);
            log.warn(at, 'digest not sent: released, the chunk will retry it');
            return;
          }
          writer.add({
            deliveryId: claim.deliveryId,
            subscriberId: claim.subscriberId,
            paperIds: papers.map((p) => p.id),
            sent,
          });
          result.sent += 1;
          deps.metrics?.countEmail('sent');
        }),
    );
    await writer.done();
    const broken = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (broken) throw broken.reason;
    log.info({ ...result, deferred: deferred.length }, 'digest chunk sent');
    if (deferred.length > 0) {
      throw new DigestsDeferredError(
        `${deferred.length} of ${claims.length} digests deferred, released for a retry (first: ${deferred[0]})`,
      );
    }
    if (result.uncertain > 0) {
      // Failed, not retried (a retry would claim none of them anyway): the job shows in the failed
      // list, as a single send-digest job with that outcome did, for an operator to look at.
      throw new UnrecoverableError(
        `outcome unknown, left claimed: ${result.uncertain} of ${claims.length} digests (${result.sent} sent, ${result.failed} failed, ${result.skipped} skipped); \`paperboy digest stuck\` lists them`,
      );
    }
    return result;
  };
}
