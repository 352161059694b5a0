import { PaperRepository } from '@paperboy/db';
import { loadTaxonomy, normalizeEntry } from '@paperboy/pipeline';
import { type BatchContext, storeBatch } from '../../services/processor/src/store-batch.js';
import { freshDatabase } from './fresh-database.js';

/**
 * enrich-mark: what marking new papers due for enrichment (issue 13) adds to storing a batch. Batches
 * of 50 new papers with arXiv ids from a generic listing (so both kinds are marked: the most rows),
 * stored one at a time, alternating batch by batch between enrichment off and `arxiv,hf`, so the
 * machine's load falls on both alike. Prints the mean and median ms a batch of each.
 */
export async function benchEnrichMark(): Promise<Record<string, unknown>> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432/paperboy_bench';
  const { db } = await freshDatabase(baseUrl, 'paperboy_bench_enrich_mark', { max: 2 });
  const repo = new PaperRepository(db);
  const taxonomy = loadTaxonomy();
  const batches = Number(process.env.BENCH_ENRICH_BATCHES ?? 200);
  const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    for (let b = 0; b < batches; b++) {
      const mode = b % 2 === 0 ? 'off' : 'on';
      const entries = Array.from({ length: 50 }, (_, i) => {
        const n = b * 50 + i;
        const arxivId = `2601.${String(10000 + n).padStart(5, '0')}`;
        const result = normalizeEntry({
          rank: i + 1,
          externalId: arxivId,
          arxivId,
          title: `A study of enrichment marks, number ${n}`,
          abstract: 'We measure what one more insert per batch costs.',
          authors: ['Ada Lovelace', 'Alan Turing'],
        });
        if (!result.ok) throw new Error(result.reason);
        return result.entry;
      });
      const context: BatchContext = {
        source: 'bench-list',
        adapter: 'generic',
        listing: 'https://bench.test/list',
        seenAt: new Date(),
        fetchId: null,
      };
      const started = performance.now();
      await storeBatch(db, repo, context, entries, [], {
        taxonomy,
        nearDuplicateThreshold: 0.75,
        enrich: mode === 'on' ? ['arxiv', 'hf'] : [],
      });
      if (b >= 20) times[mode].push(performance.now() - started); // the first 20: warm-up
    }
  } finally {
    await db.destroy();
  }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, c) => a - c);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      mean: round(xs.reduce((s, x) => s + x, 0) / xs.length),
      median: round(sorted[Math.floor(xs.length / 2)]!),
    };
  };
  const off = stats(times.off);
  const on = stats(times.on);
  return {
    batches: times.off.length + times.on.length,
    msPerBatchOff: off,
    msPerBatchOn: on,
    medianRatio: Math.round((on.median / off.median) * 1000) / 1000,
  };
}
