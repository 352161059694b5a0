import type { Config } from '@paperboy/config';
import { createDb, ExportRepository } from '@paperboy/db';
import { UsageError, type CommandSpec } from '../args.js';

export const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'Write every stored paper to stdout, one JSON object per line.',
  usage: 'export papers --format jsonl',
  positionals: 'papers',
  options: { format: { type: 'string', description: 'output format: jsonl (the only one for now)', valueName: 'jsonl' } },
  details:
    'Each line: arxivId, title, abstract, authors (names), upvotes (latest), topics ([{id, score}], best first;\n' +
    'manual labels replace computed topics), sources (source ids; adapter ids for one-off ingest runs), firstSeenAt, lastSeenAt.',
};

export async function exportPapers(config: Config, what: string | undefined, format: string | undefined, out: NodeJS.WritableStream): Promise<number> {
  if (what === undefined || what.trim() === '') throw new UsageError(`export: missing dataset; expected "papers"`, 'export');
  if (what !== 'papers') throw new UsageError(`export: unknown dataset ${JSON.stringify(what)}, expected "papers"`, 'export');
  if ((format ?? 'jsonl') !== 'jsonl') throw new UsageError(`export: unknown format ${JSON.stringify(format)}, expected "jsonl"`, 'export');
  const db = createDb(config.databaseUrl, { max: 1 });
  let count = 0;
  try {
    for await (const paper of new ExportRepository(db).streamPapers()) {
      if (!out.write(`${JSON.stringify(paper)}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      count++;
    }
  } finally {
    await db.destroy();
  }
  return count;
}
