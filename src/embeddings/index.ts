/**
 * The one place an embedder is chosen: `createEmbeddings(config)` from `config.embedder`
 * (`glove` default, `hash` / `hash:<dims>`, `ollama:<model>`, `openai:<model>`).
 */
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { GloveEmbeddings } from './glove.js';
import { HashEmbeddings } from './hash.js';
import { OllamaEmbeddings } from './ollama.js';
import { OpenAIEmbeddings } from './openai.js';
import type { DocentEmbeddings } from './types.js';

export type { DocentEmbeddings } from './types.js';
export { GloveEmbeddings, GLOVE_ID, GLOVE_CACHE_FILE, findGloveSource } from './glove.js';
export { buildGloveCache, readGloveCache } from './glove-cache.js';
export { HashEmbeddings } from './hash.js';
export { OllamaEmbeddings } from './ollama.js';
export { OpenAIEmbeddings } from './openai.js';

// The GloVe tables take ~45 MB: load them once per process and cache directory.
const gloves = new Map<string, Promise<GloveEmbeddings>>();

function loadGlove(cacheDir: string): Promise<GloveEmbeddings> {
  let p = gloves.get(cacheDir);
  if (p === undefined) {
    p = GloveEmbeddings.load({ cacheDir });
    gloves.set(cacheDir, p);
    // A failed load (package missing) may be fixed without restarting; do not cache the failure.
    p.catch(() => gloves.delete(cacheDir));
  }
  return p;
}

/** Creates the embedder `config.embedder` names; remote ones make one probe call first. */
export async function createEmbeddings(config: Config): Promise<DocentEmbeddings> {
  const id = config.embedder;
  const colon = id.indexOf(':');
  const kind = colon < 0 ? id : id.slice(0, colon);
  const arg = colon < 0 ? '' : id.slice(colon + 1);
  switch (kind) {
    case 'glove':
      return loadGlove(config.cacheDir);
    case 'hash': {
      const dims = arg === '' ? undefined : Number(arg);
      if (dims !== undefined && (!Number.isInteger(dims) || dims < 2 || dims > 65_536)) {
        throw new ConfigError('DOCENT_EMBEDDER', `hash dimensions must be from 2 to 65536, got "${arg}"`);
      }
      return new HashEmbeddings({ dimensions: dims });
    }
    case 'ollama':
      if (!arg) throw new ConfigError('DOCENT_EMBEDDER', 'expected ollama:<model>, e.g. ollama:nomic-embed-text');
      return OllamaEmbeddings.create({ baseUrl: config.ollamaBaseUrl, model: arg, timeoutMs: config.embedTimeoutMs });
    case 'openai':
      if (!arg) throw new ConfigError('DOCENT_EMBEDDER', 'expected openai:<model>, e.g. openai:text-embedding-3-small');
      return OpenAIEmbeddings.create({
        baseUrl: config.openaiBaseUrl,
        model: arg,
        apiKey: config.openaiApiKey,
        timeoutMs: config.embedTimeoutMs,
      });
    default:
      throw new ConfigError('DOCENT_EMBEDDER', `expected glove, hash, ollama:<model> or openai:<model>, got "${id}"`);
  }
}
