import type { Config } from '@paperboy/config';
import { appendEvents, createDb, PaperRepository, TopicRepository } from '@paperboy/db';
import { loadTaxonomy, normalizeArxivId } from '@paperboy/pipeline';
import { updatedEvent } from '@paperboy/processor';
import { UsageError } from '../args.js';

export async function label(config: Config, positionals: string[], topicsArg: string | undefined) {
  if (positionals.length !== 1)
    throw new UsageError(`label: give exactly one arXiv id, got ${positionals.length}`, 'label');
  const rawId = positionals[0];
  const arxivId = normalizeArxivId(rawId);
  if (!arxivId) throw new UsageError(`label: ${JSON.stringify(rawId ?? '')} is not an arXiv id`, 'label');
  if (topicsArg === undefined) throw new UsageError('label: --topics is required (use --topics "" to clear)', 'label');
  const taxonomy = loadTaxonomy(config.taxonomyPath);
  const known = new Set(taxonomy.topics.map((t) => t.id));
  const topics = [
    ...new Set(
      topicsArg
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = topics.filter((t) => !known.has(t));
  if (unknown.length)
    throw new UsageError(`label: unknown topic(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`, 'label');
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    // The labels and the paper.updated they cause (its topics changed) in one transaction.
    const found = await db.transaction().execute(async (trx) => {
      const paperId = await new TopicRepository(trx).paperIdByArxivId(arxivId);
      if (paperId === undefined) return false;
      const papers = new PaperRepository(trx);
      const before = (await papers.snapshotPapers([paperId], { lock: true })).get(paperId)!;
      await new TopicRepository(trx).replaceLabels(paperId, topics, process.env.USER ?? null);
      const after = (await papers.snapshotPapers([paperId])).get(paperId)!;
      await appendEvents(trx, updatedEvent(before, after));
      return true;
    });
    if (!found) throw new UsageError(`label: no stored paper has arXiv id ${arxivId}`, 'label');
    return { arxivId, labels: topics };
  } finally {
    await db.destroy();
  }
}
