/**
 * Send failures carry the retry decision. A temporary one (4xx reply, connection lost,
 * timeout, server unreachable) is worth another attempt later; a permanent one (5xx reply
 * to the sender, recipient or message) is not: mark the delivery failed or bounced.
 */
export class MailError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The SMTP reply code, `null` when the failure carried none (network, timeout). */
    readonly responseCode: number | null = null,
    /** The SMTP reply text as the server sent it, `null` when there was none. */
    readonly response: string | null = null,
    /** Nodemailer's error code (`EENVELOPE`, `EMESSAGE`, `ECONNECTION`, `ETIMEDOUT`…), when known. */
    readonly code: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MailTemporaryError extends MailError {
  constructor(message: string, responseCode: number | null = null, response: string | null = null, code: string | null = null, options?: ErrorOptions) {
    super(message, true, responseCode, response, code, options);
  }
}

export class MailPermanentError extends MailError {
  constructor(message: string, responseCode: number | null = null, response: string | null = null, code: string | null = null, options?: ErrorOptions) {
    super(message, false, responseCode, response, code, options);
  }
}

/** The fields nodemailer sets on the errors it reports. */
interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
}

/**
 * Maps a nodemailer failure to a `MailError`:
 * - 5xx reply (other than 503, below, and authentication failures) → permanent;
 * - 4xx reply, and every failure without a reply (connection refused or lost, DNS, TLS,
 *   timeouts) → temporary;
 * - 503 "bad sequence of commands" says the session was in a wrong state, not that the
 *   message was refused (RFC 5321), and a failed login (`EAUTH`) is our configuration's fault,
 *   not the recipient's: both temporary, so a subscriber is never marked bounced for them;
 * - an envelope nodemailer refused before sending (`EENVELOPE` without a reply: no valid
 *   recipient) → permanent, because sending it again cannot help.
 */
export function classifySmtpError(error: unknown): MailError {
  if (error instanceof MailError) return error;
  const fields: SmtpErrorFields = typeof error === 'object' && error !== null ? (error as SmtpErrorFields) : {};
  const message = error instanceof Error ? error.message : String(error);
  const responseCode = typeof fields.responseCode === 'number' ? fields.responseCode : null;
  const response = typeof fields.response === 'string' ? fields.response : null;
  const code = typeof fields.code === 'string' ? fields.code : null;
  const command = typeof fields.command === 'string' ? ` (${fields.command})` : '';
  const options = { cause: error };

  if (responseCode !== null && responseCode >= 500 && responseCode !== 503 && code !== 'EAUTH') {
    return new MailPermanentError(`SMTP server refused the message${command}: ${message}`, responseCode, response, code, options);
  }
  if (responseCode === null && code === 'EENVELOPE') {
    return new MailPermanentError(`invalid envelope: ${message}`, null, null, code, options);
  }
  const what = responseCode === null ? 'SMTP send failed' : `SMTP server deferred the message${command}`;
  return new MailTemporaryError(`${what}: ${message}`, responseCode, response, code, options);
}
