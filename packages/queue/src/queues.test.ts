import { describe, expect, it } from 'vitest';
import { defaultJobOptions, InvalidPayloadError, type JobName, jobQueue, jobRetention, parsePayload } from './jobs.js';
import { checkHandlers, contentJobId, jobsOfQueue } from './queues.js';

describe('job routing', () => {
  it('routes every job to a queue, and each queue has jobs', () => {
    expect(jobsOfQueue('crawl')).toEqual(['crawl-source', 'crawl-page', 'prune-archive', 'reconcile-crawls']);
    expect(jobsOfQueue('ingest')).toEqual(['ingest-entries']);
    expect(jobsOfQueue('planning')).toEqual(['plan-digests', 'train-reader']);
    expect(jobsOfQueue('notify')).toEqual(['send-digest', 'send-digests', 'send-confirmation']);
    expect(jobsOfQueue('maintenance')).toEqual(['refresh-dashboard', 'enrich-due']);
    expect(jobsOfQueue('enrich')).toEqual(['enrich-papers']);
    expect(jobsOfQueue('webhooks')).toEqual(['relay-events', 'deliver-webhook', 'prune-events']);
    expect(Object.keys(jobQueue).sort()).toEqual([
      'crawl-page',
      'crawl-source',
      'deliver-webhook',
      'enrich-due',
      'enrich-papers',
      'ingest-entries',
      'plan-digests',
      'prune-archive',
      'prune-events',
      'reconcile-crawls',
      'refresh-dashboard',
      'relay-events',
      'send-confirmation',
      'send-digest',
      'send-digests',
      'train-reader',
    ]);
  });

  it('refuses a worker with a missing or stray handler', () => {
    expect(() => checkHandlers('ingest', {})).toThrow(/no handler for ingest-entries/);
    expect(() => checkHandlers('crawl', { 'crawl-page': async () => {} })).toThrow(
      /no handler for crawl-source, prune-archive, reconcile-crawls/,
    );
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
    expect(
      parsePayload('crawl-page', { source: 'hf-papers', url: 'https://huggingface.co/papers', extra: 1 }),
    ).toMatchObject({
      source: 'hf-papers',
    });
  });

  it('names what is wrong with a payload', () => {
    expect(() => parsePayload('plan-digests', { frequency: 'hourly' })).toThrow(InvalidPayloadError);
    expect(() => parsePayload('plan-digests', { frequency: 'hourly' })).toThrow(
      /^invalid payload for plan-digests: .*frequency/s,
    );
  });

  it('gives every job the one retention policy', () => {
    for (const name of Object.keys(jobQueue) as JobName[]) {
      expect(defaultJobOptions(name, { fetchAttempts: 2 })).toMatchObject(jobRetention);
    }
  });
});
