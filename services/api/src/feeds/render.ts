import type { FeedItem } from './items.js';
import { xmlSafe, xmlText } from './xml.js';

export const FEED_FORMATS = ['rss', 'atom', 'json'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export const FEED_CONTENT_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

/** What a feed says about itself. Text is ours or escaped on output; URLs are ours (the public URL). */
export interface FeedMeta {
  /** The feed's permanent id (Atom): a tag: URI or its URL without secrets' churn. */
  id: string;
  title: string;
  description: string;
  /** Where the feed is fetched from, in this format (self links). */
  selfUrl: string;
  /** The site's page for people. */
  homeUrl: string;
  /** Minutes a reader may wait between fetches (RSS ttl), the Cache-Control max-age. */
  ttlMinutes: number;
}

/** The newest update among the items: the feed's own update time and Last-Modified (null when empty). */
export function newestUpdate(items: readonly FeedItem[]): Date | null {
  let newest: Date | null = null;
  for (const item of items) if (!newest || item.updated > newest) newest = item.updated;
  return newest;
}

// An empty feed still needs an update time (Atom requires one); a fixed one keeps its bytes, and ETag, stable.
const EPOCH = new Date(0);

export function renderFeed(format: FeedFormat, meta: FeedMeta, items: readonly FeedItem[]): string {
  if (format === 'rss') return renderRss(meta, items);
  if (format === 'atom') return renderAtom(meta, items);
  return renderJsonFeed(meta, items);
}

const tag = (name: string, text: string, attributes = '') => `<${name}${attributes}>${xmlText(text)}</${name}>`;

/** RSS 2.0, with atom:link rel=self and dc:creator for the authors (RSS's own author element wants an email). */
export function renderRss(meta: FeedMeta, items: readonly FeedItem[]): string {
  const updated = newestUpdate(items) ?? EPOCH;
  const entries = items.map((item) =>
    [
      '<item>',
      tag('title', item.title),
      item.url ? tag('link', item.url) : '',
      tag('guid', item.id, ` isPermaLink="${item.idIsLink}"`),
      tag('description', item.contentHtml),
      tag('pubDate', item.published.toUTCString()),
      ...item.authors.map((a) => tag('dc:creator', a)),
      ...item.categories.map((c) => tag('category', c)),
      '</item>',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
${tag('title', meta.title)}
${tag('link', meta.homeUrl)}
${tag('description', meta.description)}
<atom:link href="${xmlText(meta.selfUrl)}" rel="self" type="application/rss+xml"/>
<language>en</language>
${tag('lastBuildDate', updated.toUTCString())}
<generator>paperboy</generator>
${tag('ttl', String(meta.ttlMinutes))}
${entries.join('\n')}
</channel>
</rss>
`;
}

/** Atom (RFC 4287): every entry has an id, title, updated time and content; authors fall back to the feed's. */
export function renderAtom(meta: FeedMeta, items: readonly FeedItem[]): string {
  const updated = newestUpdate(items) ?? EPOCH;
  const entries = items.map((item) =>
    [
      '<entry>',
      tag('id', item.id),
      tag('title', item.title, ' type="text"'),
      item.url ? `<link rel="alternate" type="text/html" href="${xmlText(item.url)}"/>` : '',
      tag('published', item.published.toISOString()),
      tag('updated', item.updated.toISOString()),
      ...item.authors.map((a) => `<author>${tag('name', a)}</author>`),
      ...item.categories.map((c) => `<category term="${xmlText(c)}"/>`),
      item.summary ? tag('summary', item.summary, ' type="text"') : '',
      tag('content', item.contentHtml, ' type="html"'),
      '</entry>',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
${tag('id', meta.id)}
${tag('title', meta.title, ' type="text"')}
${tag('subtitle', meta.description, ' type="text"')}
${tag('updated', updated.toISOString())}
<link rel="self" type="application/atom+xml" href="${xmlText(meta.selfUrl)}"/>
<link rel="alternate" type="text/html" href="${xmlText(meta.homeUrl)}"/>
<author><name>paperboy</name></author>
<generator>paperboy</generator>
${entries.join('\n')}
</feed>
`;
}

/** JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/). */
export function renderJsonFeed(meta: FeedMeta, items: readonly FeedItem[]): string {
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: xmlSafe(meta.title),
    home_page_url: meta.homeUrl,
    feed_url: meta.selfUrl,
    description: xmlSafe(meta.description),
    language: 'en',
    authors: [{ name: 'paperboy' }],
    items: items.map((item) => ({
      id: item.id,
      ...(item.url ? { url: item.url } : {}),
      title: item.title,
      content_html: item.contentHtml,
      ...(item.summary ? { summary: item.summary } : {}),
      date_published: item.published.toISOString(),
      date_modified: item.updated.toISOString(),
      ...(item.authors.length ? { authors: item.authors.map((name) => ({ name })) } : {}),
      ...(item.categories.length ? { tags: item.categories } : {}),
    })),
  };
  return JSON.stringify(feed);
}
