import { createHash } from 'node:crypto';
import { DASHBOARD_STYLE } from '../pages/dashboard.js';
import { PAGE_STYLE } from '../pages/layout.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The pages' CSP: no script at all. */
const PAGE_CSP = {
  defaultSrc: ["'none'"],
  styleSrc: [sha256(PAGE_STYLE), sha256(DASHBOARD_STYLE)],
  imgSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/**
 * The dashboard's own CSP (a route option, as the queue board's): the pages' policy plus one script
 * file from here (/dashboard/live.js: no inline script, so no nonce) and connections back here (the
 * live stream, the page's re-fetch).
 */
export const DASHBOARD_HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { ...PAGE_CSP, scriptSrc: ["'self'"], connectSrc: ["'self'"] },
  },
};

/**
 * Security headers of every answer (@fastify/helmet's options). The pages are plain forms with no
 * script: the CSP allows nothing but their two inline style blocks (by hash), images from here, and
 * forms posting here; no framing, no referrer (links carry signed tokens). The queue board has its
 * own CSP (routes/admin.ts).
 */
export function securityHeaders(https: boolean) {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP },
    frameguard: { action: 'deny' as const },
    // Strict-Transport-Security only means something (and only should be sent) over https.
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : (false as const),
    referrerPolicy: { policy: 'no-referrer' as const },
  };
}
