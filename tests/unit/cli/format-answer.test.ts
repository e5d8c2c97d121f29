import { describe, expect, it } from 'vitest';
import { formatAnswer } from '../../../src/cli/common.js';
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
});
