import { dot, norm } from '../text/vector.js';
import { isStopword, stem, words } from '../text/words.js';
import type { QuestionAnalysis } from './analyze.js';
import { newCandidates, type Candidate } from './candidates.js';
import type { Unit } from './units.js';
import type { ReaderWeights } from './weights.js';

/**
 * Scoring: how well each unit covers the question (terms weighted by how specific they are, in
 * the corpus and in English), whether it holds an answer of the expected kind, and whether it
 * meets the question's constraints (a year, a number, a name).
 */
export interface WordVectors {
  wordVector(word: string): ArrayLike<number> | null;
  /** 0 (most common English word) … 1 (rare or unknown). */
  wordSpecificity(word: string): number;
}

export interface Scored extends Unit {
  coverage: number;
  dense: number;
  support: number;
  score: number;
  /** Candidates of the expected kind that the question does not already contain. */
  candidates: Candidate[];
  /** Years, numbers and names the question asks about are in the unit or around it, and it is no forecast for a question of fact. */
  constraintsMet: boolean;
  /** Holds what the expected type looks like: a candidate, a definition, a reason, a list. */
  typeEvidence: boolean;
}

export interface ScoringInput {
  analysis: QuestionAnalysis;
  units: Unit[];
  /** IDF of a stemmed term in this corpus (the largest IDF for a term no document has). */
  idf(stemmed: string): number;
  /** Terms carried over from the conversation, with their weights (< 1). */
  contextTerms: Map<string, number>;
  /** Dense similarity of each unit to the question (0–1), same order as `units`. */
  dense: number[];
  wv: WordVectors | null;
  titleOf(source: string): string;
  weights: ReaderWeights;
  /** Switch the expected-type evidence off (ablation). */
  typed: boolean;
}

const EMPTY = new Set<string>();
/** "how many times/years": counts whose noun any number answers. */
const GENERIC_COUNTS = new Set(['time', 'times', 'year', 'years', 'month', 'months', 'day', 'days', 'week', 'weeks', 'hour', 'hours', 'minute', 'minutes']);
const REASON = /\b(because|due to|owing to|since|as a result|so that|in order to|thanks to|driven by|aims? to|to (build|make|create|gain|win|get|keep|reach|become|avoid|secure|capture|compete|drive)|why|reason|therefore|thus|hence)\b/i;
/** Future phrasing: the sentence says what will happen, not what did ("would" also narrates history, so it is not here). */
const FORECAST = /\b(will|shall)\s+(not\s+)?(be\s+|have\s+)?\w+|\b(is|are|was|were)\s+(expected|set|likely|scheduled|due|poised|tipped)\s+to\b|\bplans?\s+to\b/i;
const ENUMERATION = /[^,;]+[,;][^,;]+[,;]|\band\b/;

const termSet = (text: string) => new Set(words(text).filter((w) => !isStopword(w)).map(stem));

export function scoreUnits(input: ScoringInput): Scored[] {
  const { analysis: a, units, weights: W, wv } = input;
  // weight of a question term: its IDF in this corpus (a term no document has counts as a
  // fraction of the largest), tempered by how specific the word is in English
  const spec = (w: string) => (wv ? W.specificityFloor + (1 - W.specificityFloor) * wv.wordSpecificity(w) : 1);
  const terms = new Map<string, { word: string; weight: number }>();
  for (const f of a.focus) {
    const idf = f.known ? input.idf(f.stem) : W.absentTermIdf * input.idf(f.stem);
    terms.set(f.stem, { word: f.word, weight: idf * spec(f.word) });
  }
  for (const [t, w] of input.contextTerms) if (!terms.has(t)) terms.set(t, { word: t, weight: input.idf(t) * w });
  const total = [...terms.values()].reduce((s, t) => s + t.weight, 0);
  const questionWords = new Set(words(a.text));
  const asksAhead = FORECAST.test(a.text) || /\b(will|would|could|might|may|should|plan|plans|expected|expect)\b/i.test(a.text);

  const vecs = new Map<string, { v: ArrayLike<number>; n: number } | null>();
  const vec = (w: string) => {
    let e = vecs.get(w);
    if (e === undefined) {
      const v = wv?.wordVector(w) ?? null;
      e = v ? { v, n: norm(v) || 1 } : null;
      vecs.set(w, e);
    }
    return e;
  };
  const soft = (qw: string, unitWords: string[]) => {
    const q = vec(qw);
    if (!q) return 0;
    let best = 0;
    for (const uw of unitWords) {
      const e = vec(uw);
      if (!e) continue;
      const c = dot(q.v, e.v) / (q.n * e.n);
      if (c > best) best = c;
    }
    return best;
  };
  const headingTerms = new Map<string, Set<string>>();

  const measured = measuredThing(a);
  return units.map((u, i) => {
    const body = u.kind === 'row' || u.kind === 'list' || u.kind === 'headings' ? u.display : u.text;
    const uWords = words(body).filter((w) => !isStopword(w));
    const uTerms = new Set(uWords.map(stem));
    const hk = `${u.chunk.source}\u0000${u.chunk.headings.join('\u0000')}`;
    let head = headingTerms.get(hk);
    if (!head) headingTerms.set(hk, (head = termSet(`${u.chunk.headings.join(' ')} ${input.titleOf(u.chunk.source)}`)));
    const ctx = u.context ? termSet(u.context) : EMPTY;
    const prev = u.prev !== null ? termSet(units[u.prev].text) : EMPTY;
    let covered = 0;
    for (const [t, { word, weight }] of terms) {
      let m = uTerms.has(t) ? 1 : ctx.has(t) ? W.contextMatch : head.has(t) ? W.headingMatch : prev.has(t) ? W.previousMatch : 0;
      if (m < 1 && wv) {
        const best = soft(word, uWords);
        if (best >= W.softFrom) m = Math.max(m, ((best - W.softFrom) / (1 - W.softFrom)) * W.softMax);
      }
      covered += weight * m;
    }
    const coverage = total > 0 ? covered / total : 0;
    const dense = input.dense[i] ?? 0;
    const support = W.coverageShare * coverage + (1 - W.coverageShare) * dense;

    // answers of the expected kind, about what the question counts ("how many users" wants users)
    let candidates = input.typed ? newCandidates(body, a.needs, questionWords) : [];
    if (candidates.length && measured) {
      const c = stem(measured.word);
      const tied = uTerms.has(c) || (measured.fromContext && ctx.has(c)) || (wv !== null && soft(measured.word, uWords) >= W.softFrom);
      if (!tied) candidates = [];
    }
    // a forecast does not answer a question of fact: "who won the 2022 prize" is not answered by
    // "the prize will be announced in October 2022" (unless the question itself looks ahead)
    const forecastOnly = !asksAhead && FORECAST.test(body);
    let softBonus = input.typed ? softTypeBonus(a, u, W, questionWords) : 0;
    // "which battle" answered by "the Battle of Dalan Balzhut": a name that says what kind of thing it is
    if (input.typed && a.kind && newCandidates(body, ['name'], questionWords).some((c) => words(c.text).includes(a.kind!))) softBonus += W.typeBonus;
    const bonus = (candidates.length ? W.typeBonus : 0) + softBonus;
    const typeEvidence = candidates.length > 0 || softBonus > 0;

    // constraints: the year, number and names of the question are in the unit or around it
    // (the chunk is the paragraph the unit sits in; a document's title is too broad a scope)
    const around = `${body} ${u.context} ${u.chunk.text} ${u.chunk.headings.join(' ')}`.toLowerCase();
    const aroundStems = new Set(words(around).map((w) => stem(w.replace(/'$/, ''))));
    // a sentence that asks ("How do I export a workflow?", a rhetorical "Why does it matter?") answers nothing
    const asks = /\?["”’)\]]*\s*$/.test(body);
    // a how-to question's action is spoken of in the unit (or its passage): "how do I export a
    // workflow" is not answered by a description of the workflow feature
    const actionMet = !a.action || aroundStems.has(stem(a.action)) || (wv !== null && soft(a.action, uWords) >= W.softFrom);
    const constraintsMet =
      !forecastOnly &&
      !asks &&
      actionMet &&
      a.constraints.years.every((y) => around.includes(y)) &&
      a.constraints.numbers.every((n) => around.includes(n)) &&
      // acronyms alone do not bind: they are often spelt out where the answer is ("TV" → "television")
      (a.constraints.names.every((n) => n.length < 4) || a.constraints.names.some((n) => aroundStems.has(stem(n))));

    const length = u.display.length;
    const score = support + bonus + W.rankBonus / u.hitRank - W.lengthPenalty * Math.max(0, length - W.lengthFree);
    return { ...u, coverage, dense, support, score, candidates, constraintsMet, typeEvidence };
  });
}

/**
 * What a quantity question measures, which the unit holding the quantity must speak of: the
 * counted noun ("how many users" wants users), or for an amount of money the head of the subject
 * when it is an ordinary word ("what does a Wukong subscription cost" wants a subscription's
 * price, not a revenue target about Wukong).
 */
function measuredThing(a: QuestionAnalysis): { word: string; fromContext: boolean } | undefined {
  // a count may be tied through the unit's lead-in or header ("Users: 10M"); a price must be
  // said of the thing itself, in the unit ("$431M promotion" under a Qwen app lead-in is no price of the app)
  if (a.type !== 'money') return a.counted && !GENERIC_COUNTS.has(a.counted) ? { word: a.counted, fromContext: true } : undefined;
  // ("how much money" counts money itself: any amount speaks of it)
  if (a.counted) return undefined;
  const isName = (w: string) => a.constraints.names.some((n) => n.toLowerCase().split(/\s+/).includes(w));
  // what the money goes to: "what did Alibaba spend on [chips]" wants an amount spent on chips
  const purpose = /\b(?:spend|spends|spent|spending|invest|invests|invested|investing|pay|pays|paid|paying)\s+(?:on|in|for|into)\s+(?:[\w’'-]+\s+){0,4}?([\w-]+)\s*\??$/.exec(a.text.toLowerCase());
  if (purpose && !isStopword(purpose[1]) && !isName(purpose[1])) return { word: purpose[1], fromContext: false };
  const head = a.subject[a.subject.length - 1];
  // the head of a noun phrase only where the phrase runs up to the question's last word, its
  // verb ("what does [a Wukong subscription] cost"), not "how much does [alibaba plan] to invest"
  const qw = words(a.text);
  const headAt = qw.lastIndexOf(head ?? '');
  return head && headAt === qw.length - 2 && !isStopword(head) && !isName(head) ? { word: head, fromContext: false } : undefined;
}

/** Evidence for the answer types no candidate shows: a definition, a reason, a list, a comparison. */
function softTypeBonus(a: QuestionAnalysis, u: Unit, W: ReaderWeights, questionWords: ReadonlySet<string>): number {
  switch (a.type) {
    case 'definition': {
      const subj = a.subject.length ? a.subject : a.focus.map((f) => f.word);
      const lower = u.display.toLowerCase();
      const last = subj[subj.length - 1];
      const at = subj.length ? lower.indexOf(last) : -1;
      if (at < 0) return 0;
      const after = lower.slice(at + last.length, at + last.length + 40);
      // "X is …", "X (…)", "X — …", "X: …"; "X, …" is an apposition in a sentence, but only the
      // next item in a table row or a list ("China Stack: Alibaba Token Hub, QClaw")
      const enumerated = u.kind === 'row' || u.kind === 'list' || u.kind === 'headings';
      if ((enumerated ? /^[’'s]*\s*(\(|—|–|:|-\s|\s(is|are|was|were|refers|means)\b)/ : /^[’'s]*\s*(\(|,|—|–|:|-\s|\s(is|are|was|were|refers|means)\b)/).test(after)) return W.typeBonus;
      // "… a new business unit called X": the phrase before says what X is
      const before = lower.slice(Math.max(0, at - 60), at);
      return /\b(called|named|dubbed|known as|branded( as)?)\s+(the\s+)?([\p{L}\p{N}’'.-]+\s+){0,3}$/u.test(before) ? W.typeBonus : 0;
    }
    case 'reason':
      return REASON.test(u.text) ? W.typeBonus / 2 : 0;
    case 'list': {
      if (u.kind === 'list' || u.kind === 'headings') {
        const n = u.kind === 'headings' ? u.parts.length : u.display.split(';').length;
        // a heading's sections are the list asked for when the question names the heading ("the
        // three pillars") or their number, not when it names one of them ("what models power Wukong")
        if (u.kind === 'headings' && a.listSize !== n && !a.focus.some((f) => termSet(u.text).has(f.stem))) return 0;
        return a.listSize !== null && a.listSize === n ? W.typeBonus * 2 : W.typeBonus;
      }
      return u.kind === 'row' || ENUMERATION.test(u.text) ? W.typeBonus / 2 : 0;
    }
    case 'person':
      // who-answers are mostly names, but not always ("other senior pharmacy technicians")
      return newCandidates(u.text, ['name'], questionWords).length > 0 ? W.typeBonus / 2 : 0;
    case 'place':
      // places are often common nouns ("in nursing homes"): a name or a place phrase is evidence, not a requirement
      return /\b(in|at|from|near|across|throughout|within)\s+(the\s+)?\p{L}/u.test(u.text) || /\p{Lu}\p{Ll}+/u.test(u.text.slice(1)) ? W.typeBonus / 2 : 0;
    case 'comparison':
      return u.kind === 'row' ? W.typeBonus : 0;
    default:
      return 0;
  }
}
