/**
 * Long-running health: a damaged CURRENT generation is checked once and remembered, instead of
 * being re-hashed (and warned about) on every question and every staleness check while an older
 * generation serves. Hash embedder, tiny corpus; hashing is counted through a spy on fs.open.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildIndex } from '../../src/ingest/build.js';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import { RecordingEmbeddings, makeWorkspace, testConfig } from '../support/lifecycle-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace('docent-health-');
  await fs.rm(path.join(ws.corpus, 'alibaba.md'));
  await fs.writeFile(path.join(ws.corpus, 'harbour.md'), '# Harbour rules\n\nBoats must leave the harbour before the evening bell rings at nine.\n');
});
afterAll(async () => {
  vi.restoreAllMocks();
  await ws?.cleanup();
});

it('GIVEN CURRENT names a damaged generation THEN the older one serves and the damaged one is hashed once and warned about once across many questions and checks', async () => {
  const config = testConfig(ws.corpus, ws.index);
  const emb = new RecordingEmbeddings();
  await buildIndex({ config, embeddings: emb });
  await buildIndex({ config, embeddings: emb, force: true });
  // one flipped byte in the last file checked: every other file is hashed before it is found
  const vectors = path.join(ws.index, 'gen-000002', 'vectors.f32');
  const bytes = await fs.readFile(vectors);
  bytes[0] ^= 0xff;
  await fs.writeFile(vectors, bytes);

  const logs: string[] = [];
  const docent = await Docent.open(config, { embeddings: emb, autoBuild: false, refreshMs: 0, logger: createLogger({ level: 'warn', write: (l) => logs.push(l) }) });
  expect(docent.generation).toBe('gen-000001');
  logs.length = 0;
  const opened: string[] = [];
  const open = fs.open;
  vi.spyOn(fs, 'open').mockImplementation((file, ...rest) => {
    if (String(file).includes(`${path.sep}gen-000002${path.sep}`)) opened.push(path.relative(ws.index, String(file)));
    return open(file, ...(rest as [string]));
  });
  try {
    for (let i = 0; i < 6; i++) {
      expect((await docent.ensureFresh()).action).toBe('fresh');
      expect((await docent.answer('When must boats leave the harbour?')).generation).toBe('gen-000001');
    }
  } finally {
    vi.restoreAllMocks();
  }
  await docent.close();
  // at most one pass over its files, which reached the damaged one
  expect(opened.length).toBeGreaterThan(0);
  expect(new Set(opened).size).toBe(opened.length);
  expect(opened).toContain(path.join('gen-000002', 'vectors.f32'));
  expect(logs.filter((l) => l.includes('did not load'))).toHaveLength(1);
});
