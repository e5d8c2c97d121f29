import { describe, expect, it } from 'vitest';
import { chunkDocument, isHeadingLike } from '../../../src/ingest/chunker.js';
import type { LoadedDoc } from '../../../src/types.js';

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
