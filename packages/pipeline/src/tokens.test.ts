import { describe, expect, it } from 'vitest';
import { normalizeEmail, signToken, verifyToken } from './tokens.js';

const now = new Date('2026-11-28T12:00:00Z');

describe('signed tokens', () => {
  it('round-trips and binds purpose, subscriber and expiry', () => {
    const token = signToken('s3cret', 'unsubscribe', 42, null);
    expect(verifyToken('s3cret', token, 'unsubscribe', now)).toEqual({ ok: true, subscriberId: 42 });
    expect(verifyToken('s3cret', token, 'confirm', now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(verifyToken('other', token, 'unsubscribe', now)).toEqual({ ok: false, reason: 'bad-signature' });
    const expired = signToken('s3cret', 'confirm', 7, new Date('2026-11-27T00:00:00Z'));
    expect(verifyToken('s3cret', expired, 'confirm', now)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects tampering and garbage', () => {
    const token = signToken('s3cret', 'preferences', 1, null);
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'preferences', s: 2, e: 0 })).toString('base64url');
    expect(verifyToken('s3cret', `${forged}.${signature}`, 'preferences', now).ok).toBe(false);
    expect(verifyToken('s3cret', `${payload}`, 'preferences', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken('s3cret', 'a.b.c', 'preferences', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('normalizeEmail', () => {
  it.each([
    [' Ada@Example.ORG ', 'ada@example.org'],
    ['no-at-sign', null],
    ['a@b', null],
    ['a b@example.org', null],
    ['x@example.org\r\nBcc: y@z.org', null],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toBe(expected);
  });
});
