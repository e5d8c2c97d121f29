import { describe, expect, it, vi } from 'vitest';
import { SENTENCE_WINDOWS, sentenceSpans } from '../../../src/text/sentences.js';

describe('sentenceSpans', () => {
  it('does not break after "vs." or "U.S." and treats lines as hard breaks', async () => {
    const t = 'Revenue missed ($41.4B vs. expected $41.9B), and income fell. No company in the U.S. has this. Perhaps Amazon.\nNext line';
    const spans = sentenceSpans(t, 0, t.length).map(([a, b]) => t.slice(a, b));
    expect(spans).toEqual(['Revenue missed ($41.4B vs. expected $41.9B), and income fell.', 'No company in the U.S. has this.', 'Perhaps Amazon.', 'Next line']);
  });

  it('does not break after an initial, an abbreviation or inside brackets', async () => {
    const t = 'A committee headed by Nicholas E. Golovin met in July. Jacques Lefevre (c. 1455–1536) taught. Dr. Smith agreed.';
    const spans = sentenceSpans(t, 0, t.length).map(([a, b]) => t.slice(a, b));
    expect(spans).toEqual(['A committee headed by Nicholas E. Golovin met in July.', 'Jacques Lefevre (c. 1455–1536) taught.', 'Dr. Smith agreed.']);
  });

  it('abbreviations end no sentence whatever their case, and a quotation is never cut', async () => {
    const t = 'The No. 1 seed won. The no. 2 seed lost. He said “We won. We are happy.” Then he left. She wrote "Go. Now." and went.';
    const spans = sentenceSpans(t, 0, t.length).map(([a, b]) => t.slice(a, b));
    expect(spans).toEqual(['The No. 1 seed won.', 'The no. 2 seed lost.', 'He said “We won. We are happy.”', 'Then he left.', 'She wrote "Go. Now." and went.']);
  });
});

describe('sentenceSpans on long lines (linear time)', () => {
  // the splitter before the windows: the whole line given to the segmenter at once (quadratic),
  // kept as the oracle for the windowed one
  const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
  const INITIAL = /(?:^|[\s(\[])\p{Lu}\.\s*$/u;
  const ABBREVIATION = /(?:^|[\s(\[])(?:c|ca|cf|vs|v|e\.g|i\.e|etc|al|approx|no|nos|vol|pp?|fig|mr|mrs|ms|dr|prof|sr|jr|st|mt|gen|col|lt|capt|sgt|gov|rev|hon|inc|ltd|co|corp|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.\s*$/iu;
  function unbalanced(text: string): boolean {
    let depth = 0;
    let curly = 0;
    let straight = 0;
    for (const ch of text) {
      if (ch === '(' || ch === '[') depth++;
      else if ((ch === ')' || ch === ']') && depth > 0) depth--;
      else if (ch === '“') curly++;
      else if (ch === '”' && curly > 0) curly--;
      else if (ch === '"') straight++;
    }
    return depth > 0 || curly > 0 || straight % 2 === 1;
  }
  function wholeLineSpans(text: string): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let pending: number | null = null;
    const trimmed = (a: number, b: number) => {
      while (a < b && /\s/.test(text[a])) a++;
      while (b > a && /\s/.test(text[b - 1])) b--;
      if (b > a) out.push([a, b]);
    };
    for (const seg of segmenter.segment(text)) {
      const a: number = pending ?? seg.index;
      const b = seg.index + seg.segment.length;
      const joined = text.slice(a, b);
      if (b < text.length && (INITIAL.test(joined) || ABBREVIATION.test(joined) || unbalanced(joined))) {
        pending = a;
        continue;
      }
      pending = null;
      trimmed(a, b);
    }
    if (pending !== null) trimmed(pending, text.length);
    return out;
  }

  /** Seeded sentences of words, abbreviations, numbers, quotes, brackets, CJK and odd spacing. */
  function generatedLine(seed: number, chars: number): string {
    let x = seed;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)];
    const words = ['The', 'quick', 'fox', 'U.S.', 'e.g.', 'Dr.', 'a', 'B', '3.5', '1.', 'vs.', 'No.', 'etc.', 'Nicholas E.', '$41.4B', '中文', 'É', 'x\u0301', '(c.', '1455)', '“We', 'won.”', '"Go.', 'Now."', "it's", 'ß', '«', '»', '\u00ad', '[note', '2]'];
    const ends = ['.', '!', '?', '...', '。', '."', '!)', '?”', '', ';', '.\u00a0'];
    let s = '';
    while (s.length < chars) {
      const n = 1 + Math.floor(rnd() * 9);
      for (let i = 0; i < n; i++) s += pick(words) + pick([' ', ' ', ' ', '  ', '']);
      s += pick(ends) + pick([' ', ' ', '  ', '', ' \t ']);
    }
    return s;
  }

  const withWindows = <T>(window: number, max: number, f: () => T): T => {
    const saved = { ...SENTENCE_WINDOWS };
    Object.assign(SENTENCE_WINDOWS, { window, max });
    try {
      return f();
    } finally {
      Object.assign(SENTENCE_WINDOWS, saved);
    }
  };

  it('GIVEN generated lines cut into small windows THEN the sentences are exactly those of the whole line', () => {
    for (let seed = 1; seed <= 16; seed++) {
      const line = generatedLine(seed, 1200 + seed * 50);
      const [window, max] = [[16, 256], [32, 300], [64, 512], [8, 200]][seed % 4];
      expect(withWindows(window, max, () => sentenceSpans(line, 0, line.length)), `seed ${seed}`).toEqual(wholeLineSpans(line));
    }
    const long = generatedLine(99, 20_000);
    expect(sentenceSpans(long, 0, long.length)).toEqual(wholeLineSpans(long));
  });

  /**
   * The work of splitting one line: for every segment the segmenter yields, the length of the text
   * it was given (its cost per segment grows with that length), plus the characters every pattern
   * test read.
   */
  function splittingWork(line: string): number {
    const realSegment = Intl.Segmenter.prototype.segment;
    const realTest = RegExp.prototype.test;
    let work = 0;
    const segmentSpy = vi.spyOn(Intl.Segmenter.prototype, 'segment').mockImplementation(function (this: Intl.Segmenter, input: string) {
      const segs = realSegment.call(this, input);
      return Object.assign(Object.create(segs) as Intl.Segments, {
        *[Symbol.iterator]() {
          for (const s of segs) {
            work += input.length;
            yield s;
          }
        },
      });
    });
    const testSpy = vi.spyOn(RegExp.prototype, 'test').mockImplementation(function (this: RegExp, s: string) {
      work += String(s).length;
      return realTest.call(this, s);
    });
    try {
      sentenceSpans(line, 0, line.length);
    } finally {
      segmentSpy.mockRestore();
      testSpy.mockRestore();
    }
    return work;
  }

  it.each([
    ['sentences', 'The fund grew 4% in March. Dr. Li said so! Was it enough? It was. '],
    ['a quotation left open at the start', '"The fund grew 4% in March. Dr. Li said so! Was it enough? It was. '],
  ])('GIVEN one line of %s twice as long THEN splitting it does at most about twice the work', (_, opening) => {
    const line = (n: number) => opening + 'The committee met again in May. It agreed on a plan! '.repeat(n);
    const once = splittingWork(line(600));
    const twice = splittingWork(line(1200));
    expect(twice / once).toBeLessThan(3);
  });
});
