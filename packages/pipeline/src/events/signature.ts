import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, in the scheme of the common webhook senders (Stripe's): the header
 * `Paperboy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`.
 * The receiver recomputes the HMAC over the raw body it received, compares in constant time, and
 * refuses a timestamp too far from its clock (replays of an old delivery). Several v1 entries may
 * appear (one per secret while a secret is being rotated); any match is enough.
 */
export const SIGNATURE_HEADER = 'paperboy-signature';

/** A new endpoint secret: `whsec_` and 32 random bytes, base64url. The whole string is the HMAC key. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureOf(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value for a delivery of `body` at `timestamp` (unix seconds). */
export function signatureHeader(secrets: string | readonly string[], timestamp: number, body: string | Buffer): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${timestamp}`, ...list.map((s) => `v1=${signatureOf(s, timestamp, body)}`)].join(',');
}

export interface VerifyOptions {
  /** Largest difference allowed between the header's time and now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** Now, in unix seconds (default the clock). */
  now?: number;
}

/** Whether `header` signs `body` with `secret`, within the time tolerance. Never throws on a malformed header. */
export function verifySignature(
  header: string | undefined,
  body: string | Buffer,
  secret: string,
  options: VerifyOptions = {},
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
