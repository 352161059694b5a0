import type { FeedPaper } from '@paperboy/db';
import {
  compactCount,
  DIGEST_EXCERPT_CHARS,
  DIGEST_MAX_AUTHORS,
  escapeHtml,
  shortAuthors,
  shortSummary,
  singleLine,
} from '@paperboy/mail';
import { normalizeArxivId, storedPaperLinks } from '@paperboy/pipeline';
import { xmlSafe } from './xml.js';

/** One entry of a feed, in every format: display-ready text (unescaped, XML-safe) and checked URLs. */
export interface FeedItem {
  /** Stable whatever the paper's counts: its arXiv abstract page, else a tag: URI of its row id. */
  id: string;
  /** Whether `id` is also the paper's page (RSS guid isPermaLink). */
  idIsLink: boolean;
  title: string;
  /** The paper's canonical page (arXiv, else its stored link), or null (none, or only a loopback one). */
  url: string | null;
  /** The digest's summary: the source's short summary, else the abstract's first sentences. */
  summary: string;
  /** HTML: byline, topics and counts, the reason ("why") when given, the summary, the digest's links. */
  contentHtml: string;
  authors: string[];
  /** Topics first, then the source categories (arXiv's), without repeats. */
  categories: string[];
  published: Date;
  updated: Date;
}

/** Structured authors per item at most (a physics paper can list a thousand); the byline says "et al." anyway. */
const MAX_ITEM_AUTHORS = 50;

/**
 * A link a feed reader can follow: http(s), and not this machine (a demo's listing server on a
 * loopback port is gone by the time anyone reads the feed).
 */
export function publicLink(url: string | null): string | null {
  if (!url) return null;
  try {
    const { protocol, hostname } = new URL(url);
    if (protocol !== 'http:' && protocol !== 'https:') return null;
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const loopback =
      host === 'localhost' ||
      host.endsWith('.localhost') ||
      /^127\.\d+\.\d+\.\d+$/.test(host) ||
      host === '::1' ||
      host === '0.0.0.0';
    return loopback ? null : url;
  } catch {
    return null;
  }
}

/** The id of a paper's items: arXiv's abstract page (the paper's name everywhere), else a tag: URI (RFC 4151) of its row. */
export function feedItemId(paper: Pick<FeedPaper, 'id' | 'arxivId'>, host: string): string {
  const arxivId = normalizeArxivId(paper.arxivId);
  return arxivId ? `https://arxiv.org/abs/${arxivId}` : `tag:${host},2026:paper/${paper.id}`;
}

/** The same summary as the digest: the source's short summary, else the abstract, as one or two sentences. */
export function feedSummary(paper: Pick<FeedPaper, 'aiSummary' | 'abstract'>): string {
  const summary = paper.aiSummary ? singleLine(paper.aiSummary) : '';
  return shortSummary(summary || paper.abstract || '', DIGEST_EXCERPT_CHARS);
}

// Characters XML forbids go first (C0 controls among them), then the digest's one-line rule.
const clean = (value: string) => singleLine(xmlSafe(value));

/** A stored paper as a feed item; `why` is the personal ranking's reason (the private feed only). */
export function feedItem(
  paper: FeedPaper,
  options: { host: string; why?: string | null; feedback?: { moreUrl: string; lessUrl: string } | null },
): FeedItem {
  const links = storedPaperLinks(paper);
  const url = publicLink(links.paper);
  const arxivId = normalizeArxivId(paper.arxivId);
  const title = clean(paper.title) || '(untitled)';
  const authors = paper.authors.map(clean).filter(Boolean);
  const topics = paper.topics.map(clean).filter(Boolean);
  const summary = clean(feedSummary(paper));
  const code = publicLink(links.code);
  const stars = links.codeStars === null ? '' : ` (★ ${compactCount(links.codeStars)})`;
  // The digest's links, in its order: PDF, code with stars, project page, discussion.
  const extra = [
    { label: 'Paper', url },
    { label: 'PDF', url: publicLink(links.pdf) },
    { label: `Code${stars}`, url: code },
    { label: 'Project page', url: publicLink(links.projectPage) },
    { label: 'Discussion', url: publicLink(links.discussion) },
  ].filter((l): l is { label: string; url: string } => l.url !== null);
  const meta = [
    topics.join(' · '),
    paper.upvotes === null ? '' : `${paper.upvotes} ${paper.upvotes === 1 ? 'upvote' : 'upvotes'}`,
    arxivId ? `arXiv:${arxivId}` : '',
  ].filter(Boolean);
  const why = options.why ? clean(options.why) : '';
  const byline = shortAuthors(authors, DIGEST_MAX_AUTHORS);
  const paragraphs = [
    byline ? `<p>${escapeHtml(byline)}</p>` : '',
    meta.length ? `<p>${escapeHtml(meta.join(' · '))}</p>` : '',
    why ? `<p><em>Why: ${escapeHtml(why)}</em></p>` : '',
    summary ? `<p>${escapeHtml(summary)}</p>` : '',
    extra.length
      ? `<p>${extra.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a>`).join(' · ')}</p>`
      : '',
    options.feedback
      ? `<p><a href="${escapeHtml(options.feedback.moreUrl)}">More like this</a> · <a href="${escapeHtml(options.feedback.lessUrl)}">Less like this</a></p>`
      : '',
  ];
  const published = new Date(paper.firstSeenAt);
  const details = paper.detailsSeenAt ? new Date(paper.detailsSeenAt) : null;
  return {
    id: feedItemId(paper, options.host),
    idIsLink: arxivId !== null,
    title,
    url,
    summary,
    contentHtml: paragraphs.filter(Boolean).join('\n'),
    authors: authors.slice(0, MAX_ITEM_AUTHORS),
    categories: [...new Set([...topics, ...paper.categories.map(clean).filter(Boolean)])],
    published,
    updated: details && details > published ? details : published,
  };
}
