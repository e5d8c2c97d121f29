/**
 * The compact chunk table (src/index/chunk-table.ts, index format 4): chunks and document texts
 * written as columns and one texts file come back exactly (fields, texts, quotes' offsets), with
 * texts outside Latin-1, table rows that carry their header, ids of any shape; the document texts
 * behave as the read-only Map the answerer uses; damage is refused with what is wrong.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadChunkTable, readChunkIds, writeChunkTable } from '../../../src/index/chunk-table.js';
import { DOC_TEXT_CACHE } from '../../../src/index/doc-texts.js';
import type { Chunk } from '../../../src/types.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-chunk-table-'));
  dirs.push(d);
  return d;
}

const GARDEN = '# Garden\n\n## Tomatoes\n\nTomatoes need six hours of sun.\n\n| plant | water |\n| --- | --- |\n| basil | daily |\n';
// outside Latin-1 (stored as UTF-16), with an emoji (a surrogate pair) and a lone surrogate
const KYOTO = '# 京都\n\nKyoto’s temples 🏯 open at 8:30.\n\nA stray \ud800 half.\n';
const DOCS = [
  { source: 'garden.md', text: GARDEN },
  { source: 'trips/kyoto.md', text: KYOTO },
  { source: 'empty.txt', text: '' },
];

function slice(source: string, text: string, part: string, extra: Partial<Chunk> = {}): Chunk {
  const start = text.indexOf(part);
  return { id: 'x', source, title: source === 'garden.md' ? 'Garden' : '京都', headings: [], kind: 'paragraph', text: part, start, end: start + part.length, lineStart: 1, lineEnd: 1, ...extra };
}

const CHUNKS: Chunk[] = [
  slice('garden.md', GARDEN, 'Tomatoes need six hours of sun.', { id: '0123456789abcdef0123', headings: ['Garden', 'Tomatoes'], lineStart: 5, lineEnd: 5 }),
  // a table row: its text is the header row plus the row, not a slice of the document
  { ...slice('garden.md', GARDEN, '| basil | daily |', { id: 'aaaaaaaaaaaaaaaaaaaa', headings: ['Garden', 'Tomatoes'], kind: 'table', lineStart: 9, lineEnd: 9 }), text: '| plant | water |\n| basil | daily |' },
  slice('trips/kyoto.md', KYOTO, 'Kyoto’s temples 🏯 open at 8:30.', { id: 'bbbbbbbbbbbbbbbbbbbb', headings: ['京都'], lineStart: 3, lineEnd: 3 }),
  slice('trips/kyoto.md', KYOTO, 'A stray \ud800 half.', { id: 'cccccccccccccccccccc', headings: ['京都'], kind: 'list', lineStart: 5, lineEnd: 5 }),
];

const plain = (c: Chunk): Chunk => ({ id: c.id, source: c.source, title: c.title, headings: [...c.headings], kind: c.kind, text: c.text, start: c.start, end: c.end, lineStart: c.lineStart, lineEnd: c.lineEnd });

describe('chunk table', () => {
  it('GIVEN chunks and documents written THEN every field, text and document text loads back exactly, and the ids are readable alone', async () => {
    const dir = await tempDir();
    const files = await writeChunkTable(dir, CHUNKS, DOCS);
    expect(Object.keys(files).sort()).toEqual(['chunk-table.bin', 'chunk-table.json', 'texts.bin']);
    const { chunks, docTexts } = await loadChunkTable(dir);
    expect(chunks.map(plain)).toEqual(CHUNKS);
    // what --json and the logs print
    expect(JSON.parse(JSON.stringify(chunks))).toEqual(CHUNKS);
    for (const d of DOCS) expect(docTexts.get(d.source)).toBe(d.text);
    expect(docTexts.get('missing.md')).toBeUndefined();
    expect(await readChunkIds(dir)).toEqual(CHUNKS.map((c) => c.id));
  });

  it('GIVEN ids that are not 20 hex digits THEN they are kept as they are', async () => {
    const dir = await tempDir();
    const odd = CHUNKS.map((c, i) => ({ ...c, id: `chunk ${i} ✓` }));
    await writeChunkTable(dir, odd, DOCS);
    expect((await loadChunkTable(dir)).chunks.map((c) => c.id)).toEqual(odd.map((c) => c.id));
    expect(await readChunkIds(dir)).toEqual(odd.map((c) => c.id));
  });

  it('GIVEN the loaded document texts THEN they behave as a read-only Map, and a small cache still gives every text right', async () => {
    const dir = await tempDir();
    await writeChunkTable(dir, CHUNKS, DOCS);
    const { docTexts } = await loadChunkTable(dir);
    expect(docTexts.size).toBe(3);
    expect(docTexts.has('garden.md')).toBe(true);
    expect(docTexts.has('nope.md')).toBe(false);
    expect([...docTexts.keys()]).toEqual(DOCS.map((d) => d.source));
    expect(Object.fromEntries(docTexts)).toEqual(Object.fromEntries(DOCS.map((d) => [d.source, d.text])));
    expect([...docTexts.values()]).toEqual(DOCS.map((d) => d.text));
    expect(() => docTexts.set('garden.md', 'changed')).toThrow(TypeError);
    expect(() => docTexts.delete('garden.md')).toThrow(TypeError);
    expect(() => docTexts.clear()).toThrow(TypeError);
    const saved = { ...DOC_TEXT_CACHE };
    try {
      DOC_TEXT_CACHE.entries = 1;
      for (let round = 0; round < 2; round++) for (const d of DOCS) expect(docTexts.get(d.source)).toBe(d.text);
    } finally {
      Object.assign(DOC_TEXT_CACHE, saved);
    }
  });

  it('GIVEN a chunk that lies outside its document, or a truncated column file THEN loading names the problem', async () => {
    const dir = await tempDir();
    const beyond = [{ ...CHUNKS[0], start: GARDEN.length - 2, end: GARDEN.length + 10, text: 'x'.repeat(12) }];
    // a text that is not the document's slice is stored with the chunk, so only the range can be wrong
    await writeChunkTable(dir, beyond, DOCS);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'chunk-table.json'), 'utf8'));
    json.texts = {};
    await fs.writeFile(path.join(dir, 'chunk-table.json'), JSON.stringify(json));
    await expect(loadChunkTable(dir)).rejects.toThrow('chunk 0123456789abcdef0123 points outside garden.md');

    const dir2 = await tempDir();
    await writeChunkTable(dir2, CHUNKS, DOCS);
    await fs.truncate(path.join(dir2, 'chunk-table.bin'), 20);
    await expect(loadChunkTable(dir2)).rejects.toThrow(/chunk-table.bin: the \w+ column is missing or of the wrong size/);
  });
});
