/**
 * Writes the `paperboy demo` pages, the CLI's shipped sample data in packages/cli/demo/ (see the README
 * there): two consecutive Hugging Face days that share five papers, and an arXiv cs.LG /new listing that
 * shares papers with them. Real papers from the captures of packages/sources/test/fixtures; what is made up
 * is said where it is. demo-pages.test.ts checks that the committed pages are what this writes.
 * Run from the repo root:
 *   pnpm exec tsx packages/cli/test/make-demo.ts
 */
import {
  byUpvotes,
  csLgNew20260612,
  type FixtureFiles,
  type HfApiEntry,
  pickHfEntries,
  renderArxivNewPage,
  renderHfPapersPage,
  writeWhenRunDirectly,
} from '../../sources/test/fixture-kit/index.js';

/** Where the CLI reads the demo pages from (packages/cli/src/commands/demo.ts). */
export const DEMO_DIR = new URL('../demo/', import.meta.url);

const DAILY = { documentTitle: 'Daily Papers - Hugging Face', heading: 'Daily Papers' };

/** Date B (2026-06-12): 14 papers of the limit=30 capture, with their real upvotes and comment counts. */
const DATE_B = [
  '2606.13681',
  '2606.13392',
  '2606.08063',
  '2606.13289',
  '2606.13106',
  '2606.12243',
  '2606.06113',
  '2606.12303',
  '2606.11662',
  '2606.11409',
  '2606.12575',
  '2606.13594',
  '2606.10896',
  '2606.13174',
];

/**
 * Date A (2026-06-11), the day before: 13 papers. Five are also on date B; on A they have
 * fewer upvotes (made up, below) and rank differently. The other eight are only on A.
 */
const EARLIER_UPVOTES: Record<string, number> = {
  '2606.13392': 57,
  '2606.13681': 41,
  '2606.08063': 5,
  '2606.12243': 9,
  '2606.11409': 2,
};
const DATE_A_ONLY = [
  '2606.09290',
  '2606.09304',
  '2606.12730',
  '2606.13120',
  '2606.08788',
  '2606.08039',
  '2606.13572',
  '2606.12451',
];

function earlier(entry: HfApiEntry): HfApiEntry {
  const upvotes = EARLIER_UPVOTES[entry.paper.id];
  if (upvotes === undefined) return entry;
  const copy = structuredClone(entry);
  copy.paper.upvotes = upvotes;
  copy.numComments = Math.max(0, (entry.numComments ?? 0) - 1);
  return copy;
}

/** The three demo pages, by file name. */
export function buildDemoPages(): FixtureFiles {
  const dateB = byUpvotes(pickHfEntries(DATE_B));
  const dateA = byUpvotes(pickHfEntries([...Object.keys(EARLIER_UPVOTES), ...DATE_A_ONLY]).map(earlier));
  return {
    'hf-papers-date-A.html': renderHfPapersPage({
      ...DAILY,
      entries: dateA,
      props: {
        date: '2026-06-11',
        dateString: 'Jun 11',
        periodType: 'day',
        prevDate: '2026-06-10',
        nextDate: '2026-06-12',
      },
    }),
    'hf-papers-date-B.html': renderHfPapersPage({
      ...DAILY,
      entries: dateB,
      props: {
        date: '2026-06-12',
        dateString: 'Jun 12',
        periodType: 'day',
        prevDate: '2026-06-11',
        nextDate: '2026-06-15',
      },
    }),
    'arxiv-list-cs-new.html': renderArxivNewPage(csLgNew20260612()),
  };
}

writeWhenRunDirectly(import.meta.url, buildDemoPages, DEMO_DIR);
