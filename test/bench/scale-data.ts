/**
 * The large generated data set the dashboard and serve benchmarks share: papers over the last 90 days,
 * one topic each, skewed upvotes, titles and abstracts made of machine-learning vocabulary (so that
 * full-text search has real words to match, with common and rare terms), and sightings spread over
 * the papers' lifetimes. Generating 1,000,000 papers and 20,000,000 sightings takes minutes, so a
 * database that already holds this generator's data at this size is reused: the marker is a comment
 * on the database naming the generator version and the sizes (the schema itself is brought up to date
 * by the caller's migrateToLatest, whatever it was generated under).
 */
import { DashboardRepository, type Db } from '@paperboy/db';
import { loadTaxonomy } from '@paperboy/pipeline';
import { sql } from 'kysely';

/** Bumped whenever what `generateScaleData` writes changes: older databases are then regenerated. */
const GENERATOR_VERSION = 2;

/** The default taxonomy's topic ids, in its order: what the generated papers are classified into. */
export const BENCH_TOPICS: readonly string[] = loadTaxonomy().topics.map((topic) => topic.id);

// Words of paper titles and abstracts; the generator combines them with co-prime strides, so a word
// is common or rare depending on where it sits (the first ones of each list are picked most often).
const TITLE_WORDS = [
  'scalable',
  'efficient',
  'robust',
  'sparse',
  'adaptive',
  'contrastive',
  'hierarchical',
  'causal',
  'federated',
  'diffusion',
  'transformer',
  'attention',
  'retrieval',
  'reasoning',
  'alignment',
  'distillation',
  'quantization',
  'pruning',
  'tokenization',
  'segmentation',
  'detection',
  'generation',
  'planning',
  'exploration',
  'calibration',
  'uncertainty',
  'interpretability',
  'robustness',
  'privacy',
  'fairness',
  'compression',
  'pretraining',
  'finetuning',
  'benchmark',
  'dataset',
  'graph',
  'molecular',
  'protein',
  'speech',
  'audio',
  'video',
  'image',
  'language',
  'multilingual',
  'instruction',
  'preference',
  'reward',
  'policy',
  'agent',
  'memory',
  'recurrent',
  'convolutional',
  'kernel',
  'bayesian',
  'variational',
  'stochastic',
  'gradient',
  'optimizer',
  'curriculum',
  'continual',
  'meta',
  'few-shot',
  'zero-shot',
  'self-supervised',
  'semi-supervised',
  'unsupervised',
  'generalization',
  'scaling',
  'mixture',
  'experts',
  'routing',
  'decoding',
  'sampling',
  'inference',
  'serving',
  'hallucination',
  'jailbreak',
  'watermarking',
  'embedding',
  'representation',
  'manifold',
  'topology',
  'equivariant',
  'symmetry',
  'physics',
  'climate',
  'weather',
  'medical',
  'clinical',
  'radiology',
  'genomics',
  'chemistry',
  'materials',
  'robotics',
  'manipulation',
  'navigation',
  'locomotion',
  'tabular',
  'time-series',
  'forecasting',
  'anomaly',
  'recommendation',
];
const ABSTRACT_WORDS = [
  'we',
  'propose',
  'a',
  'novel',
  'method',
  'for',
  'the',
  'of',
  'and',
  'to',
  'in',
  'that',
  'our',
  'approach',
  'model',
  'models',
  'learning',
  'training',
  'data',
  'results',
  'show',
  'improves',
  'state-of-the-art',
  'performance',
  'on',
  'tasks',
  'across',
  'experiments',
  'demonstrate',
  'significant',
  'gains',
  'while',
  'reducing',
  'cost',
  'compute',
  'memory',
  'latency',
  'accuracy',
  'baseline',
  'baselines',
  'large',
  'small',
  'language',
  'vision',
  'network',
  'neural',
  'deep',
  'framework',
  'analysis',
  'theoretical',
  'empirical',
  'evidence',
  'bound',
  'convergence',
  'rate',
  'sample',
  'complexity',
  'loss',
  'objective',
  'function',
  'optimization',
  'gradient',
  'descent',
  'layer',
  'layers',
  'attention',
  'heads',
  'tokens',
  'context',
  'window',
  'long',
  'short',
  'sequence',
  'sequences',
  'benchmark',
  'benchmarks',
  'evaluation',
  'metric',
  'metrics',
  'human',
  'preference',
  'feedback',
  'reinforcement',
  'reward',
  'policy',
  'agents',
  'environment',
  'simulation',
  'real-world',
  'deployment',
  'robust',
  'distribution',
  'shift',
  'out-of-distribution',
  'generalize',
  'unseen',
  'domains',
  'transfer',
  'pretrained',
  'encoder',
  'decoder',
  'diffusion',
  'denoising',
  'score',
  'generative',
  'adversarial',
  'graph',
  'nodes',
  'edges',
  'message',
  'passing',
  'protein',
  'molecules',
  'sparse',
  'dense',
  'retrieval',
  'augmented',
  'generation',
  'chain-of-thought',
  'reasoning',
  'mathematical',
  'code',
  'synthesis',
  'speech',
  'recognition',
  'audio',
  'video',
  'multimodal',
  'alignment',
  'safety',
  'privacy',
  'differential',
  'federated',
  'clients',
  'communication',
  'quantized',
  'low-rank',
  'adapters',
  'parameter-efficient',
  'fine-tuning',
  'distilled',
  'student',
  'teacher',
  'calibration',
  'uncertainty',
  'estimation',
  'bayesian',
  'posterior',
  'variational',
  'inference',
  'causal',
  'effects',
  'counterfactual',
  'interpretability',
  'features',
  'circuits',
  'mechanistic',
  'probing',
  'hallucinations',
  'factuality',
  'open-source',
];

function sqlArray(words: readonly string[]): string {
  return `ARRAY[${words.map((w) => `'${w}'`).join(',')}]`;
}

export interface ScaleData {
  papers: number;
  sightings: number;
  generateSeconds: number;
  reused: boolean;
}

/**
 * Fills `db` (freshly migrated) with `papers` papers and `sightings` sightings unless it already holds
 * this generator's data at that size; `refresh` rebuilds the dashboard's precomputed rows afterwards
 * (trending, topic counts), as the nightly full rebuild would.
 */
export async function generateScaleData(
  db: Db,
  databaseName: string,
  size: { papers: number; sightings: number },
): Promise<ScaleData> {
  const marker = `paperboy bench data v${GENERATOR_VERSION}: ${size.papers} papers, ${size.sightings} sightings`;
  const current = await sql<{ comment: string | null }>`
    SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ${databaseName}`.execute(
    db,
  );
  const started = Date.now();
  if (current.rows[0]?.comment === marker) {
    const papers = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM papers`.execute(db)).rows[0]!.n);
    return { papers, sightings: size.sightings, generateSeconds: 0, reused: true };
  }
  const { papers, sightings } = size;
  await sql.raw(`COMMENT ON DATABASE ${databaseName} IS NULL`).execute(db);
  await sql`TRUNCATE papers RESTART IDENTITY CASCADE`.execute(db);
  // Secondary indexes (not those behind constraints) are dropped during the load and built again
  // after it: one sort per index instead of 20 million index insertions (GIN ones above all).
  const indexes = (
    await sql<{ name: string; definition: string }>`
      SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('papers', 'sightings')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`.execute(db)
  ).rows;
  for (const index of indexes) await sql.raw(`DROP INDEX ${index.name}`).execute(db);
  // 4,000 sentences of 12 words and 3,000 three-word title phrases; each paper combines four of the
  // former and two of the latter with co-prime strides, so titles and abstracts rarely repeat.
  await sql
    .raw(`
    CREATE TEMP TABLE bench_sentences AS
    SELECT s AS n, (SELECT string_agg(w[1 + ((s * 31 + k * k * 17 + k * s * 7) % array_length(w, 1))], ' ' ORDER BY k)
                    FROM (SELECT ${sqlArray(ABSTRACT_WORDS)} AS w) aw, generate_series(1, 12) AS k) AS text
    FROM generate_series(1, 4000) AS s`)
    .execute(db);
  await sql
    .raw(`
    CREATE TEMP TABLE bench_phrases AS
    SELECT s AS n, (SELECT string_agg(w[1 + ((s * 13 + k * 37 + s * k * 3) % array_length(w, 1))], ' ' ORDER BY k)
                    FROM (SELECT ${sqlArray(TITLE_WORDS)} AS w) tw, generate_series(1, 3) AS k) AS text
    FROM generate_series(1, 3000) AS s`)
    .execute(db);
  await sql
    .raw(`
    INSERT INTO papers (arxiv_id, title, title_key, abstract, upvotes, first_seen_at, last_seen_at)
    SELECT '26' || lpad(((i / 100000) % 12 + 1)::text, 2, '0') || '.' || lpad((i % 100000)::text, 5, '0'),
           initcap(p1.text) || ': ' || p2.text || ' ' || i,
           p1.text || ' ' || p2.text || ' ' || i,
           s1.text || '. ' || s2.text || '. ' || s3.text || '. ' || s4.text || '.',
           -- Skewed like real upvotes: most papers few, a few hundreds.
           floor(power(((i::bigint * 7919) % 1000) / 1000.0, 4) * 800)::int,
           now() - ((i % 90) || ' days')::interval - ((i % 1440) || ' minutes')::interval,
           now() - ((i % 9) || ' days')::interval
    FROM generate_series(1, ${papers}) AS i
    JOIN bench_phrases p1 ON p1.n = 1 + i % 3000
    JOIN bench_phrases p2 ON p2.n = 1 + (i * 7) % 2999
    JOIN bench_sentences s1 ON s1.n = 1 + i % 4000
    JOIN bench_sentences s2 ON s2.n = 1 + (i * 7) % 3989
    JOIN bench_sentences s3 ON s3.n = 1 + (i * 13) % 3967
    JOIN bench_sentences s4 ON s4.n = 1 + (i * 29) % 3943`)
    .execute(db);
  await sql`DROP TABLE bench_sentences, bench_phrases`.execute(db);
  await sql
    .raw(`
    INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
    SELECT id, (${sqlArray(BENCH_TOPICS)})[1 + id % ${BENCH_TOPICS.length}], 0.8, 0, 'bench'
    FROM papers`)
    .execute(db);
  await sql
    .raw(`
    INSERT INTO sightings (paper_id, source, listing, rank, upvotes, seen_at)
    SELECT 1 + (i % ${papers}), CASE WHEN i % 3 = 0 THEN 'arxiv-cs-lg' ELSE 'hf-daily' END, 'listing-' || (i / ${papers}),
           1 + i % 50, (i::bigint * 31) % 500, now() - ((i % (90 * 24)) || ' hours')::interval
    FROM generate_series(1, ${sightings}) AS i
    ON CONFLICT DO NOTHING`)
    .execute(db);
  for (const index of indexes) await sql.raw(index.definition).execute(db);
  await sql`ANALYZE`.execute(db);
  await new DashboardRepository(db).refresh({ full: true });
  await sql.raw(`COMMENT ON DATABASE ${databaseName} IS '${marker}'`).execute(db);
  return { papers, sightings, generateSeconds: Math.round((Date.now() - started) / 1000), reused: false };
}
