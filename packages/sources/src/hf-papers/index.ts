import type { CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { decodeHTMLAttribute } from 'entities';
import { elementText } from '../dom-text.js';
import { hfPaperUrl, isHfEntryList, mapHfEntries } from '../hf-entry.js';
import { absoluteUrl, capText, TEXT_LIMITS, toInt } from '../text.js';
import type { ExtractResult, Page, RawEntry, SourceAdapter } from '../types.js';
import { propsJsonFromBytes } from './props-bytes.js';

export const hfPapersAdapter: SourceAdapter = {
  id: 'hf-papers',
  description:
    'Hugging Face papers listing pages (day, week, month, trending): the listing JSON embedded in a Svelte hydrater, or the article cards when it is missing or broken',
  accepts: ['text/html'],
  exampleUrls: [
    'https://huggingface.co/papers',
    'https://huggingface.co/papers/date/2026-06-12',
    'https://huggingface.co/papers/week/2026-W24',
    'https://huggingface.co/papers/month/2026-06',
    'https://huggingface.co/papers/trending',
  ],
  extract: (page) => extractHfPapers(page),
};

/**
 * Entries of a Hugging Face papers listing page, in page order. The listing JSON is read
 * straight from the markup when it can be (no DOM: the props are most of the page's bytes);
 * the DOM is built only to look harder, or for the cards.
 */
export function extractHfPapers(page: Pick<Page, 'url' | 'body' | 'bytes' | '$'>): ExtractResult {
  const pageUrl = page.url;
  const warnings: string[] = [];
  const fromMarkup = listingFromMarkup(page);
  const embedded: EmbeddedListing = fromMarkup ? { list: fromMarkup, problem: '' } : findEmbeddedListing(page.$());

  if (embedded.list && embedded.list.length > 0) {
    const { entries, skipped } = mapHfEntries(embedded.list, pageUrl);
    if (skipped > 0) warnings.push(`hf-papers: skipped ${skipped} listing entries without paper.id`);
    return { entries, warnings };
  }

  const cards = extractCards(page.$(), pageUrl);
  if (embedded.list) {
    // An empty embedded listing is a quiet day, unless the page still shows cards.
    if (cards.length > 0)
      warnings.push(`hf-papers: embedded JSON listing is empty, used ${cards.length} article cards`);
    return cards.length === 0 ? { entries: cards, warnings, quiet: true } : { entries: cards, warnings };
  }
  if (cards.length > 0) {
    warnings.push(
      `hf-papers: embedded JSON missing or invalid (${embedded.problem}), used ${cards.length} article cards`,
    );
  } else {
    warnings.push(`hf-papers: no paper listing found (${embedded.problem}; no article cards)`);
  }
  return { entries: cards, warnings };
}

interface EmbeddedListing {
  /** The entries array found in some element's `data-props`; undefined when none was found. */
  list?: unknown[];
  /** Why nothing was found, for the warning. */
  problem: string;
}

/**
 * Find the listing in the Svelte hydraters' `data-props` by its shape (an array of
 * objects with `paper.id`), not by `data-target`: the page has other hydraters
 * (header, theme), and the listing's target name may differ between page kinds.
 * The largest such array wins.
 */
function findEmbeddedListing($: CheerioAPI): EmbeddedListing {
  let best: unknown[] | undefined;
  const invalid: string[] = [];
  for (const el of $('[data-props]').toArray()) {
    const raw = el.attribs['data-props'];
    if (!raw?.includes('[')) continue; // header and theme props hold no arrays worth parsing
    let props: unknown;
    try {
      props = JSON.parse(raw);
    } catch (error) {
      const target = el.attribs['data-target'] ?? el.name;
      invalid.push(`data-props of ${target} is not valid JSON: ${errorMessage(error)}`);
      continue;
    }
    const list = findEntryList(props, 0);
    if (list && (best === undefined || list.length > best.length)) best = list;
  }
  if (best) return { list: best, problem: '' };
  return {
    problem: invalid.length > 0 ? invalid.join('; ') : 'no data-props holds a list of entries with paper.id',
  };
}

// Svelte writes props double-quoted; single quotes are accepted too. Unquoted values are
// left to the DOM path.
const DATA_PROPS_ATTRIBUTE = /\sdata-props\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The largest entry list in any `data-props` attribute of the raw markup, if one parses. */
const OTHER_REFERENCE = /&(?!(?:quot|amp|lt|gt|#39|#x27|apos);)/;

/**
 * Svelte escapes attribute JSON with a handful of references; decoding just those in one pass is
 * several times faster than the general decoder on a 400 KB attribute. Anything else takes the
 * general path.
 */
export function decodeAttributeText(raw: string): string {
  if (OTHER_REFERENCE.test(raw)) return decodeHTMLAttribute(raw);
  // Every '&' now starts one of the references below: one split, one join.
  const parts = raw.split('&');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const end = part.indexOf(';');
    parts[i] = SIMPLE_REFERENCE[part.slice(0, end)]! + part.slice(end + 1);
  }
  return parts.join('');
}

const SIMPLE_REFERENCE: Record<string, string> = {
  quot: '"',
  amp: '&',
  lt: '<',
  gt: '>',
  '#39': "'",
  '#x27': "'",
  apos: "'",
};

/** Each `data-props` attribute's text in the markup (still escaped), in page order. Exported for the benchmark's step figures. */
export function* propsAttributes(body: string): Generator<string> {
  for (const match of body.matchAll(DATA_PROPS_ATTRIBUTE)) yield match[1] ?? match[2] ?? '';
}

/** An attribute's text as the JSON it escapes. */
const propsJson = (raw: string) => (raw.includes('&') ? decodeAttributeText(raw) : raw);

function scanMarkupForListing(body: string): unknown[] | undefined {
  return largestListing(
    (function* () {
      for (const raw of propsAttributes(body)) if (raw.includes('[')) yield propsJson(raw);
    })(),
  );
}

/** The largest entry list in any of the JSON texts that parses. */
function largestListing(jsonTexts: Iterable<string>): unknown[] | undefined {
  let best: unknown[] | undefined;
  for (const json of jsonTexts) {
    let props: unknown;
    try {
      props = JSON.parse(json);
    } catch {
      continue; // the DOM path reports it
    }
    const list = findEntryList(props, 0);
    if (list && (best === undefined || list.length > best.length)) best = list;
  }
  return best;
}

/**
 * The listing straight from the markup: from the page's bytes when it has them (no decoding of the
 * whole body), else from its text. Bytes that yield no listing are read again as text, so what is
 * found does not depend on which the page was made from.
 */
function listingFromMarkup(page: Pick<Page, 'body' | 'bytes'>): unknown[] | undefined {
  const fromBytes = page.bytes && largestListing(propsJsonFromBytes(page.bytes, propsJson));
  return fromBytes ?? scanMarkupForListing(page.body);
}

const MAX_PROPS_DEPTH = 3;

export function findEntryList(value: unknown, depth = 0): unknown[] | undefined {
  if (isHfEntryList(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth >= MAX_PROPS_DEPTH) return undefined;
  const props = value as Record<string, unknown>;
  const named = props.dailyPapers;
  if (Array.isArray(named) && (named.length === 0 || isHfEntryList(named))) return named;
  for (const child of Object.values(props)) {
    if (typeof child !== 'object' || child === null) continue;
    const found = findEntryList(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 120 ? `${message.slice(0, 117)}...` : message;
}

/** Card fallback: `<article>` with `h3 > a[href="/papers/<id>"]`, upvotes in `.leading-none`, comments in `a[href$="#community"]`. */
function extractCards($: CheerioAPI, pageUrl: string): RawEntry[] {
  const entries: RawEntry[] = [];
  const seen = new Set<string>();
  for (const article of $('article').toArray()) {
    const card = $(article);
    const titleLink = card
      .find('h3 a[href]')
      .toArray()
      .find((a) => paperIdFromHref(a, pageUrl) !== undefined);
    const anyLink =
      titleLink ??
      card
        .find('a[href]')
        .toArray()
        .find((a) => paperIdFromHref(a, pageUrl) !== undefined);
    const id = anyLink && paperIdFromHref(anyLink, pageUrl);
    if (!id || seen.has(id)) continue;
    seen.add(id);

    const entry: RawEntry = { rank: entries.length + 1, externalId: id, arxivId: id };
    const title = capText(elementText(titleLink ?? card.find('h3').get(0)), TEXT_LIMITS.title);
    if (title) entry.title = title;
    const url = hfPaperUrl(id, pageUrl);
    if (url) entry.url = url;
    const upvotes = firstCount(card.find('.leading-none').toArray());
    if (upvotes !== undefined) entry.upvotes = upvotes;
    const comments = firstCount(card.find('a[href$="#community"]').toArray());
    if (comments !== undefined) entry.comments = comments;
    entries.push(entry);
  }
  return entries;
}

const RESERVED_PAPER_PATHS = new Set(['trending', 'date', 'week', 'month', 'submit']);

/** The paper id of a link to `/papers/<id>` (one path segment), else undefined. */
function paperIdFromHref(link: Element, pageUrl: string): string | undefined {
  const href = absoluteUrl(link.attribs.href, pageUrl);
  if (!href) return undefined;
  const match = /^\/papers\/([^/]+)\/?$/.exec(new URL(href).pathname);
  const id = match?.[1] && safeDecode(match[1]);
  return id && !RESERVED_PAPER_PATHS.has(id) ? id : undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function firstCount(elements: Element[]): number | undefined {
  for (const el of elements) {
    const count = toInt(elementText(el));
    if (count !== undefined) return count;
  }
  return undefined;
}
