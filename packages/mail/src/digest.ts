import { createHash } from 'node:crypto';
import { escapeHtml, safeUrl, singleLine, truncateAtWord } from './escape.js';
import { arxivBaseId, compactCount, shortAuthors, shortSummary } from './summary.js';

/**
 * A paper as a digest shows it. The optional fields are filled when the sources gave them (today's
 * stored papers have none of them): the mail reads well without any.
 */
export interface DigestPaper {
  /** With or without version ("2611.01234v2"): the links use the id without it. */
  arxivId: string | null;
  title: string;
  abstract: string | null;
  /** As the source lists them, in order; homonymous co-authors stay two names. */
  authors: string[];
  /** Where the paper was seen: its link only when there is no arXiv id nor Hugging Face page. */
  url: string;
  upvotes: number | null;
  /** Shown as given: the caller passes the topics the reader asked for that the paper matches. */
  topics: string[];
  /** The source's short summary (Hugging Face's `ai_summary`), shown instead of the abstract's first sentences. */
  summary?: string | null;
  /** The paper's Hugging Face id ("2611.01234"): its page, and the discussion at `#community`. */
  huggingfaceId?: string | null;
  /** The code repository's URL. */
  githubRepo?: string | null;
  /** The repository's stars as the source gave them with `githubRepo`. */
  githubStars?: number | null;
  projectPage?: string | null;
  /** The paper's latest recorded star count, when `githubStars` is not given. */
  stars?: number | null;
  /** Why the reader's ranking picked it, one short line ("trending in llm"): shown as "Why: …". */
  why?: string | null;
  /** The reader's signed "More like this" / "Less like this" links for this paper. */
  feedback?: { moreUrl: string; lessUrl: string } | null;
}

export interface DigestInput {
  subscriber: { email: string; name?: string | null };
  /** `label` is shown to the reader ("Daily digest, 28 Nov 2026"); `key` identifies the period ("daily-2026-11-28"). */
  period: { label: string; key: string };
  papers: DigestPaper[];
  links: {
    /**
     * The unsubscribe page, for the footer link and List-Unsubscribe. An https URL also gets
     * RFC 8058 one-click (List-Unsubscribe-Post), which that RFC allows for https only. It is the
     * only List-Unsubscribe entry: no `mailto:`, since no one reads or processes such a mailbox.
     */
    unsubscribeUrl: string;
    preferencesUrl: string;
    siteUrl: string;
  };
  /** List-Id value, e.g. `paperboy digest <digest.paperboy.example>`. */
  listId: string;
  /** From header, e.g. `paperboy <digest@paperboy.example>`. */
  from: string;
  /** Domain part of the Message-ID. */
  messageIdDomain: string;
}

export interface MailAddress {
  name?: string;
  address: string;
}

export interface RenderedDigest {
  /** Sender and recipient, so a rendered digest can be handed to `MailTransport.send` as it is. */
  from: string;
  to: MailAddress;
  subject: string;
  html: string;
  text: string;
  /** List-Unsubscribe, List-Unsubscribe-Post (https only) and List-Id; values free of CR/LF. */
  headers: Record<string, string>;
  /** `<digest.<hash>@<domain>>`, the same for the same subscriber and period, so a retried send keeps its id. */
  messageId: string;
}

/** How many authors are named before "et al.". */
export const DIGEST_MAX_AUTHORS = 3;
/** Longest summary (one or two sentences), in characters. */
export const DIGEST_EXCERPT_CHARS = 300;
const SUBJECT_TITLE_CHARS = 80;
/** Longest reason line (it names a liked paper's title or an author): one line on a phone. */
const WHY_CHARS = 120;

export function renderDigest(input: DigestInput): RenderedDigest {
  assertDigestInput(input);
  const papers = input.papers.map(viewPaper);
  const name = input.subscriber.name ? singleLine(input.subscriber.name) : '';
  const to: MailAddress = name
    ? { name, address: singleLine(input.subscriber.email) }
    : { address: singleLine(input.subscriber.email) };
  return {
    from: singleLine(input.from),
    to,
    subject: digestSubject(input.period.label, papers),
    html: renderHtml(input, papers, name),
    text: renderText(input, papers, name),
    headers: {
      'List-Unsubscribe': `<${safeUrl(input.links.unsubscribeUrl)}>`,
      ...(/^https:\/\//i.test(input.links.unsubscribeUrl)
        ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : {}),
      'List-Id': singleLine(input.listId),
    },
    messageId: digestMessageId(input.subscriber.email, input.period.key, input.messageIdDomain),
  };
}

/** `<digest.<hash>@<domain>>` from the subscriber's address (case-insensitive) and the period key. */
export function digestMessageId(email: string, periodKey: string, domain: string): string {
  const hash = createHash('sha256').update(`${email.trim().toLowerCase()}\n${periodKey}`).digest('hex').slice(0, 32);
  return `<digest.${hash}@${domain}>`;
}

/** Our own configuration, not scraped data: a wrong value is a bug to report, not to paper over. */
function assertDigestInput(input: DigestInput): void {
  const problems: string[] = [];
  if (!/^https?:\/\//i.test(input.links.unsubscribeUrl) || safeUrl(input.links.unsubscribeUrl) === '#') {
    problems.push(`links.unsubscribeUrl must be an http(s) URL, got ${JSON.stringify(input.links.unsubscribeUrl)}`);
  }
  if (!/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/i.test(input.messageIdDomain)) {
    problems.push(`messageIdDomain must be a host name, got ${JSON.stringify(input.messageIdDomain)}`);
  }
  if (!singleLine(input.period.key)) problems.push('period.key must not be empty');
  if (!singleLine(input.subscriber.email)) problems.push('subscriber.email must not be empty');
  if (problems.length > 0) throw new TypeError(`invalid digest input: ${problems.join('; ')}`);
}

/** A link of a paper besides its title: a short label and a safe URL. */
interface PaperLink {
  label: string;
  url: string;
}

/** A paper reduced to display-ready, single-line, unescaped strings and safe URLs. */
interface PaperView {
  title: string;
  url: string;
  authors: string;
  meta: string;
  excerpt: string;
  links: PaperLink[];
  /** "Why: trending in llm", or '' without a reason. */
  why: string;
  /** "More like this" and "Less like this", or none. */
  feedback: PaperLink[];
}

/** `safeUrl` of an optional value, or null when there is none or it is not an http(s) URL. */
function optionalUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  const url = safeUrl(value);
  return url.startsWith('http') ? url : null;
}

const HF_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function viewPaper(paper: DigestPaper): PaperView {
  const arxiv = arxivBaseId(paper.arxivId);
  const hfId = paper.huggingfaceId && HF_ID.test(paper.huggingfaceId.trim()) ? paper.huggingfaceId.trim() : null;
  const hfPage = hfId ? `https://huggingface.co/papers/${hfId}` : null;
  // The canonical page first: a listing's URL (maybe a server that is gone) only when there is none.
  const url = arxiv ? `https://arxiv.org/abs/${arxiv}` : (hfPage ?? safeUrl(paper.url));
  const starCount = paper.githubStars ?? paper.stars ?? null;
  const stars = starCount === null ? '' : `★ ${compactCount(starCount)}`;
  const code = optionalUrl(paper.githubRepo);
  const project = optionalUrl(paper.projectPage);
  const links: PaperLink[] = [
    ...(arxiv ? [{ label: 'PDF', url: `https://arxiv.org/pdf/${arxiv}` }] : []),
    ...(code ? [{ label: stars ? `Code (${stars})` : 'Code', url: code }] : []),
    ...(project ? [{ label: 'Project page', url: project }] : []),
    ...(hfPage ? [{ label: 'Discussion', url: `${hfPage}#community` }] : []),
  ];
  const topics = paper.topics.map(singleLine).filter(Boolean);
  const meta = [
    topics.join(' · '),
    paper.upvotes === null ? '' : `${paper.upvotes} ${paper.upvotes === 1 ? 'upvote' : 'upvotes'}`,
    // Stars go with the code link when there is one.
    code ? '' : stars,
    arxiv ? `arXiv:${arxiv}` : '',
  ].filter(Boolean);
  const summary = paper.summary ? singleLine(paper.summary) : '';
  const why = paper.why ? singleLine(paper.why) : '';
  const more = optionalUrl(paper.feedback?.moreUrl);
  const less = optionalUrl(paper.feedback?.lessUrl);
  return {
    title: singleLine(paper.title) || '(untitled)',
    url,
    authors: shortAuthors(paper.authors, DIGEST_MAX_AUTHORS),
    meta: meta.join(' · '),
    excerpt: shortSummary(summary || paper.abstract || '', DIGEST_EXCERPT_CHARS),
    links,
    why: why ? `Why: ${truncateAtWord(why, WHY_CHARS)}` : '',
    feedback:
      more && less
        ? [
            { label: 'More like this', url: more },
            { label: 'Less like this', url: less },
          ]
        : [],
  };
}

function digestSubject(label: string, papers: PaperView[]): string {
  const period = singleLine(label);
  const [first] = papers;
  if (!first) return `${period}: no new papers`;
  const more = papers.length > 1 ? ` and ${papers.length - 1} more` : '';
  return singleLine(`${period}: ${truncateAtWord(first.title, SUBJECT_TITLE_CHARS)}${more}`);
}

function countPapers(count: number): string {
  return count === 1 ? '1 paper' : `${count} papers`;
}

/**
 * Light colours inline (clients that drop <style> keep them); dark ones in a `prefers-color-scheme`
 * block that overrides them by class (`!important` beats inline styles), for clients that honour
 * it. Every text colour has a contrast of at least 4.5 against its background in both schemes.
 */
// Single quotes only: this goes into a double-quoted style attribute.
const FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;";
const WRAP = 'overflow-wrap:anywhere;word-break:break-word;';
const STYLE = {
  body: 'margin:0;padding:0;width:100%;background-color:#f4f4f5;color:#18181b;-webkit-text-size-adjust:100%;',
  outer: 'background-color:#f4f4f5;',
  card: 'width:100%;max-width:600px;background-color:#ffffff;border-collapse:collapse;',
  header: `${FONT}padding:24px 24px 8px 24px;font-size:20px;line-height:26px;font-weight:bold;color:#18181b;`,
  intro: `${FONT}padding:0 24px 16px 24px;font-size:14px;line-height:20px;color:#3f3f46;`,
  paper: `${FONT}${WRAP}padding:18px 24px;border-top:1px solid #e4e4e7;`,
  title: 'font-size:17px;line-height:23px;font-weight:bold;color:#1d4ed8;text-decoration:none;',
  authors: 'margin:4px 0 0 0;font-size:13px;line-height:18px;color:#52525b;',
  meta: 'margin:4px 0 0 0;font-size:12px;line-height:17px;color:#52525b;',
  excerpt: 'margin:8px 0 0 0;font-size:15px;line-height:22px;color:#27272a;',
  links: 'margin:8px 0 0 0;font-size:13px;line-height:20px;color:#52525b;',
  why: 'margin:4px 0 0 0;font-size:12px;line-height:17px;color:#52525b;font-style:italic;',
  feedback: 'margin:6px 0 0 0;font-size:12px;line-height:18px;color:#52525b;',
  link: 'color:#1d4ed8;text-decoration:underline;',
  footer: `${FONT}${WRAP}padding:16px 24px 24px 24px;border-top:1px solid #e4e4e7;font-size:12px;line-height:18px;color:#52525b;`,
  footerLink: 'color:#3f3f46;text-decoration:underline;',
  siteLink: 'color:#18181b;text-decoration:none;',
  preheader:
    'display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;',
} as const;

// Classes only for the dark scheme and small screens; [data-ogsc] is Outlook.com's dark mode.
const HEAD_STYLE = `:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  .pb-bg { background-color: #0f0f12 !important; color: #f4f4f5 !important; }
  .pb-card { background-color: #1c1c21 !important; }
  .pb-head, .pb-head a { color: #f4f4f5 !important; }
  .pb-text { color: #e4e4e7 !important; }
  .pb-muted { color: #a1a1aa !important; }
  .pb-link { color: #93c5fd !important; }
  .pb-rule { border-top-color: #3f3f46 !important; }
}
[data-ogsc] .pb-card { background-color: #1c1c21 !important; }
[data-ogsc] .pb-head, [data-ogsc] .pb-head a { color: #f4f4f5 !important; }
[data-ogsc] .pb-text { color: #e4e4e7 !important; }
[data-ogsc] .pb-muted { color: #a1a1aa !important; }
[data-ogsc] .pb-link { color: #93c5fd !important; }
@media (max-width: 480px) {
  .pb-pad { padding-left: 16px !important; padding-right: 16px !important; }
  .pb-outer { padding: 0 !important; }
}`;

function link(url: string, text: string, style: string, className: string): string {
  return `<a href="${escapeHtml(safeUrl(url))}" class="${className}" style="${style}">${escapeHtml(text)}</a>`;
}

function renderPaperHtml(paper: PaperView): string {
  const links = paper.links.map((l) => link(l.url, l.label, STYLE.link, 'pb-link')).join(' · ');
  const feedback = paper.feedback.map((l) => link(l.url, l.label, STYLE.link, 'pb-link')).join(' · ');
  const lines = [
    link(paper.url, paper.title, STYLE.title, 'pb-link'),
    paper.authors ? `<p class="pb-muted" style="${STYLE.authors}">${escapeHtml(paper.authors)}</p>` : '',
    paper.meta ? `<p class="pb-muted" style="${STYLE.meta}">${escapeHtml(paper.meta)}</p>` : '',
    paper.why ? `<p class="pb-muted" style="${STYLE.why}">${escapeHtml(paper.why)}</p>` : '',
    paper.excerpt ? `<p class="pb-text" style="${STYLE.excerpt}">${escapeHtml(paper.excerpt)}</p>` : '',
    links ? `<p class="pb-muted" style="${STYLE.links}">${links}</p>` : '',
    feedback ? `<p class="pb-muted" style="${STYLE.feedback}">${feedback}</p>` : '',
  ];
  return `<tr><td class="pb-pad pb-rule" style="${STYLE.paper}">${lines.filter(Boolean).join('\n')}</td></tr>`;
}

function greetingOf(name: string, count: number): string {
  return `${name ? `Hi ${name}, here` : 'Here'} ${count === 1 ? 'is' : 'are'} ${countPapers(count)} for this period.`;
}

function renderHtml(input: DigestInput, papers: PaperView[], name: string): string {
  const label = singleLine(input.period.label);
  const preheader = papers.map((p) => p.title).join(' · ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<meta name="x-apple-disable-message-reformatting">
<title>${escapeHtml(label)}</title>
<style>
${HEAD_STYLE}
</style>
</head>
<body class="pb-bg" style="${STYLE.body}">
<div style="${STYLE.preheader}">${escapeHtml(truncateAtWord(preheader, 140))}</div>
<table role="presentation" class="pb-bg" width="100%" cellpadding="0" cellspacing="0" border="0" style="${STYLE.outer}">
<tr><td align="center" class="pb-outer" style="padding:24px 12px;">
<table role="presentation" class="pb-card" width="600" cellpadding="0" cellspacing="0" border="0" style="${STYLE.card}">
<tr><td class="pb-pad pb-head" style="${STYLE.header}">${link(input.links.siteUrl, 'paperboy', STYLE.siteLink, 'pb-head')} · ${escapeHtml(label)}</td></tr>
<tr><td class="pb-pad pb-text" style="${STYLE.intro}">${escapeHtml(greetingOf(name, papers.length))}</td></tr>
${papers.map(renderPaperHtml).join('\n')}
<tr><td class="pb-pad pb-muted pb-rule" style="${STYLE.footer}">You receive this digest because you subscribed to paperboy.<br>
${link(input.links.preferencesUrl, 'Manage your preferences', STYLE.footerLink, 'pb-muted')} · ${link(input.links.unsubscribeUrl, 'Unsubscribe', STYLE.footerLink, 'pb-muted')}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}

const TEXT_WIDTH = 72;

/** Greedy word wrap for the text part; a word longer than the width gets a line of its own. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > TEXT_WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/** "Label: URL" on a line of its own; the URL alone on the next line when both do not fit. */
function textLink(label: string, url: string, indent: string): string {
  const line = `${indent}${label}: ${url}`;
  return line.length <= TEXT_WIDTH + 8 ? line : `${indent}${label}:\n${indent}${url}`;
}

function renderPaperText(paper: PaperView, index: number): string {
  const indent = ' '.repeat(`${index + 1}. `.length);
  const head = [
    // The title on one line, as in the subject: a reader's client wraps it.
    `${index + 1}. ${paper.title}`,
    paper.authors ? wrap(paper.authors, indent) : '',
    paper.meta ? wrap(paper.meta, indent) : '',
    paper.why ? wrap(paper.why, indent) : '',
  ];
  const links = [{ label: 'Paper', url: paper.url }, ...paper.links].map((l) => textLink(l.label, l.url, indent));
  const feedback = paper.feedback.map((l) => textLink(l.label, l.url, indent));
  return [
    head.filter(Boolean).join('\n'),
    ...(paper.excerpt ? [wrap(paper.excerpt, indent)] : []),
    links.join('\n'),
    ...(feedback.length ? [feedback.join('\n')] : []),
  ].join('\n\n');
}

function renderText(input: DigestInput, papers: PaperView[], name: string): string {
  const label = singleLine(input.period.label);
  return [
    `paperboy · ${label}`,
    '='.repeat(Math.min(TEXT_WIDTH, `paperboy · ${label}`.length)),
    '',
    wrap(greetingOf(name, papers.length), ''),
    '',
    papers.map(renderPaperText).join('\n\n\n'),
    '',
    '-- ',
    'You receive this digest because you subscribed to paperboy.',
    textLink('Manage your preferences', safeUrl(input.links.preferencesUrl), ''),
    textLink('Unsubscribe', safeUrl(input.links.unsubscribeUrl), ''),
    textLink('paperboy', safeUrl(input.links.siteUrl), ''),
    '',
  ].join('\n');
}
