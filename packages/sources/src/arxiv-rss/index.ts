import type { CheerioOptions } from 'cheerio';
import { type AnyNode, type Element, isTag } from 'domhandler';
import { arxivIdFromAbsUrl, doiFrom, isArxivId, versionOf, withoutVersion } from '../arxiv-id.js';
import { elementText } from '../dom-text.js';
import { loadMarkup } from '../page.js';
import { absoluteUrl, capText, cleanText, TEXT_LIMITS } from '../text.js';
import type { ExtractResult, RawEntry, SourceAdapter } from '../types.js';

export const arxivRssAdapter: SourceAdapter = {
  id: 'arxiv-rss',
  description:
    "arXiv category feeds, RSS 2.0 (rss.arxiv.org/rss/<cat>) or Atom (rss.arxiv.org/atom/<cat>): the day's new, cross-listed and replaced papers with abstracts. An empty feed (weekends, holidays) is normal and gives no warning",
  accepts: ['application/xml'],
  exampleUrls: [
    'https://rss.arxiv.org/rss/cs.LG',
    'https://rss.arxiv.org/rss/cs.CL+cs.AI',
    'https://rss.arxiv.org/atom/cs.LG',
  ],
  extract: (page) => extractArxivFeed(page.body, page.url),
};

// Real XML rules: `<link>` holds text (in HTML it is a void element), names keep their case.
const XML: CheerioOptions = Object.freeze({ xml: true });

/** One item (RSS) or entry (Atom), read in a single pass over its children. */
interface FeedItem {
  title?: string;
  link?: string;
  description?: string;
  guid?: string;
  date?: string;
  announceType?: string;
  categories: string[];
  /** `dc:creator` values: each a comma-separated list of names. */
  creators: string[];
  /** Atom `<author><name>` values, one name each. */
  authorNames: string[];
  /** `arxiv:primary_category` (the API's Atom). */
  primaryCategory?: string;
  /** `arxiv:comment`, `arxiv:journal_ref`, `arxiv:doi` (the API's Atom), `dc:rights` (feeds). */
  comment?: string;
  journalRef?: string;
  doi?: string;
  rights?: string;
}

/**
 * Entries of an arXiv RSS 2.0 or Atom feed, in feed order. A feed without items is a quiet
 * day: no entries, no warning, `quiet: true`. A document that is no feed at all gives a warning.
 */
export function extractArxivFeed(xml: string, pageUrl: string): ExtractResult {
  const root = firstElement(loadMarkup(xml, XML).root()[0]?.children ?? []);
  const kind = root ? feedKind(root) : undefined;
  if (!root || !kind) {
    const what = root ? `its root element is <${root.name}>` : 'it has no root element';
    return { entries: [], warnings: [`arxiv-rss: not an RSS or Atom feed (${what})`] };
  }

  const items = kind === 'atom' ? childrenNamed(root, 'entry') : rssItems(root);
  // arXiv announces nothing on weekends and holidays: the feed is there, with no items.
  if (items.length === 0) return { entries: [], warnings: [], quiet: true };

  const entries: RawEntry[] = [];
  const seen = new Set<string>();
  let withoutId = 0;
  let repeated = 0;
  for (const el of items) {
    const item = readItem(el, kind);
    const arxivId = itemId(item);
    if (!arxivId) {
      withoutId++;
      continue;
    }
    if (seen.has(arxivId)) {
      repeated++;
      continue;
    }
    seen.add(arxivId);
    entries.push(toEntry(item, arxivId, entries.length + 1, pageUrl));
  }

  const warnings: string[] = [];
  if (withoutId > 0)
    warnings.push(`arxiv-rss: ${withoutId} items without a readable arXiv id (guid, link or description) were skipped`);
  if (repeated > 0) warnings.push(`arxiv-rss: ${repeated} repeated items were skipped`);
  return { entries, warnings };
}

function toEntry(item: FeedItem, arxivId: string, rank: number, pageUrl: string): RawEntry {
  const entry: RawEntry = { rank, externalId: arxivId, arxivId };
  const title = cleanText(item.title);
  if (title) entry.title = title;
  const { announceType, abstract } = splitDescription(item.description ?? '');
  if (abstract) entry.abstract = abstract;
  const authors = [
    ...item.creators.flatMap(splitAuthors),
    ...item.authorNames.map((n) => cleanText(n)).filter(Boolean),
  ];
  if (authors.length > 0) entry.authors = authors;
  const url = absoluteUrl(item.link, pageUrl) ?? absoluteUrl(`/abs/${withoutVersion(arxivId)}`, 'https://arxiv.org/');
  if (url) entry.url = url;
  const section = cleanText(item.announceType).toLowerCase() || announceType;
  if (section) entry.section = section;
  const primary = cleanText(item.primaryCategory);
  if (primary) entry.primaryCategory = primary;
  // The primary category first, then the others (cross-lists) in feed order.
  const categories = [...new Set([...(primary ? [primary] : []), ...item.categories])];
  if (categories.length > 0) entry.categories = categories;
  const publishedAt = isoDate(item.date);
  if (publishedAt) entry.publishedAt = publishedAt;
  const version = versionOf(arxivId);
  if (version !== undefined) entry.version = version;
  const comment = capText(cleanText(item.comment), TEXT_LIMITS.summary).trimEnd();
  if (comment) entry.arxivComments = comment;
  const journalRef = capText(cleanText(item.journalRef), TEXT_LIMITS.summary).trimEnd();
  if (journalRef) entry.journalRef = journalRef;
  const doi = doiFrom(cleanText(item.doi));
  if (doi) entry.doi = doi;
  const license = absoluteUrl(cleanText(item.rights), 'https://arxiv.org/');
  if (license) entry.license = license;
  return entry;
}

function feedKind(root: Element): 'rss' | 'atom' | undefined {
  const name = localName(root);
  if (name === 'rss' || name === 'rdf') return 'rss';
  if (name === 'feed') return 'atom';
  return undefined;
}

/** RSS 2.0 items sit in `<channel>`; RSS 1.0 (RDF) puts them beside it. */
function rssItems(root: Element): Element[] {
  const items: Element[] = [];
  for (const child of root.children) {
    if (!isTag(child)) continue;
    const name = localName(child);
    if (name === 'item') items.push(child);
    else if (name === 'channel') items.push(...childrenNamed(child, 'item'));
  }
  return items;
}

function readItem(el: Element, kind: 'rss' | 'atom'): FeedItem {
  const item: FeedItem = { categories: [], creators: [], authorNames: [] };
  let published: string | undefined;
  let updated: string | undefined;
  for (const child of el.children) {
    if (!isTag(child)) continue;
    switch (localName(child)) {
      case 'title':
        item.title ??= capText(elementText(child), TEXT_LIMITS.title);
        break;
      case 'link':
        if (kind === 'rss') item.link ??= capText(elementText(child), TEXT_LIMITS.url);
        else if ((child.attribs.rel ?? 'alternate') === 'alternate') item.link ??= child.attribs.href;
        break;
      case 'description':
      case 'summary':
        item.description ??= capText(elementText(child), TEXT_LIMITS.abstract);
        break;
      case 'guid':
      case 'id':
        item.guid ??= capText(elementText(child), TEXT_LIMITS.label);
        break;
      case 'category': {
        const category = capText(
          cleanText(kind === 'atom' ? (child.attribs.term ?? elementText(child)) : elementText(child)),
          TEXT_LIMITS.label,
        );
        if (category) item.categories.push(category);
        break;
      }
      case 'pubdate':
      case 'published':
      case 'date':
        published ??= capText(elementText(child), TEXT_LIMITS.label);
        break;
      case 'updated':
        updated ??= capText(elementText(child), TEXT_LIMITS.label);
        break;
      case 'primary_category':
        item.primaryCategory ??= capText(child.attribs.term ?? elementText(child), TEXT_LIMITS.label);
        break;
      case 'comment':
        item.comment ??= capText(elementText(child), TEXT_LIMITS.summary);
        break;
      case 'journal_ref':
        item.journalRef ??= capText(elementText(child), TEXT_LIMITS.summary);
        break;
      case 'doi':
        item.doi ??= capText(elementText(child), TEXT_LIMITS.label);
        break;
      case 'rights':
      case 'license':
        item.rights ??= capText(elementText(child), TEXT_LIMITS.url);
        break;
      case 'announce_type':
        item.announceType ??= capText(elementText(child), TEXT_LIMITS.label);
        break;
      case 'creator':
        item.creators.push(capText(elementText(child), TEXT_LIMITS.authorList));
        break;
      case 'author': {
        const name = childrenNamed(child, 'name')[0];
        if (name) item.authorNames.push(capText(elementText(name), TEXT_LIMITS.author));
        else item.creators.push(capText(elementText(child), TEXT_LIMITS.authorList));
        break;
      }
    }
  }
  const date = published ?? updated;
  if (date !== undefined) item.date = date;
  return item;
}

const OAI_ID = /^oai:arxiv\.org:(\S+)$/i;
const ANNOUNCEMENT = /^arXiv:(\S+)\s+Announce Type:\s*([\w-]+)\s*/i;

/** The versioned id from the guid, else from the description's "arXiv:<id>vN", else the id in the link. */
function itemId(item: FeedItem): string | undefined {
  const guid = cleanText(item.guid);
  const fromGuid = OAI_ID.exec(guid)?.[1] ?? arxivIdFromAbsUrl(guid);
  if (fromGuid && isArxivId(fromGuid)) return fromGuid;
  const fromDescription = ANNOUNCEMENT.exec(item.description ?? '')?.[1];
  if (fromDescription && isArxivId(fromDescription)) return fromDescription;
  return arxivIdFromAbsUrl(item.link);
}

/** "arXiv:2606.13568v1 Announce Type: new Abstract: We …" → the announce type and the abstract. */
export function splitDescription(description: string): { announceType?: string; abstract?: string } {
  const text = cleanText(description);
  const head = ANNOUNCEMENT.exec(text);
  const abstract = (head ? text.slice(head[0].length) : text).replace(/^Abstract:\s*/i, '');
  return {
    ...(head?.[2] ? { announceType: head[2].toLowerCase() } : {}),
    ...(abstract ? { abstract } : {}),
  };
}

// Generational suffixes that a comma split cuts off their name ("John Smith, Jr.").
const NAME_SUFFIX = /^(?:Jr|Sr|I{2,3}|IV)\.?$/;

/**
 * `dc:creator` is one string: "A. Author, B. Author" in current feeds, and arXiv's own author
 * field writes "A. Author, B. Author and C. Author" or ", and C. Author". Split on commas and on
 * the word "and" between names; names that merely contain "and" (Anderson, Rand) stay whole.
 */
export function splitAuthors(value: string): string[] {
  const names: string[] = [];
  // cleanText leaves single spaces only, so plain string splits do what `\s*,\s*|\s+and\s+`
  // did, without a pattern that rescans runs of whitespace from each of their characters.
  for (const commaPart of capText(cleanText(value), TEXT_LIMITS.authorList).split(',')) {
    for (const part of commaPart.split(' and ')) {
      let name = part.trim();
      if (name.startsWith('and ')) name = name.slice('and '.length).trim();
      if (!name) continue;
      const previous = names.length - 1;
      if (NAME_SUFFIX.test(name) && previous >= 0) names[previous] = `${names[previous]} ${name}`;
      else names.push(capText(name, TEXT_LIMITS.author));
    }
  }
  return names;
}

function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Lower-case name without its namespace prefix: `dc:creator` → `creator`, `pubDate` → `pubdate`. */
function localName(el: Element): string {
  const name = el.name.toLowerCase();
  const colon = name.lastIndexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function childrenNamed(el: Element, name: string): Element[] {
  return el.children.filter((c): c is Element => isTag(c) && localName(c) === name);
}

function firstElement(nodes: readonly AnyNode[]): Element | undefined {
  return nodes.find((n): n is Element => isTag(n));
}
