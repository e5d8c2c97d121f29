import { describe, expect, it } from 'vitest';
import { analyzeQuestion, type AnalysisContext } from '../../../src/answer/analyze.js';
import { buildVocabulary } from '../../../src/answer/vocabulary.js';
import { stem, words } from '../../../src/text/words.js';

// a small corpus stands in for the documents: the analysis only needs their words
const DOC = `Alibaba's CEO Eddie Wu projected $100B in revenue. The Qwen app launched in November 2025.
Wukong is Alibaba's enterprise AI platform, integrated with DingTalk. Alipay handles payments.
Alibaba Token Hub is a new business unit. Operating income dropped 74%. It had grown before.`;
const vocab = buildVocabulary([DOC]);
const df = new Map<string, number>();
for (const w of words(DOC)) df.set(stem(w), 1);
// English word frequency as the GloVe table gives it (0 common … 1 rare or unknown), for the
// words these tests use
const COMMON = new Set('the what when three pillars compute launch launched data centers spend sacrifice willing margins profit fall users apple announce subscription cost base based head'.split(' '));
const VERY_COMMON = new Set(['the', 'what', 'when', 'had']);
const ctx: AnalysisContext = { vocab, df: (t) => df.get(t) ?? 0, specificity: (w) => (VERY_COMMON.has(w) ? 0.25 : COMMON.has(w) ? 0.45 : 0.95) };
const analyse = (q: string) => analyzeQuestion(q, ctx);

describe('question analysis: expected answer type', () => {
  it.each([
    ['Who is the CEO of Alibaba?', 'person'],
    ['who is eddie wu', 'definition'],
    ["Who is Alibaba's chief executive?", 'person'],
    ['who is the ceo', 'person'],
    ['When did the Qwen app launch?', 'date'],
    ['what year did the qwen app launch', 'date'],
    ['How many orders were processed?', 'number'],
    ['How much revenue did Alibaba report?', 'money'],
    ['What does a Wukong subscription cost?', 'money'],
    ['What is Alibaba spending on data centers?', 'money'],
    ['What did Alibaba spend on the promotion?', 'money'],
    ['What percentage did operating income drop?', 'percentage'],
    ['Where is Alibaba based?', 'place'],
    ['Which company owns Alipay?', 'organisation'],
    ['Why is Alibaba burning margin?', 'reason'],
    ['What is the idea behind the subsidies?', 'reason'],
    ['What is Wukong?', 'definition'],
    ['list the three pillars', 'list'],
    ['What are the three pillars?', 'list'],
    ['Which businesses make up the commerce stack?', 'list'],
    ['How do the Western and China stacks differ?', 'comparison'],
    ['Is Qwen open source?', 'yesno'],
    ['qwen app launch date', 'date'],
    ['What are the most powerful class of drugs?', 'definition'],
    ['What sea bordered the empire when its founder died?', 'description'],
    ['The transport policy is dealt with by whom?', 'person'],
    ['When a state changes its norms, why does it happen?', 'reason'],
    ['What are the main risks?', 'list'],
    ["What was the name of Wu's first product?", 'name'],
  ])('%s → %s', (q, type) => {
    expect(analyse(q).type).toBe(type);
  });

  it('a date, number or organisation question says which candidates an answer must hold', () => {
    expect(analyse('When did the Qwen app launch?').needs).toEqual(['date']);
    // who-answers are mostly names but not always ("senior technicians"): a preference, not a need
    expect(analyse('who is the ceo of alibaba').needs).toEqual([]);
    expect(analyse('Which company owns Alipay?').needs).toEqual(['name']);
    expect(analyse('What is Wukong?').needs).toEqual([]);
  });

  it('"which battle" remembers the kind of thing asked for (often part of the answer\'s name)', () => {
    expect(analyse('Which battle did Alibaba lose?').kind).toBe('battle');
    expect(analyse('What sea bordered the empire?').kind).toBe('sea');
    expect(analyse('Which company owns Alipay?').kind).toBeNull();
  });

  it('"how long" is answered by a duration or a date', () => {
    expect(analyse('For how long did the app keep its name?').needs).toEqual(['number', 'date']);
  });

  it('the word that names the kind of answer is not part of the focus', () => {
    const a = analyse('What year did the Qwen app launch?');
    expect(a.focus.map((f) => f.word)).toEqual(['qwen', 'app', 'launch']);
    expect(analyse('how many orders were processed').focus.map((f) => f.word)).toEqual(['orders', 'processed']);
  });

  it('"what are the three pillars" remembers that three are wanted', () => {
    expect(analyse('What are the three pillars?').listSize).toBe(3);
  });

  it('"how many users" knows what is counted', () => {
    expect(analyse('How many users does the Qwen app have?').counted).toBe('users');
  });
});

describe('question analysis: lowercase, typos and unknown subjects', () => {
  it('corrects words no document uses toward ones they do, and function words', () => {
    const a = analyse('when did teh qwen app lanch');
    expect(a.corrections).toEqual([
      { from: 'teh', to: 'the' },
      { from: 'lanch', to: 'launch' },
    ]);
    expect(a.type).toBe('date');
    expect(a.text).toBe('when did the qwen app launch');
    expect(analyse('waht is wukong').corrections).toEqual([{ from: 'waht', to: 'what' }]);
  });

  it('takes a common English word as meant, even one letter from a word the documents use ("head" is not "had")', () => {
    const a = analyse('Who is the head of Alibaba Token Hub?');
    expect(a.corrections).toEqual([]);
    expect(a.subject).toEqual(['head']);
    expect(a.focus.find((f) => f.word === 'head')?.known).toBe(false);
  });

  it('does not "correct" an inflection or a word the documents use', () => {
    expect(analyse('What does Alibaba compute?').corrections).toEqual([]);
    expect(analyse('When did the Qwen app launch?').corrections).toEqual([]);
  });

  it('recognises names in a lowercase question from how the documents write them', () => {
    const a = analyse('who is eddie wu');
    expect(a.focus.filter((f) => f.name).map((f) => f.word)).toEqual(['eddie', 'wu']);
    expect(a.constraints.names).toEqual(['eddie', 'wu']);
  });

  it('an unknown subject is missing whatever its case', () => {
    expect(analyse('What did Baidu announce?').missing).toEqual(['Baidu']);
    expect(analyse('what did baidu announce').missing).toEqual(['baidu']);
    expect(analyse('what did apple announce').missing).toEqual(['apple']);
    expect(analyse('what did apple announce').subject).toEqual(['apple']);
  });

  it('ordinary words of a paraphrase the documents do not use never block on their own', () => {
    expect(analyse('Why is Alibaba willing to sacrifice its margins?').missing).toEqual([]);
    expect(analyse('How much compute does Alibaba have?').missing).toEqual([]);
    expect(analyse('How much does Alibaba spend on data centers?').missing).toEqual([]);
    expect(analyse('By how much did the profit of Alibaba fall?').missing).toEqual([]);
  });

  it('keeps a year or number of the question as a constraint', () => {
    const a = analyse('Who won the 2022 Citrus Bowl?');
    expect(a.constraints.years).toEqual(['2022']);
    expect(a.missing).toEqual(['Citrus', 'Bowl']);
  });
});

describe('question analysis: language', () => {
  it.each(['悟空是什么？', '¿Qué es Wukong?', 'Qu’est-ce que Wukong ?', 'Was ist Wukong?'])('%s is not English', (q) => {
    expect(analyse(q).language).toBe('other');
  });
  it.each(['What is Wukong?', 'what is la liga', 'wukong?'])('%s is English', (q) => {
    expect(analyse(q).language).toBe('en');
  });
});

describe('question analysis: misspelt names', () => {
  it('a word known nowhere (not even to the word table) is corrected to the document word it misspells', () => {
    const names = buildVocabulary(['Gegeen Khan ruled from 1321 to 1323.']);
    const known = new Map<string, number>();
    for (const w of words('Gegeen Khan ruled from 1321 to 1323.')) known.set(stem(w), 1);
    // the word table knows neither spelling (specificity 1), so only the documents can tell
    const a = analyzeQuestion('When was Geegen the emperor?', { vocab: names, df: (t) => known.get(t) ?? 0, specificity: () => 1 });
    expect(a.corrections).toEqual([{ from: 'geegen', to: 'gegeen' }]);
    expect(a.missing).toEqual([]);
  });
});
