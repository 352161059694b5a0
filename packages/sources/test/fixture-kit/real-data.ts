/**
 * Real data for generated fixtures: the Hugging Face API captures kept in
 * `test/fixtures/hf-api/` and the arXiv query API captures in `test/fixtures/arxiv-list/inputs/`.
 */
import { readFileSync } from 'node:fs';
import { load } from 'cheerio';

export interface HfAuthor {
  name: string;
  hidden?: boolean;
  [key: string]: unknown;
}

/** One `/api/daily_papers` entry, as much of it as the generators touch. */
export interface HfApiEntry {
  paper: {
    id: string;
    title: string;
    summary?: string;
    upvotes: number;
    publishedAt: string;
    authors: HfAuthor[];
    [key: string]: unknown;
  };
  title?: string;
  thumbnail?: string;
  numComments?: number;
  [key: string]: unknown;
}

export const HF_CAPTURES = [
  'hf-api-daily_papers-3items-2026-05-11.json',
  'hf-api-daily_papers-date-2026-07-31-5items.json',
  'hf-api-daily_papers-limit3-2026-08-03.json',
  'hf-api-daily_papers-limit30-2026-06-13.json',
] as const;

export type HfCaptureName = (typeof HF_CAPTURES)[number];

const HF_API_FIXTURES = new URL('../fixtures/hf-api/', import.meta.url);
const ARXIV_INPUTS = new URL('../fixtures/arxiv-list/inputs/', import.meta.url);

/** The entries of one capture, in response order (a fresh deep copy each call). */
export function loadHfCapture(name: HfCaptureName): HfApiEntry[] {
  return JSON.parse(readFileSync(new URL(name, HF_API_FIXTURES), 'utf8')) as HfApiEntry[];
}

/** Every distinct paper of the four captures, first sighting kept. */
export function loadAllHfEntries(): HfApiEntry[] {
  const byId = new Map<string, HfApiEntry>();
  for (const name of HF_CAPTURES) {
    for (const entry of loadHfCapture(name)) if (!byId.has(entry.paper.id)) byId.set(entry.paper.id, entry);
  }
  return [...byId.values()];
}

/** Pick entries by paper id, in the order given; throws on an id no capture has. */
export function pickHfEntries(ids: readonly string[]): HfApiEntry[] {
  const byId = new Map(loadAllHfEntries().map((e) => [e.paper.id, e]));
  return ids.map((id) => {
    const entry = byId.get(id);
    if (!entry) throw new Error(`no captured Hugging Face entry for ${id}`);
    return entry;
  });
}

/** Highest upvotes first, ties in their original order (how a listing page orders a day). */
export function byUpvotes(entries: readonly HfApiEntry[]): HfApiEntry[] {
  return [...entries].sort((a, b) => b.paper.upvotes - a.paper.upvotes);
}

export interface AtomPaper {
  /** Without version. */
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  /** Primary first. */
  categories: string[];
  comment?: string;
  published: string;
}

/** Papers of the arXiv query API captures. */
export function loadAtomPapers(): AtomPaper[] {
  const papers: AtomPaper[] = [];
  for (const name of [
    'arxiv-api-query-transformer-cs.LG-2026-06-14.atom.xml',
    'arxiv-api-query-cat-cs.CL-2026-05-11.atom.xml',
  ]) {
    const $ = load(readFileSync(new URL(name, ARXIV_INPUTS), 'utf8'), { xml: true });
    for (const el of $('entry').toArray()) {
      const entry = $(el);
      const id = entry
        .children('id')
        .text()
        .replace(/^.*\/abs\//, '')
        .replace(/v\d+$/, '');
      const primary = entry.children('arxiv\\:primary_category').attr('term');
      const terms = entry
        .children('category')
        .toArray()
        .map((c) => $(c).attr('term') ?? '');
      const categories = [...new Set([primary ?? '', ...terms])].filter(Boolean);
      const comment = entry.children('arxiv\\:comment').text().trim();
      papers.push({
        id,
        title: entry.children('title').text().trim(),
        abstract: entry.children('summary').text().trim(),
        authors: entry
          .children('author')
          .toArray()
          .map((a) => $(a).children('name').text().trim()),
        categories,
        ...(comment ? { comment } : {}),
        published: entry.children('published').text().trim(),
      });
    }
  }
  return papers;
}
