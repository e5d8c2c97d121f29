import { Embeddings } from '../vendor/langchain.js';
import type { DocentEmbeddings } from './types.js';
import { normalizeInPlace } from '../text/vector.js';
import { fnv1a } from './seeded.js';

const TOKEN = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/**
 * Feature hashing of lowercased word unigrams and bigrams into `dimensions` buckets, with a
 * second hash choosing the sign (so collisions cancel rather than pile up), L2-normalized.
 * Deterministic and instant: for tests and fault-injection runs, not for retrieval quality.
 */
export class HashEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id: string;
  readonly dimensions: number;

  constructor(opts: { dimensions?: number } = {}) {
    super({ maxRetries: 0 });
    const dims = opts.dimensions ?? 256;
    if (!Number.isInteger(dims) || dims < 2 || dims > 65_536) {
      throw new RangeError(`HashEmbeddings: dimensions must be a whole number from 2 to 65536, got ${dims}`);
    }
    this.dimensions = dims;
    this.id = `hash:${dims}`;
  }

  /** Synchronous core, used by both LangChain methods. */
  embed(text: string): number[] {
    const v: number[] = new Array<number>(this.dimensions).fill(0);
    const tokens = text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
      v[h % this.dimensions] += sign * weight;
    };
    for (let i = 0; i < tokens.length; i++) {
      add(tokens[i], 1);
      if (i > 0) add(tokens[i - 1] + ' ' + tokens[i], 0.5);
    }
    // An empty text still gets a unit vector, so cosine-based indexes never see NaN.
    if (tokens.length === 0) add('', 1);
    const out: number[] = normalizeInPlace<number[]>(v);
    if (!out.some((x) => x !== 0)) out[fnv1a('') % this.dimensions] = 1;
    return out;
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => this.embed(d));
  }

  override async embedQuery(document: string): Promise<number[]> {
    return this.embed(document);
  }
}
