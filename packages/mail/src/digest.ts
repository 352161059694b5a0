import { createHash } from 'node:crypto';
import { escapeHtml, safeUrl, singleLine, truncateAtWord } from './escape.js';

export interface DigestPaper {
  arxivId: string | null;
  title: string;
  abstract: string | null;
  authors: string[];
  url: string;
  upvotes: number | null;
  topics: string[];
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
/** Longest abstract excerpt, in characters. */
export const DIGEST_EXCERPT_CHARS = 300;
const SUBJECT_TITLE_CHARS = 80;

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

/** A paper reduced to display-ready, single-line, unescaped strings and a safe URL. */
interface PaperView {
  title: string;
  url: string;
  authors: string;
  meta: string;
  excerpt: string;
}

function viewPaper(paper: DigestPaper): PaperView {
  const authors = paper.authors.map(singleLine).filter(Boolean);
  const shownAuthors =
    authors.length > DIGEST_MAX_AUTHORS
      ? `${authors.slice(0, DIGEST_MAX_AUTHORS).join(', ')} et al.`
      : authors.join(', ');
  const topics = paper.topics.map(singleLine).filter(Boolean);
  const meta = [
    topics.join(' · '),
    paper.upvotes === null ? '' : `${paper.upvotes} ${paper.upvotes === 1 ? 'upvote' : 'upvotes'}`,
    paper.arxivId ? `arXiv:${singleLine(paper.arxivId)}` : '',
  ].filter(Boolean);
  return {
    title: singleLine(paper.title) || '(untitled)',
    url: safeUrl(paper.url),
    authors: shownAuthors,
    meta: meta.join(' · '),
    excerpt: paper.abstract ? truncateAtWord(paper.abstract, DIGEST_EXCERPT_CHARS) : '',
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

// Inline styles only: many clients drop <style> blocks and ignore classes.
const FONT = 'font-family:Helvetica,Arial,sans-serif;';
const STYLE = {
  body: 'margin:0;padding:0;background-color:#f4f4f5;',
  outer: 'background-color:#f4f4f5;',
  card: 'width:100%;max-width:600px;background-color:#ffffff;border-collapse:collapse;',
  header: `${FONT}padding:24px 24px 8px 24px;font-size:20px;font-weight:bold;color:#18181b;`,
  intro: `${FONT}padding:0 24px 16px 24px;font-size:14px;line-height:20px;color:#3f3f46;`,
  paper: `${FONT}padding:16px 24px;border-top:1px solid #e4e4e7;`,
  title: 'font-size:17px;line-height:23px;font-weight:bold;color:#1d4ed8;text-decoration:none;',
  authors: 'margin:4px 0 0 0;font-size:13px;line-height:18px;color:#52525b;',
  meta: 'margin:4px 0 0 0;font-size:12px;line-height:17px;color:#71717a;',
  excerpt: 'margin:8px 0 0 0;font-size:14px;line-height:21px;color:#27272a;',
  footer: `${FONT}padding:16px 24px 24px 24px;border-top:1px solid #e4e4e7;font-size:12px;line-height:18px;color:#71717a;`,
  footerLink: 'color:#52525b;text-decoration:underline;',
  siteLink: 'color:#18181b;text-decoration:none;',
} as const;

function link(url: string, text: string, style: string): string {
  return `<a href="${escapeHtml(safeUrl(url))}" style="${style}">${escapeHtml(text)}</a>`;
}

function renderPaperHtml(paper: PaperView): string {
  const lines = [
    link(paper.url, paper.title, STYLE.title),
    paper.authors ? `<p style="${STYLE.authors}">${escapeHtml(paper.authors)}</p>` : '',
    paper.meta ? `<p style="${STYLE.meta}">${escapeHtml(paper.meta)}</p>` : '',
    paper.excerpt ? `<p style="${STYLE.excerpt}">${escapeHtml(paper.excerpt)}</p>` : '',
  ];
  return `<tr><td style="${STYLE.paper}">${lines.filter(Boolean).join('\n')}</td></tr>`;
}

function renderHtml(input: DigestInput, papers: PaperView[], name: string): string {
  const label = singleLine(input.period.label);
  const greeting = `${name ? `Hi ${name}, here` : 'Here'} ${papers.length === 1 ? 'is' : 'are'} ${countPapers(papers.length)} for this period.`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(label)}</title>
</head>
<body style="${STYLE.body}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="${STYLE.outer}">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="${STYLE.card}">
<tr><td style="${STYLE.header}">${link(input.links.siteUrl, 'paperboy', STYLE.siteLink)} · ${escapeHtml(label)}</td></tr>
<tr><td style="${STYLE.intro}">${escapeHtml(greeting)}</td></tr>
${papers.map(renderPaperHtml).join('\n')}
<tr><td style="${STYLE.footer}">You receive this digest because you subscribed to paperboy.<br>
${link(input.links.preferencesUrl, 'Manage your preferences', STYLE.footerLink)} · ${link(input.links.unsubscribeUrl, 'Unsubscribe', STYLE.footerLink)}</td></tr>
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

function renderPaperText(paper: PaperView, index: number): string {
  const indent = ' '.repeat(`${index + 1}. `.length);
  const lines = [
    `${index + 1}. ${paper.title}`,
    paper.authors ? wrap(paper.authors, indent) : '',
    paper.meta ? wrap(paper.meta, indent) : '',
    `${indent}${paper.url}`,
    paper.excerpt ? `\n${wrap(paper.excerpt, indent)}` : '',
  ];
  return lines.filter(Boolean).join('\n');
}

function renderText(input: DigestInput, papers: PaperView[], name: string): string {
  const label = singleLine(input.period.label);
  const greeting = `${name ? `Hi ${name}, here` : 'Here'} ${papers.length === 1 ? 'is' : 'are'} ${countPapers(papers.length)} for this period.`;
  return [
    `paperboy · ${label}`,
    '='.repeat(Math.min(TEXT_WIDTH, `paperboy · ${label}`.length)),
    '',
    wrap(greeting, ''),
    '',
    papers.map(renderPaperText).join('\n\n'),
    '',
    '-- ',
    'You receive this digest because you subscribed to paperboy.',
    `Manage your preferences: ${safeUrl(input.links.preferencesUrl)}`,
    `Unsubscribe: ${safeUrl(input.links.unsubscribeUrl)}`,
    `paperboy: ${safeUrl(input.links.siteUrl)}`,
    '',
  ].join('\n');
}
