/**
 * Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, Qwen's DashScope
 * compatible mode, vLLM, LM Studio …), by plain `fetch` rather than `@langchain/openai`: the
 * OpenAI SDK retries refused connections with backoff for many seconds and puts its own wording
 * on errors, while Docent needs a prompt `EMBEDDER_UNAVAILABLE` that names the URL and never the
 * key, a hard timeout, and a server tests can fake on 127.0.0.1.
 */
import { Embeddings } from '../vendor/langchain.js';
import { ConfigError, UserError } from '../errors.js';
import { addSecret, redactUrl } from '../log.js';
import { inBatches, postJson, toUnitVector } from './http.js';
import type { DocentEmbeddings } from './types.js';

export interface OpenAIOptions {
  /** e.g. `https://api.openai.com/v1` (config.openaiBaseUrl). */
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** Texts per request; default 64, or 10 for DashScope, which refuses more. */
  batchSize?: number;
}

/** Whether `baseUrl` is on this machine, where a key is commonly not needed. */
export function isLocalUrl(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || /^127\./.test(host);
}

export class OpenAIEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id: string;
  readonly dimensions: number;

  private constructor(private readonly opts: OpenAIOptions, dimensions: number) {
    super({ maxRetries: 0 });
    this.id = `openai:${opts.model}`;
    this.dimensions = dimensions;
  }

  /**
   * Checks the key, then discovers the model's dimensions with one probe call. Throws
   * `ConfigError` (OPENAI_API_KEY) when a remote URL has no key, `UserError`
   * `EMBEDDER_UNAVAILABLE` when the endpoint cannot be used.
   */
  static async create(opts: OpenAIOptions): Promise<OpenAIEmbeddings> {
    if (!opts.apiKey && !isLocalUrl(opts.baseUrl)) {
      throw new ConfigError('OPENAI_API_KEY', `required for the embedder openai:${opts.model} at ${redactUrl(opts.baseUrl)}; set it, or point OPENAI_BASE_URL at a local server`);
    }
    addSecret(opts.apiKey);
    const [probe] = await request(opts, ['dimension probe'], undefined);
    return new OpenAIEmbeddings(opts, probe.length);
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return inBatches(documents, this.opts.batchSize ?? (/dashscope/i.test(this.opts.baseUrl) ? 10 : 64), (batch) => request(this.opts, batch, this.dimensions));
  }

  override async embedQuery(document: string): Promise<number[]> {
    const [v] = await request(this.opts, [document], this.dimensions);
    return v;
  }
}

async function request(opts: OpenAIOptions, input: string[], dims: number | undefined): Promise<number[][]> {
  const url = opts.baseUrl.replace(/\/+$/, '') + '/embeddings';
  const res = (await postJson(
    // OpenAI rejects empty strings in `input`; a space embeds as "no content" instead.
    url,
    { model: opts.model, input: input.map((t) => (t.trim() === '' ? ' ' : t)), encoding_format: 'float' },
    {
      label: 'OpenAI-compatible',
      timeoutMs: opts.timeoutMs,
      headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
      secret: opts.apiKey,
      unreachableHint: 'OPENAI_BASE_URL and the network connection',
      authHint: 'OPENAI_API_KEY (is it valid for this endpoint?)',
      statusHint: (status) =>
        status === 404 ? `Check OPENAI_BASE_URL (it should end before /embeddings) and that the model "${opts.model}" exists there.` : undefined,
    },
  )) as { data?: Array<{ index?: number; embedding?: unknown }> };
  const data = res.data;
  if (!Array.isArray(data) || data.length !== input.length) {
    throw new UserError('EMBEDDER_UNAVAILABLE', `The OpenAI-compatible endpoint ${redactUrl(url)} answered without ${input.length} embeddings (model "${opts.model}").`);
  }
  const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return ordered.map((d) => toUnitVector(d.embedding, dims, `Model ${opts.model} at ${url}`));
}
