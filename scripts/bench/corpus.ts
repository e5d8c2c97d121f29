/**
 * Synthetic benchmark corpus: Markdown and plain-text documents with headings and paragraphs,
 * written so that the real loaders and chunker run on them.
 *
 * Words come from the GloVe cache's vocabulary, which is stored in frequency-rank order: the
 * first `vocabSize` purely alphabetic words are drawn with Zipf probabilities (p ∝ 1/(r+1)^s),
 * so common words repeat the way they do in English and BM25/IDF and the SIF embedder see a
 * realistic frequency spread. Real documents are also about something: every document has a
 * topic and every section a subtopic, each a seeded set of 150 less common words (Zipf-weighted
 * within the set); a word is drawn from the document's topic with probability 0.3, from the
 * section's with 0.15, else from the whole vocabulary. Without topics the text is word soup whose
 * vectors spread evenly over the sphere, the worst case for any approximate index (docs/BENCH.md). Every paragraph is one line of 400–850 characters: long enough
 * that the chunker never merges two of them (minChars 350) and short enough that it never
 * splits one (maxChars 900), so one paragraph is one chunk and the chunk count is exact.
 * Everything is seeded: the same seed and size give the same files byte for byte.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { mulberry32 } from '../../src/embeddings/seeded.js';
import { readGloveCache, wordAt } from '../../src/embeddings/glove-cache.js';

export interface CorpusSpec {
  dir: string;
  /** Target number of chunks (paragraphs). */
  chunks: number;
  seed?: number;
  /** Distinct words to draw from (default 20,000). */
  vocabSize?: number;
  /** Zipf exponent (default 1.05). */
  zipf?: number;
  /** Paragraphs per document (default 50). */
  paragraphsPerDoc?: number;
  /** Share of words drawn from the document's topic and the section's subtopic (default 0.3, 0.15; 0 for word soup). */
  topicShare?: [number, number];
}

export interface Paragraph {
  source: string;
  heading: string;
  text: string;
}

export interface CorpusInfo {
  dir: string;
  documents: number;
  chunks: number;
  bytes: number;
  vocabSize: number;
  /** The paragraphs written (one chunk each), for query sampling. */
  paragraphs: Paragraph[];
}

/** A seeded sampler of words by Zipf rank. */
export class WordSampler {
  private readonly cdf: Float64Array;
  constructor(readonly words: string[], private readonly rand: () => number, s = 1.05) {
    this.cdf = new Float64Array(words.length);
    let acc = 0;
    for (let r = 0; r < words.length; r++) {
      acc += 1 / (r + 1) ** s;
      this.cdf[r] = acc;
    }
    for (let r = 0; r < words.length; r++) this.cdf[r] /= acc;
  }

  next(): string {
    const u = this.rand();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo];
  }

  /** A word from the less common part of the vocabulary (rank ≥ 300), uniformly. */
  rare(): string {
    const from = Math.min(300, this.words.length - 1);
    return this.words[from + Math.floor(this.rand() * (this.words.length - from))];
  }
}

/** The first `n` alphabetic words of the GloVe vocabulary, in frequency order. */
export function gloveWords(cacheFile: string, n: number): string[] {
  const t = readGloveCache(cacheFile);
  const out: string[] = [];
  for (let r = 0; r < t.count && out.length < n; r++) {
    const w = wordAt(t, r);
    if (/^[a-z]{2,}$/.test(w)) out.push(w);
  }
  return out;
}

const cap = (w: string) => w[0].toUpperCase() + w.slice(1);

/** Where a paragraph's words come from: the document's topic, the section's, or anywhere. */
interface Mix {
  doc: WordSampler | null;
  section: WordSampler | null;
  share: [number, number];
}

function sentence(s: WordSampler, rand: () => number, mix?: Mix): string {
  const n = 8 + Math.floor(rand() * 13);
  const ws: string[] = [];
  for (let i = 0; i < n; i++) {
    const u = mix ? rand() : 1;
    ws.push(mix?.doc && u < mix.share[0] ? mix.doc.next() : mix?.section && u < mix.share[0] + mix.share[1] ? mix.section.next() : s.next());
  }
  // a comma now and then, like prose
  if (n > 12 && rand() < 0.5) ws[Math.floor(n / 2)] += ',';
  return `${cap(ws.join(' '))}.`;
}

function paragraph(s: WordSampler, rand: () => number, mix?: Mix): string {
  const target = 400 + Math.floor(rand() * 420);
  let p = sentence(s, rand, mix);
  while (p.length < target) {
    const next = sentence(s, rand, mix);
    if (p.length + 1 + next.length > 850) break;
    p += ` ${next}`;
  }
  return p;
}

/** A title-case heading of content words (the chunker's plain-text heading test accepts it). */
function heading(s: WordSampler, rand: () => number): string {
  const n = 2 + Math.floor(rand() * 3);
  const ws: string[] = [];
  for (let i = 0; i < n; i++) ws.push(cap(s.words.length > 1000 ? s.rare() : s.next()));
  return ws.join(' ');
}

/**
 * Writes the corpus into `spec.dir` (created, must be empty or absent): documents `doc-NNNNN.md`
 * and `.txt` (every third document is plain text), in folders of 500.
 */
export async function generateCorpus(spec: CorpusSpec, words: string[]): Promise<CorpusInfo> {
  const rand = mulberry32(spec.seed ?? 42);
  const sampler = new WordSampler(words, rand, spec.zipf ?? 1.05);
  const perDoc = spec.paragraphsPerDoc ?? 50;
  const share = spec.topicShare ?? [0.3, 0.15];
  // topics: seeded sets of 150 words from rank 300 on, each with its own Zipf weights
  const topicCount = Math.max(8, Math.ceil(spec.chunks / perDoc / 8));
  const topics: WordSampler[] = [];
  for (let t = 0; t < topicCount; t++) {
    const set = new Set<string>();
    while (set.size < Math.min(150, words.length - 300)) set.add(sampler.rare());
    topics.push(new WordSampler([...set], rand, 1));
  }
  const pickTopic = () => topics[Math.floor(rand() * topics.length)];
  const paragraphs: Paragraph[] = [];
  let documents = 0;
  let bytes = 0;
  await fs.mkdir(spec.dir, { recursive: true });
  while (paragraphs.length < spec.chunks) {
    const d = documents++;
    const txt = d % 3 === 2;
    const source = `part-${String(Math.floor(d / 500)).padStart(3, '0')}/doc-${String(d).padStart(5, '0')}.${txt ? 'txt' : 'md'}`;
    const n = Math.min(perDoc, spec.chunks - paragraphs.length);
    const docTopic = share[0] > 0 ? pickTopic() : null;
    const title = heading(docTopic ?? sampler, rand);
    const lines: string[] = [txt ? title : `# ${title}`, ''];
    let left = n;
    while (left > 0) {
      const sectionTopic = share[1] > 0 ? pickTopic() : null;
      const h = heading(sectionTopic ?? sampler, rand);
      lines.push(txt ? h : `## ${h}`, '');
      const inSection = Math.min(left, 2 + Math.floor(rand() * 4));
      const mix: Mix = { doc: docTopic, section: sectionTopic, share };
      for (let i = 0; i < inSection; i++) {
        const text = paragraph(sampler, rand, mix);
        paragraphs.push({ source, heading: h, text });
        lines.push(text, '');
      }
      left -= inSection;
    }
    const body = lines.join('\n');
    const file = path.join(spec.dir, source);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, body);
    bytes += Buffer.byteLength(body);
  }
  return { dir: spec.dir, documents, chunks: paragraphs.length, bytes, vocabSize: words.length, paragraphs };
}

export type QueryKind = 'sentence' | 'phrase' | 'paraphrase';

export interface BenchQuery {
  text: string;
  kind: QueryKind;
  /** Index into `CorpusInfo.paragraphs` the query was taken from. */
  from: number;
}

/**
 * Queries sampled from the corpus: a third whole sentences, a third phrases of 4–8 words, a
 * third paraphrases (a sentence with ~25 % of its words dropped and ~15 % replaced by other
 * vocabulary words).
 */
export function sampleQueries(corpus: CorpusInfo, n: number, words: string[], seed = 7): BenchQuery[] {
  const rand = mulberry32(seed);
  const sampler = new WordSampler(words, rand);
  const out: BenchQuery[] = [];
  for (let q = 0; q < n; q++) {
    const from = Math.floor(rand() * corpus.paragraphs.length);
    const sentences = corpus.paragraphs[from].text.split(/(?<=\.)\s+/);
    const s = sentences[Math.floor(rand() * sentences.length)].replace(/[.,]/g, '');
    const ws = s.split(' ');
    const kind: QueryKind = q % 3 === 0 ? 'sentence' : q % 3 === 1 ? 'phrase' : 'paraphrase';
    let text: string;
    if (kind === 'sentence') text = s;
    else if (kind === 'phrase') {
      const len = Math.min(ws.length, 4 + Math.floor(rand() * 5));
      const at = Math.floor(rand() * (ws.length - len + 1));
      text = ws.slice(at, at + len).join(' ');
    } else {
      const kept: string[] = [];
      for (const w of ws) {
        const u = rand();
        if (u < 0.25) continue;
        kept.push(u < 0.4 ? sampler.rare() : w);
      }
      text = (kept.length >= 3 ? kept : ws).join(' ');
    }
    out.push({ text: `${text}?`, kind, from });
  }
  return out;
}
