export {
  renderDigest,
  digestMessageId,
  DIGEST_MAX_AUTHORS,
  DIGEST_EXCERPT_CHARS,
  type DigestInput,
  type DigestPaper,
  type RenderedDigest,
  type MailAddress,
} from './digest.js';
export { renderConfirmationMail } from './confirmation.js';
export { escapeHtml, safeUrl, singleLine, truncateAtWord } from './escape.js';
export { MailError, MailTemporaryError, MailPermanentError, classifySmtpError } from './errors.js';
export {
  createTransport,
  outboxFileName,
  type MailTransport,
  type OutgoingMail,
  type SendResult,
  type TransportConfig,
} from './transport.js';
