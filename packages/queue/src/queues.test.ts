import { describe, expect, it } from 'vitest';
import { checkHandlers, contentJobId, jobsOfQueue } from './queues.js';
import { jobQueue, parsePayload } from './jobs.js';

describe('job routing', () => {
  it('routes every job to a queue, and each queue has jobs', () => {
    expect(jobsOfQueue('crawl')).toEqual(['crawl-page']);
    expect(jobsOfQueue('ingest')).toEqual(['ingest-entries']);
    expect(Object.keys(jobQueue).sort()).toEqual(['crawl-page', 'ingest-entries']);
  });

  it('refuses a worker with a missing or stray handler', () => {
    expect(() => checkHandlers('ingest', {})).toThrow(/no handler for ingest-entries/);
    expect(() => checkHandlers('ingest', { 'ingest-entries': async () => {}, 'crawl-page': async () => {} })).toThrow(
      /handlers for jobs not on this queue: crawl-page/,
    );
    expect(() => checkHandlers('ingest', { 'ingest-entries': async () => {} })).not.toThrow();
  });

  it('makes stable job ids without colons', () => {
    const id = contentJobId('ingest', 'hf-papers', 'https://huggingface.co/papers', 'abc', 0);
    expect(id).toBe(contentJobId('ingest', 'hf-papers', 'https://huggingface.co/papers', 'abc', 0));
    expect(id).not.toBe(contentJobId('ingest', 'hf-papers', 'https://huggingface.co/papers', 'abc', 1));
    expect(id).not.toContain(':');
  });

  it('validates payloads and tolerates fields it does not know (jobs from newer code)', () => {
    expect(() => parsePayload('crawl-page', { source: 'hf-papers', url: 'not a url' })).toThrow();
    expect(parsePayload('crawl-page', { source: 'hf-papers', url: 'https://huggingface.co/papers', extra: 1 })).toMatchObject({
      source: 'hf-papers',
    });
  });
});
