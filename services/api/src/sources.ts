import type { Config } from '@paperboy/config';
import { type Db, listSources, type SourceReport } from '@paperboy/db';
import { loadSourcesFile, type SourceDefinition } from '@paperboy/sources-file';
import type { FastifyBaseLogger } from 'fastify';

/**
 * The sources and their health as `paperboy sources` lists them (`listSources`: the sources file's
 * sources, then every other source with crawls), for /api/sources and the dashboard page. The file
 * is the one this process's config names, read at each call so that an edit shows at once; one this
 * process cannot read lists only the sources that have crawled, with a warning (once).
 */
export function sourceLister(
  db: Db,
  config: Pick<Config, 'sourcesPath' | 'reconcileGraceMs'>,
  log: FastifyBaseLogger,
): () => Promise<SourceReport[]> {
  let warned = false;
  const configured = (): readonly SourceDefinition[] => {
    try {
      return loadSourcesFile(config.sourcesPath).sources;
    } catch (error) {
      if (!warned) log.warn({ err: error }, 'sources file unreadable: listing only the sources that have crawled');
      warned = true;
      return [];
    }
  };
  return () => listSources(db, { configured: configured(), unstoredGraceMs: config.reconcileGraceMs });
}
