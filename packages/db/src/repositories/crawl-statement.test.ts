import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../schema.js';
import { compileWithSlots, Slot } from './crawl.repository.js';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('compileWithSlots', () => {
  it('names the slot behind each parameter, in order', () => {
    const query = db
      .updateTable('crawls')
      .set({ error: new Slot('error') as never })
      .where('id', '=', new Slot('id') as never);
    expect(compileWithSlots(query)).toEqual({
      sql: 'update "crawls" set "error" = $1 where "id" = $2',
      slots: ['error', 'id'],
    });
  });

  it('refuses a query with a parameter that is no slot (it would be replaced by a wrong value)', () => {
    const query = db
      .updateTable('crawls')
      .set({ error: 'a constant' })
      .where('id', '=', new Slot('id') as never);
    expect(() => compileWithSlots(query)).toThrow(/not a slot: a constant/);
  });
});
