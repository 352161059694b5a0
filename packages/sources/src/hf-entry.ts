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
  addHfDetails(raw, entry, paper, pageUrl);
  return raw;
}

/**
 * What else an entry gives (issue 13): code, stars, project page, summary, keywords,
 * organization, submitter, thumbnail and media. The paper's own value first, then the entry's
 * (organization and mediaUrls appear on both). URLs must be absolute http(s): a relative one
 * is resolved against the listing, anything else (`javascript:`) is dropped.
 */
function addHfDetails(raw: RawEntry, entry: JsonObject, paper: JsonObject, pageUrl: string): void {
  const githubRepo = webUrl(paper.githubRepo ?? entry.githubRepo, pageUrl);
  if (githubRepo) raw.githubRepo = githubRepo;
  const stars = toInt(paper.githubStars ?? entry.githubStars);
  if (stars !== undefined) raw.githubStars = stars;
  const projectPage = webUrl(paper.projectPage ?? entry.projectPage, pageUrl);
  if (projectPage) raw.projectPage = projectPage;
  const aiSummary = capText(cleanText(nonEmptyString(paper.ai_summary)), TEXT_LIMITS.summary);
  if (aiSummary) raw.aiSummary = aiSummary;
  const keywords = texts(paper.ai_keywords, TEXT_LIMITS.label);
  if (keywords.length > 0) raw.aiKeywords = keywords;
  const organization = handle(paper.organization) ?? handle(entry.organization);
  if (organization) raw.organization = organization;
  const submittedBy = handle(entry.submittedBy) ?? userHandle(paper.submittedOnDailyBy);
  if (submittedBy) raw.submittedBy = submittedBy;
  const thumbnail = webUrl(entry.thumbnail ?? paper.thumbnail, pageUrl);
  if (thumbnail) raw.thumbnail = thumbnail;
  const media = webUrls(Array.isArray(paper.mediaUrls) ? paper.mediaUrls : entry.mediaUrls, pageUrl);
  if (media.length > 0) raw.mediaUrls = media;
}

function webUrl(value: unknown, pageUrl: string): string | undefined {
  return typeof value === 'string' ? absoluteUrl(value, pageUrl) : undefined;
}

/** Distinct http(s) URLs in order, at most TEXT_LIMITS.items. */
function webUrls(value: unknown, pageUrl: string): string[] {
  if (!Array.isArray(value)) return [];
  const urls = new Set<string>();
  for (const item of value.slice(0, TEXT_LIMITS.items * 4)) {
    const url = webUrl(item, pageUrl);
    if (url) urls.add(url);
    if (urls.size === TEXT_LIMITS.items) break;
  }
  return [...urls];
}

/** Non-empty cleaned strings in order, each capped, at most TEXT_LIMITS.items. */
function texts(value: unknown, max: number): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value.slice(0, TEXT_LIMITS.items * 4)) {
    const text = capText(cleanText(nonEmptyString(item)), max).trimEnd();
    if (text) out.push(text);
    if (out.length === TEXT_LIMITS.items) break;
  }
  return out;
}

/** The `name` (the handle in URLs) of an organization or user object, or a plain string. */
function handle(value: unknown): string | undefined {
  const name = isObject(value) ? nonEmptyString(value.name) : nonEmptyString(value);
  const text = capText(cleanText(name), TEXT_LIMITS.label).trimEnd();
  return text === '' ? undefined : text;
}

/** `submittedOnDailyBy` names its user in `user` (and `name`). */
function userHandle(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  return handle(value.user) ?? handle(value.name);
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
