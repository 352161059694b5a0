import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeArchivedBody, encodeArchivedBody } from './archive.repository.js';

describe('the archive format', () => {
  const page = Buffer.from(`<html><body>${'<article>a listing entry</article>'.repeat(200)}</body></html>`);

  it('stores a body brotli-compressed and reads it back as fetched', async () => {
    const stored = await encodeArchivedBody(page);
    expect(stored.encoding).toBe('br');
    expect(stored.body.length).toBeLessThan(page.length / 4);
    expect(await decodeArchivedBody(stored)).toEqual(page);
  });

  it('still reads bodies archived before: brotli at any quality, gzip, uncompressed', async () => {
    expect(await decodeArchivedBody({ encoding: 'br', body: brotliCompressSync(page) })).toEqual(page);
    expect(await decodeArchivedBody({ encoding: 'gzip', body: gzipSync(page) })).toEqual(page);
    expect(await decodeArchivedBody({ encoding: 'identity', body: page })).toEqual(page);
  });
});
