import type { DigestPaper } from '@paperboy/db';
import { type DigestPaper as MailDigestPaper, type RenderedDigest, renderDigest } from '@paperboy/mail';
import { signToken } from '@paperboy/pipeline';

/** "daily-2026-11-28" → "Daily digest, 2026-11-28"; "weekly-2026-W48" → "Weekly digest, 2026-W48". */
export function periodLabel(periodKey: string): string {
  const [kind, ...rest] = periodKey.split('-');
  return `${kind === 'weekly' ? 'Weekly' : 'Daily'} digest, ${rest.join('-')}`;
}

// A Hugging Face paper page: https://huggingface.co/papers/<id>, with or without www, a trailing part or query.
const HF_PAPER_URL = /^https?:\/\/(?:www\.)?huggingface\.co\/papers\/([A-Za-z0-9][A-Za-z0-9._-]*)(?:[/?#]|$)/i;

/** The Hugging Face id of a stored URL that is a paper's page there, else null. */
export function huggingfaceIdOf(url: string | null): string | null {
  return (url && HF_PAPER_URL.exec(url.trim())?.[1]) || null;
}

/**
 * What a digest shows of a stored paper. Its links are built by the mail from the arXiv id (abstract,
 * PDF) and the Hugging Face id (page, discussion), taken from the stored URL when that is a paper page
 * there; the stored URL itself is the title's link only without either. `topics` and `why` are already
 * those of this reader (`DigestCandidates`); `feedback` are their signed links for this paper.
 */
export function digestPaperView(
  paper: DigestPaper,
  publicUrl: string,
  feedback: MailDigestPaper['feedback'] = null,
): MailDigestPaper {
  return {
    arxivId: paper.arxivId,
    title: paper.title,
    abstract: paper.abstract,
    authors: paper.authors,
    url: paper.url ?? (paper.arxivId ? `https://arxiv.org/abs/${paper.arxivId}` : publicUrl),
    upvotes: paper.upvotes,
    topics: paper.topics,
    huggingfaceId: huggingfaceIdOf(paper.url),
    summary: paper.aiSummary,
    githubRepo: paper.codeUrl,
    githubStars: paper.codeStars,
    projectPage: paper.projectPage,
    why: paper.why,
    feedback,
  };
}

/**
 * A reader's "More like this" / "Less like this" links for one paper: the API's feedback page with a
 * token signing the paper and the signal, of the subscriber's current token version. The paper's own
 * links stay as they are: nothing in a digest tracks who clicked what.
 */
export function feedbackLinks(
  settings: { publicUrl: string; secret: string },
  subscriber: { id: number; tokenVersion: number },
  paperId: number,
): { moreUrl: string; lessUrl: string } {
  const url = (signal: 1 | -1) =>
    `${settings.publicUrl}/feedback?token=${signToken(settings.secret, 'feedback', subscriber.id, null, subscriber.tokenVersion, { paperId, signal })}`;
  return { moreUrl: url(1), lessUrl: url(-1) };
}

export interface DigestMailSettings {
  publicUrl: string;
  from: string;
  /** HMAC secret of subscriber links (`LinkSecretRepository.resolve`). */
  secret: string;
}

/**
 * The digest mail of one subscriber and period, with signed links to unsubscribe, to their
 * preferences and to say "more/less like this" of each paper, of the subscriber's current token
 * version (an older version's links are refused).
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
    papers: papers.map((p) => digestPaperView(p, publicUrl, feedbackLinks(settings, subscriber, p.id))),
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
