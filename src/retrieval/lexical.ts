import MiniSearch from 'minisearch';
import type { Chunk } from '../types.js';
import { terms } from './text.js';

/**
 * Lexical (BM25+) index over chunks, on MiniSearch: a well-kept full-text engine with BM25
 * scoring, field boosts and JSON serialization. Terms are stemmed content words (text.ts).
 * Chunk ids are positions in the generation's chunk array.
 */
export interface LexicalHit {
  index: number;
  score: number;
}

interface Doc {
  id: number;
  text: string;
  section: string;
}

const OPTIONS = {
  fields: ['text', 'section'],
  storeFields: [] as string[],
  tokenize: (text: string) => terms(text),
  processTerm: (t: string) => t,
  searchOptions: { boost: { section: 0.6 }, combineWith: 'OR' as const, prefix: false, fuzzy: false },
};

/** The text a chunk is searched by: its heading path counts a little, its text fully. */
function toDoc(c: Chunk, i: number): Doc {
  return { id: i, text: c.text, section: [c.title, ...c.headings].join(' \n ') };
}

export class LexicalIndex {
  private constructor(
    private readonly ms: MiniSearch<Doc>,
    /** Document frequency of each term over chunk texts (for IDF in the answerer). */
    readonly df: Map<string, number>,
    readonly size: number,
  ) {}

  static build(chunks: Chunk[]): LexicalIndex {
    const ms = new MiniSearch<Doc>(OPTIONS);
    ms.addAll(chunks.map(toDoc));
    const df = new Map<string, number>();
    for (const c of chunks) for (const t of new Set(terms(c.text))) df.set(t, (df.get(t) ?? 0) + 1);
    return new LexicalIndex(ms, df, chunks.length);
  }

  static fromJSON(json: string): LexicalIndex {
    const data = JSON.parse(json) as { ms: unknown; df: Array<[string, number]>; size: number };
    const ms = MiniSearch.loadJS<Doc>(data.ms as Parameters<typeof MiniSearch.loadJS>[0], OPTIONS);
    return new LexicalIndex(ms, new Map(data.df), data.size);
  }

  toJSON(): string {
    return JSON.stringify({ ms: this.ms.toJSON(), df: [...this.df], size: this.size });
  }

  /** IDF of a term (BM25 form, never negative). */
  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  /**
   * BM25 search. `weights` lowers the weight of some query terms (e.g. terms carried over from
   * earlier turns of a conversation).
   */
  search(query: string, k: number, weights?: Map<string, number>): LexicalHit[] {
    const q = terms(query);
    if (q.length === 0) return [];
    const res = this.ms.search(query, weights ? { boostTerm: (t: string) => weights.get(t) ?? 1 } : undefined);
    return res.slice(0, k).map((r) => ({ index: r.id as number, score: r.score }));
  }
}
