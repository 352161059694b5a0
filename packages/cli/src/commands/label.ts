import type { Config } from '@paperboy/config';
import { createDb, TopicRepository } from '@paperboy/db';
import { loadTaxonomy, normalizeArxivId } from '@paperboy/pipeline';
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
    const found = await new TopicRepository(db).setLabels(arxivId, topics, process.env.USER ?? null);
    if (!found) throw new UsageError(`label: no stored paper has arXiv id ${arxivId}`, 'label');
    return { arxivId, labels: topics };
  } finally {
    await db.destroy();
  }
}
