import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { dot, norm } from '../text/vector.js';
import type { LoadedIndex } from '../index/loaded-index.js';
import type { SearchOutput } from '../retrieval/search.js';
import type { AnswerResult, QuestionView, ReaderPart, Refusal } from '../types.js';
import { analyzeQuestion, type QuestionAnalysis } from './analyze.js';
import { compose } from './compose.js';
import { makeRefusal, renderRefusal } from './refusal.js';
import { scoreUnits, type Scored, type WordVectors } from './score.js';
import { DEFAULT_THRESHOLD } from './threshold.js';
import { buildUnits } from './units.js';
import { vocabularyOf } from './vocabulary.js';
import { DEFAULT_WEIGHTS, type ReaderWeights } from './weights.js';

/**
 * The extractive reader, no language model: analyse the question (what kind of answer, about
 * what, under which constraints), cut the retrieved chunks into units that can stand alone,
 * score them for answerability, and compose an answer shaped like the question, each part cited
 * with a verbatim quote. When no unit holds an answer of the kind asked, a structured refusal.
 */
export interface ExtractOptions {
  /** Soft cap on the answer text (default 500 characters). */
  maxChars?: number;
  /** Support the best unit needs for an answer (DOCENT_ANSWER_THRESHOLD). */
  threshold?: number;
  weights?: ReaderWeights;
  ablate?: readonly ReaderPart[];
}

export type { WordVectors } from './score.js';

export interface Extracted extends Pick<AnswerResult, 'answered' | 'answer' | 'citations' | 'closest' | 'refusal'> {
  support: number;
  analysis: QuestionView;
}

function hasWordVectors(e: unknown): e is WordVectors {
  return typeof (e as WordVectors | null)?.wordVector === 'function';
}

/** What `:why`, `/why` and `--json` show of the analysis. */
function questionView(a: QuestionAnalysis): QuestionView {
  return { type: a.type, focus: a.focus.map((f) => f.word), subject: a.subject, corrections: a.corrections, missing: a.missing, constraints: a.constraints };
}

/** Closest cosine between a word and any word of the documents (for "is this subject an ordinary word?"). */
function nearestWord(index: LoadedIndex, wv: WordVectors): (w: string) => number {
  return (w) => {
    const q = wv.wordVector(w);
    if (!q) return 0;
    const qn = norm(q) || 1;
    let best = 0;
    for (const [d] of vocabularyOf(index).entries()) {
      if (d === w) continue;
      const v = wv.wordVector(d);
      if (!v) continue;
      const c = dot(q, v) / (qn * (norm(v) || 1));
      if (c > best) best = c;
    }
    return best;
  };
}

/**
 * Answer types only an amount answers: words about the thing priced do not say its price. (A count
 * may be a word: "how many people were on the flight" → "unmanned", "how many voters" → "a majority".)
 */
const QUANTITIES: ReadonlySet<string> = new Set(['money']);

export function analyzeFor(question: string, index: LoadedIndex, embeddings: EmbeddingsInterface, weights: ReaderWeights = DEFAULT_WEIGHTS): QuestionAnalysis {
  const wv = hasWordVectors(embeddings) ? embeddings : null;
  return analyzeQuestion(question, {
    vocab: vocabularyOf(index),
    df: (t) => index.lexical.df.get(t) ?? 0,
    specificity: wv ? (w) => wv.wordSpecificity(w) : undefined,
    nearestDocumentWord: wv ? nearestWord(index, wv) : undefined,
    weights,
  });
}

export async function extractAnswer(
  question: string,
  out: SearchOutput,
  index: LoadedIndex,
  embeddings: EmbeddingsInterface,
  opts: ExtractOptions & { analysis?: QuestionAnalysis } = {},
): Promise<Extracted> {
  const W = opts.weights ?? DEFAULT_WEIGHTS;
  const maxChars = opts.maxChars ?? 500;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const off = new Set(opts.ablate ?? []);
  const hits = out.hits;
  let analysis = opts.analysis ?? analyzeFor(question, index, embeddings, W);
  if (off.has('typing')) analysis = { ...analysis, type: 'description', needs: [], counted: null, listSize: null, kind: null };
  const view = questionView(analysis);
  const refuse = (refusal: Refusal, support = 0): Extracted => ({
    answered: false,
    answer: renderRefusal(refusal),
    citations: [],
    closest: refusal.closest,
    refusal,
    support,
    analysis: view,
  });

  if (analysis.language === 'other') return refuse(makeRefusal('unsupported-language', hits));
  if (hits.length === 0) return refuse(makeRefusal(index.chunks.length ? 'no-answer' : 'empty-index', hits));
  // a question about something no document mentions is not answered by passages that merely
  // share its other words
  if (analysis.missing.length > 0) return refuse(makeRefusal('unknown-subject', hits, analysis.missing));

  const structured = !off.has('units');
  const groups = structured && (analysis.type === 'list' || analysis.type === 'comparison');
  const units = buildUnits(hits, index, { groups, structured });
  if (units.length === 0 || analysis.focus.length + out.contextTerms.size === 0) return refuse(makeRefusal('no-answer', hits));

  // unit vectors come from a local embedder at no cost; a remote one (Ollama, OpenAI-compatible)
  // would add a paid round trip per question, so its units take their chunk's dense score
  const local = /^(glove|hash)\b/.test((embeddings as { id?: string }).id ?? '');
  let dense: number[];
  if (local) {
    const vecs = await embeddings.embedDocuments(units.map((u) => u.display));
    const qv = out.queryVector;
    dense = vecs.map((v) => Math.max(0, dot(v, qv) / (norm(v) || 1)));
  } else {
    const byChunk = new Map(hits.map((h) => [h.chunk.id, Math.max(0, h.denseScore ?? 0)]));
    dense = units.map((u) => byChunk.get(u.chunk.id) ?? 0);
  }

  const titles = new Map(hits.map((h) => [h.chunk.source, h.chunk.title]));
  const scored = scoreUnits({
    analysis,
    units,
    idf: (t) => index.lexical.idf(t),
    contextTerms: out.contextTerms,
    dense,
    wv: hasWordVectors(embeddings) ? embeddings : null,
    titleOf: (s) => titles.get(s) ?? '',
    weights: W,
    typed: !off.has('typing'),
  });

  // answerability: a unit answers when it holds a candidate of the expected kind (or its
  // neighbour in the paragraph does) and meets the question's constraints
  const answerability = !off.has('answerability');
  const strict = answerability && analysis.needs.length > 0;
  const byOrder = new Map(scored.map((s) => [s.order, s]));
  const typedNear = (s: Scored) => s.candidates.length > 0 || [s.prev, s.next].some((i) => i !== null && (byOrder.get(i)?.candidates.length ?? 0) > 0);
  const listQuestion = analysis.type === 'list' || analysis.type === 'comparison';
  const eligible: Scored[] = [];
  /** Lists already standing in for a lead-in, by their order (each competes once, with its best lead-in's score). */
  const listsIn = new Map<number, Scored>();
  for (const s of scored) {
    if (answerability && !s.constraintsMet) continue;
    if (strict && !typedNear(s)) continue;
    // a whole list competes on its own for list questions; otherwise it stands in for its lead-in
    if (s.kind === 'list' && !listQuestion) continue;
    if (s.listUnit !== undefined && !(strict && s.candidates.length > 0)) {
      const list = byOrder.get(s.listUnit);
      if (!list) continue;
      const entry = listsIn.get(list.order);
      if (entry) {
        entry.score = Math.max(entry.score, s.score);
        entry.support = Math.max(entry.support, s.support);
      } else {
        const stand = { ...list, score: Math.max(list.score, s.score), support: Math.max(list.support, s.support) };
        listsIn.set(list.order, stand);
        eligible.push(stand);
      }
      continue;
    }
    eligible.push(s);
  }
  eligible.sort((a, b) => b.score - a.score);
  let best: Scored | undefined = eligible[0];
  // the question's subject, as the documents know it ("who is the head of X": no document says "head")
  const subjectKnown = analysis.subject.every((w) => analysis.focus.find((f) => f.word === w)?.known ?? true);
  if (strict && (!best || best.support < W.typedThreshold) && !QUANTITIES.has(analysis.type) && subjectKnown) {
    // no unit holds the kind of answer asked; a unit that says nearly all the question says
    // still answers ("When does immunodeficiency occur?" → "… when the immune system is less active …"),
    // except where only an amount answers (QUANTITIES) or what is asked about is a word no document uses
    const strong = scored.filter((s) => s.constraintsMet && s.kind !== 'list' && s.support >= W.strongSupport).sort((a, b) => b.score - a.score)[0];
    if (strong) best = strong;
  }
  const bestSupport = Math.max(0, ...scored.map((s) => s.support));
  const bar = strict ? Math.min(threshold, W.typedThreshold) : threshold;
  if (!best || best.support < bar) return refuse(makeRefusal('no-answer', hits), best?.support ?? bestSupport);

  scored.sort((a, b) => b.score - a.score);
  const overall = scored.find((s) => s.constraintsMet && s.kind !== 'list' && s.kind !== 'headings');
  const { answer, citations } = compose(best, scored, analysis, index, W, maxChars, overall);
  return { answered: true, answer, citations, closest: [], support: best.support, analysis: view };
}
