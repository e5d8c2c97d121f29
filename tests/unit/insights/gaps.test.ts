import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupGaps, recheckGaps } from '../../../src/insights/gaps.js';
import { InsightsStore, type GapQuestion } from '../../../src/insights/store.js';

/** Vectors by topic word: questions about the same topic point the same way. */
const topics = ['password', 'refund', 'install'];
const embeddings = {
  embedQuery: async (t: string) => topics.map((w) => (t.includes(w) ? 1 : 0.05)),
  embedDocuments: async (ts: string[]) => Promise.all(ts.map((t) => embeddings.embedQuery(t))),
};

const gap = (id: string, question: string, askedAt: string, link: string | null = null): GapQuestion => ({ id, question, askedAt, link, answer: '', kind: 'refused' });

describe('groupGaps', () => {
  it('merges repeats and near-duplicates into one group with count, last asked and latest link; most asked first', async () => {
    const groups = await groupGaps(
      [
        gap('1', 'How do I install it?', '2026-03-01T00:00:00Z', 'L1'),
        gap('2', 'How do I reset my password?', '2026-03-02T00:00:00Z', 'L2'),
        gap('3', 'how do I reset my password', '2026-03-03T00:00:00Z', 'L3'),
        gap('4', 'password reset not working', '2026-03-04T00:00:00Z'),
        gap('5', 'Can I get a refund?', '2026-03-05T00:00:00Z', 'L5'),
      ],
      embeddings,
      0.8,
    );
    expect(groups.map((g) => ({ q: g.question, n: g.count, last: g.lastAsked, link: g.link, variants: g.variants }))).toEqual([
      { q: 'how do I reset my password', n: 3, last: '2026-03-04T00:00:00Z', link: 'L3', variants: ['password reset not working'] },
      { q: 'Can I get a refund?', n: 1, last: '2026-03-05T00:00:00Z', link: 'L5', variants: [] },
      { q: 'How do I install it?', n: 1, last: '2026-03-01T00:00:00Z', link: 'L1', variants: [] },
    ]);
  });

  it('a stricter similarity keeps different wordings apart', async () => {
    const groups = await groupGaps([gap('1', 'reset password?', 'a'), gap('2', 'password and refund', 'b')], embeddings, 0.99);
    expect(groups).toHaveLength(2);
  });
});

describe('recheckGaps', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'docent-gaps-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('asks each open wording once and closes those now answered; a 👎 answer closes only once the answer changed', async () => {
    const s = await InsightsStore.open(path.join(dir, 'g.db'));
    const refused = { answered: false, answer: 'not found', sources: [] };
    await s.recordQuestion({ id: 'r1', question: 'How do I install it?', ...refused });
    await s.recordQuestion({ id: 'r2', question: 'how do I install it', ...refused });
    await s.recordQuestion({ id: 'r3', question: 'What is the refund policy?', ...refused });
    await s.recordQuestion({ id: 'v1', question: 'What is Wukong?', answered: true, answer: 'old answer', sources: [] });
    await s.recordVote({ answerId: 'v1', userId: 'u', vote: 'down' });
    const asked: string[] = [];
    const answers: Record<string, string> = { install: 'Run npm ci. [1]', wukong: 'old answer' };
    const ask = async (question: string) => {
      asked.push(question);
      const answer = Object.entries(answers).find(([w]) => question.toLowerCase().includes(w))?.[1];
      return { answered: answer !== undefined, answer: answer ?? 'not found', generation: 'gen-0002' };
    };
    expect(await recheckGaps(s, ask)).toEqual({ closed: 1, asked: 3, generation: 'gen-0002' });
    expect(asked.sort()).toEqual(['What is Wukong?', 'What is the refund policy?', 'how do I install it']);
    expect((await s.openGaps()).map((g) => g.id).sort()).toEqual(['r3', 'v1']);
    answers.wukong = 'A better answer. [1]';
    expect((await recheckGaps(s, ask)).closed).toBe(1);
    expect((await s.openGaps()).map((g) => g.id)).toEqual(['r3']);
    await s.close();
  });
});
