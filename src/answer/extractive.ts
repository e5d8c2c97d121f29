import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { sentenceSpans } from '../ingest/chunker.js';
import type { LoadedIndex } from '../retrieval/loaded-index.js';
import type { SearchOutput } from '../retrieval/search.js';
import { isStopword, stem, words } from '../retrieval/text.js';
import type { AnswerResult, Chunk, Citation, Hit } from '../types.js';

/**
 * Extractive answering, no language model: the sentences (or table rows) of the retrieved
 * chunks are scored against the question, the best are kept in reading order, and each is cited
 * with a verbatim quote sliced from the document text. When no sentence covers the question
 * well enough, the answer says so and names the closest sources instead.
 */
export interface ExtractOptions {
  /** Soft cap on the answer text (default 500 characters). */
  maxChars?: number;
  /** Minimum support of the best sentence for an answer (see `calibrated` below). */
  threshold?: number;
}

/** Optional word-vector access (the GloVe embedder has it): lets "profit" match "income". */
export interface WordVectors {
  wordVector(word: string): ArrayLike<number> | null;
  /** 0 (most common English word) … 1 (rare or unknown). */
  wordSpecificity(word: string): number;
}

function hasWordVectors(e: unknown): e is WordVectors {
  return typeof (e as WordVectors | null)?.wordVector === 'function';
}

import { DEFAULT_THRESHOLD } from './threshold.js';

/**
 * Soft matches: a question word with no exact match in a sentence earns credit from the
 * sentence's most similar word, linearly from cosine SOFT_FROM (no credit) to 1 (SOFT_MAX).
 * Word vectors put antonyms and co-topical words near 0.5–0.6, so credit starts above that
 * ("profit"/"income" 0.66 earns little, "fall"/"drop" 0.79 earns ~0.3). Chosen with the
 * refusal calibration (README).
 */
const SOFT_FROM = 0.65;
const EMPTY = new Set<string>();
const SOFT_MAX = 0.8;

interface Unit {
  chunk: Chunk;
  hitRank: number;
  start: number;
  end: number;
  text: string;
  order: number;
  /** Text that gives the unit its meaning without being part of it: a table's header row, a list's lead-in line. */
  context: string;
  /** Index of the sentence before this one in the same paragraph, if any (in `units`). */
  prev: number | null;
}

interface Scored extends Unit {
  coverage: number;
  dense: number;
  support: number;
  score: number;
}

const MONTH = /\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?)\b/i;
const YEAR = /\b(1[0-9]{3}|20[0-9]{2})s?\b/;
/** An amount: money, a percentage, a count with a unit or magnitude, or a plain number that is not a year or a day of a month. */
const AMOUNT = /[$¥€£]\s?\d|\d(\.\d+)?\s?(%|percent\b|[kmb]\b|bn\b|million|billion|thousand|trillion|hundred)|\b\d{1,3}(,\d{3})+\b|(?<![\d,.])\b\d+(\.\d+)?\b(?!\s*,?\s*(19|20)\d\d)(?!\s*(st|nd|rd|th)\b)/i;

const DATE = new RegExp(`${MONTH.source}\\s+\\d{1,2}(st|nd|rd|th)?,?(\\s+\\d{4})?`, 'gi');

function hasAmount(text: string): boolean {
  // drop dates and years first: "March 20, 2026", "2026", "in 1830"
  const t = text.replace(DATE, ' ').replace(/\b(1[0-9]{3}|20[0-9]{2})s?\b/g, ' ');
  return AMOUNT.test(t);
}

const HOW_WORDS = new Set(['many', 'much', 'often', 'long', 'far', 'old', 'large', 'big', 'tall', 'high', 'soon', 'late', 'early', 'frequently']);

let lastDefinition: { question: string; re: RegExp } | null = null;

/** "X is a …", "X, the …", "X — …", "X is Alibaba’s …" for the subject X of "What is X?" (built once per question). */
function definitionPattern(question: string): RegExp {
  if (lastDefinition?.question !== question) {
    const subj = definitionSubject(question)!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`\\b${subj}(\\s+(is|are|was|were)\\s+(an?|the|one)\\b|\\s*(,|—|–|:)\\s*(an?|the)\\b|\\s+(is|are|was|were)\\s+\\S+[’']s\\b)`, 'i');
    lastDefinition = { question, re };
  }
  return lastDefinition.re;
}

type QType = 'when' | 'quantity' | 'who' | 'define' | 'other';

/** "What is X?" / "Who are X?": the subject X, else null. */
function definitionSubject(q: string): string | null {
  const m = /^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?([^?]{1,60}?)\s*\??\s*$/i.exec(q);
  return m ? m[1] : null;
}

function questionType(q: string): QType {
  const s = q.toLowerCase();
  if (definitionSubject(q)) return 'define';
  if (/\b(when|what (year|date|month|day|time)|which (year|date|month))\b/.test(s)) return 'when';
  if (/\b(how (many|much|long|far|old|large|big|often|frequently|tall|high)|what (percentage|percent|amount|number|share)|by how)\b/.test(s)) return 'quantity';
  if (/\b(who|whom|whose)\b/.test(s)) return 'who';
  return 'other';
}

function typeBonus(t: QType, text: string, question: string): number {
  if (t === 'when') return MONTH.test(text) || YEAR.test(text) ? 0.08 : 0;
  if (t === 'quantity') return hasAmount(text) ? 0.08 : 0;
  if (t === 'define') {
    // a defining sentence names the subject and says what it is: "X is …", "X, the …", "X — …"
    return definitionPattern(question).test(text) ? 0.1 : 0;
  }
  if (t === 'who') {
    const qw = new Set(words(question));
    const names = text.match(/\b\p{Lu}[\p{L}’'-]+(\s+\p{Lu}[\p{L}’'-]+)+/gu) ?? [];
    return names.some((n) => !words(n).every((w) => qw.has(w))) ? 0.06 : 0;
  }
  return 0;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a)) || 1;
}

/** Cuts list markers and Markdown decoration from the start of a unit (the quote stays verbatim). */
function trimMarker(text: string, start: number, end: number): [number, number] {
  const m = /^(\s*(?:[-*+•]|\d{1,3}[.)])\s+|#{1,6}\s+|>\s*)/.exec(text.slice(start, end));
  return m ? [start + m[0].length, end] : [start, end];
}

function unitsOf(hits: Hit[], index: LoadedIndex): Unit[] {
  const out: Unit[] = [];
  const seen = new Set<string>();
  let order = 0;
  for (const h of hits) {
    const c = h.chunk;
    const doc = index.docTexts.get(c.source);
    if (doc === undefined) continue;
    const header = c.kind === 'table' ? c.text.slice(0, c.text.length - (c.end - c.start)) : '';
    const spans: Array<[number, number]> = c.kind === 'table' ? [[c.start, c.end]] : sentenceSpans(doc, c.start, c.end);
    let leadIn = '';
    let last: { index: number; end: number } | null = null;
    for (const [s0, e0] of spans) {
      const [s, e] = trimMarker(doc, s0, e0);
      const isItem = s !== s0;
      const key = `${c.source}\u0000${s}`;
      const text = doc.slice(s, e);
      const sameParagraph = last !== null && !doc.slice(last.end, s0).includes('\n');
      if (!isItem && /:\s*$/.test(text)) leadIn = text;
      if (seen.has(key) || e - s < 2 || !/[\p{L}\p{N}]/u.test(text)) continue;
      seen.add(key);
      out.push({ chunk: c, hitRank: h.rank, start: s, end: e, text, order: order++, context: header || (isItem ? leadIn : ''), prev: sameParagraph ? last!.index : null });
      last = { index: out.length - 1, end: e };
    }
  }
  return out;
}

function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/**
 * A table row as a sentence: "Agent frameworks — Western Stack: OpenClaw, LangChain; China Stack:
 * Alibaba Token Hub, QClaw". The first cell is taken as the row's label when the header has one
 * empty cell (where it stands does not matter: headers often put the blank last by mistake).
 */
function rowText(row: string, header: string): string {
  const r = cells(row);
  const h = header ? cells(header.split('\n')[0]) : [];
  const named = h.filter(Boolean);
  if (h.length === r.length && named.length === r.length - 1) {
    return `${r[0]} — ${r.slice(1).map((c, i) => `${named[i]}: ${c}`).join('; ')}`;
  }
  if (h.length === r.length && named.length === r.length) return r.map((c, i) => `${h[i]}: ${c}`).join('; ');
  return r.filter(Boolean).join(' — ');
}

/** Text of a unit as shown in the answer: table rows read as sentences, whitespace folded. */
function display(u: Unit): string {
  const t = u.chunk.kind === 'table' ? rowText(u.text, u.context) : u.text;
  return t.replace(/\s+/g, ' ').replace(/\*\*|__|`/g, '').trim();
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,;:—-]+$/, '')}…`;
}

export function sectionOf(c: Chunk): string {
  return c.headings.join(' › ');
}

export async function extractAnswer(
  question: string,
  out: SearchOutput,
  index: LoadedIndex,
  embeddings: EmbeddingsInterface,
  opts: ExtractOptions = {},
): Promise<Pick<AnswerResult, 'answered' | 'answer' | 'citations' | 'closest'> & { support: number }> {
  const maxChars = opts.maxChars ?? 500;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const hits = out.hits;
  const closest = hits.slice(0, 3).map((h) => ({
    source: h.chunk.source,
    title: h.chunk.title,
    section: sectionOf(h.chunk),
    lines: [h.chunk.lineStart, h.chunk.lineEnd] as [number, number],
  }));

  // question terms with IDF weights; conversation terms count less
  // the word after "how" names the kind of answer ("how often", "how many"), not its subject
  const qWords = new Map<string, string>();
  const qw = words(question);
  qw.forEach((w, i) => {
    if (isStopword(w) || (i > 0 && qw[i - 1] === 'how' && HOW_WORDS.has(w))) return;
    qWords.set(stem(w), w);
  });
  // weight of a question term: its IDF in this corpus, tempered by how specific the word is in
  // general English (a small corpus alone would make "often" as telling as "sourdough")
  const wv = hasWordVectors(embeddings) ? embeddings : null;
  const specificity = (w: string) => (wv ? 0.3 + 0.7 * wv.wordSpecificity(w) : 1);
  const weights = new Map<string, number>();
  for (const [t, w] of qWords) weights.set(t, index.lexical.idf(t) * specificity(w));
  for (const [t, w] of out.contextTerms) if (!weights.has(t)) weights.set(t, index.lexical.idf(t) * w);
  const totalWeight = [...weights.values()].reduce((a, b) => a + b, 0);

  // A question about a name the documents never mention ("What is Tencent's strategy?") is not
  // answered by sentences that merely share its other words.
  const missing = missingNames(question, index);
  if (missing.length > 0) {
    return { answered: false, answer: refusal(closest, missing), citations: [], closest, support: 0 };
  }

  const units = unitsOf(hits, index);
  if (units.length === 0 || totalWeight === 0) {
    return { answered: false, answer: refusal(closest), citations: [], closest, support: 0 };
  }
  // Sentence vectors come from a local embedder at no cost; a remote one (Ollama, OpenAI-compatible)
  // would add a paid round trip per question, so its sentences take their chunk's dense score.
  const local = /^(glove|hash)\b/.test((embeddings as { id?: string }).id ?? '');
  const vecs = local ? await embeddings.embedDocuments(units.map((u) => u.text)) : null;
  const chunkDense = new Map(hits.map((h) => [h.chunk.id, Math.max(0, h.denseScore ?? 0)]));
  const headingTerms = new Map<string, Set<string>>();
  const qv = out.queryVector;
  // word vectors with their norms, looked up once per distinct word of this question's candidates
  const wordVecs = new Map<string, { v: ArrayLike<number>; n: number } | null>();
  const wordVec = (w: string) => {
    let e = wordVecs.get(w);
    if (e === undefined) {
      const v = wv!.wordVector(w);
      e = v ? { v, n: norm(v) } : null;
      wordVecs.set(w, e);
    }
    return e;
  };
  const qVecs = new Map<string, { v: ArrayLike<number>; n: number } | null>();
  if (wv) for (const [t, w] of qWords) qVecs.set(t, wordVec(w));
  const qType = questionType(question);

  const scored: Scored[] = units.map((u, i) => {
    const uWords = words(u.text).filter((w) => !isStopword(w));
    const uTerms = new Set(uWords.map(stem));
    let headTerms = headingTerms.get(u.chunk.id);
    if (!headTerms) headingTerms.set(u.chunk.id, (headTerms = new Set(words(u.chunk.headings.join(' ')).filter((w) => !isStopword(w)).map(stem))));
    const ctxTerms = new Set(words(u.context).filter((w) => !isStopword(w)).map(stem));
    // the sentence before, in the same paragraph, is what "them" or "it" most likely refers to
    const prevTerms = u.prev !== null ? new Set(words(units[u.prev].text).filter((w) => !isStopword(w)).map(stem)) : EMPTY;
    let covered = 0;
    for (const [t, w] of weights) {
      let m = uTerms.has(t) ? 1 : ctxTerms.has(t) ? 0.8 : headTerms.has(t) ? 0.6 : prevTerms.has(t) ? 0.5 : 0;
      const qvec = qVecs.get(t);
      if (m < 1 && qvec) {
        // soft match: the closest word of the sentence by word-vector cosine
        let best = 0;
        for (const uw of uWords) {
          const e = wordVec(uw);
          if (!e) continue;
          const sim = dot(qvec.v, e.v) / (qvec.n * e.n);
          if (sim > best) best = sim;
        }
        if (best >= SOFT_FROM) m = Math.max(m, ((best - SOFT_FROM) / (1 - SOFT_FROM)) * SOFT_MAX);
      }
      covered += w * m;
    }
    const coverage = covered / totalWeight;
    const dense = vecs ? Math.max(0, dot(vecs[i], qv) / norm(vecs[i])) : (chunkDense.get(u.chunk.id) ?? 0);
    const support = 0.75 * coverage + 0.25 * dense;
    const score = support + typeBonus(qType, u.text, question) + 0.04 / u.hitRank;
    return { ...u, coverage, dense, support, score };
  });

  scored.sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (best.support < threshold) {
    return { answered: false, answer: refusal(closest), citations: [], closest, support: best.support };
  }

  // the best sentence, then strong runners-up and the sentence right after the best one
  // (answers often complete in the next sentence: "… Perhaps Amazon is the closest.")
  const chosen: Scored[] = [best];
  let length = display(best).length;
  const next = scored.find((s) => s.chunk.source === best.chunk.source && s.start > best.end && best.chunk.kind !== 'table' && /^\s*$/.test((index.docTexts.get(s.chunk.source) ?? '').slice(best.end, s.start)));
  // a sentence that opens with a pronoun or demonstrative leans on the one before it
  const anaphoric = /^(it|its|they|their|these|this|those|that|such|he|she|his|her|there)\b/i.test(best.text);
  const before = anaphoric && best.prev !== null ? scored.find((s) => s.order === best.prev) : undefined;
  // a "who/when/how many" question whose best sentence holds no name, date or amount: the
  // neighbour that does most likely completes the answer
  let typed: Scored | undefined;
  if (qType !== 'other' && qType !== 'define' && typeBonus(qType, best.text, question) === 0) {
    const prevUnit = best.prev !== null ? scored.find((s) => s.order === best.prev) : undefined;
    typed = [next, prevUnit].find((s) => s && typeBonus(qType, s.text, question) > 0);
  }
  const runnersUp = scored.slice(1).filter((s) => s !== next && s !== before && s !== typed && s.score >= best.score * 0.75);
  const candidates = [...(typed ? [typed] : []), ...(before && before !== typed ? [before] : []), ...(next && next !== typed && next.text.length <= 200 ? [next] : []), ...runnersUp];
  // the sentence a "These include …" leans on is needed to understand it: it goes in even if
  // both have to be shortened to fit
  const limits = new Map<Scored, number>();
  if (before) {
    chosen.push(before);
    const room = maxChars - 12;
    const a = display(before).length;
    const b = display(best).length;
    if (a + b > room) {
      if (a <= room / 2) limits.set(best, room - a);
      else if (b <= room / 2) limits.set(before, room - b);
      else {
        limits.set(best, Math.floor(room / 2));
        limits.set(before, Math.floor(room / 2));
      }
    }
    length = Math.min(a, limits.get(before) ?? a) + Math.min(b, limits.get(best) ?? b) + 12;
  }
  for (const s of candidates) {
    if (chosen.length >= 3) break;
    if (chosen.includes(s)) continue;
    const len = display(s).length + 6;
    if (length + len > maxChars) continue;
    chosen.push(s);
    length += len;
  }
  // reading order: documents in the order they were retrieved, passages in document order
  const docRank = new Map<string, number>();
  for (const u of scored.slice().sort((a, b) => a.order - b.order)) if (!docRank.has(u.chunk.source)) docRank.set(u.chunk.source, docRank.size);
  chosen.sort((a, b) => docRank.get(a.chunk.source)! - docRank.get(b.chunk.source)! || a.start - b.start);

  const citations: Citation[] = [];
  const parts: string[] = [];
  for (const u of chosen) {
    const n = citations.length + 1;
    citations.push({
      n,
      source: u.chunk.source,
      title: u.chunk.title,
      section: sectionOf(u.chunk),
      lines: [index.lineAt(u.chunk.source, u.start), index.lineAt(u.chunk.source, u.end - 1)],
      quote: u.text,
      chunkId: u.chunk.id,
    });
    parts.push(`${shorten(display(u), limits.get(u) ?? Infinity)} [${n}]`);
  }
  let answer = parts.join(' ');
  if (answer.length > maxChars) {
    // one long sentence: keep the best one alone, shortened at a word boundary
    const first = citations[chosen.indexOf(best)];
    return { answered: true, answer: `${shorten(display(best), maxChars - 5)} [1]`, citations: [{ ...first, n: 1 }], closest, support: best.support };
  }
  return { answered: true, answer, citations, closest, support: best.support };
}

/**
 * Capitalised words of the question (names of four letters or more, not its first word) that
 * occur in no indexed chunk at all.
 */
function missingNames(question: string, index: LoadedIndex): string[] {
  const out: string[] = [];
  const tokens = question.match(/[\p{L}\p{N}][\p{L}\p{N}'’.\-]*/gu) ?? [];
  tokens.forEach((tok, i) => {
    // names, not acronyms: "SP" may abbreviate words the documents do use
    if (i === 0 || !/^\p{Lu}\p{Ll}/u.test(tok) || tok.length < 4) return;
    const ws = words(tok).filter((w) => !isStopword(w) && w.length > 1);
    if (ws.length && ws.every((w) => (index.lexical.df.get(stem(w)) ?? 0) === 0)) out.push(tok.replace(/['’]s$/, ''));
  });
  return out;
}

function refusal(closest: AnswerResult['closest'], missing: string[] = []): string {
  const base = missing.length
    ? `I couldn't find anything about ${missing.join(', ')} in the indexed documents.`
    : "I couldn't find an answer to that in the indexed documents.";
  if (closest.length === 0) return base;
  const list = closest.map((c) => `${c.title}${c.section ? ` › ${c.section}` : ''} (lines ${c.lines[0]}–${c.lines[1]})`);
  return `${base} The closest passages are in: ${[...new Set(list)].join('; ')}.`;
}
