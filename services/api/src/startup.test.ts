import { loadConfig } from '@paperboy/config';
import { describe, expect, it } from 'vitest';
import { publicUrlProblem, startupSummary } from './startup.js';

describe('API start-up', () => {
  it('warns when a loopback public URL names another port than the one listened on', () => {
    expect(publicUrlProblem('http://localhost:3000', 3000)).toBeNull();
    expect(publicUrlProblem('http://localhost:3000', 4000)).toBe(
      'PAPERBOY_PUBLIC_URL=http://localhost:3000 is port 3000 of this machine but the API listens on port 4000: ' +
        'links in mails will not reach it (set PAPERBOY_PUBLIC_URL=http://localhost:4000, or PORT=3000)',
    );
    expect(publicUrlProblem('http://127.0.0.1', 8080)).toMatch(/is port 80 of this machine/);
    expect(publicUrlProblem('https://paperboy.localhost', 443)).toBeNull();
    expect(publicUrlProblem('http://[::1]:3000', 3001)).toMatch(/listens on port 3001/);
  });

  it('warns about a path under the public URL (the pages link from the root)', () => {
    expect(publicUrlProblem('https://example.org/pb', 3000)).toBe(
      "PAPERBOY_PUBLIC_URL=https://example.org/pb has a path (/pb): the links in mails carry it, but the pages' own " +
        'forms and links (Undo, Redo, Save, preferences) are root-relative; serve the API at the root of a host',
    );
    expect(publicUrlProblem('https://example.org/', 3000)).toBeNull();
  });

  it('does not warn about a host that may be a proxy in front', () => {
    expect(publicUrlProblem('https://paperboy.example', 3000)).toBeNull();
    expect(publicUrlProblem('http://192.168.1.20:8080', 3000)).toBeNull();
  });

  it('names the outbox as one absolute path', () => {
    const summary = startupSummary(loadConfig({ PORT: '0', HOST: '127.0.0.1' }), 41_234);
    expect(summary.listening).toBe('http://127.0.0.1:41234');
    expect(summary.mail).toMatch(/^outbox \/.*\.outbox$/);
    const smtp = loadConfig({ SMTP_URL: 'smtp://user:pass@mail.example:587' });
    expect(startupSummary(smtp, 3000).mail).toBe('SMTP (SMTP_URL)');
  });
});
