/**
 * The evidence behind PAPERBOY_NEAR_DUPLICATE_THRESHOLD: pg_trgm similarity of normalized titles
 * between every pair of DIFFERENT real papers in the labelled set, against the similarity of the
 * same title typeset differently. Run: pnpm exec tsx test/bench/near-duplicate-threshold.ts
 */
import { loadConfig } from '@paperboy/config';
import { createDb, ensureDatabase, migrateToLatest } from '@paperboy/db';
import { loadLabelledPapers, titleKey } from '@paperboy/pipeline';
import { sql } from 'kysely';

const url = process.env.BENCH_DATABASE_URL ?? loadConfig().databaseUrl;
await ensureDatabase(url);
const db = createDb(url, { max: 1 });
await migrateToLatest(db); // for pg_trgm
const titles = [...new Set(loadLabelledPapers().map((p) => titleKey(p.title)))];
const { rows } = await sql<{ s: number; a: string; b: string }>`
  SELECT similarity(a.t, b.t) AS s, a.t AS a, b.t AS b
  FROM unnest(${titles}::text[]) WITH ORDINALITY a(t, i) JOIN unnest(${titles}::text[]) WITH ORDINALITY b(t, j) ON a.i < b.j
  ORDER BY s DESC LIMIT 3`.execute(db);

const variants = (t: string): Array<[string, string]> => [
  ['lastTwoWordsDropped', t.split(' ').length > 6 ? t.split(' ').slice(0, -2).join(' ') : t],
  ['oneWordPlural', t.replace(/(\w{4,})( |$)/, '$1s$2')],
  ['wordInserted', `a ${t}`],
  ['twoLettersSwapped', t.replace(/([a-z])([a-z])/, '$2$1')],
];
const byKind: Record<string, number[]> = {};
for (const t of titles) {
  for (const [kind, v] of variants(t)) {
    const {
      rows: [r],
    } = await sql<{ s: number }>`SELECT similarity(${t}, ${v}) AS s`.execute(db);
    byKind[kind] ??= [];
    byKind[kind].push(r!.s);
  }
}
const round = (x: number) => Math.round(x * 1000) / 1000;
const summary = Object.fromEntries(
  Object.entries(byKind).map(([k, v]) => {
    v.sort((a, b) => a - b);
    return [
      k,
      { min: round(v[0]!), p10: round(v[Math.floor(v.length * 0.1)]!), median: round(v[Math.floor(v.length / 2)]!) },
    ];
  }),
);
console.log(
  JSON.stringify({
    bench: 'near-duplicate-threshold',
    titles: titles.length,
    distinctPairs: (titles.length * (titles.length - 1)) / 2,
    closestDistinctPairs: rows.map((r) => ({ similarity: round(r.s), a: r.a, b: r.b })),
    sameTitleVariants: summary,
  }),
);
await db.destroy();
