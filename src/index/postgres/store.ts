/**
 * The Postgres + pgvector store: a collection's generations are rows, each generation's chunks a
 * table of their own (`docent_chunks_<id>`: a `vector(dims)` column under an HNSW index, a
 * `tsvector` under a GIN index), and `docent_collections.serving` the pointer. A re-index writes
 * the new generation's rows and moves the pointer in ONE transaction, so every process sees the
 * old or the new corpus, never a mix; a process killed mid-way leaves nothing (Postgres rolls the
 * transaction back, the new table with it). Schema: migrations.ts.
 *
 * Why a table per generation rather than one chunks table filtered by generation: an HNSW index
 * searched with a WHERE clause returns the nearest rows first and filters after (pgvector's
 * iterative scan only mends that partly), so a query could see fewer than k hits of its own
 * generation; a table per generation is searched exactly, each may have its own dimensions, and
 * pruning one is a DROP.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Config } from '../../config.js';
import { DocentError, UserError } from '../../errors.js';
import { corpusPath } from '../../ingest/corpus-files.js';
import type { CorpusSnapshot, Pin } from '../../ingest/freshness.js';
import type { TimeSlice } from '../../time-slice.js';
import type { Chunk } from '../../types.js';
import type { GenerationWrite, IndexStore, WriteProgress } from '../index-store.js';
import { sectionText, TermCache } from '../lexical.js';
import { checkEmbedder, LoadedIndex } from '../loaded-index.js';
import type { LockHandle, LockInfo } from '../lock.js';
import { restoreCorpus, type CorpusRestore } from '../originals.js';
import { FORMAT_VERSION, generationName, type Manifest } from '../store.js';
import { Db } from './db.js';
import { acquirePgLock, fence, readPgLock } from './lock.js';
import { migrate } from './migrations.js';
import { indexable, PgDense, PgLexical, parseVector, quoteLexeme, vectorLiteral, type GenerationTables } from './search.js';

/** Rows per INSERT while writing a generation. */
const BATCH = 500;
/** pgvector's HNSW index refuses longer vectors (halfvec would take 4000, at half the precision). */
const MAX_HNSW_DIMS = 2000;

/** tsvector keeps at most 256 positions per lexeme: a term's frequency in one field is counted up to this. */
const MAX_TF = 255;

/** Migrations run once per database URL per process. */
const migrated = new Map<string, Promise<string[]>>();

interface GenRow {
  id: string;
  name: string;
  manifest: Manifest;
  chunk_count: number;
  dims: number;
  avg_text_len: number;
  avg_section_len: number;
}

const tableOf = (id: number | string) => `docent_chunks_${Number(id)}`;

export class PostgresStore implements IndexStore {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly db: Db,
    private readonly releaseDb: () => Promise<void>,
    readonly collection: string,
  ) {}

  /** Connects (`STORE_UNAVAILABLE` naming the host when it cannot) and applies pending migrations. */
  static async open(config: Pick<Config, 'databaseUrl' | 'collection' | 'efSearch'>): Promise<IndexStore> {
    if (!config.databaseUrl) throw new UserError('CONFIG', 'DOCENT_STORE is postgres: set DATABASE_URL to postgres://user:password@host:5432/database');
    const { db, release } = Db.shared(config.databaseUrl);
    try {
      let m = migrated.get(config.databaseUrl);
      if (!m) migrated.set(config.databaseUrl, (m = migrate(db)));
      await m.catch((err: unknown) => {
        migrated.delete(config.databaseUrl!);
        throw err;
      });
    } catch (err) {
      await release();
      throw err;
    }
    return new PostgresStore(db, release, config.collection);
  }

  get where(): string {
    return `${this.db.where} (collection ${this.collection})`;
  }

  acquireLock(purpose: string): Promise<LockHandle> {
    return acquirePgLock(this.db, this.collection, purpose);
  }

  readLock(): Promise<LockInfo | null> {
    return readPgLock(this.db, this.collection);
  }

  /** A crashed build leaves nothing: its transaction (the new table with it) was rolled back. */
  async cleanup(): Promise<void> {}

  async currentName(): Promise<string | null> {
    return (await this.db.query<{ serving: string | null }>('SELECT serving FROM docent_collections WHERE collection = $1', [this.collection])).rows[0]?.serving ?? null;
  }

  async listGenerations(): Promise<string[]> {
    return (await this.db.query<{ name: string }>('SELECT name FROM docent_generations WHERE collection = $1 ORDER BY seq', [this.collection])).rows.map((r) => r.name);
  }

  private async row(generation: string): Promise<GenRow> {
    const r = await this.db.query<GenRow>(
      'SELECT id, name, manifest, chunk_count, dims, avg_text_len, avg_section_len FROM docent_generations WHERE collection = $1 AND name = $2',
      [this.collection, generation],
    );
    if (!r.rows[0]) throw new DocentError('INDEX_CORRUPT', `${generation}: no such generation in ${this.where}`);
    return r.rows[0];
  }

  async readManifest(generation: string): Promise<Manifest> {
    return (await this.row(generation)).manifest;
  }

  async verify(generation: string): Promise<Manifest> {
    const g = await this.row(generation);
    if (g.manifest.formatVersion !== FORMAT_VERSION) {
      throw new DocentError('INDEX_FORMAT', `${generation}: index format ${g.manifest.formatVersion}, this version reads ${FORMAT_VERSION}; re-index with \`npm run ingest\``);
    }
    let n: number;
    try {
      n = (await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tableOf(g.id)}`)).rows[0].n;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new DocentError('INDEX_CORRUPT', `${generation}: its chunks cannot be read (${(err as Error).message})`, { cause: err });
    }
    if (n !== g.chunk_count) throw new DocentError('INDEX_CORRUPT', `${generation}: ${n} chunks stored, the manifest says ${g.chunk_count}`);
    return g.manifest;
  }

  /** A generation's rows never change once written: its id tells one write from another. */
  async look(generation: string): Promise<string> {
    return (await this.db.query<{ id: string }>('SELECT id FROM docent_generations WHERE collection = $1 AND name = $2', [this.collection, generation])).rows[0]?.id ?? '';
  }

  async load(generation: string, embeddings: EmbeddingsInterface & { id: string; dimensions: number }, efSearch: number, opts: { verified?: Manifest } = {}): Promise<LoadedIndex> {
    const g = await this.row(generation);
    const manifest = opts.verified?.generation === generation ? opts.verified : g.manifest;
    checkEmbedder(manifest, embeddings);
    try {
      const table = tableOf(g.id);
      const chunks = (
        await this.db.query<{ id: string; source: string; title: string; headings: string[]; kind: Chunk['kind']; text: string | null; start_char: number; end_char: number; line_start: number; line_end: number }>(
          `SELECT id, source, title, headings, kind, text, start_char, end_char, line_start, line_end FROM ${table} ORDER BY position`,
        )
      ).rows.map(
        (r): Chunk => ({
          id: r.id,
          source: r.source,
          title: r.title,
          headings: r.headings,
          kind: r.kind,
          // a chunk stored without its text is its document's slice (LoadedIndex.fromParts cuts it)
          text: (r.text ?? undefined) as string,
          start: r.start_char,
          end: r.end_char,
          lineStart: r.line_start,
          lineEnd: r.line_end,
        }),
      );
      if (chunks.length !== g.chunk_count) throw new Error(`${chunks.length} chunks stored, the manifest says ${g.chunk_count}`);
      const docTexts = new Map((await this.db.query<{ source: string; text: string }>('SELECT source, text FROM docent_documents WHERE generation_id = $1', [g.id])).rows.map((r) => [r.source, r.text]));
      const df = new Map((await this.db.query<{ term: string; df_text: number }>('SELECT term, df_text FROM docent_terms WHERE generation_id = $1 AND df_text > 0', [g.id])).rows.map((r) => [r.term, r.df_text]));
      const tables: GenerationTables = { id: Number(g.id), table, chunkCount: g.chunk_count, avgTextLen: g.avg_text_len, avgSectionLen: g.avg_section_len };
      return LoadedIndex.fromParts(this.where, manifest, chunks, docTexts, new PgLexical(this.db, tables, df), new PgDense(this.db, tables, g.dims, efSearch));
    } catch (err) {
      if (err instanceof DocentError) throw err;
      throw new DocentError('INDEX_CORRUPT', `${generation}: ${(err as Error).message}`, { cause: err });
    }
  }

  async previousVectors(prev: Manifest): Promise<Map<string, Float32Array>> {
    const g = await this.db.query<{ id: string }>('SELECT id FROM docent_generations WHERE collection = $1 AND name = $2', [this.collection, prev.generation]);
    if (!g.rows[0]) return new Map();
    const r = await this.db.query<{ id: string; v: string }>(`SELECT id, embedding::text AS v FROM ${tableOf(g.rows[0].id)}`);
    return new Map(r.rows.map((row) => [row.id, parseVector(row.v)]));
  }

  async writeGeneration(w: GenerationWrite, opts: { lock: LockHandle; slice: TimeSlice; onProgress?: (p: WriteProgress) => void }): Promise<Manifest> {
    const { lock, slice } = opts;
    const progress = opts.onProgress ?? (() => {});
    const dims = w.manifest.embedder.dimensions;
    if (dims > MAX_HNSW_DIMS) {
      throw new UserError('STORE_LIMIT', `pgvector's HNSW index holds vectors of at most ${MAX_HNSW_DIMS} dimensions; the embedder ${w.manifest.embedder.id} gives ${dims}. Use an embedder with fewer dimensions, or DOCENT_STORE=local. The previous generation still serves.`);
    }
    progress({ stage: 'index', done: 0, total: 1 });
    const lex = await lexicalRows(w.chunks, slice);
    progress({ stage: 'index', done: 1, total: 1 });
    await this.keepOriginals(w.corpusDir, w.snapshot);
    await lock.ensureHeld();

    const batches = Math.ceil(w.chunks.length / BATCH);
    const steps = batches + 3;
    const manifest = await this.db.tx(async (c) => {
      await c.query('INSERT INTO docent_collections (collection) VALUES ($1) ON CONFLICT (collection) DO NOTHING', [this.collection]);
      const seq = (await c.query<{ next_seq: number }>('SELECT next_seq FROM docent_collections WHERE collection = $1 FOR UPDATE', [this.collection])).rows[0].next_seq;
      const id = (await c.query<{ id: string }>("SELECT nextval(pg_get_serial_sequence('docent_generations', 'id')) AS id")).rows[0].id;
      const table = tableOf(id);
      const manifest: Manifest = { ...w.manifest, generation: generationName(seq), files: {} };
      progress({ stage: 'write', done: 0, total: steps });
      await c.query(`CREATE TABLE ${table} (
        position    integer PRIMARY KEY,
        id          text NOT NULL,
        source      text NOT NULL,
        title       text NOT NULL,
        headings    jsonb NOT NULL,
        kind        text NOT NULL,
        text        text,
        start_char  integer NOT NULL,
        end_char    integer NOT NULL,
        line_start  integer NOT NULL,
        line_end    integer NOT NULL,
        terms       tsvector NOT NULL,
        text_len    integer NOT NULL,
        section_len integer NOT NULL,
        embedding   vector(${dims}) NOT NULL
      )`);
      for (let b = 0; b < batches; b++) {
        const part = w.chunks.slice(b * BATCH, (b + 1) * BATCH);
        const at = b * BATCH;
        await c.query(
          `INSERT INTO ${table} SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::int[], $9::int[], $10::int[], $11::int[], $12::tsvector[], $13::int[], $14::int[], $15::vector[])`,
          [
            part.map((_, i) => at + i),
            part.map((x) => x.id),
            part.map((x) => x.source),
            part.map((x) => x.title),
            part.map((x) => JSON.stringify(x.headings)),
            part.map((x) => x.kind),
            // a chunk's text is its document's text between start and end (table rows excepted, they carry their header): not stored twice
            part.map((x) => (x.kind === 'table' ? x.text : null)),
            part.map((x) => x.start),
            part.map((x) => x.end),
            part.map((x) => x.lineStart),
            part.map((x) => x.lineEnd),
            part.map((_, i) => lex.tsvectors[at + i]),
            part.map((_, i) => lex.textLen[at + i]),
            part.map((_, i) => lex.sectionLen[at + i]),
            part.map((_, i) => vectorLiteral(w.vectors[at + i])),
          ],
        );
        progress({ stage: 'write', done: b + 1, total: steps });
        if (slice.due()) await slice.pause();
      }
      await c.query(`CREATE INDEX ON ${table} USING gin (terms)`);
      await c.query(`CREATE INDEX ON ${table} USING hnsw (embedding vector_cosine_ops) WITH (m = ${manifest.hnsw.m}, ef_construction = ${manifest.hnsw.efConstruction})`);
      progress({ stage: 'write', done: batches + 1, total: steps });
      await c.query(
        `INSERT INTO docent_generations (id, collection, name, seq, manifest, chunk_count, dims, avg_text_len, avg_section_len) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, this.collection, manifest.generation, seq, JSON.stringify(manifest), w.chunks.length, dims, lex.avg[0], lex.avg[1]],
      );
      const docs = [...w.docTexts];
      const hashes = new Map(w.manifest.docs.map((d) => [d.source, d.contentHash]));
      await c.query('INSERT INTO docent_documents (generation_id, source, content_hash, text) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])', [
        id,
        docs.map(([s]) => s),
        docs.map(([s]) => hashes.get(s) ?? ''),
        docs.map(([, t]) => t),
      ]);
      const terms = [...lex.df];
      await c.query('INSERT INTO docent_terms (generation_id, term, df_text, df_section) SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[])', [
        id,
        terms.map(([t]) => t),
        terms.map(([, d]) => d[0]),
        terms.map(([, d]) => d[1]),
      ]);
      progress({ stage: 'write', done: batches + 2, total: steps });
      // the one step another writer must never see twice: switch only while the lease is still ours
      await fence(c, this.collection, lock);
      await c.query('UPDATE docent_collections SET serving = $2, pin = NULL, next_seq = $3 WHERE collection = $1', [this.collection, manifest.generation, seq + 1]);
      await testHoldInSwitch();
      return manifest;
    });
    progress({ stage: 'write', done: steps, total: steps });
    await this.prune(w.keep);
    return manifest;
  }

  /**
   * Drops generations beyond the newest `keep` (never the serving one, nor the one before it: other
   * processes may still be answering from it until they next read the pointer; locally an open
   * file keeps a pruned generation readable, a dropped table is gone), and the originals no kept
   * generation names.
   */
  private async prune(keepGenerations: number): Promise<void> {
    const keep = Math.max(2, keepGenerations);
    const gens = (await this.db.query<{ id: string; name: string }>('SELECT id, name FROM docent_generations WHERE collection = $1 ORDER BY seq', [this.collection])).rows;
    const serving = await this.currentName();
    const excess = gens.slice(0, Math.max(0, gens.length - keep)).filter((g) => g.name !== serving);
    await this.db.tx(async (c) => {
      for (const g of excess) {
        await c.query(`DROP TABLE IF EXISTS ${tableOf(g.id)}`);
        await c.query('DELETE FROM docent_generations WHERE id = $1', [g.id]);
      }
      await c.query(
        `DELETE FROM docent_originals o WHERE o.collection = $1 AND NOT EXISTS (
           SELECT 1 FROM docent_generations g CROSS JOIN LATERAL jsonb_each(coalesce(g.manifest->'corpus'->'files', '{}'::jsonb)) f
           WHERE g.collection = $1 AND f.value->>'sha256' = o.sha256)`,
        [this.collection],
      );
    });
  }

  async switchTo(generation: string, pin: Pin, lock: LockHandle): Promise<void> {
    await this.db.tx(async (c) => {
      await fence(c, this.collection, lock);
      await c.query('UPDATE docent_collections SET serving = $2, pin = $3 WHERE collection = $1', [this.collection, generation, JSON.stringify(pin)]);
    });
  }

  async readPin(): Promise<Pin | null> {
    return (await this.db.query<{ pin: Pin | null }>('SELECT pin FROM docent_collections WHERE collection = $1', [this.collection])).rows[0]?.pin ?? null;
  }

  async clearPin(): Promise<void> {
    await this.db.query('UPDATE docent_collections SET pin = NULL WHERE collection = $1 AND pin IS NOT NULL', [this.collection]);
  }

  async keepOriginals(corpusDir: string, snapshot: CorpusSnapshot): Promise<void> {
    const files = Object.entries(snapshot.files).filter(([, f]) => f.sha256);
    if (!files.length) return;
    const have = new Set(
      (await this.db.query<{ sha256: string }>('SELECT sha256 FROM docent_originals WHERE collection = $1 AND sha256 = ANY($2::text[])', [this.collection, files.map(([, f]) => f.sha256)])).rows.map((r) => r.sha256),
    );
    for (const [source, f] of files) {
      if (have.has(f.sha256!)) continue;
      const bytes = await fs.readFile(await corpusPath(corpusDir, source)).catch(() => null);
      // a file that changed since the build read it is left out (a restore then says it is not kept)
      if (!bytes || createHash('sha256').update(bytes).digest('hex') !== f.sha256) continue;
      await this.db.query('INSERT INTO docent_originals (collection, sha256, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [this.collection, f.sha256, bytes]);
      have.add(f.sha256!);
    }
  }

  restoreCorpus(corpusDir: string, manifest: Manifest): Promise<CorpusRestore> {
    const blob = (sha: string) => this.db.query<{ bytes: Buffer }>('SELECT bytes FROM docent_originals WHERE collection = $1 AND sha256 = $2', [this.collection, sha]);
    return restoreCorpus('', corpusDir, manifest, {
      has: async (sha) => ((await this.db.query('SELECT 1 FROM docent_originals WHERE collection = $1 AND sha256 = $2', [this.collection, sha])).rowCount ?? 0) > 0,
      read: async (sha) => {
        const r = (await blob(sha)).rows[0];
        if (!r) throw new Error(`the kept original ${sha} is gone`);
        return r.bytes;
      },
    });
  }

  /** Gives up this store's share of the database pool (ended with the last store on it). */
  async close(): Promise<void> {
    await this.releaseDb();
  }
}

/**
 * The chunks' terms as the local lexical index computes them: per chunk a tsvector (text-field
 * occurrences weight A, heading-field ones weight B, one position each), the unique-term count
 * of each field, the running mean of those counts in the local index's order of operations, and
 * each term's document frequency per field.
 */
async function lexicalRows(chunks: Chunk[], slice: TimeSlice) {
  const cache = new TermCache();
  const n = chunks.length;
  const tsvectors = new Array<string>(n);
  const textLen = new Array<number>(n);
  const sectionLen = new Array<number>(n);
  const avg = [0, 0];
  const df = new Map<string, [number, number]>();
  for (let i = 0; i < n; i++) {
    const fields = [cache.terms(chunks[i].text), cache.terms(sectionText(chunks[i]))];
    const counts = fields.map((ts) => {
      const m = new Map<string, number>();
      for (const t of ts) m.set(t, (m.get(t) ?? 0) + 1);
      return m;
    });
    for (let f = 0; f < 2; f++) {
      avg[f] = (avg[f] * i + counts[f].size) / (i + 1);
      for (const t of counts[f].keys()) {
        let d = df.get(t);
        if (!d) df.set(t, (d = [0, 0]));
        d[f]++;
      }
    }
    textLen[i] = counts[0].size;
    sectionLen[i] = counts[1].size;
    const lexemes = new Set([...counts[0].keys(), ...counts[1].keys()]);
    const parts: string[] = [];
    for (const t of lexemes) {
      if (!indexable(t)) continue;
      const a = Math.min(MAX_TF, counts[0].get(t) ?? 0);
      const b = Math.min(MAX_TF, counts[1].get(t) ?? 0);
      const pos: string[] = [];
      for (let p = 1; p <= a; p++) pos.push(`${p}A`);
      for (let p = 1; p <= b; p++) pos.push(`${a + p}B`);
      parts.push(`${quoteLexeme(t)}:${pos.join(',')}`);
    }
    tsvectors[i] = parts.join(' ');
    if (slice.due()) await slice.pause();
  }
  return { tsvectors, textLen, sectionLen, avg, df };
}

/**
 * Test-only (inert unless DOCENT_TEST_PG_HOLD_SWITCH=1): inside the switch transaction, after the
 * pointer moved and before the commit, says so on stderr and waits, so a fault test can SIGKILL
 * the process at exactly that point.
 */
async function testHoldInSwitch(): Promise<void> {
  if (process.env.DOCENT_TEST_PG_HOLD_SWITCH !== '1') return;
  process.stderr.write('docent-test: inside the switch transaction\n');
  await new Promise((r) => setTimeout(r, 120_000));
}

