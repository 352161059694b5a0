import { escapeHtml } from './escape.js';
import type { OutgoingMail } from './transport.js';

/**
 * The double opt-in mail (HTML and text) around its confirmation link. The link is signed by the
 * caller (the notifier's send-confirmation job); here it is only written out, escaped in the HTML.
 */
export function renderConfirmationMail(input: { from: string; to: string; confirmUrl: string }): OutgoingMail {
  const link = input.confirmUrl;
  return {
    from: input.from,
    to: input.to,
    subject: 'Confirm your paperboy subscription',
    text: `Confirm your subscription to paperboy digests:\n\n${link}\n\nIf you did not ask for this, ignore this message: nothing will be sent.\n`,
    html: `<p>Confirm your subscription to paperboy digests:</p><p><a href="${escapeHtml(link)}">Confirm my subscription</a></p><p>If you did not ask for this, ignore this message: nothing will be sent.</p>`,
  };
}
