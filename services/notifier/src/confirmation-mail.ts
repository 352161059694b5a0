import type { Config } from '@paperboy/config';
import { type OutgoingMail, renderConfirmationMail } from '@paperboy/mail';
import { signToken } from '@paperboy/pipeline';

/** How long a confirmation link works. */
export const CONFIRM_TTL_MS = 48 * 3600_000;

/**
 * The double opt-in mail, rendered by @paperboy/mail: a link signed with the link secret and the
 * subscriber's token version that activates the subscriber, valid for 48 hours from sending.
 */
export function buildConfirmationMail(
  config: Config,
  secret: string,
  subscriber: { id: number; email: string; tokenVersion: number },
  now: Date,
): OutgoingMail {
  const token = signToken(
    secret,
    'confirm',
    subscriber.id,
    new Date(now.getTime() + CONFIRM_TTL_MS),
    subscriber.tokenVersion,
  );
  const confirmUrl = `${config.mail.publicUrl}/confirm?token=${token}`;
  return renderConfirmationMail({ from: config.mail.from, to: subscriber.email, confirmUrl });
}
