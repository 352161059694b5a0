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

describe('classifySmtpError: may the server have taken the message?', () => {
  it.each<[string, Fields & { timeoutType?: string }, boolean]>([
    [
      'a 4xx reply: deferred, not taken',
      { code: 'EMESSAGE', responseCode: 451, response: '451 Try later', command: 'DATA' },
      false,
    ],
    ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, false],
    ['no such host', { code: 'EDNS', originalCode: 'ENOTFOUND' }, false],
    ['no greeting in time', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT', command: 'CONN' }, false],
    ['login failed', { code: 'EAUTH', command: 'API' }, false],
    [
      'silent server after the data (idle timeout)',
      { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', command: 'CONN' },
      true,
    ],
    ['connection closed mid-session', { code: 'ECONNECTION', command: 'CONN' }, true],
    ['an error nodemailer did not describe', {}, true],
  ])('%s', (_name, fields, uncertain) => {
    const error = classifySmtpError(smtpError(fields));
    expect(error).toBeInstanceOf(MailTemporaryError);
    expect((error as MailTemporaryError).uncertain).toBe(uncertain);
  });
});
