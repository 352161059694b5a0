import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, repositoryRoot } from './index.js';

describe('PAPERBOY_OUTBOX_DIR', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

  it('is the checkout holding pnpm-workspace.yaml, whatever the current directory', () => {
    expect(existsSync(join(root, 'pnpm-workspace.yaml'))).toBe(true);
    expect(repositoryRoot()).toBe(join(root));
  });

  it('is one absolute path: a relative one is taken from the repository root, an absolute one kept', () => {
    expect(loadConfig({}).mail.outboxDir).toBe(join(root, '.outbox'));
    expect(loadConfig({ PAPERBOY_OUTBOX_DIR: 'mail/out' }).mail.outboxDir).toBe(join(root, 'mail/out'));
    expect(loadConfig({ PAPERBOY_OUTBOX_DIR: '/var/spool/paperboy/' }).mail.outboxDir).toBe('/var/spool/paperboy');
    expect(isAbsolute(loadConfig({}).mail.outboxDir)).toBe(true);
  });
});
