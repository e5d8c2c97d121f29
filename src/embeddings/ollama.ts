/**
 * Ollama embeddings (`/api/embed`, Ollama ≥ 0.3), by plain `fetch` rather than
 * `@langchain/ollama`: its client retries through LangChain's AsyncCaller (a refused
 * connection takes many seconds to surface) and its errors carry no URL, while Docent needs a
 * prompt `EMBEDDER_UNAVAILABLE` naming the URL, a hard timeout, and a server tests can fake.
 */
import { Embeddings } from '../vendor/langchain.js';
import { inBatches, postJson, toUnitVector } from './http.js';
import type { DocentEmbeddings } from './types.js';
import { UserError } from '../errors.js';
import { redactUrl } from '../log.js';

export interface OllamaOptions {
  /** e.g. `http://127.0.0.1:11434` (config.ollamaBaseUrl). */
  baseUrl: string;
  model: string;
  timeoutMs: number;
  /** Texts per request (default 32). */
  batchSize?: number;
}

export class OllamaEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id: string;
  readonly dimensions: number;
  private readonly url: string;

  private constructor(private readonly opts: OllamaOptions, dimensions: number) {
    super({ maxRetries: 0 });
    this.id = `ollama:${opts.model}`;
    this.dimensions = dimensions;
    this.url = endpoint(opts.baseUrl);
  }

  /** Connects to Ollama and discovers the model's dimensions with one probe call. */
  static async create(opts: OllamaOptions): Promise<OllamaEmbeddings> {
    const [probe] = await request(opts, ['dimension probe'], undefined);
    return new OllamaEmbeddings(opts, probe.length);
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return inBatches(documents, this.opts.batchSize ?? 32, (batch) => request(this.opts, batch, this.dimensions));
  }

  override async embedQuery(document: string): Promise<number[]> {
    const [v] = await request(this.opts, [document], this.dimensions);
    return v;
  }
}

function endpoint(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '') + '/api/embed';
}

async function request(opts: OllamaOptions, input: string[], dims: number | undefined): Promise<number[][]> {
  const url = endpoint(opts.baseUrl);
  const res = (await postJson(url, { model: opts.model, input, truncate: true }, {
    label: 'Ollama',
    timeoutMs: opts.timeoutMs,
    unreachableHint: 'that Ollama is running (`ollama serve`) and that OLLAMA_BASE_URL is right',
    authHint: 'the proxy in front of Ollama and OLLAMA_BASE_URL',
    statusHint: (status, msg) =>
      status === 404 && /model/i.test(msg)
        ? `Pull the model first: \`ollama pull ${opts.model}\`.`
        : status === 404
          ? 'Check that OLLAMA_BASE_URL points at Ollama (version 0.3 or later).'
          : undefined,
  })) as { embeddings?: unknown };
  if (!Array.isArray(res.embeddings) || res.embeddings.length !== input.length) {
    throw new UserError('EMBEDDER_UNAVAILABLE', `Ollama at ${redactUrl(url)} answered without ${input.length} embeddings; is it version 0.3 or later?`);
  }
  return res.embeddings.map((v) => toUnitVector(v, dims, `Ollama model ${opts.model}`));
}
