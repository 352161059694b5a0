import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSourcesFile } from '@paperboy/sources-file';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, pacingByHost, pacingWarning, progressRenderer } from './progress.js';

describe('formatProgress', () => {
  it('says pages done of all, entries, the rate and the time left at that rate', () => {
    expect(formatProgress({ pages: 400, pagesDone: 10, pagesFailed: 0, entries: 500, elapsedMs: 50_000 })).toBe(
      'ingest: 10/400 pages (2%) · 500 entries · 0.20 pages/s · ETA 32 min 30 s · 50 s',
    );
    expect(formatProgress({ pages: 40, pagesDone: 30, pagesFailed: 2, entries: 1400, elapsedMs: 2000 })).toBe(
      'ingest: 30/40 pages (75%), 2 failed · 1400 entries · 15 pages/s · ETA 667 ms · 2 s',
    );
  });

  it('has no ETA before the first page, and says done at the end', () => {
    expect(formatProgress({ pages: 3, pagesDone: 0, pagesFailed: 0, entries: 0, elapsedMs: 0 })).toContain('ETA …');
    expect(formatProgress({ pages: 3, pagesDone: 3, pagesFailed: 0, entries: 9, elapsedMs: 4000 })).toContain(
      '3/3 pages (100%) · 9 entries · 0.75 pages/s · done',
    );
  });

  it('formats durations from milliseconds to hours', () => {
    expect([0, 999, 1000, 59_400, 60_000, 245_000, 7_980_000].map(formatDuration)).toEqual([
      '0 ms',
      '999 ms',
      '1 s',
      '59 s',
      '1 min 00 s',
      '4 min 05 s',
      '2 h 13 min',
    ]);
  });
});

describe('progressRenderer', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { isTTY, writes, write: (text: string) => writes.push(text) };
  };

  it('redraws one line in place on a terminal, at most every interval, and ends it with a newline', () => {
    let now = 0;
    const tty = stream(true);
    const progress = progressRenderer(tty, 4, { intervalMs: 250, now: () => now });
    now = 100;
    progress.pageDone(5); // within the interval: not drawn
    now = 300;
    progress.pageDone(null); // drawn
    now = 350;
    progress.pageDone(5); // not drawn
    now = 360;
    progress.pageDone(5); // the last page is always drawn
    progress.finish();
    expect(tty.writes.length).toBe(5);
    expect(tty.writes.slice(0, 4).every((w) => w.startsWith('\r') && w.endsWith('\x1b[K'))).toBe(true);
    expect(tty.writes[1]).toContain('2/4 pages (50%), 1 failed · 5 entries');
    expect(tty.writes[2]).toContain('4/4 pages (100%), 1 failed · 15 entries');
    expect(tty.writes[4]).toBe('\n');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const pipe = stream(false);
    const progress = progressRenderer(pipe, 2);
    progress.pageDone(1);
    progress.pageDone(1);
    progress.finish();
    expect(pipe.writes).toEqual([]);
  });
});

describe('pacing', () => {
  const sourcesFile = (yaml: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'paperboy-pacing-')), 'sources.yaml');
    writeFileSync(path, yaml);
    return loadSourcesFile(path);
  };

  it('warns of 3 pages of one unknown host: about 10 s at the default one request per 5 s', () => {
    const sources = sourcesFile('sources: []\n');
    const pacing = pacingByHost(
      ['https://slow.example/a', 'https://slow.example/b', 'https://slow.example/c', 'https://other.example/x'],
      (url) => sources.politenessFor(url),
    );
    expect(pacing[0]).toMatchObject({ host: 'slow.example', pages: 3, minDelayMs: 5000, minimumMs: 10_000 });
    const warning = pacingWarning(pacing, sources.path);
    expect(warning).toContain('3 pages on slow.example at one request per 5 s take at least 10 s');
    expect(warning).toContain('under `hosts:` in the sources file');
    expect(warning).not.toContain('other.example');
  });

  it('does not warn for a host the sources file lets go fast, nor for a short run', () => {
    const sources = sourcesFile('hosts:\n  fast.example: { minDelay: 0s, concurrency: 4 }\nsources: []\n');
    const urls = Array.from({ length: 50 }, (_, i) => `https://fast.example/${i}`);
    expect(
      pacingWarning(
        pacingByHost(urls, (url) => sources.politenessFor(url)),
        sources.path,
      ),
    ).toBeNull();
    const two = pacingByHost(['https://slow.example/a', 'https://slow.example/b'], (url) => sources.politenessFor(url));
    expect(two[0]!.minimumMs).toBe(5000);
    expect(pacingWarning(two, sources.path)).toBeNull();
  });

  it('takes a host with its port as the sources file names it', () => {
    const sources = sourcesFile('hosts:\n  "127.0.0.1:8080": { minDelay: 1s }\nsources: []\n');
    const pacing = pacingByHost(
      Array.from({ length: 21 }, (_, i) => `http://127.0.0.1:8080/${i}`),
      (url) => sources.politenessFor(url),
    );
    expect(pacing[0]).toMatchObject({ host: '127.0.0.1:8080', minDelayMs: 1000, minimumMs: 20_000 });
    expect(pacingWarning(pacing, sources.path)).toContain(
      '21 pages on 127.0.0.1:8080 at one request per 1 s take at least 20 s',
    );
  });
});
