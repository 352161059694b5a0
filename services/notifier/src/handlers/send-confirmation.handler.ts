import type { Config } from '@paperboy/config';
import { type Db, lazyLinkSecret, SubscriberRepository } from '@paperboy/db';
import { jobLogger, type Logger } from '@paperboy/logger';
import { MailPermanentError, type MailTransport } from '@paperboy/mail';
import {
  type Job,
  type SendConfirmationPayload,
  type SendConfirmationResult,
  UnrecoverableError,
} from '@paperboy/queue';
import { buildConfirmationMail } from '../confirmation-mail.js';
import type { MailRateLimit } from '../mail-rate.js';

/**
 * send-confirmation: the double opt-in mail of a pending subscriber, on the `notify` queue (so the
 * mail rate limit covers it). One of the address's mails for the hour is claimed in Postgres before
 * the SMTP transaction: however many requests name an address, it gets at most
 * PAPERBOY_CONFIRMATIONS_PER_HOUR mails, and requests beyond that send nothing (the API's answer is
 * the same either way). A 4xx gives the claim back and retries with backoff; a 5xx fails at once.
 */
export function createSendConfirmationHandler(deps: {
  db: Db;
  logger: Logger;
  config: Config;
  transport: MailTransport;
  now?: () => Date;
  rateLimit?: MailRateLimit;
}) {
  const subscribers = new SubscriberRepository(deps.db);
  const now = deps.now ?? (() => new Date());
  const linkSecret = lazyLinkSecret(deps.db, deps.config.mail.secret);
  return async (payload: SendConfirmationPayload, job: Job): Promise<SendConfirmationResult> => {
    const log = jobLogger(deps.logger, job);
    const secret = await linkSecret(); // before the claim: a failed look-up must not use up a mail
    await deps.rateLimit?.take(1); // one mail of PAPERBOY_MAIL_PER_MINUTE, before the claim
    const claim = await subscribers.claimConfirmation(payload.subscriberId, deps.config.mail.confirmationsPerHour);
    if ('refused' in claim) {
      await deps.rateLimit?.giveBack(1);
      log.info(
        { subscriberId: payload.subscriberId, reason: claim.refused },
        claim.refused === 'limited'
          ? 'confirmation not sent: the address had its mails for the hour'
          : 'confirmation not sent: no longer pending',
      );
      return { outcome: claim.refused };
    }
    let sent: Awaited<ReturnType<typeof deps.transport.send>>;
    try {
      sent = await deps.transport.send(
        buildConfirmationMail(deps.config, secret, { id: payload.subscriberId, ...claim }, now()),
      );
    } catch (error) {
      const err = error as Error;
      if (error instanceof MailPermanentError) {
        log.warn({ subscriberId: payload.subscriberId, err: err.message }, 'confirmation refused permanently');
        throw new UnrecoverableError(err.message);
      }
      await subscribers.releaseConfirmation(payload.subscriberId);
      log.warn({ subscriberId: payload.subscriberId, err: err.message }, 'confirmation not sent: will retry');
      throw err;
    }
    log.info({ subscriberId: payload.subscriberId }, 'confirmation sent');
    return { outcome: 'sent', messageId: sent.messageId };
  };
}
