import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsightsStore, type QuestionRecord } from '../../../src/insights/store.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-insights-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const src = (source: string, n = 1) => ({ n, source, title: source.replace('.md', ''), section: '', lines: [1, 1] as [number, number] });
const q = (id: string, over: Partial<QuestionRecord> = {}): QuestionRecord => ({ id, question: `question ${id}`, answered: true, answer: `answer ${id}`, sources: [src('a.md')], ...over });

describe('InsightsStore', () => {
  it('creates the database on first use, one vote state per user per answer, kept across a reopen', async () => {
    const file = path.join(dir, 'votes', 'insights.db');
    const s = await InsightsStore.open(file);
    await access(file);
    await s.recordQuestion(q('a1'));
    const base = { answerId: 'a1', userId: 'u1' };
    expect(await s.recordVote({ ...base, vote: 'up' })).toBeUndefined();
    expect(await s.recordVote({ ...base, vote: 'down' })).toBe('up');
    expect(await s.recordVote({ ...base, vote: 'down' })).toBe('down');
    // applied one at a time: each sees the vote before it
    const prev = await Promise.all([s.recordVote({ ...base, userId: 'u2', vote: 'up' }), s.recordVote({ ...base, userId: 'u2', vote: 'down' })]);
    expect(prev).toEqual([undefined, 'up']);
    expect(await s.claimDownvoteNotice('a1')).toBe(true);
    expect(await s.claimDownvoteNotice('a1')).toBe(false);
    await s.close();
    const again = await InsightsStore.open(file);
    expect(await again.votesOn('a1')).toEqual([{ userId: 'u1', vote: 'down' }, { userId: 'u2', vote: 'down' }]);
    expect(await again.claimDownvoteNotice('a1')).toBe(false);
    await again.close();
  });

  it('moves an existing feedback.jsonl in once: last vote per user wins, a torn line is skipped, 👎 answers become gaps', async () => {
    const sub = await mkdtemp(path.join(dir, 'migrate-'));
    const jsonl = path.join(sub, 'feedback.jsonl');
    const e = (answerId: string, userId: string, vote: string) =>
      JSON.stringify({ time: '2026-03-01T10:00:00.000Z', answerId, messageId: 'm-' + answerId, userId, vote, question: `Q ${answerId}?`, answer: `A ${answerId}`, sources: [src('old.md')] });
    await writeFile(jsonl, [e('x1', 'u1', 'up'), e('x1', 'u1', 'down'), e('x2', 'u2', 'up'), '{"torn'].join('\n'), 'utf8');
    const file = path.join(sub, 'insights.db');
    const s = await InsightsStore.open(file, { migrateFrom: jsonl });
    expect(await s.voteOf('x1', 'u1')).toBe('down');
    expect(await s.voteOf('x2', 'u2')).toBe('up');
    expect((await s.openGaps()).map((g) => [g.question, g.kind])).toEqual([['Q x1?', 'downvoted']]);
    // the old 👎 was already announced to the moderators
    expect(await s.claimDownvoteNotice('x1')).toBe(false);
    await s.close();
    // the file is kept, renamed; a second open imports nothing again
    await access(`${jsonl}.migrated`);
    await writeFile(jsonl, e('x2', 'u2', 'down'), 'utf8');
    const again = await InsightsStore.open(file, { migrateFrom: jsonl });
    expect(await again.voteOf('x2', 'u2')).toBe('up');
    expect(await readFile(jsonl, 'utf8')).toContain('x2');
    await again.close();
  });

  it('gaps: refused, silent and 👎 questions are open until closed; stats count questions per day, votes, hand-offs, solved and top sources', async () => {
    const s = await InsightsStore.open(path.join(dir, 'stats.db'));
    await s.recordQuestion(q('d1', { askedAt: '2026-03-19T09:00:00.000Z', sources: [src('a.md'), src('b.md', 2)] }));
    await s.recordQuestion(q('d2', { askedAt: '2026-03-20T09:00:00.000Z' }));
    await s.recordQuestion(q('d3', { askedAt: '2026-03-20T10:00:00.000Z', answered: false, answer: 'no', sources: [] }));
    await s.recordGap({ question: 'unasked one', askedAt: '2026-03-20T11:00:00.000Z', link: 'https://discord.com/channels/1/2/3' });
    await s.recordVote({ answerId: 'd1', userId: 'u', vote: 'up', time: '2026-03-20T12:00:00.000Z' });
    await s.recordVote({ answerId: 'd2', userId: 'u', vote: 'down', time: '2026-03-20T12:00:00.000Z' });
    await s.recordHandOff('d3');
    await s.recordHandOff('d3');
    await s.recordSolved('d1');
    const gaps = await s.openGaps();
    expect(gaps.map((g) => [g.question, g.kind])).toEqual([['unasked one', 'silent'], ['question d3', 'refused'], ['question d2', 'downvoted']]);
    const stats = await s.stats({ days: 7, now: new Date('2026-03-20T18:00:00.000Z') });
    expect(stats).toEqual({
      perDay: [{ day: '2026-03-19', questions: 1, answered: 1 }, { day: '2026-03-20', questions: 3, answered: 1 }],
      questions: 4,
      answered: 2,
      up: 1,
      down: 1,
      handOffs: 2,
      solved: 1,
      topSources: [{ source: 'a.md', title: 'a', answers: 2 }, { source: 'b.md', title: 'b', answers: 1 }],
      openGaps: 3,
    });
    await s.closeGaps([gaps[0].id, gaps[1].id], 'gen-0002');
    expect((await s.openGaps()).map((g) => g.question)).toEqual(['question d2']);
    await s.close();
  });
  it('collections: a database from before them keeps its questions as the default collection’s; gaps and stats of one collection count only its questions and the votes on its answers', async () => {
    const file = path.join(dir, 'old', 'insights.db');
    await mkdir(path.dirname(file), { recursive: true });
    // the schema as the first release created it, with one refused question
    const { createClient } = await import('@libsql/client');
    const old = createClient({ url: `file:${file}` });
    await old.batch([
      `CREATE TABLE questions (id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, via TEXT NOT NULL, user_id TEXT, question TEXT NOT NULL, answered INTEGER NOT NULL, support REAL,
        citations INTEGER NOT NULL, sources TEXT NOT NULL, answer TEXT NOT NULL, link TEXT, generation TEXT, gap INTEGER NOT NULL DEFAULT 0, hand_offs INTEGER NOT NULL DEFAULT 0,
        solved INTEGER, closed_at TEXT, closed_by TEXT)`,
      `INSERT INTO questions (id, asked_at, via, question, answered, citations, sources, answer) VALUES ('old1', '2026-03-20T10:00:00.000Z', 'discord', 'Where is the old manual?', 0, 0, '[]', '')`,
    ], 'write');
    old.close();

    const s = await InsightsStore.open(file, { defaultCollection: 'main' });
    const now = new Date('2026-03-20T18:00:00.000Z');
    const at = '2026-03-20T12:00:00.000Z';
    await s.recordQuestion(q('m1', { askedAt: at }));
    await s.recordQuestion(q('a1', { askedAt: at, collection: 'acme', guildId: '123456789012345678', sources: [src('acme.md')] }));
    await s.recordQuestion(q('a2', { askedAt: at, collection: 'acme', answered: false, question: 'What is Falcon?' }));
    await s.recordVote({ answerId: 'a1', userId: 'u1', vote: 'down', time: at });
    await s.recordVote({ answerId: 'm1', userId: 'u1', vote: 'up', time: at });

    expect((await s.openGaps({ collection: 'main' })).map((g) => g.question)).toEqual(['Where is the old manual?']);
    expect((await s.openGaps({ collection: 'acme' })).map((g) => g.question).sort()).toEqual(['What is Falcon?', 'question a1']);
    expect(await s.openGaps({ collection: 'beta' })).toEqual([]);
    expect(await s.openGaps()).toHaveLength(3);
    const acme = await s.stats({ days: 1, now, collection: 'acme' });
    expect(acme).toMatchObject({ questions: 2, answered: 1, up: 0, down: 1, openGaps: 2, topSources: [{ source: 'acme.md', title: 'acme', answers: 1 }] });
    expect(await s.stats({ days: 1, now, collection: 'main' })).toMatchObject({ questions: 2, answered: 1, up: 1, down: 0, openGaps: 1 });
    await s.close();
    // opened again: migrated once, nothing lost
    const again = await InsightsStore.open(file, { defaultCollection: 'main' });
    expect((await again.openGaps({ collection: 'main' })).map((g) => g.id)).toEqual(['old1']);
    await again.close();
  });
});
