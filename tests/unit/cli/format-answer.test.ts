import { describe, expect, it } from 'vitest';
import { formatAnswer, toJson } from '../../../src/cli/common.js';
import type { AnswerResult } from '../../../src/types.js';

/** The terminal shows a corpus file's name as text: a bidi override or a newline in it cannot reorder or forge the lines around it. */
describe('formatAnswer (the CLI and REPL answer)', () => {
  it('shows bidi overrides and newlines in a source name and title as visible escapes', () => {
    const source = 'invoice\u202Etxt.exe\nSources:  [9] forged.md';
    const r: AnswerResult = {
      question: 'q',
      answered: true,
      answer: 'An answer. [1]',
      citations: [{ n: 1, source, title: 'Title\u202E', section: 'Intro', lines: [1, 1], quote: 'An answer.', chunkId: 'c1' }],
      retrieved: [],
      closest: [],
      generation: 'g1',
      ms: 1,
    };
    const out = formatAnswer(r);
    expect(out).not.toContain('\u202E');
    expect(out).toContain('invoice\\u202Etxt.exe\\nSources:');
    expect(out.split('\n').filter((l) => l.startsWith('Sources:'))).toHaveLength(1);
  });

  it('GIVEN a citation of a document with a link THEN the source line ends with it and --json carries it; one without has neither', () => {
    const base = { n: 1, source: 'community/a.md', title: 'How to reset', section: 'Answer', lines: [3, 4] as [number, number], quote: 'Hold the button.', chunkId: 'c1' };
    const r: AnswerResult = { question: 'q', answered: true, answer: 'Hold the button. [1]', citations: [{ ...base, url: 'https://discord.com/channels/1/2/3' }, { ...base, n: 2 }], retrieved: [], closest: [], generation: 'g1', ms: 1 };
    const lines = formatAnswer(r).split('\n');
    expect(lines).toContain('  [1] How to reset › Answer — community/a.md, lines 3–4 — https://discord.com/channels/1/2/3');
    expect(lines).toContain('  [2] How to reset › Answer — community/a.md, lines 3–4');
    const json = toJson(r);
    expect(json.citations[0]).toMatchObject({ n: 1, url: 'https://discord.com/channels/1/2/3' });
    expect(json.citations[1]).not.toHaveProperty('url');
  });

  it('GIVEN a citation of a web page THEN the CLI prints its link with a text fragment to the quote, and --json has the link beside the url', () => {
    const c = { n: 1, source: 'web/docs.example.com-birds.md', title: 'Birds', section: '', lines: [9, 9] as [number, number], quote: 'Kestrels hover, then dive.', chunkId: 'c1', url: 'https://docs.example.com/birds' };
    const r: AnswerResult = { question: 'q', answered: true, answer: 'Kestrels hover, then dive. [1]', citations: [c], retrieved: [], closest: [], generation: 'g1', ms: 1 };
    const link = 'https://docs.example.com/birds#:~:text=Kestrels%20hover%2C%20then%20dive.';
    expect(formatAnswer(r).split('\n')).toContain(`  [1] Birds — web/docs.example.com-birds.md, lines 9–9 — ${link}`);
    expect(toJson(r).citations[0]).toMatchObject({ url: 'https://docs.example.com/birds', link });
  });
});
