import { describe, expect, it, vi } from 'vitest';
import { SENTENCE_WINDOWS, chunkDocument, isHeadingLike, sentenceSpans } from '../../src/ingest/chunker.js';
import type { LoadedDoc } from '../../src/types.js';

function doc(text: string, format: LoadedDoc['format'] = 'txt', bodyStart = 0): LoadedDoc {
  return { source: `notes.${format}`, format, title: 'Notes', text, bodyStart, meta: {}, contentHash: 'x', bytes: text.length };
}

const PLAIN = [
  'Intro paragraph about the company and its plans for the year.',
  'The Three Pillars',
  '1. Qwen — The Consumer Agent',
  'Qwen is the consumer app. It launched in November 2025.',
  '2. Wukong — The Enterprise Agent Platform',
  'Wukong is the enterprise AI platform, built on Qwen models.',
  'What This Means',
  'The agent era is splitting:',
  '| | Western Stack | China Stack |',
  '|---|---|---|',
  '| Consumer agents | ChatGPT, Claude | Qwen app, ByteDance Doubao |',
  '| Agent frameworks | OpenClaw, LangChain | Alibaba Token Hub, QClaw |',
  'Closing words follow here.',
].join('\n');

describe('chunkDocument', () => {
  it('GIVEN plain text with heading-like lines THEN chunks carry the heading path, numbered titles nest under the section', async () => {
    const chunks = await chunkDocument(doc(PLAIN));
    const wukong = chunks.find((c) => c.text.startsWith('Wukong is'))!;
    expect(wukong.headings).toEqual(['The Three Pillars', '2. Wukong — The Enterprise Agent Platform']);
    const qwen = chunks.find((c) => c.text.startsWith('Qwen is'))!;
    expect(qwen.headings).toEqual(['The Three Pillars', '1. Qwen — The Consumer Agent']);
    expect(chunks.find((c) => c.text.startsWith('Intro'))!.headings).toEqual([]);
  });

  it('GIVEN a table THEN each row is a chunk that keeps the header row and its own line range', async () => {
    const chunks = await chunkDocument(doc(PLAIN));
    const rows = chunks.filter((c) => c.kind === 'table');
    expect(rows).toHaveLength(2);
    const consumer = rows.find((r) => r.text.includes('Consumer agents'))!;
    expect(consumer.text.split('\n')[0]).toBe('| | Western Stack | China Stack |');
    expect(consumer.text).toContain('Qwen app, ByteDance Doubao');
    expect(consumer.lineStart).toBe(11);
    expect(consumer.lineEnd).toBe(11);
    expect(consumer.headings).toEqual(['What This Means']);
  });

  it('GIVEN any chunk that is not a table row THEN its text is the exact slice of the document at its range and lines', async () => {
    const d = doc(PLAIN);
    const lines = PLAIN.split('\n');
    for (const c of await chunkDocument(d)) {
      if (c.kind === 'table') continue;
      expect(c.text).toBe(PLAIN.slice(c.start, c.end));
      expect(lines.slice(c.lineStart - 1, c.lineEnd).join('\n')).toContain(c.text.split('\n')[0]);
    }
  });

  it('GIVEN Markdown headings and front matter THEN line numbers are the file lines and front matter is not chunked', async () => {
    const md = '---\ntitle: T\n---\n# Guide\n\n## Setup\n\nInstall the thing.\nThen run it.\n\n## Usage\n\n- one\n- two\n';
    const chunks = await chunkDocument(doc(md, 'md', md.indexOf('# Guide')));
    expect(chunks.some((c) => c.text.includes('title: T'))).toBe(false);
    const setup = chunks.find((c) => c.text.includes('Install'))!;
    expect(setup.headings).toEqual(['Guide', 'Setup']);
    expect([setup.lineStart, setup.lineEnd]).toEqual([8, 9]);
    const usage = chunks.find((c) => c.kind === 'list')!;
    expect(usage.headings).toEqual(['Guide', 'Usage']);
    expect([usage.lineStart, usage.lineEnd]).toEqual([13, 14]);
  });

  it('GIVEN an intro line ending with ":" THEN the list it introduces stays in the same chunk', async () => {
    const chunks = await chunkDocument(doc('Alibaba owns the entire commerce stack:\n- Taobao — e-commerce\n- Cainiao — logistics\n'));
    expect(chunks).toHaveLength(1);
    expect(chunks[0].kind).toBe('list');
    expect(chunks[0].text).toContain('Cainiao — logistics');
  });

  it('GIVEN a very long paragraph THEN it is split at sentence boundaries under the size limit', async () => {
    const sentence = 'This sentence is about retrieval and has several words in it. ';
    const text = sentence.repeat(40).trim();
    const chunks = await chunkDocument(doc(text), { maxChars: 300 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(c.text.endsWith('.')).toBe(true);
    }
  });

  it('GIVEN one endless sentence over the limit THEN it is cut at separators into pieces that are exact slices, in order', async () => {
    const items = Array.from({ length: 120 }, (_, i) => `item number ${i} with a few words`).join(', ');
    const text = `Intro line.\n${items}\nOutro line.`;
    const chunks = await chunkDocument(doc(text), { maxChars: 300 });
    const pieces = chunks.filter((c) => c.text.includes('item number'));
    expect(pieces.length).toBeGreaterThan(10);
    let last = -1;
    for (const c of pieces) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(text.slice(c.start, c.end)).toBe(c.text);
      expect(c.start).toBeGreaterThan(last);
      expect(c.lineStart <= 2 && c.lineEnd >= 2).toBe(true); // short neighbours (intro, outro) may merge in
      last = c.start;
    }
    expect(pieces.map((c) => c.text).join(' ')).toContain('item number 119 with a few words');
  });

  it('GIVEN the same text twice THEN chunk ids are stable, and differ across sources', async () => {
    const a = (await chunkDocument(doc(PLAIN))).map((c) => c.id);
    const b = (await chunkDocument(doc(PLAIN))).map((c) => c.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    const other = (await chunkDocument({ ...doc(PLAIN), source: 'other.txt' })).map((c) => c.id);
    expect(other.some((id) => a.includes(id))).toBe(false);
  });
});

describe('isHeadingLike', () => {
  it.each([
    ['The Three Pillars', true],
    ['2. Wukong — The Enterprise Agent Platform', true],
    ['The Data Moat Problem OpenAI Can’t Solve', true],
    ['This is a sentence.', false],
    ['Alibaba owns the entire commerce stack:', false],
    ['- Taobao + Tmall — e-commerce marketplace', false],
    ['the lowercase start of something', false],
  ])('%s → %s', (line, want) => {
    expect(isHeadingLike(line, '', 'Body text follows here.')).toBe(want);
  });
});

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
