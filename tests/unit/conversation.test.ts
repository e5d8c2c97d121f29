import { describe, expect, it } from 'vitest';
import { MAX_TURNS, recentTurns, remember, saysLittle, topicQuestions } from '../../src/conversation.js';
import type { Turn } from '../../src/types.js';

const turns = (...questions: string[]): Turn[] => questions.map((question) => ({ question, answer: `answer to ${question}` }));

describe('conversation policy', () => {
  it('GIVEN more turns than the policy keeps THEN remember() and recentTurns() keep the last MAX_TURNS, oldest first', () => {
    let t: Turn[] = [];
    for (let i = 1; i <= MAX_TURNS + 2; i++) t = remember(t, { question: `q${i}` });
    expect(t.map((x) => x.question)).toEqual(Array.from({ length: MAX_TURNS }, (_, i) => `q${i + 3}`));
    expect(remember([{ question: 'a' }], { question: 'b' }, 1)).toEqual([{ question: 'b' }]);
    expect(recentTurns(turns(...Array.from({ length: 9 }, (_, i) => `q${i}`)))).toHaveLength(MAX_TURNS);
    expect(recentTurns(undefined)).toEqual([]);
  });

  it('GIVEN questions THEN the ones that say too little of their own to carry a topic are told apart', () => {
    for (const q of ['Why?', 'Tell me more.', 'Tell me more about it.', 'What happened next?', 'How so?', 'When was it announced?', 'Why did they do that?', 'Explain.']) {
      expect(saysLittle(q), q).toBe(true);
    }
    for (const q of ['What is Wukong?', 'What is Alibaba Token Hub?', 'Who is Junyang Lin?', 'How much did Alibaba invest in infrastructure?', 'When did the Qwen app launch?', 'Is it built on Qwen models with DingTalk messaging?']) {
      expect(saysLittle(q), q).toBe(false);
    }
  });

  it('GIVEN "Why?" after "Why?" after a question with a topic THEN that question still carries the topic (not only the last turn)', () => {
    expect(topicQuestions(turns('What is Alibaba Token Hub?'))).toEqual(['What is Alibaba Token Hub?']);
    expect(topicQuestions(turns('What is Alibaba Token Hub?', 'Why?'))).toEqual(['What is Alibaba Token Hub?', 'Why?']);
    expect(topicQuestions(turns('What is Alibaba Token Hub?', 'Why?', 'Why?'))).toEqual(['What is Alibaba Token Hub?', 'Why?', 'Why?']);
    // a follow-up that points back ("it") walks back too, and keeps what it asked
    expect(topicQuestions(turns('What is Wukong?', 'When was it announced?'))).toEqual(['What is Wukong?', 'When was it announced?']);
  });

  it('GIVEN a new topic, no history, or only follow-ups THEN the last topic wins, nothing, or every kept turn', () => {
    expect(topicQuestions(turns('What is Wukong?', 'Why?', 'What is Alibaba Token Hub?'))).toEqual(['What is Alibaba Token Hub?']);
    expect(topicQuestions(turns('What is Wukong?', 'Who is Junyang Lin?'))).toEqual(['Who is Junyang Lin?']);
    expect(topicQuestions([])).toEqual([]);
    expect(topicQuestions(undefined)).toEqual([]);
    expect(topicQuestions(turns('Why?', 'Tell me more.'))).toEqual(['Why?', 'Tell me more.']);
    // the walk stays inside the kept turns: a topic older than MAX_TURNS turns is forgotten
    const long = turns('What is Wukong?', ...Array.from({ length: MAX_TURNS }, () => 'Why?'));
    expect(topicQuestions(long)).toEqual(Array.from({ length: MAX_TURNS }, () => 'Why?'));
  });
});
