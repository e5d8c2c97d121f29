/**
 * The typed-array BM25 index (src/index/lexical.ts) must rank exactly as the MiniSearch
 * index it replaced: same hits, same order, same scores, for fresh builds and saved indexes.
 */
import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import { LexicalIndex } from '../../../src/index/lexical.js';
import { terms } from '../../../src/text/words.js';
import type { Chunk } from '../../../src/types.js';
import { mulberry32 } from '../../../src/embeddings/seeded.js';

// The previous implementation, verbatim in what matters (options, documents, search).
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
function reference(chunks: Chunk[]) {
  const ms = new MiniSearch<Doc>(OPTIONS);
  ms.addAll(chunks.map((c, i) => ({ id: i, text: c.text, section: [c.title, ...c.headings].join(' \n ') })));
  const df = new Map<string, number>();
  for (const c of chunks) for (const t of new Set(terms(c.text))) df.set(t, (df.get(t) ?? 0) + 1);
  return {
    df,
    search(query: string, k: number, weights?: Map<string, number>) {
      if (terms(query).length === 0) return [];
      const res = ms.search(query, weights ? { boostTerm: (t: string) => weights.get(t) ?? 1 } : undefined);
      return res.slice(0, k).map((r) => ({ index: r.id as number, score: r.score }));
    },
  };
}

const WORDS = `alpha beta gamma delta epsilon market growth cloud agents revenue model pricing launch users data profit income strategy quarter china global running runs ran the of and a to in café naïve Café open-source company’s U.S. 74% $100B 2026 3.5 e-mail Ångström`.split(' ').concat(["company's", "don't"]);

function corpus(n: number, seed: number): Chunk[] {
  const rand = mulberry32(seed);
  const pick = () => WORDS[Math.floor(rand() ** 2 * WORDS.length)];
  const chunks: Chunk[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rand() * 40);
    const text = Array.from({ length: len }, pick).join(' ') + '.';
    const headings = rand() < 0.3 ? [] : [`${pick()} ${pick()}`, ...(rand() < 0.5 ? [pick()] : [])];
    chunks.push({ id: String(i), source: `d${i % 7}.md`, title: `Doc ${pick()}`, headings, kind: 'paragraph', text, start: 0, end: text.length, lineStart: 1, lineEnd: 1 });
  }
  return chunks;
}

function queries(seed: number): string[] {
  const rand = mulberry32(seed);
  const out = ['', 'the of', 'zzz unknown', 'alpha alpha beta', 'Running runs ran?'];
  for (let i = 0; i < 150; i++) out.push(Array.from({ length: 1 + Math.floor(rand() * 8) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '));
  return out;
}

describe('bench: typed-array BM25 equals the MiniSearch index', () => {
  const chunks = corpus(600, 3);
  const ref = reference(chunks);
  const built = LexicalIndex.build(chunks);
  const files = built.toFiles();
  const reloaded = LexicalIndex.fromFiles(files.json, files.bin);
  const weights = new Map([['alpha', 0.35], ['cloud', 0.7]]);

  it('GIVEN the same chunks THEN every query returns the same hits, order and scores', () => {
    for (const q of queries(5)) {
      for (const k of [1, 10, 80, 10_000]) {
        const want = ref.search(q, k);
        expect(built.search(q, k)).toEqual(want);
        expect(reloaded.search(q, k)).toEqual(want);
      }
      const want = ref.search(q, 50, weights);
      expect(built.search(q, 50, weights)).toEqual(want);
      expect(reloaded.search(q, 50, weights)).toEqual(want);
    }
  });

  it('GIVEN the same chunks THEN document frequencies and IDF are the same', () => {
    expect(new Map([...built.df].sort())).toEqual(new Map([...ref.df].sort()));
    expect(reloaded.idf('alpha')).toBe(built.idf('alpha'));
    expect(built.size).toBe(600);
  });

  it('GIVEN an empty index THEN search returns nothing and it round-trips', () => {
    const { json, bin } = LexicalIndex.build([]).toFiles();
    const empty = LexicalIndex.fromFiles(json, bin);
    expect(empty.search('alpha', 10)).toEqual([]);
    expect(empty.size).toBe(0);
  });
});
