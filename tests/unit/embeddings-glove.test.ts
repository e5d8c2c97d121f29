/**
 * The real wink GloVe cache (built once from node_modules if .docent/cache lacks it): what a user
 * of the default embedder notices — related sentences rank above unrelated ones.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { GloveEmbeddings } from '../../src/embeddings/glove.js';
import { cosine } from '../../src/text/vector.js';

const cacheDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.docent/cache');

let glove: GloveEmbeddings;
beforeAll(async () => {
  glove = await GloveEmbeddings.load({ cacheDir });
}, 120_000);

const DOCS = [
  "Wukong is Alibaba's enterprise agent platform for building and running AI agents.",
  'Operating income dropped 74% year over year, mainly due to investment in quick commerce.',
  'Cloud revenue grew 34%, driven by AI-related products.',
  'Qwen models passed 300 million downloads on open-source platforms.',
  'The weather in Hangzhou was sunny and warm all week.',
  'The football team won the championship after a penalty shoot-out.',
];

async function ranking(query: string): Promise<number[]> {
  const docs = await glove.embedDocuments(DOCS);
  const q = await glove.embedQuery(query);
  return docs.map((d, i) => ({ i, s: cosine(q, d) })).sort((a, b) => b.s - a.s).map((x) => x.i);
}

describe('GloveEmbeddings on the real vectors', () => {
  it('GIVEN "What is Wukong?" THEN the sentence about Wukong ranks first', async () => {
    expect((await ranking('What is Wukong?'))[0]).toBe(0);
  });

  it('GIVEN "By how much did profit fall?" THEN "operating income dropped 74%" ranks above every unrelated sentence', async () => {
    const r = await ranking('By how much did profit fall?');
    for (const unrelated of [0, 3, 4, 5]) expect(r.indexOf(1)).toBeLessThan(r.indexOf(unrelated));
  });

  it('GIVEN "How fast is the cloud business growing?" THEN the cloud sentence ranks first', async () => {
    expect((await ranking('How fast is the cloud business growing?'))[0]).toBe(2);
  });

  it('GIVEN a question naming Qwen THEN the Qwen sentence ranks first', async () => {
    expect((await ranking('How popular are the Qwen models?'))[0]).toBe(3);
  });

  it('GIVEN an out-of-vocabulary word THEN its vector is the same in every instance and differs between words', async () => {
    expect(glove.has('qwen')).toBe(false);
    const again = await GloveEmbeddings.load({ cacheDir });
    expect(again.oovVector('qwen')).toEqual(glove.oovVector('qwen'));
    expect(await again.embedQuery('Qwen and Zorblax')).toEqual(await glove.embedQuery('Qwen and Zorblax'));
    expect(Math.abs(cosine(glove.oovVector('qwen'), glove.oovVector('zorblax')))).toBeLessThan(0.5);
  });

  it('GIVEN two texts sharing only a rare unknown name THEN they are closer than texts sharing none', async () => {
    const [a, b, c] = await glove.embedDocuments(['Ask Zorblax about refunds.', 'Zorblax handles billing questions.', 'Support handles billing questions.']);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
  });

  it('GIVEN mixed-case text with hyphens, apostrophes and numbers THEN tokens stay meaningful', () => {
    expect(glove.tokens("AI, Qwen-Max and state-of-the-art models don't cost $5 or 74%")).toEqual([
      'ai', ',', 'qwen', 'max', 'and', 'state-of-the-art', 'models', 'do', "n't", 'cost', '$', '5', 'or', '74', '%',
    ].filter((t) => t !== ','));
  });

  it('GIVEN an empty or punctuation-only text THEN the vector is still unit length (no NaN in the index)', async () => {
    for (const t of ['', '   ', '?!']) {
      const v = await glove.embedQuery(t);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
  });

  it('embeds short chunks quickly (target ≥ 20,000 chunks/s on one core; asserted loosely for busy CI)', async () => {
    const chunks = Array.from({ length: 20_000 }, (_, i) => `Chunk ${i}: operating income dropped ${i % 100}% as the company invested in quick commerce and AI.`);
    const t0 = performance.now();
    await glove.embedDocuments(chunks);
    const perSecond = chunks.length / ((performance.now() - t0) / 1000);
    expect(perSecond, `glove throughput: ${Math.round(perSecond)} chunks/s`).toBeGreaterThan(2_000);
  });
});
