/**
 * Render arXiv category feeds in the shape rss.arxiv.org serves since 2024: RSS 2.0
 * (`/rss/<cat>`, channel header as in the real weekend capture) and the Atom variant
 * (`/atom/<cat>`). Items follow shared/docs/SOURCES.md.
 */
import type { ArxivListing } from './arxiv-page.js';

export type AnnounceType = 'new' | 'cross' | 'replace' | 'replace-cross';

export interface ArxivFeedItem {
  listing: ArxivListing;
  version: number;
  announceType: AnnounceType;
  /** Leave the guid (Atom: the id) out. */
  omitGuid?: boolean;
  /** `dc:creator` as written, when it is not the authors joined with ", ". */
  creator?: string;
}

export interface ArxivFeedSpec {
  /** One category or several joined with "+", as in the feed URL. */
  category: string;
  /** RFC 822, e.g. "Fri, 12 Jun 2026 04:00:31 +0000". */
  lastBuildDate: string;
  /** The announcement day at midnight US Eastern, RFC 822, e.g. "Fri, 12 Jun 2026 00:00:00 -0400". */
  pubDate: string;
  items: readonly ArxivFeedItem[];
}

/** Text for an XML text node or a double-quoted attribute (what lxml, which arXiv's feed uses, escapes). */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const versioned = (item: ArxivFeedItem) => `${item.listing.id}v${item.version}`;

function description(item: ArxivFeedItem): string {
  return `arXiv:${versioned(item)} Announce Type: ${item.announceType} \nAbstract: ${item.listing.abstract ?? ''}`;
}

function creator(item: ArxivFeedItem): string {
  return item.creator ?? item.listing.authors.join(', ');
}

export function renderArxivRssFeed(spec: ArxivFeedSpec): string {
  const items = spec.items
    .map(
      (item) => `    <item>
      <title>${escapeXml(item.listing.title)}</title>
      <link>https://arxiv.org/abs/${item.listing.id}</link>
      <description>${escapeXml(description(item))}</description>
${item.omitGuid ? '' : `      <guid isPermaLink="false">oai:arXiv.org:${versioned(item)}</guid>\n`}${item.listing.subjects
  .map((s) => `      <category>${escapeXml(s)}</category>\n`)
  .join('')}      <pubDate>${spec.pubDate}</pubDate>
      <arxiv:announce_type>${item.announceType}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>${escapeXml(creator(item))}</dc:creator>
    </item>
`,
    )
    .join('');
  return `<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>${spec.category} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/${spec.category}</link>
    <description>${spec.category} updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/${spec.category}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>${spec.lastBuildDate}</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>${spec.pubDate}</pubDate>
    <skipDays>
      <day>Sunday</day>
      <day>Saturday</day>
    </skipDays>
${items}  </channel>
</rss>
`;
}

/** "Fri, 12 Jun 2026 00:00:00 -0400" → "2026-06-12T00:00:00-04:00" (the offset kept, as in Atom feeds). */
function rfc3339(rfc822: string): string {
  const match = /^\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/.exec(rfc822);
  if (!match) throw new Error(`not an RFC 822 date: ${rfc822}`);
  const [, day, month, year, time, hours, minutes] = match;
  const monthNumber = String('JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(month ?? '') / 3 + 1).padStart(2, '0');
  return `${year}-${monthNumber}-${day}T${time}${hours}:${minutes}`;
}

export function renderArxivAtomFeed(spec: ArxivFeedSpec): string {
  const published = rfc3339(spec.pubDate);
  const entries = spec.items
    .map(
      (item) => `  <entry>
${item.omitGuid ? '' : `    <id>oai:arXiv.org:${versioned(item)}</id>\n`}    <title>${escapeXml(item.listing.title)}</title>
    <updated>${published}</updated>
    <link href="https://arxiv.org/abs/${item.listing.id}" rel="alternate" type="text/html"/>
    <summary>${escapeXml(description(item))}</summary>
${item.listing.subjects.map((s) => `    <category term="${escapeXml(s)}" scheme="http://arxiv.org/schemas/atom"/>\n`).join('')}    <published>${published}</published>
    <arxiv:announce_type>${item.announceType}</arxiv:announce_type>
    <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
    <dc:creator>${escapeXml(creator(item))}</dc:creator>
  </entry>
`,
    )
    .join('');
  return `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/${spec.category}</id>
  <title>${spec.category} updates on arXiv.org</title>
  <updated>${rfc3339(spec.lastBuildDate)}</updated>
  <link href="http://rss.arxiv.org/atom/${spec.category}" rel="self" type="application/atom+xml"/>
  <subtitle>${spec.category} updates on the arXiv.org e-print archive.</subtitle>
${entries}</feed>
`;
}
