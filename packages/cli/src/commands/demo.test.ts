import { resolve } from 'node:path';
import { loadConfig } from '@paperboy/config';
import { describe, expect, it } from 'vitest';
import { whereThingsAre } from './demo.js';

describe('demo: where things are', () => {
  it('names the database with its password masked, where mail goes, and how to start the API and dashboard', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://paperboy:s3cret@db.example:5432/paperboy', PORT: '3100' });
    const text = whereThingsAre(config);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('database   postgres://paperboy:[redacted]@db.example:5432/paperboy (DATABASE_URL)');
    expect(text).toContain(`written as .eml files to ${resolve(config.mail.outboxDir)} (PAPERBOY_OUTBOX_DIR`);
    expect(text).toContain('pnpm --filter @paperboy/api start, then http://localhost:3100/api/papers');
    expect(text).toMatch(
      /dashboard {2}http:\/\/localhost:3100\/dashboard\?token=<PAPERBOY_ADMIN_TOKEN> .*set PAPERBOY_ADMIN_TOKEN/,
    );
  });

  it('names the SMTP server without its password when mail is sent', () => {
    const text = whereThingsAre(
      loadConfig({ SMTP_URL: 'smtp://mailer:hunter2@mail.example:587', PAPERBOY_PUBLIC_DASHBOARD: '1' }),
    );
    expect(text).not.toContain('hunter2');
    expect(text).toContain('sent through smtp://mailer:[redacted]@mail.example:587 (SMTP_URL)');
    expect(text).toMatch(/dashboard {2}http:\/\/localhost:3000\/dashboard on the same server\n/);
  });
});
