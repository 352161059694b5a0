import type { Config } from '@paperboy/config';
import { createDb, type ExportedPaper, ExportRepository, PAPER_DETAIL_FIELDS, paperDetailsOf } from '@paperboy/db';
import { storedPaperLinks } from '@paperboy/pipeline';
import { UsageError } from '../args.js';

/**
 * The CSV columns: the JSON lines' fields in their order (topics as their ids), then the details, then
 * the links. New columns are appended, never inserted: scripts read the columns by position.
 */
export const CSV_COLUMNS = [
  'arxivId',
  'title',
  'abstract',
  'authors',
  'upvotes',
  'topics',
  'sources',
  'firstSeenAt',
  'lastSeenAt',
  ...PAPER_DETAIL_FIELDS,
  'paperUrl',
  'abstractUrl',
  'pdfUrl',
  'huggingFaceUrl',
  'discussionUrl',
  'seenAt',
] as const;

/** One exported paper as the JSON lines write it: the fields it always had, then the details and `links`. */
export function paperRecord(paper: ExportedPaper) {
  const { url: _url, ...fields } = paper;
  const record: Record<string, unknown> = {
    arxivId: fields.arxivId,
    title: fields.title,
    abstract: fields.abstract,
    authors: fields.authors,
    upvotes: fields.upvotes,
    topics: fields.topics,
    sources: fields.sources,
    firstSeenAt: fields.firstSeenAt,
    lastSeenAt: fields.lastSeenAt,
    ...paperDetailsOf(fields),
    links: storedPaperLinks(paper),
  };
  return record;
}

/**
 * A CSV cell: quoted, quotes doubled, arrays joined with `;`; text a spreadsheet would read as a
 * formula (starting with =, +, -, @, tab or CR: scraped text is untrusted) gets a leading single quote.
 */
function cell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(';') : value === null || value === undefined ? '' : String(value);
  const safe = typeof value !== 'number' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One exported paper as a CSV line (CSV_COLUMNS, CRLF-terminated). */
export function csvLine(paper: ExportedPaper): string {
  const links = storedPaperLinks(paper);
  const row: Record<string, unknown> = {
    ...paper,
    topics: paper.topics.map((t) => t.id),
    paperUrl: links.paper,
    abstractUrl: links.abstract,
    pdfUrl: links.pdf,
    huggingFaceUrl: links.huggingFace,
    discussionUrl: links.discussion,
    seenAt: links.seenAt,
  };
  return `${CSV_COLUMNS.map((c) => cell(row[c])).join(',')}\r\n`;
}

const FORMATS = ['jsonl', 'csv'];

export async function exportPapers(
  config: Config,
  what: string | undefined,
  format: string | undefined,
  out: NodeJS.WritableStream,
): Promise<number> {
  if (what === undefined || what.trim() === '')
    throw new UsageError(`export: missing dataset; expected "papers"`, 'export');
  if (what !== 'papers')
    throw new UsageError(`export: unknown dataset ${JSON.stringify(what)}, expected "papers"`, 'export');
  const chosen = format ?? 'jsonl';
  if (!FORMATS.includes(chosen))
    throw new UsageError(`export: unknown format ${JSON.stringify(format)}, expected "jsonl" or "csv"`, 'export');
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
  };
  const db = createDb(config.databaseUrl, { max: 1 });
  let count = 0;
  try {
    if (chosen === 'csv') await write(`${CSV_COLUMNS.map(cell).join(',')}\r\n`);
    for await (const paper of new ExportRepository(db).streamPapers()) {
      await write(chosen === 'csv' ? csvLine(paper) : `${JSON.stringify(paperRecord(paper))}\n`);
      count++;
    }
  } finally {
    await db.destroy();
  }
  return count;
}
