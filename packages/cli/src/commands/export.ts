import type { Config } from '@paperboy/config';
import { createDb, ExportRepository } from '@paperboy/db';
import { UsageError } from '../args.js';

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
  if ((format ?? 'jsonl') !== 'jsonl')
    throw new UsageError(`export: unknown format ${JSON.stringify(format)}, expected "jsonl"`, 'export');
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
