import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/ingest/chunker.js';
import { LexicalIndex } from '../../../src/index/lexical.js';
import type { LoadedDoc } from '../../../src/types.js';

const text = ['# Garden', '', '## Tomatoes', '', 'Tomatoes need six hours of sun.', '', '## Compost', '', 'Compost is ready after three months of turning.', '', '## Bikes', '', 'Oil the chain every 300 kilometres.'].join('\n');
const doc: LoadedDoc = { source: 'g.md', format: 'md', title: 'Garden', text, bodyStart: 0, meta: {}, contentHash: 'h', bytes: text.length };

describe('LexicalIndex on disk (lexical.json + lexical.bin)', async () => {
  const built = LexicalIndex.build(await chunkDocument(doc, { minChars: 1 }));

  it('GIVEN an index written with toFiles THEN it loads back and ranks exactly as before', async () => {
    const { json, bin } = built.toFiles();
    expect(json.length).toBeLessThan(2000);
    const loaded = LexicalIndex.fromFiles(json, bin);
    for (const q of ['tomatoes sun', 'compost months', 'chain kilometres', 'garden']) expect(loaded.search(q, 5)).toEqual(built.search(q, 5));
    expect(loaded.idf('compost')).toBe(built.idf('compost'));
  });

  it('GIVEN the binary file is short THEN loading fails with a reason', async () => {
    const { json, bin } = built.toFiles();
    expect(() => LexicalIndex.fromFiles(json, bin.subarray(0, bin.length - 4))).toThrow(/shorter/);
  });

  it('GIVEN a lexical.json of an earlier format (postings in the JSON, or MiniSearch’s) THEN loading refuses it by name', async () => {
    const { bin } = built.toFiles();
    expect(() => LexicalIndex.fromFiles(JSON.stringify({ format: 'docent-bm25', version: 1, terms: [] }), bin)).toThrow(/not a docent-bm25 index of version 2/);
    expect(() => LexicalIndex.fromFiles(JSON.stringify({ ms: {}, df: [], size: 0 }), bin)).toThrow(/not a docent-bm25 index of version 2/);
  });
});
