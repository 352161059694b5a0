import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links for subscribers (confirm, unsubscribe, preferences, feedback on a paper, a private
 * feed): `<payload>.<signature>`, the payload base64url JSON `{ p: purpose, s: subscriber id,
 * e: expiry (s since epoch, 0 = never), v: the subscriber's token version }` and, for feedback only,
 * `x: paper id, g: signal (1 "more like this", -1 "less like this")`; the signature HMAC-SHA256 over
 * the payload with the server's secret. Pure: the clock is passed in; comparing the version with the
 * subscriber's current one (so a bump revokes older links) is the caller's job.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences' | 'feedback' | 'feed';

/** What a feedback link says: this reader wants more (1) or less (-1) like this paper. */
export interface FeedbackClaim {
  paperId: number;
  signal: 1 | -1;
}

/** A feedback link must say which paper and which way; no other purpose carries a claim. */
export function signToken(
  secret: string,
  purpose: 'feedback',
  subscriberId: number,
  expiresAt: Date | null,
  version: number,
  feedback: FeedbackClaim,
): string;
export function signToken(
  secret: string,
  purpose: Exclude<TokenPurpose, 'feedback'>,
  subscriberId: number,
  expiresAt: Date | null,
  version: number,
): string;
export function signToken(
  secret: string,
  purpose: TokenPurpose,
  subscriberId: number,
  expiresAt: Date | null,
  version: number,
  feedback?: FeedbackClaim,
): string {
  const payload = Buffer.from(
    JSON.stringify({
      p: purpose,
      s: subscriberId,
      e: expiresAt ? Math.floor(expiresAt.getTime() / 1000) : 0,
      v: version,
      ...(feedback ? { x: feedback.paperId, g: feedback.signal } : {}),
    }),
  ).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

export type TokenCheck =
  | { ok: true; subscriberId: number; version: number; feedback?: FeedbackClaim }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' };

export function verifyToken(secret: string, token: string, purpose: TokenPurpose, now: Date): TokenCheck {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(payload).digest();
  let given: Buffer;
  try {
    given = Buffer.from(signature, 'base64url');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad-signature' };
  let claims: { p?: unknown; s?: unknown; e?: unknown; v?: unknown; x?: unknown; g?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (typeof claims.s !== 'number' || typeof claims.e !== 'number') return { ok: false, reason: 'malformed' };
  // Links mailed before token versions carry no `v`: they are version 1, every subscriber's first.
  const version = claims.v === undefined ? 1 : claims.v;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    return { ok: false, reason: 'malformed' };
  if (claims.e !== 0 && claims.e * 1000 < now.getTime()) return { ok: false, reason: 'expired' };
  if (purpose !== 'feedback') return { ok: true, subscriberId: claims.s, version };
  const paperId = claims.x;
  if (
    typeof paperId !== 'number' ||
    !Number.isSafeInteger(paperId) ||
    paperId < 1 ||
    (claims.g !== 1 && claims.g !== -1)
  )
    return { ok: false, reason: 'malformed' };
  return { ok: true, subscriberId: claims.s, version, feedback: { paperId, signal: claims.g } };
}

/** Lower-cased and trimmed, or null when it is not a plausible address. Deliberately simple: the confirmation mail is the real check. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  // Control, format (bidi overrides, zero-width) and lone surrogate characters, and U+FFFD (what
  // broken input decodes to): never in an address one can mail (Postgres refuses NUL; a lone
  // surrogate is sent as U+FFFD, to someone else).
  if (email.length > 254 || /[\s<>"(),;:\\[\]]/.test(email) || /[\p{Cc}\p{Cf}\p{Cs}\uFFFD]/u.test(email)) return null;
  return /^[^@]+@[^@]+\.[^@.]+$/.test(email) ? email : null;
}
