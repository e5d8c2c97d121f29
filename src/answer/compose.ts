import { stem, words } from '../retrieval/text.js';
import type { LoadedIndex } from '../retrieval/loaded-index.js';
import type { Citation } from '../types.js';
import type { QuestionAnalysis } from './analyze.js';
import { sectionOf } from './refusal.js';
import type { Scored } from './score.js';
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

export function compose(best: Scored, scored: Scored[], analysis: QuestionAnalysis, index: LoadedIndex, W: ReaderWeights, maxChars: number, overall?: Scored): Composed {
  const byOrder = new Map(scored.map((s) => [s.order, s]));
  const chosen: Scored[] = [];
  /** Units the answer cannot do without: the best one, the one holding the candidate, what a pronoun refers to. */
  const needed = new Set<Scored>([best]);
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
    if (strict && best.candidates.length === 0) {
      let neighbour = [best.next, best.prev].map((i) => (i !== null ? byOrder.get(i) : undefined)).find((s) => s && s.candidates.length > 0);
      // "He also describes …": the name a pronoun stands for is a few sentences back
      for (let s: Scored | undefined = best, steps = 0; !neighbour && s && ANAPHORIC.test(s.text) && s.prev !== null && steps < 3; steps++) {
        s = byOrder.get(s.prev);
        if (s && s.candidates.length > 0) neighbour = s;
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
    if (ANAPHORIC.test(first.text) && first.prev !== null) {
      const before = byOrder.get(first.prev);
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
      if (next && !chosen.includes(next) && next.display.length <= 200 && (!best.typeEvidence || ANAPHORIC.test(next.text) || adds)) chosen.push(next);
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
  const size = (xs: Scored[]) => xs.reduce((n, s) => n + s.display.length + 6, 0);
  const keep = (s: Scored) => needed.has(s) || s.kind === 'headings' || (s.kind === 'row' && best.kind === 'row');
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
    const limit = s.kind === 'list' || s.kind === 'row' ? maxChars * 2 : Math.max(120, Math.floor(s.display.length * scale));
    parts.push(`${shorten(s.display, limit)} [${n}]`);
  }
  return { answer: parts.join(' '), citations };
}
