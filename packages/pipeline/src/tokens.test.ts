import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeEmail, signToken, verifyToken } from './tokens.js';

const now = new Date('2026-11-28T12:00:00Z');

describe('signed tokens', () => {
  it('round-trips and binds purpose, subscriber and expiry', () => {
    const token = signToken('s3cret', 'unsubscribe', 42, null, 3);
    expect(verifyToken('s3cret', token, 'unsubscribe', now)).toEqual({ ok: true, subscriberId: 42, version: 3 });
    expect(verifyToken('s3cret', token, 'confirm', now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(verifyToken('other', token, 'unsubscribe', now)).toEqual({ ok: false, reason: 'bad-signature' });
    const expired = signToken('s3cret', 'confirm', 7, new Date('2026-11-27T00:00:00Z'), 1);
    expect(verifyToken('s3cret', expired, 'confirm', now)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects tampering and garbage', () => {
    const token = signToken('s3cret', 'preferences', 1, null, 1);
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'preferences', s: 2, e: 0 })).toString('base64url');
    expect(verifyToken('s3cret', `${forged}.${signature}`, 'preferences', now).ok).toBe(false);
    expect(verifyToken('s3cret', `${payload}`, 'preferences', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken('s3cret', 'a.b.c', 'preferences', now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reads a token minted before versions existed (no `v`) as version 1', () => {
    // The format digests sent before token versions carry: {p, s, e}, HMAC-SHA256, base64url.
    const payload = Buffer.from(JSON.stringify({ p: 'unsubscribe', s: 9, e: 0 })).toString('base64url');
    const legacy = `${payload}.${createHmac('sha256', 's3cret').update(payload).digest('base64url')}`;
    expect(verifyToken('s3cret', legacy, 'unsubscribe', now)).toEqual({ ok: true, subscriberId: 9, version: 1 });
    // Same payload shape as a version-1 token minted now, except for the version field.
    const current = signToken('s3cret', 'unsubscribe', 9, null, 1);
    expect(JSON.parse(Buffer.from(current.split('.')[0]!, 'base64url').toString())).toEqual({
      p: 'unsubscribe',
      s: 9,
      e: 0,
      v: 1,
    });
  });

  it('refuses a version that is not a positive whole number', () => {
    for (const v of [0, -1, 1.5, '2', null]) {
      const payload = Buffer.from(JSON.stringify({ p: 'unsubscribe', s: 9, e: 0, v })).toString('base64url');
      const token = `${payload}.${createHmac('sha256', 's3cret').update(payload).digest('base64url')}`;
      expect(verifyToken('s3cret', token, 'unsubscribe', now), JSON.stringify(v)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });
});

describe('feedback and feed tokens', () => {
  const sign = (paperId: number, signal: 1 | -1) => signToken('s3cret', 'feedback', 5, null, 2, { paperId, signal });

  it('binds the paper and the signal to the subscriber', () => {
    expect(verifyToken('s3cret', sign(77, -1), 'feedback', now)).toEqual({
      ok: true,
      subscriberId: 5,
      version: 2,
      feedback: { paperId: 77, signal: -1 },
    });
    // Another purpose's link is no feedback link, and a feedback link opens nothing else.
    expect(verifyToken('s3cret', sign(77, 1), 'preferences', now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    const feed = signToken('s3cret', 'feed', 5, null, 2);
    expect(verifyToken('s3cret', feed, 'feedback', now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(verifyToken('s3cret', feed, 'feed', now)).toEqual({ ok: true, subscriberId: 5, version: 2 });
  });

  it('refuses a flipped signal or another paper (the signature covers both), and a claim that is not one', () => {
    const [payload, signature] = sign(77, 1).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    for (const changed of [
      { ...claims, g: -1 },
      { ...claims, x: 78 },
    ]) {
      const forged = Buffer.from(JSON.stringify(changed)).toString('base64url');
      expect(verifyToken('s3cret', `${forged}.${signature}`, 'feedback', now)).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
    const mint = (extra: object) => {
      const body = Buffer.from(JSON.stringify({ p: 'feedback', s: 5, e: 0, v: 2, ...extra })).toString('base64url');
      return `${body}.${createHmac('sha256', 's3cret').update(body).digest('base64url')}`;
    };
    for (const extra of [
      {},
      { x: 77 },
      { x: 77, g: 0 },
      { x: 77, g: 2 },
      { x: '77', g: 1 },
      { x: 0, g: 1 },
      { x: 1.5, g: 1 },
    ])
      expect(verifyToken('s3cret', mint(extra), 'feedback', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('normalizeEmail', () => {
  it.each([
    [' Ada@Example.ORG ', 'ada@example.org'],
    ['no-at-sign', null],
    ['a@b', null],
    ['a b@example.org', null],
    ['x@example.org\r\nBcc: y@z.org', null],
    ['a\u0000@example.org', null], // Postgres refuses NUL: a 500 before
    ['\ud800@example.org', null], // stored and mailed as U+FFFD
    ['ad\u202ea@example.org', null], // a bidi override
    ['ad\u200ba@example.org', null], // zero-width space
    ['ad\u007fa@example.org', null],
    ['josé@exemple.fr', 'josé@exemple.fr'],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toBe(expected);
  });
});
