import fs from 'node:fs/promises';
import path from 'node:path';
import type { Chunk } from '../types.js';
import { writeFileSynced } from './atomic-file.js';
import type { SavedFiles, SearchHit, SearchIndex } from './search-index.js';
import { WORD, fold, isStopword, stem, words } from '../text/words.js';
import { TimeSlice } from '../time-slice.js';

/**
 * Lexical (BM25+) index over chunks. Terms are stemmed content words (text.ts); a chunk is
 * searched by its text (boost 1) and its heading path (boost 0.6). Chunk ids are positions in
 * the generation's chunk array.
 *
 * The scoring is MiniSearch's (BM25+ with k 1.2, b 0.7, d 0.5, per-field length normalisation by
 * unique terms, OR combination, score × number of matched query terms), computed on flat typed
 * postings instead of MiniSearch's radix tree and per-document Maps: the same scores and order
 * (ties keep MiniSearch's first-seen order), at a fraction of the build, load and search cost at
 * 100k chunks (docs/BENCH.md).
 */
export type LexicalHit = SearchHit;

const FIELDS = 2; // 0: text, 1: section
/** Field boosts (text, section) and the BM25+ parameters: the Postgres store scores with the same ones. */
export const BOOST = [1, 0.6];
export const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const FORMAT = 'docent-bm25';

/** One field's postings: for term t, docs[offsets[t] .. offsets[t+1]) ascending, with their term frequencies. */
interface FieldPostings {
  offsets: Uint32Array;
  docs: Uint32Array;
  tfs: Uint16Array | Uint32Array;
}

/** The text a chunk is searched by: its heading path counts a little, its text fully. */
export function sectionText(c: Chunk): string {
  return [c.title, ...c.headings].join(' \n ');
}

/**
 * `terms()` of text/words.ts, memoised per raw token: the text is folded and split the way
 * `words()` does it, and each distinct token is turned into its terms once (`words()` of a single
 * folded token gives exactly the words it contributes to the whole text). Tokenising is most of
 * the cost of a build.
 */
export class TermCache {
  private readonly memo = new Map<string, string[]>();

  terms(text: string): string[] {
    const out: string[] = [];
    for (const m of fold(text).matchAll(WORD)) {
      let ts = this.memo.get(m[0]);
      if (ts === undefined) {
        ts = [];
        for (const w of words(m[0])) if (w.length > 0 && !isStopword(w)) ts.push(stem(w));
        if (this.memo.size > 500_000) this.memo.clear();
        this.memo.set(m[0], ts);
      }
      for (const t of ts) out.push(t);
    }
    return out;
  }
}

export class LexicalIndex implements SearchIndex<string> {
  /** Scratch for one search (searches are synchronous, so one set per index is enough). */
  private readonly acc: Float64Array;
  private readonly tmp: Float64Array;
  private readonly stamp: Uint32Array;
  private readonly seen: Uint32Array;
  private readonly matched: Uint16Array;
  private readonly firstSeen: Uint32Array;
  private readonly touched: Uint32Array;
  private readonly order: Uint32Array;
  /** k·(1 − b + b·length/avgLength) per chunk and field, exactly as the BM25 formula computes it. */
  private readonly norm: Float64Array;
  private tick = 0;
  private readonly cache = new TermCache();

  private constructor(
    private readonly termIds: Map<string, number>,
    private readonly fields: FieldPostings[],
    /** Unique terms of each chunk's fields, n × FIELDS. */
    private readonly fieldLength: Uint32Array,
    private readonly avgFieldLength: number[],
    /** Document frequency of each term over chunk texts (for IDF in the answerer). */
    readonly df: Map<string, number>,
    readonly size: number,
  ) {
    this.acc = new Float64Array(size);
    this.tmp = new Float64Array(size);
    this.stamp = new Uint32Array(size);
    this.seen = new Uint32Array(size);
    this.matched = new Uint16Array(size);
    this.firstSeen = new Uint32Array(size);
    this.touched = new Uint32Array(size);
    this.order = new Uint32Array(size);
    this.norm = new Float64Array(size * FIELDS);
    const { k: K, b: B } = BM25;
    for (let i = 0; i < size * FIELDS; i++) this.norm[i] = K * (1 - B + (B * fieldLength[i]) / avgFieldLength[i % FIELDS]);
  }

  static build(chunks: Chunk[]): LexicalIndex {
    const steps = LexicalIndex.building(chunks);
    for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
  }

  /** `build`, giving the event loop a turn whenever `slice` is due (the re-index on the serving thread). */
  static async buildSliced(chunks: Chunk[], slice: TimeSlice = new TimeSlice()): Promise<LexicalIndex> {
    const steps = LexicalIndex.building(chunks);
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return r.value;
      if (slice.due()) await slice.pause();
    }
  }

  /** The build, one step per chunk. */
  private static *building(chunks: Chunk[]): Generator<void, LexicalIndex> {
    const cache = new TermCache();
    const termIds = new Map<string, number>();
    const n = chunks.length;
    const fieldLength = new Uint32Array(n * FIELDS);
    const avg = [0, 0];
    // per field: (term, doc, tf) triples in doc order, sorted into per-term postings at the end
    const triples = [new Growable(), new Growable()];
    let count = new Uint32Array(1024);
    let lastDoc = new Int32Array(1024).fill(-1);
    let unique = new Uint32Array(4096);
    let nUnique = 0;
    for (let i = 0; i < n; i++) {
      const texts = [chunks[i].text, sectionText(chunks[i])];
      for (let f = 0; f < FIELDS; f++) {
        nUnique = 0;
        const mark = i * FIELDS + f;
        for (const t of cache.terms(texts[f])) {
          let id = termIds.get(t);
          if (id === undefined) {
            id = termIds.size;
            termIds.set(t, id);
            if (id >= count.length) {
              const c = new Uint32Array(count.length * 2);
              c.set(count);
              count = c;
              const l = new Int32Array(lastDoc.length * 2).fill(-1);
              l.set(lastDoc);
              lastDoc = l;
            }
          }
          if (lastDoc[id] !== mark) {
            lastDoc[id] = mark;
            count[id] = 0;
            if (nUnique === unique.length) {
              const u = new Uint32Array(unique.length * 2);
              u.set(unique);
              unique = u;
            }
            unique[nUnique++] = id;
          }
          count[id]++;
        }
        fieldLength[mark] = nUnique;
        // MiniSearch's running mean, in its order of operations (same floating-point result)
        avg[f] = (avg[f] * i + nUnique) / (i + 1);
        for (let j = 0; j < nUnique; j++) triples[f].push(unique[j], i, count[unique[j]]);
      }
      yield;
    }
    const fields: FieldPostings[] = [];
    for (const t of triples) {
      fields.push(t.toPostings(termIds.size));
      yield;
    }
    return new LexicalIndex(termIds, fields, fieldLength, avg, dfOf(termIds, fields[0]), n);
  }

  /** Loads what `save()` wrote into `dir` (lexical.json and lexical.bin). */
  static async load(dir: string): Promise<LexicalIndex> {
    const json = await fs.readFile(path.join(dir, 'lexical.json'), 'utf8');
    return LexicalIndex.fromFiles(json, await fs.readFile(path.join(dir, 'lexical.bin')));
  }

  /** An index from what `toFiles()` returned. */
  static fromFiles(json: string, bin: Buffer): LexicalIndex {
    const data = JSON.parse(json) as Serialized;
    if (data.format !== FORMAT || data.version !== 2) throw new Error(`lexical.json is not a ${FORMAT} index of version 2`);
    const view = <T>(r: ArrayRef, Ctor: TypedCtor<T>): T => {
      if (r.at + r.bytes > bin.byteLength) throw new Error('lexical.bin is shorter than lexical.json says');
      // copy into an aligned buffer of its own (the file buffer is dropped after loading)
      const own = new Uint8Array(r.bytes);
      own.set(bin.subarray(r.at, r.at + r.bytes));
      return new Ctor(own.buffer, 0, r.bytes / Ctor.BYTES_PER_ELEMENT);
    };
    const termIds = new Map<string, number>();
    data.terms.forEach((t, i) => termIds.set(t, i));
    const fields = data.fields.map((f) => ({
      offsets: view(f.offsets, Uint32Array),
      docs: view(f.docs, Uint32Array),
      tfs: f.tfBits === 16 ? view(f.tfs, Uint16Array) : view(f.tfs, Uint32Array),
    }));
    return new LexicalIndex(termIds, fields, view(data.fieldLength, Uint32Array), data.averageFieldLength, dfOf(termIds, fields[0]), data.size);
  }

  /** Writes lexical.json and lexical.bin into `dir`, flushed; returns their sizes and checksums. */
  async save(dir: string): Promise<SavedFiles> {
    const { json, bin } = this.toFiles();
    return {
      'lexical.json': await writeFileSynced(path.join(dir, 'lexical.json'), json),
      'lexical.bin': await writeFileSynced(path.join(dir, 'lexical.bin'), bin),
    };
  }

  /** The index as a small JSON header (terms, sizes) and one binary file of postings. */
  toFiles(): { json: string; bin: Buffer } {
    const terms = new Array<string>(this.termIds.size);
    for (const [t, id] of this.termIds) terms[id] = t;
    const parts: ArrayBufferView[] = [];
    let at = 0;
    const ref = (a: ArrayBufferView): ArrayRef => {
      parts.push(a);
      const r = { at, bytes: a.byteLength };
      at += a.byteLength;
      return r;
    };
    const out: Serialized = {
      format: FORMAT,
      version: 2,
      size: this.size,
      averageFieldLength: this.avgFieldLength,
      fieldLength: ref(this.fieldLength),
      terms,
      fields: this.fields.map((f) => ({ offsets: ref(f.offsets), docs: ref(f.docs), tfs: ref(f.tfs), tfBits: f.tfs instanceof Uint16Array ? 16 : 32 })),
    };
    const bin = Buffer.concat(parts.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
    return { json: JSON.stringify(out), bin };
  }

  /** IDF of a term (BM25 form, never negative). */
  idf(term: string): number {
    const n = this.df.get(term) ?? 0;
    return Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  /**
   * BM25 search. `weights` lowers the weight of some query terms (e.g. terms carried over from
   * earlier turns of a conversation).
   */
  search(query: string, k: number, weights?: Map<string, number>): LexicalHit[] {
    const q = this.cache.terms(query);
    if (q.length === 0) return [];
    if (this.tick + q.length + 2 >= 0xffffffff) {
      this.stamp.fill(0);
      this.seen.fill(0);
      this.tick = 0;
    }
    const queryStamp = ++this.tick;
    const { acc, tmp, stamp, seen, matched, firstSeen, norm, order } = this;
    let nOrder = 0;
    const touched = this.touched;
    let nTouched = 0;
    const counted = new Set<string>();
    const n = this.size;
    const { k: K, d: D } = BM25;
    // one pass per query-term occurrence, in query order, like MiniSearch's OR reduction: the
    // occurrence's text and section contributions are summed first, then added to the total
    for (const term of q) {
      const first = !counted.has(term);
      counted.add(term);
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const termTick = ++this.tick;
      const termBoost = weights ? (weights.get(term) ?? 1) : 1;
      nTouched = 0;
      for (let f = 0; f < FIELDS; f++) {
        const { offsets, docs, tfs } = this.fields[f];
        const from = offsets[id];
        const to = offsets[id + 1];
        const matching = to - from;
        if (matching === 0) continue;
        const idf = Math.log(1 + (n - matching + 0.5) / (matching + 0.5));
        const w = 1 * termBoost * BOOST[f] * 1;
        for (let p = from; p < to; p++) {
          const doc = docs[p];
          const tf = tfs[p];
          const s = w * (idf * (D + (tf * (K + 1)) / (tf + norm[doc * FIELDS + f])));
          if (stamp[doc] !== queryStamp) {
            stamp[doc] = queryStamp;
            acc[doc] = 0;
            matched[doc] = 0;
            firstSeen[doc] = nOrder;
            order[nOrder++] = doc;
          }
          if (seen[doc] !== termTick) {
            seen[doc] = termTick;
            tmp[doc] = s;
            touched[nTouched++] = doc;
            if (first) matched[doc]++;
          } else tmp[doc] += s;
        }
      }
      for (let j = 0; j < nTouched; j++) {
        const doc = touched[j];
        acc[doc] = acc[doc] + tmp[doc];
      }
    }
    // MiniSearch: score × the number of distinct query terms matched, sorted stably (ties stay
    // in first-seen order); a bounded heap keeps the top k
    for (let j = 0; j < nOrder; j++) acc[order[j]] = acc[order[j]] * (matched[order[j]] || 1);
    const better = (a: number, b: number) => acc[a] > acc[b] || (acc[a] === acc[b] && firstSeen[a] < firstSeen[b]);
    const heap: number[] = [];
    if (k > 0) {
      for (let j = 0; j < nOrder; j++) {
        const doc = order[j];
        if (heap.length < k) {
          heap.push(doc);
          siftUp(heap, heap.length - 1, better);
        } else if (better(doc, heap[0])) {
          heap[0] = doc;
          siftDown(heap, 0, better);
        }
      }
    }
    heap.sort((a, b) => (better(a, b) ? -1 : 1));
    return heap.map((doc) => ({ index: doc, score: acc[doc] }));
  }
}

// min-heap by "better": the root is the worst of the kept hits
function siftUp(h: number[], i: number, better: (a: number, b: number) => boolean): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!better(h[p], h[i])) break;
    [h[p], h[i]] = [h[i], h[p]];
    i = p;
  }
}

function siftDown(h: number[], i: number, better: (a: number, b: number) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let w = i;
    if (l < h.length && better(h[w], h[l])) w = l;
    if (r < h.length && better(h[w], h[r])) w = r;
    if (w === i) return;
    [h[w], h[i]] = [h[i], h[w]];
    i = w;
  }
}

/** A growing list of (term, doc, tf) triples. */
class Growable {
  private data = new Uint32Array(3 * 4096);
  private length = 0;

  push(term: number, doc: number, tf: number): void {
    if (this.length + 3 > this.data.length) {
      const d = new Uint32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = term;
    this.data[this.length++] = doc;
    this.data[this.length++] = tf;
  }

  /** Counting sort by term; stable, so each term's docs stay ascending. */
  toPostings(terms: number): FieldPostings {
    const total = this.length / 3;
    const offsets = new Uint32Array(terms + 1);
    for (let p = 0; p < this.length; p += 3) offsets[this.data[p] + 1]++;
    for (let t = 0; t < terms; t++) offsets[t + 1] += offsets[t];
    const next = offsets.slice(0, terms);
    const docs = new Uint32Array(total);
    const tfs = new Uint32Array(total);
    let maxTf = 0;
    for (let p = 0; p < this.length; p += 3) {
      const at = next[this.data[p]]++;
      docs[at] = this.data[p + 1];
      tfs[at] = this.data[p + 2];
      if (tfs[at] > maxTf) maxTf = tfs[at];
    }
    return { offsets, docs, tfs: maxTf <= 0xffff ? Uint16Array.from(tfs) : tfs };
  }
}

function dfOf(termIds: Map<string, number>, text: FieldPostings): Map<string, number> {
  const df = new Map<string, number>();
  for (const [t, id] of termIds) {
    const n = text.offsets[id + 1] - text.offsets[id];
    if (n > 0) df.set(t, n);
  }
  return df;
}

interface ArrayRef {
  at: number;
  bytes: number;
}
type TypedCtor<T> = { new (buf: ArrayBuffer, offset?: number, length?: number): T; BYTES_PER_ELEMENT: number };

/** lexical.json of `toFiles()`: the postings are byte ranges of lexical.bin. */
interface Serialized {
  format: typeof FORMAT;
  version: 2;
  size: number;
  averageFieldLength: number[];
  fieldLength: ArrayRef;
  terms: string[];
  fields: Array<{ offsets: ArrayRef; docs: ArrayRef; tfs: ArrayRef; tfBits: 16 | 32 }>;
}
