import { describe, expect, it } from 'vitest';
import { classifySmtpError, MailPermanentError, MailTemporaryError } from './errors.js';

function smtpError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error('failed'), fields);
}

type Fields = { code?: string; responseCode?: number; response?: string; command?: string; originalCode?: string };

describe('classifySmtpError', () => {
  it.each<[Fields, typeof MailPermanentError | typeof MailTemporaryError]>([
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 No such user', command: 'RCPT TO' }, MailPermanentError],
    [{ code: 'EMESSAGE', responseCode: 554, response: '554 Rejected', command: 'DATA' }, MailPermanentError],
    [{ code: 'EENVELOPE' }, MailPermanentError],
    [{ code: 'EENVELOPE', responseCode: 452, response: '452 Mailbox full' }, MailTemporaryError],
    [{ code: 'EPROTOCOL', responseCode: 503, response: '503 Bad sequence of commands' }, MailTemporaryError],
    [{ code: 'EAUTH', responseCode: 535, response: '535 Authentication failed' }, MailTemporaryError],
    [{ code: 'ETIMEDOUT' }, MailTemporaryError],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, MailTemporaryError],
    [{}, MailTemporaryError],
  ])('%o → %o', (fields, expected) => {
    const error = classifySmtpError(smtpError(fields));
    expect(error).toBeInstanceOf(expected);
    expect(error.responseCode).toBe(fields.responseCode ?? null);
    expect(error.response).toBe(fields.response ?? null);
    expect(error.cause).toBeInstanceOf(Error);
  });
});
