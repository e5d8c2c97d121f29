/**
 * Failure paths of the remote embedders, against 127.0.0.1 only: a user who misconfigures
 * Ollama or an OpenAI-compatible endpoint gets one clear, key-free message naming the URL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../src/errors.js';
import { OllamaEmbeddings } from '../../src/embeddings/ollama.js';
import { OpenAIEmbeddings, isLocalUrl } from '../../src/embeddings/openai.js';
import { closedPort, startFakeEmbeddingServer, type FakeServer } from '../fixtures/embeddings/fake-embedding-server.js';

const KEY = 'sk-secret-provider-test-987654321';

let fake: FakeServer;
beforeAll(async () => {
  fake = await startFakeEmbeddingServer({ dims: 16, apiKey: KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.mode = 'ok';
  fake.calls.length = 0;
});

// A timeout long enough never to be what a test sees, however busy the machine; the timeout
// itself is tested with a hanging server.
const openai = (over: Partial<Parameters<typeof OpenAIEmbeddings.create>[0]> = {}) =>
  OpenAIEmbeddings.create({ baseUrl: `${fake.url}/v1`, model: 'text-embedding-v3', apiKey: KEY, timeoutMs: 30_000, ...over });
const ollama = (over: Partial<Parameters<typeof OllamaEmbeddings.create>[0]> = {}) =>
  OllamaEmbeddings.create({ baseUrl: fake.url, model: 'nomic-embed-text', timeoutMs: 30_000, ...over });

async function failure(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('remote embedders: unreachable endpoints', () => {
  it('GIVEN Ollama on a closed port THEN create fails fast with EMBEDDER_UNAVAILABLE naming the URL and `ollama serve`', async () => {
    const port = await closedPort();
    const err = await failure(ollama({ baseUrl: `http://127.0.0.1:${port}` }));
    // fast: refused at once, not given up on after the 30 s timeout
    expect(err.message).not.toMatch(/did not answer within/);
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(err.message).toContain(`http://127.0.0.1:${port}/api/embed`);
    expect(err.message).toMatch(/ollama serve.*OLLAMA_BASE_URL/);
  });

  it('GIVEN an OpenAI-compatible URL on a closed port THEN EMBEDDER_UNAVAILABLE names the URL and never the key', async () => {
    const port = await closedPort();
    const err = await failure(openai({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(err.message).toContain(`http://127.0.0.1:${port}/v1/embeddings`);
    expect(err.message).toContain('OPENAI_BASE_URL');
    expect(err.message).not.toContain(KEY);
  });

  it('GIVEN a server that never answers THEN the call times out with EMBEDDER_UNAVAILABLE mentioning DOCENT_EMBED_TIMEOUT_MS', async () => {
    fake.mode = 'hang';
    const err = await failure(ollama({ timeoutMs: 300 }));
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(err.message).toMatch(/did not answer within 300 ms.*DOCENT_EMBED_TIMEOUT_MS/);
  });
});

describe('remote embedders: HTTP errors', () => {
  it('GIVEN HTTP 500 THEN EMBEDDER_UNAVAILABLE quotes the status and the server message', async () => {
    fake.mode = 'http500';
    for (const p of [openai(), ollama()]) {
      const err = await failure(p);
      expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
      expect(err.message).toMatch(/HTTP 500: internal failure in the embedding backend/);
    }
  });

  it('GIVEN HTTP 401 that echoes the key THEN the message says to check OPENAI_API_KEY and does not contain the key', async () => {
    fake.mode = 'http401';
    const err = await failure(openai());
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(err.message).toMatch(/HTTP 401.*OPENAI_API_KEY/);
    expect(err.message).not.toContain(KEY);
    expect(JSON.stringify({ m: err.message, s: err.stack, c: String((err.cause as Error | undefined)?.message) })).not.toContain(KEY);
  });

  it('GIVEN a wrong key THEN the 401 is reported, without the key', async () => {
    const err = await failure(openai({ apiKey: 'sk-wrong-key-abcdef123456' }));
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).not.toContain('sk-wrong-key-abcdef123456');
  });

  it('GIVEN Ollama without the model THEN the message says `ollama pull <model>`', async () => {
    fake.mode = 'missingModel';
    const err = await failure(ollama({ model: 'nomic-embed-text' }));
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
    expect(err.message).toContain('ollama pull nomic-embed-text');
  });

  it('GIVEN a URL that answers HTML instead of JSON THEN the message says so', async () => {
    fake.mode = 'notJson';
    const err = await failure(openai());
    expect(err.message).toMatch(/not JSON/);
  });

  it('GIVEN user:password@ in the URL and a reply without embeddings THEN the error names the endpoint without the password', async () => {
    fake.mode = 'noEmbeddings';
    const withCredentials = fake.url.replace('http://', 'http://docent:pw-in-url-4321@');
    for (const create of [() => ollama({ baseUrl: withCredentials }), () => openai({ baseUrl: `${withCredentials}/v1` })]) {
      const err = await failure(create());
      expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
      expect(err.message).toContain('answered without');
      expect(err.message).not.toContain('pw-in-url-4321');
    }
  });

  it('GIVEN one HTTP 503 (model loading) THEN the call is retried and succeeds', async () => {
    fake.mode = 'flaky503';
    const e = await ollama();
    expect(e.dimensions).toBe(16);
    expect(fake.calls).toHaveLength(2);
  });

  it('GIVEN an embedder that later fails THEN embedDocuments rejects with EMBEDDER_UNAVAILABLE too', async () => {
    const e = await openai();
    fake.mode = 'http500';
    const err = await failure(e.embedDocuments(['a', 'b']));
    expect(err.code).toBe('EMBEDDER_UNAVAILABLE');
  });
});

describe('OpenAI-compatible embedder: API key', () => {
  it('GIVEN a remote URL and no key THEN ConfigError names OPENAI_API_KEY before any request', async () => {
    const err = await OpenAIEmbeddings.create({ baseUrl: 'https://dashscope.example.invalid/compatible-mode/v1', model: 'text-embedding-v3', apiKey: undefined, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', variable: 'OPENAI_API_KEY' });
  });

  it('GIVEN a local URL and no key THEN no key is required', async () => {
    fake.apiKey = undefined;
    try {
      const e = await openai({ apiKey: undefined });
      expect(e.dimensions).toBe(16);
      expect(fake.calls[0].authorization).toBeUndefined();
    } finally {
      fake.apiKey = KEY;
    }
  });

  it('treats loopback hosts as local and others as remote', () => {
    expect(['http://127.0.0.1:8000/v1', 'http://localhost:1234/v1', 'http://[::1]:8080/v1'].map(isLocalUrl)).toEqual([true, true, true]);
    expect(['https://api.openai.com/v1', 'https://dashscope.aliyuncs.com/compatible-mode/v1'].map(isLocalUrl)).toEqual([false, false]);
  });
});
