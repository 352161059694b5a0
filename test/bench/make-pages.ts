/**
 * Writes the benchmark's listing pages: Hugging Face papers pages in the real shape, built from
 * the real API captures with fresh ids and titles so that every entry is a distinct paper.
 * Usage: make-pages.ts <dir> <pages> <entries per page>
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HfApiEntry,
  loadAllHfEntries,
  renderHfPapersPage,
} from '../../packages/sources/test/fixture-kit/index.js';

const [dir, pagesArg, perPageArg] = process.argv.slice(2);
const pages = Number(pagesArg);
const perPage = Number(perPageArg);
const templates = loadAllHfEntries();

for (let p = 0; p < pages; p++) {
  const entries: HfApiEntry[] = [];
  for (let i = 0; i < perPage; i++) {
    const n = p * perPage + i;
    const t = templates[n % templates.length]!;
    const id = `${2601 + Math.floor(n / 90000)}.${10000 + (n % 90000)}`;
    const summary = (t.paper.summary ?? '').padEnd(1500, ' We also evaluate on further benchmarks.').slice(0, 1500);
    entries.push({
      ...t,
      paper: { ...t.paper, id, title: `${t.paper.title} (variant ${n})`, summary, upvotes: n % 300 },
    });
  }
  writeFileSync(
    join(dir!, String(p)),
    renderHfPapersPage({
      documentTitle: `Daily Papers ${p}`,
      heading: 'Daily Papers',
      entries,
      props: { date: '2026-11-28' },
    }),
  );
}
