import type { CheerioAPI } from 'cheerio';
import { type AnyNode, type Element, isTag } from 'domhandler';
import { arxivIdFromAbsUrl, doiFrom, isArxivId, versionOf, withoutVersion } from '../arxiv-id.js';
import { elementText, findElement, hasClass, walkElements } from '../dom-text.js';
import { absoluteUrl, capText, cleanText, stripDescriptor, TEXT_LIMITS } from '../text.js';
import type { ExtractResult, RawEntry, SourceAdapter } from '../types.js';

export const arxivListAdapter: SourceAdapter = {
  id: 'arxiv-list',
  description:
    'arXiv listing pages: /list/<cat>/new (new, cross-list and replacement sections, with abstracts) and /list/<cat>/recent or /pastweek (one block per day), 2024 and legacy layouts',
  accepts: ['text/html'],
  exampleUrls: [
    'https://arxiv.org/list/cs.LG/new',
    'https://arxiv.org/list/astro-ph/pastweek?show=1000',
    'https://arxiv.org/list/cs.CL/recent',
  ],
  extract: (page) => extractArxivList(page.$(), page.url),
};

/**
 * Entries of an arXiv listing page in page order. Each entry is a `<dt>` (the abs link)
 * followed by its `<dd>` (title, authors, subjects, and on /new pages the abstract);
 * the section is the `<h3>` before it.
 */
export function extractArxivList($: CheerioAPI, pageUrl: string): ExtractResult {
  const entries: RawEntry[] = [];
  const seen = new Set<string>();
  let section: string | undefined;
  let withoutId = 0;
  let repeated = 0;

  // One pass in document order: headings set the section for the entries after them.
  for (const el of $('h3, dt').toArray()) {
    if (el.name === 'h3') {
      section = sectionFromHeading(elementText(el));
      continue;
    }
    const link = findElement(el, (a) => a.name === 'a' && (a.attribs.href?.includes('/abs/') ?? false));
    const dtText = capText(elementText(el), TEXT_LIMITS.label);
    const arxivId = idFromLink(link) ?? idFromText(dtText);
    if (!arxivId) {
      // A <dt> with neither an abs link nor "arXiv:<id>" is not a listing entry (but count
      // the ones that look like entries, so a layout change shows up in the warnings).
      if (/arxiv/i.test(dtText)) withoutId++;
      continue;
    }
    if (seen.has(arxivId)) {
      repeated++;
      continue;
    }
    seen.add(arxivId);

    const entry: RawEntry = { rank: entries.length + 1, externalId: arxivId, arxivId };
    const url = absoluteUrl(link?.attribs.href, pageUrl) ?? absoluteUrl(`/abs/${arxivId}`, pageUrl);
    if (url) entry.url = url;
    const entrySection = section ?? sectionFromMarker(dtText);
    if (entrySection) entry.section = entrySection;

    const version = versionOf(arxivId) ?? versionFromLinks(el, arxivId);
    if (version !== undefined) entry.version = version;

    const dd = nextElement(el);
    if (dd?.name === 'dd') fillFromDetails(dd, entry);
    entries.push(entry);
  }

  const warnings: string[] = [];
  if (entries.length === 0) warnings.push('arxiv-list: no entries found (no <dt> with an arXiv abs link or id)');
  if (withoutId > 0) warnings.push(`arxiv-list: ${withoutId} entries without a readable arXiv id were skipped`);
  if (repeated > 0) warnings.push(`arxiv-list: ${repeated} repeated entries were skipped`);
  return { entries, warnings };
}

/** Title, authors, abstract and subjects from the `<dd>`, in one walk over it. */
function fillFromDetails(dd: Element, entry: RawEntry): void {
  const authors: string[] = [];
  let subjects: Element | undefined;
  walkElements(dd, (el) => {
    if (el.name === 'div') {
      if (hasClass(el, 'list-title')) {
        const title = stripDescriptor(capText(elementText(el, { skipDescriptors: true }), TEXT_LIMITS.title));
        if (title) entry.title = title;
        return true;
      }
      if (hasClass(el, 'list-authors')) {
        walkElements(el, (a) => {
          if (a.name !== 'a') return false;
          const name = capText(elementText(a), TEXT_LIMITS.author);
          if (name) authors.push(name);
          return true;
        });
        return true;
      }
      if (hasClass(el, 'list-subjects')) {
        subjects = el;
        return true;
      }
      if (hasClass(el, 'list-comments')) {
        const comments = detailText(el);
        if (comments) entry.arxivComments = comments;
        return true;
      }
      if (hasClass(el, 'list-journal-ref')) {
        const journalRef = detailText(el);
        if (journalRef) entry.journalRef = journalRef;
        return true;
      }
      if (hasClass(el, 'list-doi')) {
        const doi = doiFrom(detailText(el));
        if (doi) entry.doi = doi;
        return true;
      }
    } else if (el.name === 'p' && hasClass(el, 'mathjax')) {
      const abstract = stripDescriptor(capText(elementText(el, { skipDescriptors: true }), TEXT_LIMITS.abstract));
      if (abstract) entry.abstract = abstract;
      return true;
    }
    return false;
  });
  if (authors.length > 0) entry.authors = authors;
  if (subjects) {
    const primary = subjectCodes(elementText(findElement(subjects, (s) => hasClass(s, 'primary-subject'))));
    if (primary[0]) entry.primaryCategory = primary[0];
    const categories = [...new Set([...primary, ...subjectCodes(elementText(subjects, { skipDescriptors: true }))])];
    if (categories.length > 0) entry.categories = categories;
  }
}

/** A comments, journal-ref or DOI line less its "Comments:" label, capped. */
function detailText(el: Element): string {
  return stripDescriptor(capText(elementText(el, { skipDescriptors: true }), TEXT_LIMITS.summary)).trimEnd();
}

/**
 * The version in the `<dt>`'s other links: the abs link has none on current pages, but the HTML
 * link does (`/html/2411.14419v1`).
 */
function versionFromLinks(dt: Element, arxivId: string): number | undefined {
  const id = withoutVersion(arxivId);
  let version: number | undefined;
  walkElements(dt, (a) => {
    if (version !== undefined) return true;
    if (a.name !== 'a') return false;
    const href = a.attribs.href;
    if (href && href.length <= TEXT_LIMITS.url) {
      const tail = href.slice(href.lastIndexOf('/') + 1);
      if (tail.startsWith(id) && isArxivId(tail) && withoutVersion(tail) === id) version = versionOf(tail);
    }
    return true;
  });
  return version;
}

function idFromLink(link: Element | undefined): string | undefined {
  return arxivIdFromAbsUrl(link?.attribs.href);
}

function idFromText(text: string): string | undefined {
  const id = /arXiv:\s*(\S+)/i.exec(text)?.[1];
  return id && isArxivId(id) ? id : undefined;
}

/**
 * `new`, `cross-list`, `replacement` for /new pages (2024 and legacy wording), the day
 * (e.g. "Fri, 22 Nov 2024") for /recent and /pastweek. The page title heading
 * ("Showing new listings for …") is no section.
 */
export function sectionFromHeading(heading: string): string | undefined {
  const text = capText(cleanText(heading), TEXT_LIMITS.heading).trimEnd();
  if (/^new submissions\b/i.test(text)) return 'new';
  if (/^cross(?:-lists?| submissions)\b/i.test(text)) return 'cross-list';
  if (/^replacements?\b|^replacement submissions\b/i.test(text)) return 'replacement';
  if (/^showing new listings\b/i.test(text)) return undefined;
  const day = withoutCountSuffix(text);
  return day === '' ? undefined : day;
}

/**
 * The heading less a final "(showing 75 of 75 entries)" or "(first 25 …)": the earliest
 * "(showing" / "(first" after the last-but-one ")", when the heading ends with ")". Found by
 * index, not by a `\s*\(…[^)]*\)\s*$` pattern, which rescanned to the end from every "(".
 */
function withoutCountSuffix(text: string): string {
  if (!text.endsWith(')')) return text;
  const inside = text.lastIndexOf(')', text.length - 2) + 1;
  const open = COUNT_SUFFIX_START.exec(text.slice(inside));
  return open ? text.slice(0, inside + open.index).trimEnd() : text;
}

const COUNT_SUFFIX_START = /\((?:showing|first)\b/i;

/** Fallback when no heading precedes the entry: the "(cross-list from …)" / "(replaced)" marker of the dt. */
function sectionFromMarker(dtText: string): string | undefined {
  if (/\(cross-list from /i.test(dtText)) return 'cross-list';
  if (/\(replaced\)/i.test(dtText)) return 'replacement';
  return undefined;
}

/** Subject codes in a "Name (code); Name (code)" list, in order. */
function subjectCodes(text: string): string[] {
  const codes: string[] = [];
  for (const part of capText(text, TEXT_LIMITS.label).split(';')) {
    const code = /\(([a-z][a-z-]*(?:\.[A-Za-z][A-Za-z-]*)?)\)\s*$/.exec(part.trim())?.[1];
    if (code) codes.push(code);
  }
  return codes;
}

function nextElement(node: AnyNode): Element | undefined {
  for (let next = node.nextSibling; next; next = next.nextSibling) {
    if (isTag(next)) return next;
  }
  return undefined;
}
