/**
 * What the two search indexes of a generation have in common: the lexical (BM25) index is
 * searched by a question's text, the dense (HNSW) one by its vector. Both are built from the
 * generation's chunks in chunk order, so a hit names a chunk by its position, and both are saved
 * into a directory and loaded back with the same results (tests/unit/index/search-index-contract.test.ts
 * runs one suite against both). Fusion (src/retrieval/search.ts) only sees ranked hits.
 */
export interface SearchHit {
  /** Position of the chunk in the generation's chunk array. */
  index: number;
  /** Higher is better; comparable only within one index. */
  score: number;
}

/** Size and sha256 of files a `save()` wrote and hashed (a file it does not list is hashed by the manifest step). */
export type SavedFiles = Record<string, { bytes: number; sha256: string }>;

export interface SearchIndex<Query> {
  /** Number of chunks indexed. */
  readonly size: number;
  /** At most `k` hits, best first. */
  search(query: Query, k: number): SearchHit[] | Promise<SearchHit[]>;
  /** Writes the index into `dir` (the static `load(dir, …)` of each implementation reads it back). */
  save(dir: string): Promise<SavedFiles>;
}
