/**
 * What `npm run eval` measures, as pure functions: does an answer hold the gold answer, did
 * retrieval find the evidence, does a citation overlap it, and the aggregates (per set, per
 * question kind, answer lengths).
 */
import type { AnswerResult, Citation, Hit } from '../types.js';
import type { EvalItem, Evidence } from './data.js';

/** Case- and form-insensitive text for matching: NFKC, curly quotes straightened, spaces collapsed, lower case. */
export function fold(s: string): string {
  return s.normalize('NFKC').replace(/[’‘]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Does `answer` hold the gold answer? Every group must be matched by at least one of its
 * alternatives. An empty list of groups (a question that must be refused) is never hit, and an
 * empty alternative matches nothing.
 */
export function answerHit(answers: string[][], answer: string): boolean {
  if (answers.length === 0) return false;
  const a = fold(answer);
  return answers.every((group) => group.some((alt) => fold(alt) !== '' && a.includes(fold(alt))));
}

/** Does this chunk hold the evidence (a verbatim text, or a span of one document)? */
export function covers(evidence: Evidence | null, chunk: Hit['chunk']): boolean {
  if (!evidence) return false;
  if ('text' in evidence) return fold(chunk.text).includes(fold(evidence.text));
  return chunk.source === evidence.source && chunk.start <= evidence.start && chunk.end >= evidence.end;
}

/** 1-based rank of the first retrieved chunk that covers the evidence; 0 when none does. */
export function evidenceRank(evidence: Evidence | null, hits: Hit[]): number {
  return hits.findIndex((h) => covers(evidence, h.chunk)) + 1;
}

/**
 * Does some citation's quote overlap the evidence in its document? `docText` gives a document's
 * text by source (undefined when unknown).
 */
export function citationOverlaps(evidence: Evidence | null, citations: Citation[], docText: (source: string) => string | undefined): boolean {
  if (!evidence) return false;
  return citations.some((c) => {
    const doc = docText(c.source);
    if (!doc || !c.quote) return false;
    const qs = doc.indexOf(c.quote);
    if (qs < 0) return false;
    const qe = qs + c.quote.length;
    if ('text' in evidence) {
      const es = doc.indexOf(evidence.text);
      return es >= 0 && qs < es + evidence.text.length && es < qe;
    }
    return c.source === evidence.source && qs < evidence.end && evidence.start < qe;
  });
}

/** One question's result, judged. */
export interface Outcome {
  id: string;
  kind: string;
  question: string;
  /** The documents answer it (false for an unanswerable question or an on-topic negative). */
  answerable: boolean;
  answered: boolean;
  /** Answered, and the answer holds every answer group (for a negative: the gold answer anyway). */
  hit: boolean;
  /** Rank of the first retrieved chunk covering the evidence, 0 if none (answerable only). */
  rank: number;
  /** A citation overlaps the evidence. */
  cited: boolean;
  /** Length of the answer text in characters (refusals included; aggregates use answered ones). */
  chars: number;
  support: number | null;
  ms: number;
  answer: string;
  refusal: string | null;
}

/**
 * Judges one answer. `negative`: the question is asked of a corpus without its evidence, so it
 * must be refused whatever its answers say (`hit` then tells whether the gold answer came anyway).
 */
export function judge(item: EvalItem, r: AnswerResult, docText: (source: string) => string | undefined, opts: { negative?: boolean } = {}): Outcome {
  const answerable = !opts.negative && item.answers.length > 0;
  return {
    id: item.id,
    kind: item.kind,
    question: item.question,
    answerable,
    answered: r.answered,
    hit: r.answered && answerHit(item.answers, r.answer),
    rank: answerable ? evidenceRank(item.evidence, r.retrieved) : 0,
    cited: answerable && r.answered && citationOverlaps(item.evidence, r.citations, docText),
    chars: r.answer.length,
    support: r.support ?? null,
    ms: r.ms,
    answer: r.answer,
    refusal: r.refusal?.reason ?? null,
  };
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Share, NaN when there is nothing to share out. */
export function rate(count: number, of: number): number {
  return of ? count / of : NaN;
}

/** Aggregate figures of one set under one configuration. */
export interface SetRow {
  set: string;
  /** Retrieval mode. */
  mode: string;
  /** Reader parts switched off ("none" when nothing is). */
  ablate: string;
  n: number;
  answerable: number;
  unanswerable: number;
  /** Recall@k and MRR of the evidence among retrieved chunks (over answerable questions). */
  r1: number;
  r3: number;
  r5: number;
  mrr: number;
  /** Answerable questions answered with every answer group matched. */
  hits: number;
  hit: number;
  /** Answerable questions with a citation overlapping the evidence. */
  cite: number;
  refused: number;
  /** Answerable questions refused. */
  falseRefusals: number;
  falseRefusalRate: number;
  /** Unanswerable questions (or negatives) refused. */
  unanswerableRefused: number;
  /** unanswerableRefused / unanswerable (refusal recall); NaN without unanswerable questions. */
  refusalRecall: number;
  /** Share of the refusals that were right; NaN without unanswerable questions or refusals. */
  refusalPrecision: number;
  /** Unanswerable questions answered with the gold answer anyway (negatives: found elsewhere). */
  unanswerableWithGold: number;
  /** Length of the answers given (refusals left out), characters. */
  meanChars: number;
  medianChars: number;
  msPerQuestion: number;
}

export function aggregate(set: string, outcomes: Outcome[], config: { mode?: string; ablate?: string } = {}): SetRow {
  const ans = outcomes.filter((o) => o.answerable);
  const una = outcomes.filter((o) => !o.answerable);
  const within = (k: number) => ans.filter((o) => o.rank >= 1 && o.rank <= k).length;
  const hits = ans.filter((o) => o.hit).length;
  const refused = outcomes.filter((o) => !o.answered).length;
  const falseRefusals = ans.filter((o) => !o.answered).length;
  const unanswerableRefused = una.filter((o) => !o.answered).length;
  const lengths = outcomes.filter((o) => o.answered).map((o) => o.chars);
  return {
    set,
    mode: config.mode ?? 'hybrid',
    ablate: config.ablate ?? 'none',
    n: outcomes.length,
    answerable: ans.length,
    unanswerable: una.length,
    r1: rate(within(1), ans.length),
    r3: rate(within(3), ans.length),
    r5: rate(within(5), ans.length),
    mrr: ans.length ? ans.reduce((s, o) => s + (o.rank ? 1 / o.rank : 0), 0) / ans.length : NaN,
    hits,
    hit: rate(hits, ans.length),
    cite: rate(ans.filter((o) => o.cited).length, ans.length),
    refused,
    falseRefusals,
    falseRefusalRate: rate(falseRefusals, ans.length),
    unanswerableRefused,
    refusalRecall: rate(unanswerableRefused, una.length),
    refusalPrecision: una.length ? rate(unanswerableRefused, refused) : NaN,
    unanswerableWithGold: una.filter((o) => o.hit).length,
    meanChars: mean(lengths),
    medianChars: median(lengths),
    msPerQuestion: mean(outcomes.map((o) => o.ms)),
  };
}

/** Results for one question kind. */
export interface KindRow {
  kind: string;
  n: number;
  answerable: number;
  /** Answerable questions hit. */
  hits: number;
  /** Answerable questions refused. */
  falseRefusals: number;
  /** All refusals (for unanswerable kinds: the right ones). */
  refused: number;
  /** Unanswerable questions answered. */
  falseAnswers: number;
}

/** The seed kinds in the order the table lists them; others follow alphabetically. */
export const SEED_KINDS = ['lexical', 'paraphrase', 'multi', 'list', 'comparison', 'numeric', 'who', 'lowercase', 'typo', 'keyword', 'yesno', 'unanswerable'];

/** Per-kind figures, in SEED_KINDS order, then a total row (`kind: 'all'`). */
export function byKind(outcomes: Outcome[]): KindRow[] {
  const kinds = [...new Set(outcomes.map((o) => o.kind))].sort((a, b) => {
    const ia = SEED_KINDS.indexOf(a), ib = SEED_KINDS.indexOf(b);
    if (ia >= 0 && ib >= 0) return ia - ib;
    if (ia >= 0 || ib >= 0) return ia >= 0 ? -1 : 1;
    return a.localeCompare(b);
  });
  const row = (kind: string, os: Outcome[]): KindRow => ({
    kind,
    n: os.length,
    answerable: os.filter((o) => o.answerable).length,
    hits: os.filter((o) => o.answerable && o.hit).length,
    falseRefusals: os.filter((o) => o.answerable && !o.answered).length,
    refused: os.filter((o) => !o.answered).length,
    falseAnswers: os.filter((o) => !o.answerable && o.answered).length,
  });
  return [...kinds.map((k) => row(k, outcomes.filter((o) => o.kind === k))), row('all', outcomes)];
}
