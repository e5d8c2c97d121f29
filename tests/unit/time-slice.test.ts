/**
 * The re-index runs on the thread that answers questions, in slices: between them the event loop
 * runs whatever waits (a question that arrived, timers, I/O). Sliced work produces exactly what
 * the one-piece work did.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { chunkDocument } from '../../src/ingest/chunker.js';
import { Docent } from '../../src/pipeline.js';
import { LexicalIndex } from '../../src/index/lexical.js';
import { TIME_SLICE, TimeSlice } from '../../src/time-slice.js';

const saved = TIME_SLICE.ms;
afterEach(() => {
  TIME_SLICE.ms = saved;
});

const paragraph = (i: number) => `Section ${i} of the field guide. The wombat ${i} digs burrows near river ${i % 7}; its neighbour, the quokka ${i}, does not.`;

describe('sliced work is the same work', () => {
  it('GIVEN chunks THEN the sliced chunking and the sliced BM25 build are the one-piece ones', async () => {
    TIME_SLICE.ms = 0;
    const doc = { source: 'guide.md', format: 'md' as const, title: 'Guide', text: Array.from({ length: 40 }, (_, i) => `## Part ${i}\n\n${paragraph(i)}`).join('\n\n'), bodyStart: 0, meta: {}, contentHash: 'x', bytes: 0 };
    const chunks = await chunkDocument(doc, { slice: new TimeSlice() });
    expect(chunks).toEqual(await chunkDocument(doc));
    expect((await LexicalIndex.buildSliced(chunks)).toFiles()).toEqual(LexicalIndex.build(chunks).toFiles());
  });
});

describe('a question during a re-index', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN a question that arrives while the BM25 index is being built THEN it is answered before the index is done (the build pauses between chunks)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'docent-slice-'));
    const corpus = path.join(dir, 'corpus');
    mkdirSync(corpus);
    for (let d = 0; d < 3; d++) writeFileSync(path.join(corpus, `guide-${d}.md`), `# Guide ${d}\n\n${Array.from({ length: 12 }, (_, i) => paragraph(d * 12 + i)).join('\n\n')}\n`);
    writeFileSync(path.join(corpus, 'falcon.md'), '# Project Falcon\n\nProject Falcon is the delivery-drone programme led by Mei Chen.\n');
    const config = loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_INDEX_DIR: path.join(dir, 'index'), DOCENT_EMBEDDER: 'hash' }, { cwd: dir });
    // no look at CURRENT per question: the answer needs no I/O, only turns of the event loop
    const docent = await Docent.open(config, { refreshMs: 60_000 });
    try {
      expect((await docent.answer('Who leads Project Falcon?')).answer).toContain('Mei Chen');
      TIME_SLICE.ms = 0;
      const events: string[] = [];
      let answer: Promise<string> | undefined;
      // the gate: a question arrives on the 3rd turn of the event loop after the BM25 build starts
      // (as a message would, from I/O); a build that gives no turns while it indexes answers it
      // only once the index is done
      const arriveAfterTurns = (n: number) => setImmediate(() => (n > 1 ? arriveAfterTurns(n - 1) : (answer = docent.answer('Who leads Project Falcon?').then((r) => (events.push('answered'), r.answer)))));
      await docent.reindex({
        force: true,
        onProgress: (p) => {
          if (p.stage !== 'index') return;
          events.push(`index ${p.done}/${p.total}`);
          if (p.done === 1) arriveAfterTurns(3);
        },
      });
      expect(events).toEqual(['index 0/2', 'index 1/2', 'answered', 'index 2/2']);
      expect(await answer).toContain('Mei Chen');
    } finally {
      await docent.close();
    }
  });
});
