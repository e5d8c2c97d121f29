/**
 * The Postgres store's schema, as migrations applied in order, each once, inside one transaction
 * with the `docent_schema_migrations` table that records them (at start-up and by
 * `npm run db:migrate`). They are TypeScript strings rather than .sql files so that the compiled
 * dist/ carries them. Never edit an applied migration: add the next one.
 *
 * Two processes starting at once apply each migration once: the transaction first takes a
 * transaction-level advisory lock (on Postgres, the second waits for the first to commit, then
 * sees its rows); PGlite's socket server runs one transaction at a time anyway.
 */
import type { Db } from './db.js';

export interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    name: '001-init',
    sql: `
CREATE EXTENSION IF NOT EXISTS vector;

-- one row per collection: the serving generation (the pointer a re-index moves) and a rollback's pin
CREATE TABLE docent_collections (
  collection text PRIMARY KEY,
  serving    text,
  pin        jsonb,
  next_seq   integer NOT NULL DEFAULT 1
);

-- one row per kept generation; its chunks are in their own table docent_chunks_<id>
CREATE TABLE docent_generations (
  id              bigserial PRIMARY KEY,
  collection      text NOT NULL REFERENCES docent_collections (collection),
  name            text NOT NULL,
  seq             integer NOT NULL,
  manifest        jsonb NOT NULL,
  chunk_count     integer NOT NULL,
  dims            integer NOT NULL,
  -- BM25 length normalisation: mean unique terms per chunk of the text and heading fields
  avg_text_len    double precision NOT NULL,
  avg_section_len double precision NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (collection, name)
);

-- each generation's documents: the text quotes and line numbers are cut from
CREATE TABLE docent_documents (
  generation_id bigint NOT NULL REFERENCES docent_generations (id) ON DELETE CASCADE,
  source        text NOT NULL,
  content_hash  text NOT NULL,
  text          text NOT NULL,
  PRIMARY KEY (generation_id, source)
);

-- per-generation term statistics: how many chunks have the term in their text / heading field
CREATE TABLE docent_terms (
  generation_id bigint NOT NULL REFERENCES docent_generations (id) ON DELETE CASCADE,
  term          text NOT NULL,
  df_text       integer NOT NULL,
  df_section    integer NOT NULL,
  PRIMARY KEY (generation_id, term)
);

-- the corpus files' bytes by sha256, so a rollback can put them back (shared by a collection's generations)
CREATE TABLE docent_originals (
  collection text NOT NULL,
  sha256     text NOT NULL,
  bytes      bytea NOT NULL,
  PRIMARY KEY (collection, sha256)
);

-- one writer per collection: a lease kept fresh by a heartbeat, checked again inside the switch transaction
CREATE TABLE docent_locks (
  collection   text PRIMARY KEY,
  token        text NOT NULL,
  holder       jsonb NOT NULL,
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    name: '002-answer-limits',
    sql: `
-- the bot's per-user rate limit, shared by every process and machine (src/discord/postgres-limiter.ts):
-- each question asked in the last minute
CREATE TABLE docent_answer_requests (
  user_id text NOT NULL,
  at      timestamptz NOT NULL
);
CREATE INDEX docent_answer_requests_user_at ON docent_answer_requests (user_id, at);
CREATE INDEX docent_answer_requests_at ON docent_answer_requests (at);
`,
  },
];

/** Applies the migrations not applied yet; returns their names. */
export async function migrate(db: Db, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  return db.tx(async (c) => {
    // 'docent' as a number: one lock for every process migrating this database
    await c.query('SELECT pg_advisory_xact_lock(7781001)');
    await c.query('CREATE TABLE IF NOT EXISTS docent_schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ name: string }>('SELECT name FROM docent_schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO docent_schema_migrations (name) VALUES ($1)', [m.name]);
      applied.push(m.name);
    }
    return applied;
  });
}
