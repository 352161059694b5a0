import type { Config } from '@paperboy/config';
import { createDb, PaperRepository, TopicRepository, type TopicRow } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { classify, loadTaxonomy } from '@paperboy/pipeline';

export async function reclassify(config: Config, batchSize: number, logger: Logger) {
  const started = Date.now();
  const taxonomy = loadTaxonomy(config.taxonomyPath);
  const db = createDb(config.databaseUrl, { max: 2 });
  let papers = 0;
  let topicsWritten = 0;
  try {
    for await (const batch of new TopicRepository(db).streamPaperTexts(batchSize)) {
      const topics: TopicRow[] = batch.flatMap((paper) =>
        classify(paper, taxonomy).map((t, position) => ({
          paperId: paper.id,
          topicId: t.id,
          score: t.score,
          position,
          evidence: t.evidence,
        })),
      );
      await db.transaction().execute((trx) =>
        new PaperRepository(trx).replaceTopics(
          batch.map((p) => p.id),
          topics,
          taxonomy.version,
        ),
      );
      papers += batch.length;
      topicsWritten += topics.length;
      logger.info({ papers, topicsWritten }, 'reclassify progress');
    }
  } finally {
    await db.destroy();
  }
  return { papers, topicsWritten, taxonomyVersion: taxonomy.version, durationMs: Date.now() - started };
}
