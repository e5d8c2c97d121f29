import { Embeddings } from '@langchain/core/embeddings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import { Docent } from '../../src/pipeline.js';
import { search } from '../../src/retrieval/search.js';
import { tempProject } from '../support/temp-project.js';

/** Deterministic topic embedder: finance words point one way, pets another. Records its calls. */
class TopicEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id = 'test:topics';
  readonly dimensions = 4;
  calls: string[][] = [];
  constructor() {
    super({});
  }
  private vec(text: string): number[] {
    const v = [0.01, 0.01, 0.01, 0.01];
    for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
      if (/^(earnings|income|profit|revenue|dropped|fall|quarterly|growth|margin)$/.test(w)) v[0] += 1;
      if (/^(cat|dog|mat|pets?|kitten)$/.test(w)) v[1] += 1;
      if (/^(rain|weather|sunny)$/.test(w)) v[2] += 1;
    }
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  }
  async embedDocuments(texts: string[]) {
    this.calls.push(texts);
    return texts.map((t) => this.vec(t));
  }
  async embedQuery(text: string) {
    return this.vec(text);
  }
}

describe('hybrid search fuses lexical and dense results', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  const emb = new TopicEmbeddings();
  beforeAll(async () => {
    p = await tempProject({
      'a.md': '# Report\n\nQuarterly earnings were reported on Tuesday by the board.\n',
      'b.md': '# Results\n\nOperating income dropped sharply over the period.\n',
      'c.md': '# Pets\n\nThe cat sat on the mat all afternoon.\n',
      'd.md': '# Weather\n\nRain is expected with a sunny break on Tuesday.\n',
    });
    docent = await Docent.open(p.config(), { embeddings: emb });
  });
  afterAll(async () => {
    await docent.close();
    await p.cleanup();
  });

  it('GIVEN a query with one exact word and one paraphrase THEN hybrid ranks both the lexical and the dense match above the rest', async () => {
    const index = await docent.current();
    const hybrid = (await search(index, emb, 'earnings fall', { k: 4 })).hits;
    expect(hybrid.slice(0, 2).map((h) => h.chunk.source).sort()).toEqual(['a.md', 'b.md']);
    const a = hybrid.find((h) => h.chunk.source === 'a.md')!;
    const b = hybrid.find((h) => h.chunk.source === 'b.md')!;
    expect(a.lexicalRank).toBe(1);
    expect(a.denseRank).not.toBeNull();
    expect(b.lexicalRank).toBeNull(); // no shared word: only dense search finds it
    expect(b.denseRank).toBeLessThanOrEqual(2);
    expect(hybrid.map((h) => h.rank)).toEqual(hybrid.map((_, i) => i + 1));
    for (let i = 1; i < hybrid.length; i++) expect(hybrid[i - 1].score).toBeGreaterThanOrEqual(hybrid[i].score);
  });

  it('GIVEN lexical-only or dense-only mode THEN each misses what only the other finds', async () => {
    const index = await docent.current();
    const lexical = (await search(index, emb, 'earnings fall', { k: 4, mode: 'lexical' })).hits.map((h) => h.chunk.source);
    expect(lexical).toContain('a.md');
    expect(lexical).not.toContain('b.md');
    const dense = (await search(index, emb, 'Tuesday', { k: 1, mode: 'dense' })).hits.map((h) => h.chunk.source);
    const lexTuesday = (await search(index, emb, 'Tuesday', { k: 2, mode: 'lexical' })).hits.map((h) => h.chunk.source).sort();
    expect(lexTuesday).toEqual(['a.md', 'd.md']);
    expect(dense).toHaveLength(1);
  });

  it('GIVEN reciprocal-rank fusion THEN the same union is ranked by ranks alone', async () => {
    const index = await docent.current();
    const rrf = (await search(index, emb, 'earnings fall', { k: 4, mode: 'rrf' })).hits;
    expect(rrf[0].chunk.source).toBe('a.md');
    expect(rrf.map((h) => h.chunk.source)).toContain('b.md');
  });

  it('GIVEN the index was built THEN every chunk was embedded exactly once', () => {
    const embedded = emb.calls.flat();
    expect(embedded.filter((t) => t.includes('Quarterly earnings'))).toHaveLength(1);
  });
});
