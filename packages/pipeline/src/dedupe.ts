import type { NormalizedEntry } from './entry.js';

/**
 * Dedupe rules, in order: arXiv id ▸ the source's alias ▸ normalized title ▸ near-duplicate title
 * (pg_trgm similarity plus an author check, for entries without an arXiv id). Pure: the
 * repository answers the look-ups, these functions decide.
 */

export type MatchRoute = 'arxiv-id' | 'alias' | 'title' | 'near-duplicate';

export type Resolution = { kind: 'existing'; paperId: number; route: MatchRoute } | { kind: 'new' };

export interface KnownPaper {
  id: number;
  arxivId: string | null;
  titleKey: string;
}

export interface NearDuplicateCandidate {
  paperId: number;
  similarity: number;
  authorKeys: string[];
}

export interface Lookups {
  byArxivId: ReadonlyMap<string, KnownPaper>;
  /** Alias external id (for this batch's source) → paper id. */
  byAlias: ReadonlyMap<string, number>;
  /** Normalized title → papers with that title. */
  byTitleKey: ReadonlyMap<string, KnownPaper[]>;
  /** Entry external id → near-duplicate candidates, best first. */
  nearDuplicates: ReadonlyMap<string, NearDuplicateCandidate[]>;
}

/** Advisory-lock keys a batch takes before it looks anything up, so concurrent batches that share a paper serialize. */
export function dedupeLockKeys(entries: readonly NormalizedEntry[]): string[] {
  const keys = new Set<string>();
  for (const entry of entries) {
    if (entry.arxivId) keys.add(`arxiv:${entry.arxivId}`);
    keys.add(`title:${entry.titleKey}`);
  }
  return [...keys].sort();
}

/** Drops repeats within one batch (a listing that shows one paper twice), keeping the best rank. */
export function collapseBatch(entries: readonly NormalizedEntry[]): { unique: NormalizedEntry[]; repeats: number } {
  const seen = new Set<string>();
  const unique: NormalizedEntry[] = [];
  for (const entry of [...entries].sort((a, b) => a.rank - b.rank)) {
    const key = entry.arxivId ? `arxiv:${entry.arxivId}` : `title:${entry.titleKey}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(entry);
  }
  return { unique, repeats: entries.length - unique.length };
}

/** Near-duplicate titles need an author in common; with no authors to compare, a much closer title. */
export function isNearDuplicate(
  similarity: number,
  entryAuthorKeys: readonly string[],
  paperAuthorKeys: readonly string[],
  threshold: number,
): boolean {
  if (similarity < threshold) return false;
  if (entryAuthorKeys.length === 0 || paperAuthorKeys.length === 0) return similarity >= Math.max(threshold, 0.9);
  const theirs = new Set(paperAuthorKeys);
  const shared = entryAuthorKeys.filter((k) => theirs.has(k)).length;
  return shared / Math.min(entryAuthorKeys.length, paperAuthorKeys.length) >= 0.5;
}

export function resolveEntry(entry: NormalizedEntry, lookups: Lookups, threshold: number): Resolution {
  if (entry.arxivId) {
    const known = lookups.byArxivId.get(entry.arxivId);
    if (known) return { kind: 'existing', paperId: known.id, route: 'arxiv-id' };
  }
  const aliased = lookups.byAlias.get(entry.externalId);
  if (aliased !== undefined) return { kind: 'existing', paperId: aliased, route: 'alias' };

  const sameTitle = lookups.byTitleKey.get(entry.titleKey) ?? [];
  // An entry with an arXiv id only takes over a paper that has none: two ids are two papers.
  const titleMatch = entry.arxivId
    ? sameTitle.find((p) => p.arxivId === null)
    : (sameTitle.find((p) => p.arxivId !== null) ?? sameTitle[0]);
  if (titleMatch) return { kind: 'existing', paperId: titleMatch.id, route: 'title' };

  if (!entry.arxivId) {
    const candidate = (lookups.nearDuplicates.get(entry.externalId) ?? []).find((c) =>
      isNearDuplicate(c.similarity, entry.authorKeys, c.authorKeys, threshold),
    );
    if (candidate) return { kind: 'existing', paperId: candidate.paperId, route: 'near-duplicate' };
  }
  return { kind: 'new' };
}
