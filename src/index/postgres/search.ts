/**
 * A generation's search in SQL, behind the loaded index's `LexicalSearcher` and `DenseSearcher`.
 *
 * Lexical: the chunk's terms as the local index computes them (lexical.ts: folded, stemmed
 * content words; the text field as tsvector weight A, the heading field as weight B, one position
 * per occurrence) sit in a `tsvector` under a GIN index. A query's terms find the candidate
 * chunks through it (`@@` with a 'simple' tsquery, so Postgres does not re-stem), and the same
 * BM25+ as locally (k 1.2, b 0.7, d 0.5, per-field idf and length normalisation, boosts 1 and
 * 0.6, × terms matched) is computed in SQL from the generation's term statistics. Postgres's own
 * ts_rank_cd is no BM25 (no idf), and pg_textsearch's BM25 indexes text it tokenises itself, not
 * our terms; this keeps the ranking the local store's.
 *
 * Dense: pgvector's `<=>` (cosine distance) over the generation's own table and HNSW index, with
 * `hnsw.ef_search` set for the query as the local store sets hnswlib's ef.
 */
import { BM25, BOOST, TermCache } from '../lexical.js';
import type { DenseSearcher, LexicalSearcher } from '../loaded-index.js';
import type { SearchHit } from '../search-index.js';
import type { Db } from './db.js';

/** A lexeme as a tsvector/tsquery literal quotes it. */
export function quoteLexeme(t: string): string {
  return `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Postgres refuses a lexeme over 2047 bytes in a tsvector or tsquery ("word is too long"): such a
 * term (a long hash or a run of letters) is left out of the GIN side, so one odd token cannot fail
 * a build or a question. It still counts in the chunk's field lengths, as locally.
 */
export function indexable(term: string): boolean {
  return Buffer.byteLength(term) <= 2046;
}

/** pgvector's text form of a vector. */
export function vectorLiteral(v: ArrayLike<number>): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (Number.isFinite(v[i]) ? v[i] : 0);
  return s + ']';
}

/** pgvector's text form back to numbers. */
export function parseVector(text: string): Float32Array {
  return Float32Array.from(text.slice(1, -1).split(','), Number);
}

/** hnsw.ef_search accepts 1..1000. */
const MAX_EF = 1000;

export interface GenerationTables {
  id: number;
  table: string;
  chunkCount: number;
  avgTextLen: number;
  avgSectionLen: number;
}

export class PgLexical implements LexicalSearcher {
  private readonly cache = new TermCache();

  constructor(
    private readonly db: Db,
    private readonly gen: GenerationTables,
    readonly df: Map<string, number>,
  ) {}

  get size(): number {
    return this.gen.chunkCount;
  }

  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  async search(query: string, k: number, weights?: Map<string, number>): Promise<SearchHit[]> {
    const occ = new Map<string, number>();
    for (const t of this.cache.terms(query)) if (indexable(t)) occ.set(t, (occ.get(t) ?? 0) + 1);
    if (occ.size === 0 || k <= 0 || this.size === 0) return [];
    const terms = [...occ.keys()];
    const { k: K, b: B, d: D } = BM25;
    const g = this.gen;
    const sql = `
WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[]) AS q(term, boost, occ)),
s AS (
  SELECT q.term, q.boost, q.occ,
         ln(1 + ($4::float8 - t.df_text + 0.5) / (t.df_text + 0.5)) AS idf_a,
         ln(1 + ($4::float8 - t.df_section + 0.5) / (t.df_section + 0.5)) AS idf_b
  FROM q JOIN docent_terms t ON t.generation_id = $5 AND t.term = q.term
),
m AS (
  SELECT c.position, s.boost, s.occ, s.idf_a, s.idf_b,
         (SELECT count(*) FROM unnest(u.weights) w WHERE w = 'A')::float8 AS tf_a,
         (SELECT count(*) FROM unnest(u.weights) w WHERE w = 'B')::float8 AS tf_b,
         ${K} * (1 - ${B} + ${B} * c.text_len / $6::float8) AS norm_a,
         ${K} * (1 - ${B} + ${B} * c.section_len / $7::float8) AS norm_b
  FROM ${g.table} c
  CROSS JOIN LATERAL unnest(c.terms) AS u(lexeme, positions, weights)
  JOIN s ON s.term = u.lexeme
  WHERE c.terms @@ $8::tsquery
)
SELECT position,
       sum(occ * (CASE WHEN tf_a > 0 THEN boost * ${BOOST[0]} * (idf_a * (${D} + (tf_a * ${K + 1}) / (tf_a + norm_a))) ELSE 0 END
                + CASE WHEN tf_b > 0 THEN boost * ${BOOST[1]} * (idf_b * (${D} + (tf_b * ${K + 1}) / (tf_b + norm_b))) ELSE 0 END)) * count(*) AS score
FROM m GROUP BY position ORDER BY score DESC, position LIMIT $9`;
    const r = await this.db.query<{ position: number; score: number }>(sql, [
      terms,
      terms.map((t) => weights?.get(t) ?? 1),
      terms.map((t) => occ.get(t)!),
      g.chunkCount,
      g.id,
      g.avgTextLen || 1,
      g.avgSectionLen || 1,
      terms.map(quoteLexeme).join(' | '),
      k,
    ]);
    return r.rows.map((row) => ({ index: row.position, score: row.score }));
  }
}

export class PgDense implements DenseSearcher {
  constructor(
    private readonly db: Db,
    private readonly gen: GenerationTables,
    private readonly dims: number,
    private ef: number,
  ) {}

  get size(): number {
    return this.gen.chunkCount;
  }

  setEf(ef: number): void {
    this.ef = ef;
  }

  async search(vector: number[], k: number): Promise<SearchHit[]> {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    if (vector.length !== this.dims) throw new Error(`Query vector must have the same length as the number of dimensions (${this.dims})`);
    // as hnswlib: the search list is at least as long as the hits asked for
    const ef = Math.min(MAX_EF, Math.max(this.ef, n));
    const v = `'${vectorLiteral(vector)}'::vector`;
    // one round trip: ef_search for this query only, the search, done
    const sql = `SET LOCAL hnsw.ef_search = ${ef}; SELECT position, 1 - (embedding <=> ${v}) AS score FROM ${this.gen.table} ORDER BY embedding <=> ${v} LIMIT ${n}`;
    return this.db.tx(async (c) => {
      const results = (await c.query(sql)) as unknown as Array<{ rows: Array<{ position: number; score: number }> }>;
      return results[1].rows.map((row) => ({ index: row.position, score: row.score }));
    });
  }
}
