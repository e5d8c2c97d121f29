import { stem, words } from '../text/words.js';
import type { LoadedIndex } from '../index/loaded-index.js';
import type { Citation } from '../types.js';
import type { QuestionAnalysis } from './analyze.js';
import { sectionOf } from './refusal.js';
import type { Scored } from './score.js';
import { newCandidates, type CandidateKind } from './candidates.js';
import { clean } from './units.js';
import { vocabularyOf } from './vocabulary.js';
import { sentenceSpans } from '../text/sentences.js';
import type { ReaderWeights } from './weights.js';

/**
 * Composition: an answer shaped like the question. The unit that answers comes first; a list
 * question gets the whole list, a heading group its child headings, a comparison the table rows
 * with both columns; a sentence that leans on the one before it ("These include …") brings it;
 * a further unit joins only when it is nearly as good and adds something. No padding.
 */
export interface Composed {
  answer: string;
  citations: Citation[];
}

const ANAPHORIC = /^(it|its|they|their|these|this|those|that|such|he|she|his|her|there|the company|the firm)\b/i;
/** A pronoun subject after a short opening phrase ("Living in the 10th century, he wrote …"). */
const LEANS_AFTER_OPENING = /^[^.,;:]{1,60},\s*(he|she|they|it)\b/i;
const leans = (text: string) => ANAPHORIC.test(text) || LEANS_AFTER_OPENING.test(text);
/** A demonstrative in the first clause that points back ("… failed at this endeavor", "As part of this merger, …"), not at a time ("this year"). */
const REFERS_BACK = /^[^.,;:]{0,60}?\b(?:this|these|such)\s+(?!(?:year|years|week|month|day|time|quarter|century|decade|morning|season|way)\b)\p{L}{3,}/iu;
/**
 * A sentence without a subject of its own that goes on describing the one before ("Built on Qwen
 * models, integrated with DingTalk …"): it opens with a participle phrase and no subject follows.
 */
const ELLIPTICAL = /^(?:\p{L}+ed|built|made|known|held|run|led|born|written|given|taken|shown|grown|sold|seen|found|kept|set)\s+(?:on|in|by|for|with|as|at|from|to|under|into|around|over)\b/iu;
const SUBJECT_AFTER_OPENING = /,\s+(?:the|a|an|this|that|these|those|its|their|his|her|it|he|she|they|we|\p{Lu}\p{L}+)\s+(?:\p{L}+\s+){0,3}?(?:is|are|was|were|has|have|had|will|would|can|could|\p{L}+ed|\p{L}+s)\b/u;
const elliptical = (text: string) => ELLIPTICAL.test(text) && !SUBJECT_AFTER_OPENING.test(text);
const refersBack = (text: string) => ANAPHORIC.test(text) || REFERS_BACK.test(text) || elliptical(text);

export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const sp = cut.lastIndexOf(' ');
  return `${(sp > max * 0.6 ? cut.slice(0, sp) : cut).replace(/[\s,;:—-]+$/, '')}…`;
}

/** Focus words of the question that `text` contains (stems). */
function focusStems(a: QuestionAnalysis, text: string): string[] {
  const have = new Set(words(text).map(stem));
  return a.focus.filter((f) => have.has(f.stem)).map((f) => f.stem);
}

function overlaps(a: Scored, b: Scored): boolean {
  return a.chunk.source === b.chunk.source && a.start < b.end && b.start < a.end && a.kind !== 'headings' && b.kind !== 'headings';
}

const MAX_ANTECEDENT_STEPS = 3;
/** The shortest a shortened unit may be: below this it says too little to keep. */
const MIN_TRIMMED = 120;

/**
 * The sentence a pronoun-led answer ("He also describes …") stands on: walking back through
 * sentences that lean on a pronoun or name nothing, the first that holds a candidate of the kind
 * asked. The walk continues before the retrieved chunk's first sentence, in the document's own
 * paragraph, since a chunk boundary often falls between a name and the pronouns that follow it.
 */
function antecedentOf(best: Scored, byOrder: Map<number, Scored>, a: QuestionAnalysis, index: LoadedIndex): Scored | undefined {
  const questionWords = new Set(words(a.text));
  const kinds = answerKinds(a);
  const vocab = vocabularyOf(index);
  // a name that opens its sentence is a name when the documents capitalise it elsewhere too
  // ("Al-Muwaffaq’s contributions …"; candidates need a second capital there)
  const opensWithName = (text: string) => {
    const first = /^\p{Lu}[\p{L}’'-]*(?=[\s’'])(?!,)/u.exec(text)?.[0].replace(/[’']s?$/, '');
    const last = first?.split('-').pop()?.toLowerCase();
    return !!last && !questionWords.has(first!.toLowerCase()) && vocab.capitalised(last) >= 0.5;
  };
  const holds = (u: Scored) => u.candidates.length > 0 || newCandidates(u.text, kinds, questionWords).length > 0 || (kinds.includes('name') && opensWithName(u.text));
  let s: Scored = best;
  for (let steps = 0; steps < MAX_ANTECEDENT_STEPS && (leans(s.text) || !holds(s)); steps++) {
    const before = s.prev !== null ? byOrder.get(s.prev) : s.kind === 'sentence' ? sentenceBefore(s, index) : undefined;
    if (!before) return undefined;
    if (!leans(before.text) && holds(before)) return before;
    s = before;
  }
  return undefined;
}

/** The kinds of candidate that answer the question: what it needs, or a name for a who/where question. */
function answerKinds(a: QuestionAnalysis): readonly CandidateKind[] {
  if (a.needs.length > 0) return a.needs;
  return a.type === 'person' || a.type === 'place' || a.type === 'organisation' ? ['name'] : [];
}

/** The sentence before `s` in its paragraph, read from the document, as a unit of its own. */
function sentenceBefore(s: Scored, index: LoadedIndex): Scored | undefined {
  const doc = index.docTexts.get(s.chunk.source);
  if (doc === undefined) return undefined;
  const lineStart = doc.lastIndexOf('\n', s.start - 1) + 1;
  if (lineStart >= s.start) return undefined;
  const spans = sentenceSpans(doc, lineStart, s.start);
  const last = spans[spans.length - 1];
  if (!last) return undefined;
  const [start, end] = last;
  const text = doc.slice(start, end).trim();
  return { ...s, start, end, text, display: clean(text), candidates: [], prev: null, next: null };
}

export function compose(best: Scored, scored: Scored[], analysis: QuestionAnalysis, index: LoadedIndex, W: ReaderWeights, maxChars: number, overall?: Scored): Composed {
  const byOrder = new Map(scored.map((s) => [s.order, s]));
  const chosen: Scored[] = [];
  /** Units the answer cannot do without: the best one, the one holding the candidate, what a pronoun refers to. */
  const needed = new Set<Scored>([best]);
  /** Units shown shortened to the room that was left for them. */
  const trimmed = new Map<Scored, number>();
  const strict = analysis.needs.length > 0;

  if (best.kind === 'row' && (analysis.type === 'comparison' || analysis.type === 'list')) {
    // a comparison reads the rows of the table that the question touches (all of them if it
    // names none in particular), both columns each
    const rows = scored.filter((s) => s.kind === 'row' && s.chunk.source === best.chunk.source && s.context === best.context);
    const touched = rows.filter((r) => r === best || r.coverage >= best.coverage * 0.75);
    const pick = analysis.type === 'comparison' && touched.length < 2 ? rows : touched;
    chosen.push(best, ...pick.filter((r) => r !== best).sort((x, y) => x.start - y.start));
  } else if (best.kind === 'list' || best.kind === 'headings') {
    chosen.push(best);
  } else {
    // the unit that holds the expected kind of answer leads
    if (best.candidates.length === 0 && answerKinds(analysis).length > 0) {
      let neighbour = strict ? [best.next, best.prev].map((i) => (i !== null ? byOrder.get(i) : undefined)).find((s) => s && s.candidates.length > 0) : undefined;
      // "He also describes …": the name a pronoun stands for is a few sentences back, in the
      // first sentence of the chain that does not itself lean on a pronoun ("He made …" does)
      if (ANAPHORIC.test(best.text) && (!neighbour || ANAPHORIC.test(neighbour.text))) {
        const antecedent = antecedentOf(best, byOrder, analysis, index);
        if (antecedent) neighbour = antecedent;
      }
      if (neighbour) {
        chosen.push(neighbour);
        needed.add(neighbour);
      }
    }
    if (!chosen.includes(best)) chosen.push(best);
    // a definition or reason question whose best sentence names the topic while the next one
    // says the definition or reason: both ("… playbook is classic Alibaba. Burn cash to build habits …")
    if (!strict && !best.typeEvidence && (analysis.type === 'reason' || analysis.type === 'definition')) {
      const neighbour = [best.next, best.prev].map((i) => (i !== null ? byOrder.get(i) : undefined)).find((s) => s && s.typeEvidence);
      if (neighbour) chosen.push(neighbour);
    }
    // "These include …" needs what "these" is
    const first = chosen[0];
    if (refersBack(first.text)) {
      const before = first.prev !== null ? byOrder.get(first.prev) : first.kind === 'sentence' ? sentenceBefore(first, index) : undefined;
      if (before && !chosen.includes(before)) {
        chosen.unshift(before);
        needed.add(before);
      }
    }
    // the passage that says most of what the question says, when the typed answer came from
    // another: both (the candidate may be the wrong one of several of its kind)
    if (overall && overall !== best && !chosen.includes(overall) && overall.kind !== 'list' && overall.support > best.support) chosen.push(overall);
    // the sentence right after the answer often completes it ("… Perhaps Amazon is the closest."),
    // and one that goes on about the same thing ("It was re-established in April 1991.") always may
    if (W.nextSentence && best.next !== null) {
      const next = byOrder.get(best.next);
      const adds = next && focusStems(analysis, next.text).some((t) => !focusStems(analysis, best.text).includes(t));
      if (next && !chosen.includes(next) && next.display.length <= 200 && (!best.typeEvidence || refersBack(next.text) || adds)) chosen.push(next);
    }
    // a companion: nearly as good, not overlapping, adds question terms or (typed) another candidate
    const room = () => maxChars - chosen.reduce((n, s) => n + s.display.length + 6, 0);
    for (const s of scored) {
      if (chosen.length >= W.maxUnits || s === best || chosen.includes(s)) continue;
      if (s.score < best.score * W.companionRatio || s.kind === 'list' || s.kind === 'headings') continue;
      if (chosen.some((c) => overlaps(c, s))) continue;
      if (strict && s.candidates.length === 0) continue;
      if (!s.constraintsMet) continue;
      if (s.display.length + 6 > room()) continue;
      chosen.push(s);
    }
    // a longer next sentence that goes on about the answer ("As part of this merger, the network
    // would have been renamed …") comes last, shortened to the room left
    const next = best.next !== null ? byOrder.get(best.next) : undefined;
    if (W.nextSentence && next && !chosen.includes(next) && refersBack(next.text) && room() - 6 >= MIN_TRIMMED) {
      trimmed.set(next, room() - 6);
      chosen.push(next);
    }
  }

  // citations in answer order; a heading group cites each child heading
  const citations: Citation[] = [];
  const parts: string[] = [];
  const cite = (s: Scored, start: number, end: number) => {
    const doc = index.docTexts.get(s.chunk.source) ?? '';
    citations.push({
      n: citations.length + 1,
      source: s.chunk.source,
      title: s.chunk.title,
      section: sectionOf(s.chunk),
      lines: [index.lineAt(s.chunk.source, start), index.lineAt(s.chunk.source, end - 1)],
      quote: doc.slice(start, end),
      chunkId: s.chunk.id,
    });
    return citations.length;
  };
  // whole units: when they do not fit, the last-added companions go first; the units the answer
  // needs are then shortened in proportion (lists and tables keep their rows)
  const keep = (s: Scored) => needed.has(s) || s.kind === 'headings' || (s.kind === 'row' && best.kind === 'row');
  const size = (xs: Scored[]) => xs.reduce((n, s) => n + Math.min(s.display.length, trimmed.get(s) ?? Infinity) + 6, 0);
  while (chosen.length > 1 && size(chosen) > maxChars) {
    const drop = [...chosen].reverse().find((s) => !keep(s));
    if (!drop) break;
    chosen.splice(chosen.indexOf(drop), 1);
  }
  // (the units an answer needs may take up to twice the soft cap before they are shortened)
  const cap = chosen.length > 1 ? 2 * maxChars : maxChars;
  const scale = Math.min(1, (cap - 6 * chosen.length) / Math.max(1, size(chosen) - 6 * chosen.length));
  for (const s of chosen) {
    if (s.kind === 'headings') {
      const doc = index.docTexts.get(s.chunk.source) ?? '';
      const items = s.parts.map((p) => `${doc.slice(p.start, p.end).replace(/\s+/g, ' ').trim()} [${cite(s, p.start, p.end)}]`);
      parts.push(`${s.display.slice(0, s.display.indexOf(':'))}: ${items.join('; ')}.`);
      continue;
    }
    const n = cite(s, s.start, s.end);
    const limit = trimmed.get(s) ?? (s.kind === 'list' || s.kind === 'row' ? maxChars * 2 : Math.max(MIN_TRIMMED, Math.floor(s.display.length * scale)));
    parts.push(`${shorten(s.display, limit)} [${n}]`);
  }
  return { answer: parts.join(' '), citations };
}
