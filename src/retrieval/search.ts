import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { FusionMode, Hit, Turn } from '../types.js';
import type { LoadedIndex } from '../index/loaded-index.js';
import { topicQuestions } from '../conversation.js';
import { normalized } from '../text/vector.js';
import { terms } from '../text/words.js';

export type { FusionMode } from '../types.js';

export interface SearchOptions {
  k: number;
  /** Earlier turns; the questions that carry the topic (`topicQuestions()`) steer retrieval for follow-ups ("When was it announced?"). */
  history?: Turn[];
  mode?: FusionMode;
  /** How deep each retriever looks before fusion (default max(50, 10k)). */
  depth?: number;
}

export interface SearchOutput {
  hits: Hit[];
  /** The query vector used for dense search (reused by the answerer). */
  queryVector: number[];
  /** Terms carried over from the conversation, with their weights (< 1). */
  contextTerms: Map<string, number>;
}

/** Weight of the previous turn's question in a follow-up (the current question weighs 1). */
const HISTORY_WEIGHT = 0.35;
/** Weight of the lexical side in hybrid fusion (dense gets 1 - this); see the README ablation. */
const LEXICAL_WEIGHT = 0.6;
const RRF_K = 60;

/**
 * The one search used by every front end: BM25 and HNSW dense search, fused.
 *
 * `hybrid` (default) adds each retriever's scores after scaling them to [0, 1] by the best
 * score of that query (a convex combination); `rrf` is reciprocal-rank fusion. Both keep each
 * retriever's own rank and score on the hit, for `:why` and `/why`.
 */
export async function search(index: LoadedIndex, embeddings: EmbeddingsInterface, query: string, opts: SearchOptions): Promise<SearchOutput> {
  const mode = opts.mode ?? 'hybrid';
  const depth = Math.max(opts.depth ?? Math.max(50, opts.k * 10), opts.k);
  // the last question that named its topic and the follow-ups since ("Why?" after "Why?" keeps it)
  const prev = topicQuestions(opts.history).join('\n');
  const own = new Set(terms(query));
  // a follow-up that says little of its own ("Tell me more about it.") leans on the conversation
  const historyWeight = own.size <= 2 ? 2 * HISTORY_WEIGHT : HISTORY_WEIGHT;
  const contextTerms = new Map<string, number>();
  for (const t of terms(prev)) if (!own.has(t)) contextTerms.set(t, historyWeight);

  let queryVector = normalized(await embeddings.embedQuery(query));
  if (prev) {
    const pv = await embeddings.embedQuery(prev);
    queryVector = normalized(queryVector.map((x, i) => x + historyWeight * pv[i]));
  }

  // both at once: in the Postgres store each is a query of its own
  const [lexical, dense] = await Promise.all([
    mode === 'dense' ? [] : index.lexical.search(prev ? `${query}\n${prev}` : query, depth, contextTerms.size ? contextTerms : undefined),
    mode === 'lexical' ? [] : index.dense.search(queryVector, depth),
  ]);

  const byIndex = new Map<number, Hit>();
  const hit = (i: number): Hit => {
    let h = byIndex.get(i);
    if (!h) {
      h = { chunk: index.chunks[i], score: 0, rank: 0, lexicalRank: null, lexicalScore: null, denseRank: null, denseScore: null };
      byIndex.set(i, h);
    }
    return h;
  };
  const lexMax = lexical[0]?.score ?? 1;
  lexical.forEach((r, rank) => {
    const h = hit(r.index);
    h.lexicalRank = rank + 1;
    h.lexicalScore = r.score;
  });
  // dense scores: cosine similarity, scaled between the worst and best of this query's list
  const dMax = dense[0]?.score ?? 1;
  const dMin = dense.length ? dense[dense.length - 1].score : 0;
  dense.forEach((r, rank) => {
    const h = hit(r.index);
    h.denseRank = rank + 1;
    h.denseScore = r.score;
  });
  for (const h of byIndex.values()) {
    if (mode === 'rrf') {
      h.score = (h.lexicalRank ? LEXICAL_WEIGHT / (RRF_K + h.lexicalRank) : 0) + (h.denseRank ? (1 - LEXICAL_WEIGHT) / (RRF_K + h.denseRank) : 0);
    } else if (mode === 'lexical') {
      h.score = h.lexicalScore ?? 0;
    } else if (mode === 'dense') {
      h.score = h.denseScore ?? 0;
    } else {
      const l = h.lexicalScore !== null ? h.lexicalScore / lexMax : 0;
      const d = h.denseScore !== null ? (dMax > dMin ? (h.denseScore - dMin) / (dMax - dMin) : 1) : 0;
      h.score = lexical.length ? LEXICAL_WEIGHT * l + (1 - LEXICAL_WEIGHT) * d : d;
    }
  }
  const hits = [...byIndex.values()].sort((a, b) => b.score - a.score || a.chunk.start - b.chunk.start).slice(0, opts.k);
  hits.forEach((h, i) => (h.rank = i + 1));
  return { hits, queryVector, contextTerms };
}
