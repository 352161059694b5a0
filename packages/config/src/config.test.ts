import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('postgres://127.0.0.1:5432/paperboy');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.fetch.allowPrivate).toBe(false);
    expect(config.batchSize).toBe(50);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.fetch)).toBe(true);
  });

  it('reads values and coerces numbers and flags', () => {
    const config = loadConfig({ PAPERBOY_FETCH_ALLOW_PRIVATE: '1', PAPERBOY_BATCH_SIZE: '20', LOG_LEVEL: 'debug' });
    expect(config.fetch.allowPrivate).toBe(true);
    expect(config.batchSize).toBe(20);
    expect(config.logLevel).toBe('debug');
  });

  it('names every bad setting with its value and the reason', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PAPERBOY_BATCH_SIZE: 'lots', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('PAPERBOY_BATCH_SIZE="lots"');
    expect(message).toContain('LOG_LEVEL="loud"');
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });
});
