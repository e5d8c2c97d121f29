/**
 * One contract every embedder meets (hash, GloVe, Ollama and OpenAI-compatible against a fake
 * server on 127.0.0.1): what an index built on any of them relies on.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import { startFakeEmbeddingServer, type FakeServer } from '../fixtures/embeddings/fake-embedding-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = 'sk-test-contract-0123456789';

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeEmbeddingServer({ dims: 48, apiKey: KEY });
});
afterAll(() => fake.close());

function config(embedder: string) {
  return loadConfig(
    {
      DOCENT_EMBEDDER: embedder,
      DOCENT_CACHE_DIR: path.join(root, '.docent/cache'),
      OLLAMA_BASE_URL: fake.url,
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: KEY,
      DOCENT_EMBED_TIMEOUT_MS: '5000',
    },
    { cwd: root },
  );
}

const cases: Array<{ embedder: string; id: string; dims?: number }> = [
  { embedder: 'hash', id: 'hash:256', dims: 256 },
  { embedder: 'hash:64', id: 'hash:64', dims: 64 },
  { embedder: 'glove', id: 'glove:wink-sg-100d:v1', dims: 100 },
  { embedder: 'ollama:nomic-embed-text', id: 'ollama:nomic-embed-text', dims: 48 },
  { embedder: 'openai:text-embedding-3-small', id: 'openai:text-embedding-3-small', dims: 48 },
];

const TEXTS = [
  'Wukong is the enterprise agent platform.',
  'Operating income dropped 74% year over year.',
  '',
  'Qwen models passed 300 million downloads.',
  'Ünïcödé — and emoji 🚀 too.',
];

describe.each(cases)('embedder contract: $embedder', ({ embedder, id, dims }) => {
  let e: DocentEmbeddings;
  beforeAll(async () => {
    e = await createEmbeddings(config(embedder));
  }, 120_000);

  it('has a stable id and the advertised dimensions', async () => {
    expect(e.id).toBe(id);
    expect(e.dimensions).toBe(dims);
    expect((await e.embedQuery('hello')).length).toBe(e.dimensions);
  });

  it('embedDocuments returns one unit-length vector per text, in order, equal to embedQuery of each', async () => {
    const docs = await e.embedDocuments(TEXTS);
    expect(docs).toHaveLength(TEXTS.length);
    for (let i = 0; i < TEXTS.length; i++) {
      expect(docs[i]).toHaveLength(e.dimensions);
      expect(docs[i].every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...docs[i])).toBeCloseTo(1, 5);
      const q = await e.embedQuery(TEXTS[i]);
      q.forEach((x, j) => expect(x).toBeCloseTo(docs[i][j], 6));
    }
  });

  it('is deterministic: the same text gives the same vector on every call', async () => {
    const a = await e.embedDocuments(TEXTS);
    const b = await e.embedDocuments(TEXTS);
    expect(b).toEqual(a);
  });

  it('gives different texts different vectors', async () => {
    const [a, b] = await e.embedDocuments([TEXTS[0], TEXTS[1]]);
    expect(a).not.toEqual(b);
  });

  it('embeds an empty list as an empty list', async () => {
    expect(await e.embedDocuments([])).toEqual([]);
  });
});

describe('createEmbeddings', () => {
  it('GIVEN embedder glove twice THEN the big GloVe tables are loaded once per process', async () => {
    const [a, b] = await Promise.all([createEmbeddings(config('glove')), createEmbeddings(config('glove'))]);
    expect(a).toBe(b);
  });

  it('GIVEN 150 texts for the OpenAI-compatible embedder THEN they go in batches, not one request each', async () => {
    const e = await createEmbeddings(config('openai:text-embedding-3-small'));
    fake.calls.length = 0;
    const texts = Array.from({ length: 150 }, (_, i) => `text number ${i}`);
    const vectors = await e.embedDocuments(texts);
    expect(vectors).toHaveLength(150);
    expect(fake.calls.map((c) => (c.body.input as string[]).length)).toEqual([64, 64, 22]);
    expect(fake.calls.every((c) => c.authorization === `Bearer ${KEY}`)).toBe(true);
    // Order survives batching and the server's shuffled `data`.
    expect(vectors[149]).toEqual(await e.embedQuery('text number 149'));
  });

  it('GIVEN 70 texts for Ollama THEN they go to /api/embed in batches of 32', async () => {
    const e = await createEmbeddings(config('ollama:nomic-embed-text'));
    fake.calls.length = 0;
    await e.embedDocuments(Array.from({ length: 70 }, (_, i) => `t${i}`));
    expect(fake.calls.map((c) => [c.path, (c.body.input as string[]).length])).toEqual([
      ['/api/embed', 32],
      ['/api/embed', 32],
      ['/api/embed', 6],
    ]);
    expect(fake.calls[0].body.model).toBe('nomic-embed-text');
  });
});
