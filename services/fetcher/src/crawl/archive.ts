import { ArchiveRepository } from '@paperboy/db';
import type { FetchedPage } from '@paperboy/http';
import type { CrawlDeps } from './deps.js';

/** Archives a changed body once per content hash; its format (compression) is ArchiveRepository's. */
export async function archiveBody(deps: Pick<CrawlDeps, 'db'>, page: FetchedPage): Promise<void> {
  await new ArchiveRepository(deps.db).archiveBody(page);
}

/** The same body again: its archived copy is marked fetched now (retention counts from the last fetch). */
export async function keepArchived(deps: Pick<CrawlDeps, 'db'>, page: FetchedPage): Promise<void> {
  await new ArchiveRepository(deps.db).touchBody(page.contentHash, page.fetchedAt);
}
