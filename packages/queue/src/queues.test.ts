import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { checkHandlers, contentJobId, createWorker, jobsOfQueue } from './queues.js';
import { jobQueue, parsePayload } from './jobs.js';

describe('job routing', () => {
  it('routes every job to a queue, and each queue has jobs', () => {
    expect(jobsOfQueue('crawl')).toEqual(['crawl-source', 'crawl-page', 'prune-archive', 'reconcile-crawls']);
    expect(jobsOfQueue('ingest')).toEqual(['ingest-entries']);
    expect(jobsOfQueue('planning')).toEqual(['plan-digests']);
    expect(jobsOfQueue('notify')).toEqual(['send-digest', 'send-confirmation']);
    expect(jobsOfQueue('maintenance')).toEqual(['refresh-dashboard']);
    expect(Object.keys(jobQueue).sort()).toEqual(['crawl-page', 'crawl-source', 'ingest-entries', 'plan-digests', 'prune-archive', 'reconcile-crawls', 'refresh-dashboard', 'send-confirmation', 'send-digest']);
  });

  it('refuses a worker with a missing or stray handler', () => {
    expect(() => checkHandlers('ingest', {})).toThrow(/no handler for ingest-entries/);
    expect(() => checkHandlers('crawl', { 'crawl-page': async () => {} })).toThrow(/no handler for crawl-source, prune-archive, reconcile-crawls/);
    expect(() => checkHandlers('ingest', { 'ingest-entries': async () => {}, 'crawl-page': async () => {} })).toThrow(
      /handlers for jobs not on this queue: crawl-page/,
    );
    expect(() => checkHandlers('ingest', { 'ingest-entries': async () => {} })).not.toThrow();
  });

  it('refuses a handler for a "moved" job that is still routed to the worker\'s queue', () => {
    const settings = { prefix: 'unused', concurrency: 1, connection: {} as Redis };
    expect(() => createWorker('notify', { 'send-digest': async () => {}, 'send-confirmation': async () => {} }, { ...settings, moved: { 'send-digest': async () => {} } })).toThrow(
      /send-digest still routed here/,
    );
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
