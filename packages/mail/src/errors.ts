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
  /**
   * The server may have accepted the message although the send failed: the connection was lost or
   * timed out with no reply, possibly after the message data went out (RFC 5321 §6.1's duplicate
   * problem). Sending it again may deliver it twice.
   */
  readonly uncertain: boolean;

  constructor(
    message: string,
    responseCode: number | null = null,
    response: string | null = null,
    code: string | null = null,
    options?: ErrorOptions & { uncertain?: boolean },
  ) {
    super(message, true, responseCode, response, code, options);
    this.uncertain = options?.uncertain ?? false;
  }
}

export class MailPermanentError extends MailError {
  constructor(
    message: string,
    responseCode: number | null = null,
    response: string | null = null,
    code: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, false, responseCode, response, code, options);
  }
}

/** The fields nodemailer sets on the errors it reports. */
interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  /** The system error's own code (ECONNREFUSED…) when nodemailer replaced it with its own. */
  originalCode?: unknown;
  /** Which of nodemailer's timers fired: CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT. */
  timeoutType?: unknown;
}

/** Failures that come before a mail transaction can begin: the server cannot have taken the message. */
const BEFORE_TRANSACTION_CODES = new Set(['EDNS', 'EAUTH', 'ETLS', 'EENVELOPE', 'EMESSAGE', 'EREQUIRETLS']);
const CONNECT_ERRNOS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/**
 * Whether a failure without a reply may hide a delivery: anything but a failure to connect, to
 * greet or to authenticate (a lost connection or an idle timeout may come after the final dot,
 * before the server's answer).
 */
function mayHaveBeenAccepted(fields: SmtpErrorFields): boolean {
  if (typeof fields.code === 'string' && BEFORE_TRANSACTION_CODES.has(fields.code)) return false;
  if (typeof fields.originalCode === 'string' && CONNECT_ERRNOS.has(fields.originalCode)) return false;
  if (typeof fields.code === 'string' && CONNECT_ERRNOS.has(fields.code)) return false;
  if (typeof fields.timeoutType === 'string' && SETUP_TIMEOUTS.has(fields.timeoutType)) return false;
  return true;
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
    return new MailPermanentError(
      `SMTP server refused the message${command}: ${message}`,
      responseCode,
      response,
      code,
      options,
    );
  }
  if (responseCode === null && code === 'EENVELOPE') {
    return new MailPermanentError(`invalid envelope: ${message}`, null, null, code, options);
  }
  const what = responseCode === null ? 'SMTP send failed' : `SMTP server deferred the message${command}`;
  // A reply (4xx) says the server did not take the message; no reply may mean it did.
  const uncertain = responseCode === null && mayHaveBeenAccepted(fields);
  return new MailTemporaryError(`${what}: ${message}`, responseCode, response, code, { ...options, uncertain });
}
