import type { DigestPaper } from '@paperboy/db';
import { type RenderedDigest, renderDigest } from '@paperboy/mail';
import { signToken } from '@paperboy/pipeline';

/** "daily-2026-11-28" → "Daily digest, 2026-11-28"; "weekly-2026-W48" → "Weekly digest, 2026-W48". */
export function periodLabel(periodKey: string): string {
  const [kind, ...rest] = periodKey.split('-');
  return `${kind === 'weekly' ? 'Weekly' : 'Daily'} digest, ${rest.join('-')}`;
}

export interface DigestMailSettings {
  publicUrl: string;
  from: string;
  /** HMAC secret of subscriber links (`LinkSecretRepository.resolve`). */
  secret: string;
}

/**
 * The digest mail of one subscriber and period, with signed links to unsubscribe and to their
 * preferences, of the subscriber's current token version (an older version's links are refused).
 */
export function buildDigestMail(
  settings: DigestMailSettings,
  subscriber: { id: number; email: string; tokenVersion: number },
  periodKey: string,
  papers: readonly DigestPaper[],
): RenderedDigest {
  const { publicUrl, secret, from } = settings;
  const unsubscribe = signToken(secret, 'unsubscribe', subscriber.id, null, subscriber.tokenVersion);
  const preferences = signToken(secret, 'preferences', subscriber.id, null, subscriber.tokenVersion);
  const host = new URL(publicUrl).hostname;
  return renderDigest({
    subscriber: { email: subscriber.email },
    period: { label: periodLabel(periodKey), key: periodKey },
    papers: papers.map((p) => ({
      arxivId: p.arxivId,
      title: p.title,
      abstract: p.abstract,
      authors: p.authors,
      url: p.url ?? (p.arxivId ? `https://arxiv.org/abs/${p.arxivId}` : publicUrl),
      upvotes: p.upvotes,
      topics: p.topics,
    })),
    links: {
      unsubscribeUrl: `${publicUrl}/unsubscribe?token=${unsubscribe}`,
      preferencesUrl: `${publicUrl}/preferences?token=${preferences}`,
      siteUrl: publicUrl,
    },
    listId: `paperboy digest <digest.${host}>`,
    from,
    messageIdDomain: host,
  });
}
