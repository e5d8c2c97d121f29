import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../src/discord/split-message.js';

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const fences = (s: string) => (s.match(/```/g) ?? []).length;

describe('splitMessage', () => {
  it('returns short text as one part and blank text as none', () => {
    expect(splitMessage('Hello [1].')).toEqual(['Hello [1].']);
    expect(splitMessage('  \n\n ')).toEqual([]);
  });

  it('cuts between paragraphs first', () => {
    const a = 'a'.repeat(30);
    const b = 'b'.repeat(30);
    expect(splitMessage(`${a}\n\n${b}`, 40)).toEqual([a, b]);
    expect(splitMessage(`${a}\n\n${b}`, 80)).toEqual([`${a}\n\n${b}`]);
  });

  it('cuts a long paragraph between sentences, not inside a word', () => {
    const text = 'The first sentence is here. The second sentence follows it. The third one ends it.';
    expect(splitMessage(text, 60)).toEqual(['The first sentence is here. The second sentence follows it.', 'The third one ends it.']);
  });

  it('never cuts inside a quotation when a boundary outside it exists', () => {
    const text = 'He said: "One. Two. Three. Four. Five." Then he left the room. Later he came back.';
    const parts = splitMessage(text, 50);
    for (const p of parts) expect((p.match(/"/g) ?? []).length % 2).toBe(0);
    expect(parts[0]).toBe('He said: "One. Two. Three. Four. Five."');
  });

  it('keeps a fenced code block whole when it fits a part', () => {
    const code = '```js\n' + Array.from({ length: 10 }, (_, i) => `console.log(${i}); // line ${i}`).join('\n') + '\n```';
    const text = `${'Intro sentence. '.repeat(20).trim()}\n\n${code}\n\n${'Outro sentence. '.repeat(20).trim()}`;
    const parts = splitMessage(text, 400);
    expect(parts).toContain(code);
    for (const p of parts) expect(fences(p) % 2).toBe(0);
  });

  it('re-fences a code block longer than a part, splitting between lines', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} of the program`);
    const parts = splitMessage('```py\n' + lines.join('\n') + '\n```', 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(200);
      expect(p.startsWith('```py\n')).toBe(true);
      expect(p.endsWith('\n```')).toBe(true);
    }
    expect(parts.map((p) => p.slice(6, -4)).join('\n')).toBe(lines.join('\n'));
  });

  it('splits a single over-long word hard (the only way to respect the limit)', () => {
    const parts = splitMessage('x'.repeat(95), 40);
    expect(parts.every((p) => p.length <= 40)).toBe(true);
    expect(parts.join('')).toBe('x'.repeat(95));
  });

  it('property: parts respect the limit and keep every word, in order, whole', () => {
    const word = fc.stringMatching(/^[a-z]{1,12}$/);
    const sentence = fc.array(word, { minLength: 1, maxLength: 20 }).map((w) => w.join(' ') + '.');
    const para = fc.array(sentence, { minLength: 1, maxLength: 12 }).map((s) => s.join(' '));
    const text = fc.array(para, { minLength: 1, maxLength: 8 }).map((p) => p.join('\n\n'));
    fc.assert(
      fc.property(text, fc.integer({ min: 40, max: 400 }), (t, max) => {
        const parts = splitMessage(t, max);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
        expect(norm(parts.join(' '))).toBe(norm(t));
      }),
      { numRuns: 200, seed: Number(process.env.DOCENT_FC_SEED ?? 20261128) },
    );
  });

  it('property: with code blocks and quotations that fit, no part cuts one open', () => {
    const word = fc.stringMatching(/^[a-z]{1,10}$/);
    const words = (min: number, max: number) => fc.array(word, { minLength: min, maxLength: max }).map((w) => w.join(' '));
    const sentence = fc.oneof(
      words(1, 15).map((w) => w + '.'),
      fc.tuple(words(1, 5), words(1, 8)).map(([a, q]) => `${a} "${q}. ${q}!" ${a}.`),
    );
    const prose = fc.array(sentence, { minLength: 1, maxLength: 15 }).map((s) => s.join(' '));
    const code = fc.array(words(1, 6), { minLength: 1, maxLength: 5 }).map((lines) => '```\n' + lines.join('\n') + '\n```');
    const text = fc.array(fc.oneof(prose, prose, code), { minLength: 1, maxLength: 10 }).map((p) => p.join('\n\n'));
    fc.assert(
      fc.property(text, fc.integer({ min: 300, max: 800 }), (t, max) => {
        const parts = splitMessage(t, max);
        for (const p of parts) {
          expect(p.length).toBeLessThanOrEqual(max);
          expect(fences(p) % 2).toBe(0);
          expect((p.match(/"/g) ?? []).length % 2).toBe(0);
        }
        expect(norm(parts.join(' '))).toBe(norm(t));
      }),
      { numRuns: 300, seed: Number(process.env.DOCENT_FC_SEED ?? 20261129) },
    );
  });
});
