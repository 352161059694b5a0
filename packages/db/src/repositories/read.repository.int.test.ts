import { createTestDatabase, type TestDatabase } from '@paperboy/test-utils';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardRepository } from './dashboard.repository.js';
import {
  listPapersQuery,
  matchCountQuery,
  type PaperFilter,
  ReadRepository,
  remainingRowsQuery,
  SEARCH_WALK_ROWS,
} from './read.repository.js';

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
    // (A search's plan: its own tests below.)
    for (const filter of [{}, { topic: 'llm' }, { since: new Date(Date.now() - 86_400_000) }]) {
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
    // The only sort is of the page's rows (the walk stops after limit + 1), not of papers.
    expect(all.filter((n) => n['Node Type'] === 'Sort' && (n as { 'Plan Rows'?: number })['Plan Rows']! > 51)).toEqual(
      [],
    );
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

/** The plan Postgres ran (EXPLAIN ANALYZE): `Actual Loops` 0 on a node that never ran. */
type RunNode = PlanNode & { 'Actual Rows': number; 'Actual Loops': number; Plans?: RunNode[] };
async function ran(query: ReturnType<typeof listPapersQuery>): Promise<RunNode[]> {
  const compiled = query.compile(t.db);
  const { rows } = await t.db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: RunNode }> }>({
    ...compiled,
    sql: `EXPLAIN (ANALYZE, FORMAT JSON) ${compiled.sql}`,
  });
  const all = (node: RunNode): RunNode[] => [node, ...(node.Plans ?? []).flatMap(all)];
  return all(rows[0]!['QUERY PLAN'][0]!.Plan).filter((n) => n['Actual Loops'] > 0);
}

describe('a search walks a bounded number of rows, then asks the GIN index', () => {
  // 3,000 papers; "quokka" in the abstract of 12 of them (every 250th), "wombat" in none.
  beforeAll(async () => {
    await sql`UPDATE papers SET abstract = 'A quokka study.' WHERE (substring(title_key from 3))::int % 250 = 0`.execute(
      t.db,
    );
    await sql`ANALYZE papers`.execute(t.db);
  });

  /** Every page of a listing, `limit` at a time, through its cursors. */
  async function everyPage(read: ReadRepository, filter: Omit<PaperFilter, 'cursor'>) {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await read.listPapers({ ...filter, ...(cursor ? { cursor } : {}) });
      seen.push(...page.papers.map((p) => p.arxivId!));
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error(`no last page: ${JSON.stringify(filter)} ${seen.slice(0, 30).join(' ')}`);
  }

  /** The matches in the list's order, by a plain query that shares nothing with listPapersQuery. */
  async function expected(sort: PaperFilter['sort'], q: string, topic?: string) {
    const topicTest = topic
      ? sql`AND EXISTS (SELECT 1 FROM paper_topics t WHERE t.paper_id = p.id AND t.topic_id = ${topic})`
      : sql``;
    const { rows } =
      sort === 'new'
        ? await sql<{ arxiv_id: string }>`
            SELECT arxiv_id FROM papers p WHERE search_document @@ websearch_to_tsquery('english', ${q}) ${topicTest}
            ORDER BY first_seen_at DESC, id DESC`.execute(t.db)
        : await sql<{ arxiv_id: string }>`
            SELECT p.arxiv_id FROM dashboard_cache.trending c JOIN papers p ON p.id = c.paper_id
            WHERE c.last_seen_at > now() - interval '8 days' AND p.search_document @@ websearch_to_tsquery('english', ${q}) ${topicTest}
            ORDER BY c.trend_key DESC, c.paper_id`.execute(t.db);
    return rows.map((r) => r.arxiv_id);
  }

  it('pages through the same rows in the same order whichever branch answers (walks of 5,000, 50 and 7 rows; few matches 1,000 or 3)', async () => {
    await sql`INSERT INTO paper_topics (paper_id, topic_id, score, position, taxonomy_version)
      SELECT id, 'llm', 1, 0, 'test' FROM papers WHERE id % 2 = 0 ON CONFLICT DO NOTHING`.execute(t.db);
    for (const sort of ['new', 'trending'] as const) {
      for (const [q, topic] of [
        ['quokka'],
        ['wombat'],
        ['paper'],
        ['quokka', 'llm'],
        ['paper -quokka', 'llm'],
      ] as const) {
        const want = await expected(sort, q, topic);
        if (q === 'quokka') expect(want.length).toBeGreaterThan(3);
        if (q === 'wombat') expect(want).toEqual([]);
        // Few matches: 1,000 (sorted) or 3 (fewer than quokka's: the order walked on).
        for (const [walkRows, fewMatches] of [
          [SEARCH_WALK_ROWS, 1000],
          [50, 1000],
          [7, 1000],
          [7, 3],
        ] as const) {
          for (const limit of q.startsWith('paper') ? [200] : [1, 5, 200]) {
            const read = new ReadRepository(t.db, { searchWalkRows: walkRows, searchFewMatches: fewMatches });
            const got = await everyPage(read, {
              sort,
              q,
              limit,
              ...(topic ? { topic } : {}),
            });
            expect(got, JSON.stringify({ sort, q, topic, walkRows, fewMatches, limit })).toEqual(want);
          }
        }
      }
    }
  });

  it('a word nobody wrote: the walk stops after its rows; the GIN index finds the matches (nothing walked to the end)', async () => {
    for (const sort of ['new', 'trending'] as const) {
      const walk = await ran(listPapersQuery({ sort, limit: 20, q: 'wombat' }, { walk: 100 }));
      const walks = walk.filter(
        (n) => n['Index Name'] === 'papers_first_seen_id' || n['Index Name'] === 'trending_order',
      );
      expect(walks.length, sort).toBeGreaterThan(0);
      // Rows read from the order index: at most the walk's 100.
      expect(Math.max(...walks.map((n) => n['Actual Rows'])), sort).toBeLessThanOrEqual(100);
      const matches = await ran(listPapersQuery({ sort, limit: 20, q: 'wombat' }, 'matches'));
      expect(
        matches.some((n) => n['Index Name'] === 'papers_search_document'),
        sort,
      ).toBe(true);
      expect(
        matches.some((n) => n['Index Name'] === 'papers_first_seen_id' || n['Index Name'] === 'trending_order'),
        sort,
      ).toBe(false);
      expect(
        matches.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'papers'),
        sort,
      ).toBe(false);
    }
  });

  it('a common word fills its page within the walk, which stops there', async () => {
    for (const sort of ['new', 'trending'] as const) {
      const nodes = await ran(listPapersQuery({ sort, limit: 20, q: 'paper' }, { walk: 100 }));
      expect(
        nodes.some((n) => n['Index Name'] === 'papers_search_document'),
        sort,
      ).toBe(false);
      const walks = nodes.filter(
        (n) => n['Index Name'] === 'papers_first_seen_id' || n['Index Name'] === 'trending_order',
      );
      expect(Math.max(...walks.map((n) => n['Actual Rows'])), sort).toBeLessThanOrEqual(21);
    }
  });

  it('counts the matches of a term up to a bound, in the GIN index', async () => {
    const count = async (q: string, atMost: number) =>
      (await matchCountQuery(q, atMost).execute(t.db)).rows[0]!.matches;
    expect(await count('quokka', 1000)).toBe(12);
    expect(await count('quokka', 5)).toBe(6);
    expect(await count('wombat', 1000)).toBe(0);
    expect(await count('paper', 100)).toBe(101);
  });

  it('counts the rows after a cursor up to the walk: fewer means the walk saw the rest of the list', async () => {
    const read = new ReadRepository(t.db);
    const first = await read.listPapers({ sort: 'new', limit: 2990 });
    const count = async (cursor?: string) =>
      (await remainingRowsQuery({ sort: 'new', limit: 5, ...(cursor ? { cursor } : {}) }, 100).execute(t.db)).rows[0]!
        .rows;
    expect(await count()).toBe(100);
    expect(await count(first.nextCursor!)).toBe(10); // 3,000 papers, 2,990 before the cursor
  });
});
