import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, gunzip, constants as zlib } from 'node:zlib';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { distinctSources } from './distinct-sources.js';

export interface ArchivedPage {
  fetchId: number;
  source: string;
  adapter: string | null;
  url: string;
  finalUrl: string | null;
  fetchedAt: Date;
  contentHash: string;
  contentType: string | null;
  encoding: string;
  body: Buffer;
}

const brotliCompressAsync = promisify(brotliCompress);
const brotliDecompressAsync = promisify(brotliDecompress);
const gunzipAsync = promisify(gunzip);

/**
 * Brotli at quality 3, chosen by measurement (`pnpm bench crawl`, archiveQualities: CPU a 480 KB
 * listing page, 2026-12-07): quality 3 compresses 9.3x in 3.0 ms, quality 4 (the level before)
 * 9.8x in 4.7 ms, quality 5 10.5x in 7.6 ms, quality 1 7.3x in 1.7 ms. It runs on libuv's thread
 * pool (off the event loop), but on the same cores as everything else.
 */
export const ARCHIVE_BROTLI_OPTIONS = Object.freeze({
  params: { [zlib.BROTLI_PARAM_QUALITY]: 3, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT },
});

/**
 * The archive's format, both ways, side by side: a body is stored brotli-compressed (`br`), off the
 * event loop; one stored by an older version may be `gzip` or uncompressed, and still reads.
 */
export async function encodeArchivedBody(body: Buffer): Promise<{ encoding: 'br'; body: Buffer }> {
  return { encoding: 'br', body: await brotliCompressAsync(body, ARCHIVE_BROTLI_OPTIONS) };
}

/** An archived body as it was fetched: decompressed by the encoding it was stored with. */
export async function decodeArchivedBody(page: { encoding: string; body: Buffer }): Promise<Buffer> {
  if (page.encoding === 'br') return brotliDecompressAsync(page.body);
  if (page.encoding === 'gzip') return gunzipAsync(page.body);
  return page.body;
}

/** The raw archive: every fetched body once per content hash, compressed. */
export class ArchiveRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Archives a fetched body (compressed here, in the archive's format) unless its content hash is
   * already there; either way marks it fetched now. Returns whether it was new.
   */
  async archiveBody(page: {
    contentHash: string;
    body: Buffer;
    contentType: string | null;
    fetchedAt: Date;
  }): Promise<boolean> {
    const { encoding, body } = await encodeArchivedBody(page.body);
    const { contentHash, contentType, fetchedAt } = page;
    return this.storeBody({ contentHash, encoding, body, bytes: page.body.length, contentType, fetchedAt });
  }

  /** The body archived under a content hash, decompressed; null when none is (never archived, or pruned). */
  async readBody(contentHash: string): Promise<Buffer | null> {
    const row = await this.db
      .selectFrom('page_bodies')
      .select(['encoding', 'body'])
      .where('content_hash', '=', contentHash)
      .executeTakeFirst();
    return row ? decodeArchivedBody(row) : null;
  }

  /** Stores a body unless it is already there; either way marks it fetched now. Returns whether it was new. */
  async storeBody(page: {
    contentHash: string;
    encoding: string;
    body: Buffer;
    bytes: number;
    contentType: string | null;
    fetchedAt: Date;
  }): Promise<boolean> {
    const row = await this.db
      .insertInto('page_bodies')
      .values({
        content_hash: page.contentHash,
        encoding: page.encoding,
        body: page.body,
        bytes: page.bytes,
        stored_bytes: page.body.length,
        content_type: page.contentType,
        first_fetched_at: page.fetchedAt,
        last_fetched_at: page.fetchedAt,
      })
      .onConflict((oc) =>
        oc.column('content_hash').doUpdateSet((eb) => ({
          last_fetched_at: eb.fn('greatest', ['page_bodies.last_fetched_at', 'excluded.last_fetched_at']),
        })),
      )
      // Raw: the system column xmax (0 on a row this statement inserted), outside the Database type.
      .returning(sql<boolean>`xmax = 0`.as('inserted'))
      .executeTakeFirst();
    return row?.inserted ?? false;
  }

  /** Marks an archived body as fetched again (retention counts from its last fetch). */
  async touchBody(contentHash: string, fetchedAt: Date): Promise<void> {
    await this.db
      .updateTable('page_bodies')
      .set((eb) => ({ last_fetched_at: eb.fn('greatest', ['last_fetched_at', eb.val(fetchedAt)]) }))
      .where('content_hash', '=', contentHash)
      .execute();
  }

  /** Deletes bodies not fetched since `before`; returns how many. */
  async pruneBodies(before: Date): Promise<number> {
    const result = await this.db.deleteFrom('page_bodies').where('last_fetched_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Archived pages of successful fetches, oldest first, `pageSize` at a time (flat memory). */
  async *streamArchivedPages(filter: { source?: string; since?: Date }, pageSize = 20): AsyncGenerator<ArchivedPage> {
    let after = 0;
    for (;;) {
      const rows: ArchivedPage[] = await this.db
        .selectFrom('page_fetches as f')
        .innerJoin('page_bodies as b', 'b.content_hash', 'f.content_hash')
        .select([
          'f.id as fetchId',
          'f.source',
          'f.adapter',
          'f.url',
          'f.final_url as finalUrl',
          'f.fetched_at as fetchedAt',
          'b.content_hash as contentHash',
          'b.content_type as contentType',
          'b.encoding',
          'b.body',
        ])
        .where('f.id', '>', after)
        .where('f.error', 'is', null)
        .where('f.not_modified', '=', false)
        .$if(filter.source !== undefined, (qb) => qb.where('f.source', '=', filter.source!))
        .$if(filter.since !== undefined, (qb) => qb.where('f.fetched_at', '>=', filter.since!))
        .orderBy('f.id')
        .limit(pageSize)
        .execute();
      for (const row of rows) yield row;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.fetchId;
    }
  }

  /** Whether any fetch was ever recorded under this source id (configured source, or adapter id of an `ingest` run). */
  async hasFetchesOf(source: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('page_fetches')
      .select('id')
      .where('source', '=', source)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Every source id fetches were recorded under, sorted. */
  async fetchedSources(): Promise<string[]> {
    return distinctSources(this.db, 'page_fetches');
  }

  async archiveStats(): Promise<{ bodies: number; bytes: number; storedBytes: number }> {
    return this.db
      .selectFrom('page_bodies')
      .select((eb) => [
        eb.cast<number>(eb.fn.countAll(), 'integer').as('bodies'),
        eb.cast<number>(eb.fn.coalesce(eb.fn.sum('bytes'), eb.lit(0)), 'bigint').as('bytes'),
        eb.cast<number>(eb.fn.coalesce(eb.fn.sum('stored_bytes'), eb.lit(0)), 'bigint').as('storedBytes'),
      ])
      .executeTakeFirstOrThrow();
  }
}
