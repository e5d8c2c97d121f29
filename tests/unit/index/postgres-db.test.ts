/**
 * The Postgres store sends values as SQL literals (src/index/postgres/db.ts `inline`): hostile
 * strings and arrays must arrive exactly as given, never as SQL. Checked against the run's PGlite.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Db, inline } from '../../../src/index/postgres/db.js';
import { PostgresStore } from '../../../src/index/postgres/store.js';

const HOSTILE = ["it's", "'; DROP TABLE docent_collections; --", 'back\\slash \\\' both', '$1 $2 placeholders', 'quote "double" {brace,comma}', 'NULL', 'ünïcødé 🐝', '', 'E\'\\x00\''];

let db: Db | undefined;
afterAll(async () => db?.end());

describe('values as SQL literals', () => {
  it('GIVEN hostile strings, arrays of them and bytes THEN Postgres receives exactly those values', async () => {
    db = Db.create(inject('pgUrl'));
    for (const v of HOSTILE) {
      expect((await db.query<{ v: string }>('SELECT $1::text AS v', [v])).rows[0].v).toBe(v);
    }
    const arr = (await db.query<{ v: string[] }>('SELECT $1::text[] AS v', [[...HOSTILE, null]])).rows[0].v;
    expect(arr).toEqual([...HOSTILE, null]);
    const bytes = Buffer.from([0, 39, 92, 255]);
    expect((await db.query<{ v: Buffer }>('SELECT $1::bytea AS v', [bytes])).rows[0].v).toEqual(bytes);
    // Postgres text cannot hold NUL (HTML or PDF text may): it arrives as U+FFFD, the length (so every offset) kept
    expect((await db.query<{ v: string }>('SELECT $1::text AS v', ['a\u0000b'])).rows[0].v).toBe('a\uFFFDb');
    // a value is never read for placeholders of its own
    expect(inline('SELECT $1, $2', ['$2', 'x'])).toBe("SELECT '$2', 'x'");
  });

  it('GIVEN two collections on one database THEN they share one pool, and closing one leaves the other working', async () => {
    const url = inject('pgUrl');
    const a = Db.shared(url);
    const b = Db.shared(url);
    expect(b.db).toBe(a.db);
    const s1 = await PostgresStore.open({ databaseUrl: url, collection: 'pool_one', efSearch: 64 });
    const s2 = await PostgresStore.open({ databaseUrl: url, collection: 'pool_two', efSearch: 64 });
    await s1.close();
    expect(await s2.currentName()).toBeNull();
    await s2.close();
    await a.release();
    await b.release();
    // the last user ended it: a new user gets a new pool
    const c = Db.shared(url);
    expect(c.db).not.toBe(a.db);
    expect((await c.db.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    await c.release();
  });

  it('GIVEN the database cannot be reached THEN STORE_UNAVAILABLE names host, port and database, never the password', async () => {
    const down = Db.create('postgres://docent:hunter2-secret@127.0.0.1:1/docentdb?connect_timeout=5');
    const err = (await down.query('SELECT 1').catch((e: unknown) => e)) as { code: string; message: string };
    await down.end();
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.message).toContain('127.0.0.1:1/docentdb');
    expect(err.message).not.toContain('hunter2');
  });
});
