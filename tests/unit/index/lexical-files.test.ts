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

  it('GIVEN the binary file is missing or short THEN loading fails with a reason', async () => {
    const { json, bin } = built.toFiles();
    expect(() => LexicalIndex.fromFiles(json)).toThrow(/lexical\.bin is missing/);
    expect(() => LexicalIndex.fromFiles(json, bin.subarray(0, bin.length - 4))).toThrow(/shorter/);
  });

  it('GIVEN a lexical.json of the earlier all-JSON format THEN it still loads', async () => {
    const loaded = LexicalIndex.fromFiles(built.toJSON());
    expect(loaded.search('tomatoes sun', 5)).toEqual(built.search('tomatoes sun', 5));
  });
});
