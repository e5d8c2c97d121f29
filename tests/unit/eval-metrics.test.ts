import { describe, expect, it } from 'vitest';
import type { EvalItem } from '../../src/eval/data.js';
import { aggregate, answerHit, byKind, citationOverlaps, evidenceRank, fold, judge, mean, median, type Outcome } from '../../src/eval/metrics.js';
import { ablationTable, kindTable, negativesTable } from '../../src/eval/report.js';
import type { AnswerResult, Chunk, Citation, Hit } from '../../src/types.js';

const DOC = '# Alibaba\n\nCEO Eddie Wu projected $100B in AI revenue.\n\nRevenue was $41.4B this quarter.\n';

function chunk(text: string, over: Partial<Chunk> = {}): Chunk {
  const start = DOC.indexOf(text);
  return { id: text.slice(0, 8), source: 'a.md', title: 'Alibaba', headings: [], kind: 'paragraph', text, start, end: start + text.length, lineStart: 1, lineEnd: 1, ...over };
}

function hit(c: Chunk, rank: number): Hit {
  return { chunk: c, score: 1 / rank, rank, lexicalRank: rank, lexicalScore: 1, denseRank: rank, denseScore: 1 };
}

function cite(quote: string, source = 'a.md'): Citation {
  return { n: 1, source, title: 'Alibaba', section: '', lines: [1, 1], quote, chunkId: 'x' };
}

function result(answer: string, over: Partial<AnswerResult> = {}): AnswerResult {
  const answered = over.answered ?? true;
  return { question: 'q', answered, answer, citations: [], retrieved: [], closest: [], generation: 'gen-000001', ms: 2, ...(answered ? {} : { refusal: { reason: 'no-answer', missing: [], closest: [] } }), ...over };
}

function item(answers: string[][], over: Partial<EvalItem> = {}): EvalItem {
  return { id: 'i', kind: 'lexical', question: 'q?', answers, evidence: answers.length ? { text: 'Revenue was $41.4B' } : null, ...over };
}

const docText = (s: string) => (s === 'a.md' ? DOC : undefined);

describe('answer hit', () => {
  it('GIVEN two groups THEN an answer naming only one of them is a miss, naming both a hit', () => {
    const answers = [['Taobao'], ['Alipay']];
    expect(answerHit(answers, 'Alibaba owns Taobao.')).toBe(false);
    expect(answerHit(answers, 'Alibaba owns Taobao and Alipay.')).toBe(true);
  });

  it('GIVEN a group of alternatives THEN any one of them satisfies the group', () => {
    expect(answerHit([['$100B', '100 billion']], 'about 100 billion dollars')).toBe(true);
    expect(answerHit([['$100B', '100 billion']], 'He projected $100B.')).toBe(true);
    expect(answerHit([['$100B', '100 billion']], 'He projected $10B.')).toBe(false);
  });

  it('GIVEN different case, full-width letters, curly quotes or broken lines THEN they still match', () => {
    expect(answerHit([['Eddie Wu']], 'CEO EDDIE WU said')).toBe(true);
    expect(answerHit([['Qwen']], 'the ＱＷＥＮ app')).toBe(true);
    expect(answerHit([["Alibaba's stack"]], 'Alibaba’s stack')).toBe(true);
    expect(answerHit([['November 2025']], 'launched in November\n2025')).toBe(true);
    expect(fold('  A\u00a0B  ')).toBe('a b');
  });

  it('GIVEN an empty answers list (the question must be refused) THEN no answer text is ever a hit', () => {
    expect(answerHit([], 'anything at all')).toBe(false);
    expect(answerHit([], '')).toBe(false);
  });

  it('GIVEN an empty alternative THEN it matches nothing (it cannot make every answer a hit)', () => {
    expect(answerHit([['']], 'anything')).toBe(false);
    expect(answerHit([['', 'Amazon']], 'Perhaps Amazon is the closest')).toBe(true);
  });
});

describe('judging one answer', () => {
  it('GIVEN an answerable question that is refused THEN it is a false refusal even if the refusal names the answer', () => {
    const o = judge(item([['Wukong']]), result("I couldn't find anything about Wukong.", { answered: false }), docText);
    expect(o).toMatchObject({ answerable: true, answered: false, hit: false, refusal: 'no-answer' });
    const row = aggregate('s', [o]);
    expect(row.falseRefusals).toBe(1);
    expect(row.falseRefusalRate).toBe(1);
  });

  it('GIVEN an unanswerable question THEN answering it is wrong and refusing it is right', () => {
    const answered = judge(item([]), result('Revenue was $41.4B.'), docText);
    const refused = judge(item([]), result('No.', { answered: false }), docText);
    expect(answered.answerable).toBe(false);
    const row = aggregate('s', [answered, refused]);
    expect(row).toMatchObject({ unanswerable: 2, unanswerableRefused: 1, refusalRecall: 0.5, refusalPrecision: 1, falseRefusals: 0 });
    expect(Number.isNaN(row.hit)).toBe(true);
  });

  it('GIVEN an on-topic negative answered with the gold answer found elsewhere THEN it still counts as not refused, and is flagged', () => {
    const o = judge(item([['$41.4B']]), result('Revenue was $41.4B [1]'), docText, { negative: true });
    expect(o).toMatchObject({ answerable: false, answered: true, hit: true, rank: 0, cited: false });
    const row = aggregate('neg', [o, judge(item([['$41.4B']]), result('no', { answered: false }), docText, { negative: true })]);
    expect(row).toMatchObject({ refusalRecall: 0.5, unanswerableWithGold: 1 });
  });

  it('GIVEN retrieved chunks THEN the evidence rank is that of the first chunk holding the evidence (folded), 0 if none', () => {
    const c1 = chunk('CEO Eddie Wu projected $100B in AI revenue.');
    const c2 = chunk('Revenue was $41.4B this quarter.');
    expect(evidenceRank({ text: 'revenue WAS $41.4b' }, [hit(c1, 1), hit(c2, 2)])).toBe(2);
    expect(evidenceRank({ text: 'Revenue was $41.4B' }, [hit(c1, 1)])).toBe(0);
    expect(evidenceRank(null, [hit(c2, 1)])).toBe(0);
  });

  it('GIVEN a span as evidence THEN only a chunk of that document holding the whole span covers it', () => {
    const c2 = chunk('Revenue was $41.4B this quarter.');
    const s = DOC.indexOf('$41.4B');
    expect(evidenceRank({ source: 'a.md', start: s, end: s + 6 }, [hit(c2, 1)])).toBe(1);
    expect(evidenceRank({ source: 'b.md', start: s, end: s + 6 }, [hit(c2, 1)])).toBe(0);
    expect(evidenceRank({ source: 'a.md', start: s, end: c2.end + 5 }, [hit(c2, 1)])).toBe(0);
  });

  it('GIVEN citations THEN one overlapping the evidence in its document counts, one elsewhere or not verbatim does not', () => {
    const ev = { text: 'Revenue was $41.4B' };
    expect(citationOverlaps(ev, [cite('$41.4B this quarter.')], docText)).toBe(true);
    expect(citationOverlaps(ev, [cite('CEO Eddie Wu projected $100B in AI revenue.')], docText)).toBe(false);
    expect(citationOverlaps(ev, [cite('Revenue was $41.4 billion')], docText)).toBe(false);
    expect(citationOverlaps(ev, [cite('Revenue was $41.4B', 'unknown.md')], docText)).toBe(false);
    const s = DOC.indexOf('$100B');
    expect(citationOverlaps({ source: 'a.md', start: s, end: s + 5 }, [cite('projected $100B')], docText)).toBe(true);
    expect(citationOverlaps({ source: 'a.md', start: s, end: s + 5 }, [cite('Revenue was')], docText)).toBe(false);
  });
});

function outcome(over: Partial<Outcome>): Outcome {
  return { id: 'x', kind: 'lexical', question: 'q', answerable: true, answered: true, hit: true, rank: 1, cited: true, chars: 100, support: 0.5, ms: 1, answer: '', refusal: null, ...over };
}

describe('aggregates', () => {
  it('GIVEN outcomes THEN recall@k and MRR count answerable questions by evidence rank', () => {
    const row = aggregate('s', [outcome({ rank: 1 }), outcome({ rank: 3 }), outcome({ rank: 0, hit: false }), outcome({ answerable: false, answered: false, rank: 0 })]);
    expect(row).toMatchObject({ n: 4, answerable: 3, unanswerable: 1, hits: 2 });
    expect(row.r1).toBeCloseTo(1 / 3);
    expect(row.r3).toBeCloseTo(2 / 3);
    expect(row.mrr).toBeCloseTo((1 + 1 / 3) / 3);
  });

  it('GIVEN refusals among the answers THEN answer lengths (mean and median) count only the answers given', () => {
    const row = aggregate('s', [outcome({ chars: 100 }), outcome({ chars: 300 }), outcome({ chars: 1000 }), outcome({ answered: false, hit: false, chars: 20 })]);
    expect(row.medianChars).toBe(300);
    expect(row.meanChars).toBeCloseTo(1400 / 3);
    expect(Number.isNaN(aggregate('s', [outcome({ answered: false, hit: false })]).medianChars)).toBe(true);
  });

  it('median and mean', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(mean([1, 2, 3, 6])).toBe(3);
  });

  it('GIVEN seed outcomes THEN per-kind rows follow the documented kind order, then a total', () => {
    const rows = byKind([
      outcome({ kind: 'unanswerable', answerable: false, answered: false, hit: false }),
      outcome({ kind: 'unanswerable', answerable: false, answered: true, hit: false }),
      outcome({ kind: 'typo', answered: false, hit: false }),
      outcome({ kind: 'lexical' }),
      outcome({ kind: 'lexical', hit: false }),
      outcome({ kind: 'zeta' }),
    ]);
    expect(rows.map((r) => r.kind)).toEqual(['lexical', 'typo', 'unanswerable', 'zeta', 'all']);
    expect(rows[0]).toMatchObject({ n: 2, hits: 1, falseRefusals: 0, refused: 0 });
    expect(rows[1]).toMatchObject({ n: 1, hits: 0, falseRefusals: 1, refused: 1 });
    expect(rows[2]).toMatchObject({ n: 2, answerable: 0, refused: 1, falseAnswers: 1 });
    expect(rows[4]).toMatchObject({ n: 6, answerable: 4, hits: 2, falseRefusals: 1, refused: 2 });
    const table = kindTable(rows);
    expect(table).toMatch(/^\| kind \| n \| answer hit \| false refusals \| refused \|/);
    expect(table).toContain('| lexical | 2 | 1/2 | 0 | 0 |');
    expect(table).toContain('| unanswerable | 2 | — | — | 1 |');
    expect(table).toContain('| **all** | 6 | 2/4 | 1 | 2 |');
  });

  it('GIVEN XQuAD and negatives rows THEN the negatives table shows refusal rate beside contains-gold, false refusals and both lengths', () => {
    const full = aggregate('xquad-dev', [outcome({ chars: 200 }), outcome({ chars: 400, hit: false }), outcome({ answered: false, hit: false })]);
    const neg = aggregate('neg', [outcome({ answerable: false, answered: false }), outcome({ answerable: false, answered: true })]);
    expect(negativesTable(full, neg)).toContain('| xquad-dev | 3 | 33.3% | 33.3% | 50.0% (1/2) | 300 | 300 |');
    expect(negativesTable(full, null)).toContain('| xquad-dev | 3 | 33.3% | 33.3% | — |');
  });

  it('GIVEN ablation configurations THEN one row each, the full reader first', () => {
    const seed = aggregate('seed', [outcome({}), outcome({ answerable: false, answered: false })]);
    const t = ablationTable([
      { config: 'none', seed, xquad: null, negatives: null },
      { config: 'typing', seed, xquad: null, negatives: null },
    ]);
    const lines = t.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| full reader | 1/1 | 0 | 1/1 | — | — | — | 100 |');
    expect(lines[3]).toMatch(/^\| without typing \|/);
  });
});
