import type { Config } from '@paperboy/config';
import { appendEvents, createDb, PaperRepository, TopicRepository, type TopicRow } from '@paperboy/db';
import type { Logger } from '@paperboy/logger';
import { classify, loadTaxonomy } from '@paperboy/pipeline';
import { updatedEvent } from '@paperboy/processor';

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
      // New topics and the paper.updated of each paper whose topics changed, in one transaction.
      await db.transaction().execute(async (trx) => {
        const repository = new PaperRepository(trx);
        const ids = batch.map((p) => p.id);
        const before = await repository.snapshotPapers(ids, { lock: true });
        await repository.replaceTopics(ids, topics, taxonomy.version);
        const after = await repository.snapshotPapers(ids);
        await appendEvents(
          trx,
          ids.flatMap((id) => (before.has(id) && after.has(id) ? updatedEvent(before.get(id)!, after.get(id)!) : [])),
        );
      });
      papers += batch.length;
      topicsWritten += topics.length;
      logger.info({ papers, topicsWritten }, 'reclassify progress');
    }
  } finally {
    await db.destroy();
  }
  return { papers, topicsWritten, taxonomyVersion: taxonomy.version, durationMs: Date.now() - started };
}
