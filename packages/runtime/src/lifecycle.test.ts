import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Lifecycle, type Runnable } from './index.js';

const silent = pino({ level: 'silent' });

function fakeWorker(name: string, closeMs: number, log: string[]): Runnable {
  return {
    name,
    run: () => new Promise(() => {}),
    close: async (force?: boolean) => {
      if (force) return void log.push(`${name} forced`);
      await new Promise((r) => (Number.isFinite(closeMs) ? setTimeout(r, closeMs) : undefined));
      log.push(`${name} closed`);
    },
  };
}

describe('Lifecycle', () => {
  it('closes workers first, then resources in order', async () => {
    const log: string[] = [];
    const life = new Lifecycle(silent, 1000)
      .addWorker(fakeWorker('w', 10, log))
      .addResource('queues', async () => log.push('queues'))
      .addResource('db', async () => log.push('db'));
    life.start();
    await life.shutdown();
    expect(log).toEqual(['w closed', 'queues', 'db']);
  });

  it('forces a worker that misses the deadline, and still closes the rest', async () => {
    const log: string[] = [];
    // A worker whose graceful close never ends: shutdown() returning at all shows the deadline
    // forced it (no wall-clock bound, which a busy machine could miss).
    const life = new Lifecycle(silent, 50)
      .addWorker(fakeWorker('slow', Number.POSITIVE_INFINITY, log))
      .addResource('db', async () => log.push('db'));
    await life.shutdown();
    expect(log).toEqual(['slow forced', 'db']);
  });

  it('shuts down once however often it is asked', async () => {
    let closes = 0;
    const life = new Lifecycle(silent, 100).addResource('db', async () => closes++);
    await Promise.all([life.shutdown(), life.shutdown()]);
    expect(closes).toBe(1);
  });
});
