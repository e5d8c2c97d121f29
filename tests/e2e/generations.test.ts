/**
 * Rollback both ways: `npm run ingest -- --list` shows the kept generations, `--rollback` steps
 * back, `--generation NAME` switches to any kept one, also forward; a switch that keeps the
 * corpus as it is (`--keep-corpus`) pins the generation, so the staleness check reports the
 * corpus/index disagreement instead of re-indexing it away, until an explicit re-index or a
 * corpus change after the switch. (A switch that puts the corpus files back, the default, is in
 * rollback-restore.test.ts.) Hash embedder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { buildIndex } from '../../src/ingest/build.js';
import { listGenerationInfo, switchGeneration } from '../../src/index/generations.js';
import { LocalStore } from '../../src/index/local-store.js';
import { acquireLock, listGenerations, readCurrentName, readPin } from '../../src/index/store.js';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import { RecordingEmbeddings, makeWorkspace, runIngest, testConfig } from '../support/lifecycle-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let config: Config;
let docent: Docent;
/** Records calls; `failNext` makes the next embedding call fail (a build that fails). */
class FailingEmbeddings extends RecordingEmbeddings {
  failNext = false;
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('embedding endpoint unreachable');
    }
    return super.embedDocuments(texts);
  }
}
const emb = new FailingEmbeddings();
const chunks: Record<string, number> = {};

const QUOKKA = '# Quokka facts\n\nThe quokka is a small marsupial that lives on Rottnest Island.\n';
const QUOKKA_Q = 'Where does the quokka live?';
const garden = (hours: string) => `# Garden Guide\n\n## Tomatoes\n\nTomatoes need ${hours} hours of direct sun every day.\n`;
const SUN_Q = 'How many hours of sun do tomatoes need?';
const ingest = (args: string[]) => runIngest(['--corpus', ws.corpus, '--index', ws.index, ...args]);

beforeAll(async () => {
  ws = await makeWorkspace('docent-gen-');
  await fs.rm(path.join(ws.corpus, 'alibaba.md'));
  config = testConfig(ws.corpus, ws.index);
  // gen-000001: the garden; gen-000002: + quokka; gen-000003: the garden changed
  await fs.writeFile(path.join(ws.corpus, 'garden.md'), garden('six'));
  chunks['gen-000001'] = (await buildIndex({ config, embeddings: emb })).chunks;
  await fs.writeFile(path.join(ws.corpus, 'quokka.md'), QUOKKA);
  chunks['gen-000002'] = (await buildIndex({ config, embeddings: emb })).chunks;
  await fs.writeFile(path.join(ws.corpus, 'garden.md'), garden('eight'));
  chunks['gen-000003'] = (await buildIndex({ config, embeddings: emb })).chunks;
  docent = await Docent.open(config, { autoBuild: false, embeddings: emb, refreshMs: 0, logger: createLogger({ write: () => {} }) });
});
afterAll(async () => {
  await docent?.close();
  await ws?.cleanup();
});

describe('npm run ingest -- --list', () => {
  it('GIVEN three builds THEN one line each, oldest first: build time, chunks, documents, changes against the previous one, * on the current one', async () => {
    const r = await ingest(['--list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Kept generations in ${ws.index}, oldest first:`);
    expect(lines[1]).toMatch(/^ {3}generation {2}built \(UTC\) +chunks {2}docs {2}vs previous$/);
    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ';
    expect(lines[2]).toMatch(new RegExp(`^ {3}gen-000001 {2}${time} +${chunks['gen-000001']} +1 {2}oldest kept$`));
    expect(lines[3]).toMatch(new RegExp(`^ {3}gen-000002 {2}${time} +${chunks['gen-000002']} +2 {2}1 added, 0 changed, 0 removed$`));
    expect(lines[4]).toMatch(new RegExp(`^\\* {2}gen-000003 {2}${time} +${chunks['gen-000003']} +2 {2}0 added, 1 changed, 0 removed {2}\\(current\\)$`));
    expect(lines).toHaveLength(5);
  });
});

describe('switching generations', () => {
  it('GIVEN --rollback, then --generation of an older one THEN each switches; the corpus/index disagreement is reported and the generation is pinned, not re-indexed away', async () => {
    const back = await ingest(['--rollback', '--keep-corpus']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.split('\n')[0]).toBe('Rolled back: gen-000002 is serving now.');
    expect(back.stdout.split('\n')[1]).toMatch(/^The corpus differs from gen-000002 \(1 changed: garden\.md\)\. It stays pinned/);

    const older = await ingest(['--generation', 'gen-000001', '--keep-corpus']);
    expect(older.code, older.stderr).toBe(0);
    expect(older.stdout).toBe(
      'Switched: gen-000001 is serving now (was gen-000002).\n' +
        'The corpus differs from gen-000001 (1 added, 1 changed: quokka.md, garden.md). It stays pinned: `npm run ask`, the REPL and the bot answer from it and say so, ' +
        'without re-indexing, until the next `npm run ingest` or the next change to the corpus.\n',
    );
    expect(await readCurrentName(ws.index)).toBe('gen-000001');

    // the staleness check every front end uses reports it, and leaves the pinned generation serving
    const f = await docent.ensureFresh();
    expect(f.action).toBe('pinned');
    expect(f.status).toMatchObject({ generation: 'gen-000001', fresh: false, pinned: true, added: ['quokka.md'], changed: ['garden.md'], removed: [] });
    expect(f.status.pin).toMatchObject({ generation: 'gen-000001', by: 'npm run ingest -- --generation gen-000001', lapsed: false });
    expect(await fs.readFile(path.join(ws.corpus, 'garden.md'), 'utf8')).toBe(garden('eight'));
    expect(await listGenerations(ws.index)).toEqual(['gen-000001', 'gen-000002', 'gen-000003']);
    expect((await docent.answer(SUN_Q)).answer).toContain('six hours');
    expect((await docent.answer(QUOKKA_Q)).answered).toBe(false);
    expect((await listGenerationInfo(new LocalStore(ws.index, 'default'))).map((g) => [g.generation, g.current, g.pinned])).toEqual([
      ['gen-000001', true, true],
      ['gen-000002', false, false],
      ['gen-000003', false, false],
    ]);
  });

  it('GIVEN --generation of the newest one THEN it rolls forward, and the corpus matches it again', async () => {
    const fwd = await ingest(['--generation', 'gen-000003']);
    expect(fwd.code, fwd.stderr).toBe(0);
    expect(fwd.stdout).toBe('Switched: gen-000003 is serving now (was gen-000001).\nThe corpus matches gen-000003.\n');
    expect((await docent.answer(SUN_Q)).answer).toContain('eight hours');
    expect((await docent.answer(QUOKKA_Q)).answer).toContain('Rottnest Island');
    expect((await docent.ensureFresh()).action).toBe('fresh');
  });

  it('GIVEN Docent.rollback(name) back, then forward THEN it serves each; a generation that is not kept, or is damaged, is refused and nothing switches', async () => {
    expect(await docent.rollback('gen-000002', { restore: false })).toMatchObject({ generation: 'gen-000002' });
    expect(docent.generation).toBe('gen-000002');
    expect(await docent.rollback('3', { restore: false })).toMatchObject({ generation: 'gen-000003' });
    expect(docent.generation).toBe('gen-000003');

    const missing = await docent.rollback('gen-000009').catch((e) => e);
    expect(missing.code).toBe('NO_SUCH_GENERATION');
    expect(missing.message).toBe('gen-000009 is not a kept generation (kept: gen-000001, gen-000002, gen-000003); `npm run ingest -- --list` shows them.');
    await fs.appendFile(path.join(ws.index, 'gen-000001', 'chunk-table.json'), ' ');
    const damaged = await switchGeneration(new LocalStore(ws.index, 'default'), 'gen-000001', { corpusDir: ws.corpus, by: 'test' }).catch((e) => e);
    expect(damaged.code).toBe('GENERATION_DAMAGED');
    expect(await readCurrentName(ws.index)).toBe('gen-000003');
  });

  it('GIVEN a pinned generation THEN a corpus change after the switch ends the pin (re-indexed automatically), and so does an explicit re-index', async () => {
    await docent.rollback('gen-000002', { by: 'test', restore: false });
    expect((await docent.ensureFresh()).action).toBe('pinned');
    // a change made after the rollback: the pin no longer holds
    await fs.writeFile(path.join(ws.corpus, 'wombat.md'), '# Wombats\n\nThe wombat digs long burrows.\n');
    const f = await docent.ensureFresh();
    expect(f.action).toBe('reindexed');
    expect(f.status.pin).toMatchObject({ generation: 'gen-000002', lapsed: true });
    if (f.action === 'reindexed') expect(f.report).toMatchObject({ generation: 'gen-000004', added: ['wombat.md'], changed: ['garden.md'] });
    expect(await readPin(ws.index)).toBeNull();

    await docent.rollback(undefined, { restore: false }); // back to gen-000003, pinned: the corpus has wombat.md, it does not
    expect((await docent.corpusStatus()).pinned).toBe(true);
    const r = await docent.reindex();
    expect(r.generation).toBe('gen-000005');
    expect(await readPin(ws.index)).toBeNull();
    expect((await docent.ensureFresh()).action).toBe('fresh');
  });
});

describe('ensureFresh when it cannot build', () => {
  it('GIVEN another writer holds the lock, or the build fails THEN it says so (busy, failed), builds nothing and the previous generation keeps serving', async () => {
    await fs.writeFile(path.join(ws.corpus, 'koala.md'), '# Koalas\n\nThe koala sleeps up to twenty hours a day.\n');
    const serving = docent.generation;
    const held = await acquireLock(ws.index, 'test holder');
    try {
      const busy = await docent.ensureFresh();
      expect(busy.action).toBe('busy');
      if (busy.action === 'busy') expect((busy.error as Error).message).toMatch(/^Another re-index is running \(test holder, pid \d+/);
    } finally {
      await held.release();
    }
    emb.failNext = true;
    const failed = await docent.ensureFresh();
    expect(failed.action).toBe('failed');
    expect(failed.status.added).toEqual(['koala.md']);
    expect(docent.generation).toBe(serving);
    expect(await readCurrentName(ws.index)).toBe(serving);
    expect((await docent.ensureFresh()).action).toBe('reindexed');
  });
});
