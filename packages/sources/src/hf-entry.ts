/**
 * Hugging Face daily-papers entries, shared by the `hf-papers` (HTML listing) and
 * `hf-api` (JSON API) adapters: both carry the same entry shape.
 */
import { absoluteUrl, capText, cleanText, TEXT_LIMITS, toInt } from './text.js';
import type { RawEntry } from './types.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The paper id of an entry (`entry.paper.id`), or undefined when the entry has no usable one. */
export function hfPaperId(entry: unknown): string | undefined {
  if (!isObject(entry) || !isObject(entry.paper)) return undefined;
  const id = nonEmptyString(entry.paper.id);
  return id?.trim();
}

/** True when the array holds at least one object with a `paper.id`. */
export function isHfEntryList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.some((item) => hfPaperId(item) !== undefined);
}

/** The page of a paper on Hugging Face, resolved against the listing URL. */
export function hfPaperUrl(id: string, pageUrl: string): string | undefined {
  let path: string;
  try {
    path = id.split('/').map(encodeURIComponent).join('/');
  } catch {
    return undefined; // a lone surrogate cannot be percent-encoded (URIError): no link
  }
  return absoluteUrl(`/papers/${path}`, pageUrl);
}

export interface HfMapResult {
  entries: RawEntry[];
  /** Items dropped because they had no `paper.id`. */
  skipped: number;
}

/**
 * Map listing entries to raw entries in page order. Items without `paper.id` are
 * skipped (and counted); repeats of an id keep the first. Ranks are 1..n over what is kept.
 */
export function mapHfEntries(items: readonly unknown[], pageUrl: string): HfMapResult {
  const entries: RawEntry[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const item of items) {
    const id = hfPaperId(item);
    if (id === undefined || !isObject(item) || !isObject(item.paper)) {
      skipped++;
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    entries.push(mapHfEntry(item, item.paper, id, entries.length + 1, pageUrl));
  }
  return { entries, skipped };
}

function mapHfEntry(entry: JsonObject, paper: JsonObject, id: string, rank: number, pageUrl: string): RawEntry {
  const raw: RawEntry = { rank, externalId: id, arxivId: id };
  const title = capText(cleanText(nonEmptyString(paper.title) ?? nonEmptyString(entry.title)), TEXT_LIMITS.title);
  if (title) raw.title = title;
  const abstract = capText(
    cleanText(nonEmptyString(paper.summary) ?? nonEmptyString(entry.summary)),
    TEXT_LIMITS.abstract,
  );
  if (abstract) raw.abstract = abstract;
  const authors = authorNames(paper.authors);
  if (authors.length > 0) raw.authors = authors;
  const url = hfPaperUrl(id, pageUrl);
  if (url) raw.url = url;
  const upvotes = toInt(paper.upvotes);
  if (upvotes !== undefined) raw.upvotes = upvotes;
  const comments = toInt(entry.numComments);
  if (comments !== undefined) raw.comments = comments;
  // paper.publishedAt is the paper's own date; the entry-level one is the same instant
  // shifted by the listing's time zone (e.g. 20:00Z the day before).
  const publishedAt = isoDate(paper.publishedAt) ?? isoDate(entry.publishedAt);
  if (publishedAt) raw.publishedAt = publishedAt;
  return raw;
}

/** Author names in order; hidden authors are still authors, empty names are skipped. */
function authorNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const author of value) {
    const name = capText(
      cleanText(isObject(author) ? nonEmptyString(author.name) : nonEmptyString(author)),
      TEXT_LIMITS.author,
    );
    if (name) names.push(name);
  }
  return names;
}

function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > TEXT_LIMITS.label) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
