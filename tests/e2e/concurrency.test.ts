/**
 * Questions keep coming while the index is rebuilt and switched, in this process and in a child
 * process: no question fails, every answer comes from a complete generation, and each answer is
 * exactly the one that generation gives when it is loaded on its own afterwards.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { buildIndex } from '../../src/ingest/build.js';
import { listGenerations, readCurrentName, setCurrent, verifyGeneration } from '../../src/index/store.js';
import { Docent } from '../../src/pipeline.js';
import { createLogger } from '../../src/log.js';
import {
  DocumentGate,
  RecordingEmbeddings,
  copyDir,
  makeWorkspace,
  runIngest,
  shapeOf,
  snapshot,
  testConfig,
  writeFiller,
  type AnswerShape,
} from '../support/lifecycle-helpers.js';

const QUESTIONS = ['What is Wukong?', 'What is the Zanzibar protocol revision?', 'Who designed the extra module 2?', 'What is near marker m1x3x2?'];

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace('docent-conc-');
  await writeFiller(ws.corpus, 3, 10);
});
afterAll(async () => {
  await ws?.cleanup();
});

const ASKERS = 2;

interface Asked {
  q: string;
  generation: string;
  shape: AnswerShape;
}

describe('answering during re-indexes', () => {
  it('GIVEN 2 askers in a loop while 7 re-indexes (here and in a child process) and a rollback switch generations THEN no question fails and every answer is a known-good answer of a complete generation', async () => {
    const config = testConfig(ws.corpus, ws.index, { DOCENT_KEEP_GENERATIONS: '100' });
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const docent = await Docent.open(config, { autoBuild: false, embeddings: new RecordingEmbeddings(), refreshMs: 0 });

    const asked: Asked[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const onAnswer: Array<() => void> = [];
    const asker = async (w: number) => {
      for (let i = w; !stop; i++) {
        const q = QUESTIONS[i % QUESTIONS.length];
        try {
          const r = await docent.answer(q);
          asked.push({ q, generation: r.generation, shape: shapeOf(r) });
        } catch (err) {
          failures.push(err);
        }
        for (const notify of onAnswer.splice(0)) notify();
        await new Promise((r) => setImmediate(r));
      }
    };
    /** Resolves once every asker has had its turn on `generation`: ASKERS answers from it after index `from`. */
    const answeredOn = async (generation: string, from: number) => {
      while (asked.slice(from).filter((a) => a.generation === generation).length < ASKERS) {
        if (failures.length) throw failures[0];
        await new Promise<void>((r) => onAnswer.push(r));
      }
    };
    // two askers keep a question in flight at every turn of the event loop; the build, which now
    // yields every TIME_SLICE.ms, shares the thread with them (four made each re-index ~5× slower
    // without exercising anything two do not)
    const askers = Array.from({ length: ASKERS }, (_, w) => asker(w));

    const steps: string[] = [];
    const served: string[] = [];
    onTestFailed(() => console.log(`concurrency: ${asked.length} answers; steps: ${steps.join('; ')}`));
    const writers = async () => {
      for (let step = 1; step <= 8; step++) {
        if (step === 6) {
          const { generation } = await docent.rollback();
          steps.push(`rollback -> ${generation}`);
          continue;
        }
        if (step % 2) await fs.writeFile(path.join(ws.corpus, 'zanzibar.md'), `# Zanzibar protocol\n\nThe Zanzibar protocol revision is R-${step}${step}${step}.\n`);
        else await fs.writeFile(path.join(ws.corpus, `extra-${step}.md`), `# Extra module ${step}\n\nThe extra module ${step} was designed by engineer number ${step * 7}.\n`);
        if (step === 3 || step === 7) {
          const r = await runIngest(['--corpus', ws.corpus, '--index', ws.index, '--quiet'], { DOCENT_KEEP_GENERATIONS: '100' });
          expect(r.code, r.stderr).toBe(0);
          steps.push(`child: ${r.stdout.split('\n')[0]}`);
        } else {
          const r = await docent.reindex();
          steps.push(`in-process: ${r.generation} (${r.embedded} embedded)`);
        }
        // the askers answer from this generation before the next step (a gate, not a pause)
        const generation = (await readCurrentName(ws.index))!;
        served.push(generation);
        await answeredOn(generation, asked.length);
      }
    };
    try {
      await writers();
    } finally {
      stop = true;
      await Promise.all(askers);
    }
    await docent.close();

    expect(failures).toEqual([]);
    const gens = await listGenerations(ws.index);
    expect(gens).toHaveLength(8);
    const seen = [...new Set(asked.map((a) => a.generation))].sort();
    // every generation that answered is complete, and every step's generation answered
    for (const g of seen) {
      expect(gens).toContain(g);
      await verifyGeneration(path.join(ws.index, g));
    }
    for (const g of served) expect(seen).toContain(g);
    expect(seen.length).toBeGreaterThanOrEqual(6);

    // known-good answers: each generation loaded alone, afterwards
    const known = new Map<string, AnswerShape[]>();
    for (const g of seen) {
      const copy = path.join(ws.root, `check-${g}`);
      await copyDir(ws.index, copy);
      await setCurrent(copy, g);
      const d = await Docent.open(testConfig(ws.corpus, copy), { autoBuild: false, embeddings: new RecordingEmbeddings() });
      expect(d.generation).toBe(g);
      known.set(g, await snapshot(d, QUESTIONS));
      await d.close();
    }
    for (const a of asked) expect(a.shape, `${a.q} on ${a.generation}`).toEqual(known.get(a.generation)![QUESTIONS.indexOf(a.q)]);
    // the fixed question really changed its answer along the way
    const zanzibar = new Set(seen.map((g) => known.get(g)![1].answer));
    expect(zanzibar.size).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

describe('first use', () => {
  it('GIVEN two callers asking before any index exists THEN the second waits for the first one\'s build instead of failing, and both answer from it', async () => {
    const fresh = await makeWorkspace('docent-first-');
    try {
      const config = testConfig(fresh.corpus, fresh.index);
      const emb = new DocumentGate();
      const building = emb.hold();
      const first = Docent.open(config, { embeddings: emb, refreshMs: 0 });
      await building; // the first caller holds the lock and is embedding
      let waiting!: () => void;
      const isWaiting = new Promise<void>((r) => (waiting = r));
      const logger = createLogger({ level: 'info', write: (line) => line.includes('waiting for it') && waiting() });
      const second = Docent.open(config, { embeddings: new RecordingEmbeddings(), refreshMs: 0, logger });
      await Promise.race([isWaiting, second]); // (a refusal fails here)
      emb.release();
      const [a, b] = await Promise.all([first, second]);
      expect([a.generation, b.generation]).toEqual(['gen-000001', 'gen-000001']);
      expect((await b.answer('What is Wukong?')).answered).toBe(true);
      expect(await listGenerations(fresh.index)).toEqual(['gen-000001']);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await fresh.cleanup();
    }
  });
});
