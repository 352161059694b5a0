import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardRepository } from './dashboard.repository.js';
import { listPapersQuery } from './read.repository.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await sql`
    INSERT INTO papers (arxiv_id, title, title_key, upvotes, first_seen_at, last_seen_at)
    SELECT '2611.' || (60000 + i), 'Paper ' || i, 'rp' || i, i % 50, now() - ((i % 200) || ' hours')::interval, now() - ((i % 300) || ' hours')::interval
    FROM generate_series(1, 3000) AS i`.execute(t.db);
  await new DashboardRepository(t.db).refresh();
  await sql`ANALYZE`.execute(t.db);
});
afterAll(async () => t?.drop());

type PlanNode = {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
};
/** The nodes that choose the rows; subplans (a page's topics and sources, computed per row returned) left out. */
const nodes = (node: PlanNode): PlanNode[] => [
  node,
  ...(node.Plans ?? []).filter((p) => p['Parent Relationship'] !== 'SubPlan').flatMap(nodes),
];

/** The plan Postgres chooses for the query, with its parameters bound as the repository runs it. */
async function plan(query: ReturnType<typeof listPapersQuery>): Promise<PlanNode> {
  const compiled = query.compile(t.db);
  const { rows } = await t.db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({
    ...compiled,
    sql: `EXPLAIN (FORMAT JSON) ${compiled.sql}`,
  });
  return rows[0]!['QUERY PLAN'][0]!.Plan;
}

describe('the trending list reads a bounded number of rows', () => {
  it('walks the precomputed rows in the order of their index and stops after a page: no sort, no scan of papers', async () => {
    for (const filter of [{}, { topic: 'llm' }, { q: 'paper' }, { since: new Date(Date.now() - 86_400_000) }]) {
      const root = await plan(listPapersQuery({ sort: 'trending', limit: 50, ...filter }));
      const all = nodes(root);
      expect(root['Node Type'], JSON.stringify(filter)).toBe('Limit');
      expect(
        all.some((n) => n['Index Name'] === 'trending_order'),
        JSON.stringify(filter),
      ).toBe(true);
      expect(
        all.filter((n) => n['Node Type'] === 'Sort'),
        JSON.stringify(filter),
      ).toEqual([]);
      expect(
        all.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'papers'),
        JSON.stringify(filter),
      ).toEqual([]);
    }
  });

  it('the newest list likewise walks the index papers_first_seen_id', async () => {
    const all = nodes(await plan(listPapersQuery({ sort: 'new', limit: 50 })));
    expect(all.some((n) => n['Index Name'] === 'papers_first_seen_id')).toBe(true);
    expect(all.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });
});

describe('full-text search reads the stored document (migration 0018)', () => {
  const titles = async (q: string) =>
    (await listPapersQuery({ sort: 'new', limit: 50, q }).execute(t.db)).rows.map((r) => r.title);

  it('the document follows every write of title and abstract, with English stemming', async () => {
    await sql`UPDATE papers SET title = 'Zymurgical yeasts', abstract = 'We ferment quietly.' WHERE title_key = 'rp7'`.execute(
      t.db,
    );
    expect(await titles('zymurgical')).toEqual(['Zymurgical yeasts']);
    expect(await titles('fermenting')).toEqual(['Zymurgical yeasts']);
    await sql`UPDATE papers SET title = 'Paper 7', abstract = NULL WHERE title_key = 'rp7'`.execute(t.db);
    expect(await titles('zymurgical')).toEqual([]);
    expect(await titles('fermenting')).toEqual([]);
  });

  it('a rare term is looked up in the GIN index of the stored document, not re-parsed row by row', async () => {
    await sql`ANALYZE papers`.execute(t.db);
    const all = nodes(await plan(listPapersQuery({ sort: 'new', limit: 50, q: 'zymurgical' })));
    expect(all.some((n) => n['Index Name'] === 'papers_search_document')).toBe(true);
    const { rows } = await sql<{ indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE tablename = 'papers' AND indexname LIKE 'papers_search%'`.execute(t.db);
    expect(rows.map((r) => r.indexname)).toEqual(['papers_search_document']);
  });
});
