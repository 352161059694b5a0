export { renderConfirmationMail } from './confirmation.js';
export {
  DIGEST_EXCERPT_CHARS,
  DIGEST_MAX_AUTHORS,
  type DigestInput,
  type DigestPaper,
  digestMessageId,
  type MailAddress,
  type RenderedDigest,
  renderDigest,
} from './digest.js';
export { classifySmtpError, MailError, MailPermanentError, MailTemporaryError } from './errors.js';
export { escapeHtml, safeUrl, singleLine, truncateAtWord } from './escape.js';
export { arxivBaseId, compactCount, shortAuthors, shortSummary, splitSentences } from './summary.js';
export {
  createTransport,
  type MailTransport,
  type OutgoingMail,
  outboxFileName,
  type SendResult,
  type TransportConfig,
} from './transport.js';
