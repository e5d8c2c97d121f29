/**
 * "Never stale", through the CLI as a user types it: a file added to the corpus is answered by the
 * next `npm run ask` (which re-indexes first, with a one-line note on stderr) and by the next
 * question of a running REPL; `--no-reindex` answers from the old index and warns; `--corpus
 * OTHER` without `--index` uses an index of its own. Hash embedder (fast, offline).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliConfig } from '../../src/cli/common.js';
import { indexDirForCorpus } from '../../src/config.js';
import { listGenerations, readCurrentName } from '../../src/index/store.js';
import { ROOT } from '../support/temp-project.js';
import { distCli } from '../support/dist.js';

const run = promisify(execFile);

let root: string;
let env: Record<string, string>;
const corpus = () => path.join(root, 'corpus');
const index = () => path.join(root, 'index');

const GARDEN = '# Garden Guide\n\n## Tomatoes\n\nTomatoes need six hours of direct sun every day.\n\n## Compost\n\nCompost is ready after about three months of turning.\n';
const QUOKKA = '# Quokka facts\n\nThe quokka is a small marsupial that lives on Rottnest Island.\n';
const WOMBAT = '# Wombat facts\n\nThe wombat digs long burrows with its strong claws.\n';

/** A compiled CLI script, as `npm run` runs it (`node dist/cli/<script>.js`). */
async function cli(script: string, args: string[]) {
  try {
    const r = await run(process.execPath, [distCli(script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Adds a file the way an editor saves one: a hidden temp file renamed into place. */
async function addFile(dir: string, name: string, text: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.tmp`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, path.join(dir, name));
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-fresh-cli-'));
  await fs.mkdir(corpus());
  await fs.writeFile(path.join(corpus(), 'garden.md'), GARDEN);
  env = {
    DOCENT_EMBEDDER: 'hash',
    DOCENT_CORPUS_DIR: corpus(),
    DOCENT_INDEX_DIR: index(),
    DOCENT_CACHE_DIR: path.join(ROOT, '.docent', 'cache'),
    LOG_LEVEL: '',
    NODE_OPTIONS: '',
  };
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('npm run ask after the corpus changed', () => {
  it('GIVEN a file added to the corpus THEN the next ask re-indexes first (one line on stderr) and answers from it; the one after says nothing', async () => {
    const first = await cli('ask', ['How much sun do tomatoes need?']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('six hours of direct sun');
    expect(await readCurrentName(index())).toBe('gen-000001');

    await addFile(corpus(), 'quokka.md', QUOKKA);
    const second = await cli('ask', ['Where does the quokka live?']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^corpus changed \(1 added\): re-indexing… done \(gen-000002, \d+\.\d s\)\n$/);
    expect(second.stdout).toContain('Rottnest Island');
    expect(second.stdout).toContain('quokka.md');

    const third = await cli('ask', ['--json', 'Where does the quokka live?']);
    expect(third.stderr).toBe('');
    expect(JSON.parse(third.stdout).answer).toContain('Rottnest Island');
    expect(await listGenerations(index())).toEqual(['gen-000001', 'gen-000002']);
  });

  it('GIVEN --no-reindex THEN it answers from the index as it is and warns on stderr, and builds nothing', async () => {
    await addFile(corpus(), 'wombat.md', WOMBAT);
    await fs.rm(path.join(corpus(), 'quokka.md'));
    const r = await cli('ask', ['--no-reindex', 'What does the wombat dig?']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'warning: the corpus differs from index gen-000002 (1 added, 1 removed: wombat.md, quokka.md); answering from it anyway (--no-reindex). `npm run ingest` updates it.\n',
    );
    expect(r.stdout).not.toContain('burrows');
    expect(await readCurrentName(index())).toBe('gen-000002');
    expect(await listGenerations(index())).toEqual(['gen-000001', 'gen-000002']);
  });
});

describe('npm run repl after the corpus changed', () => {
  it('GIVEN a file added while the REPL runs THEN the next question re-indexes (note on stderr) and is answered from it', async () => {
    const child = spawn(process.execPath, [distCli('repl')], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    // each prompt means the previous line is fully handled: the test waits on it, not on time
    const prompts: Array<{ n: number; resolve: () => void }> = [];
    const count = () => out.split('docent> ').length - 1;
    child.stdout.on('data', (d) => {
      out += d;
      for (const p of prompts.filter((x) => count() >= x.n)) {
        prompts.splice(prompts.indexOf(p), 1);
        p.resolve();
      }
    });
    child.stderr.on('data', (d) => (err += d));
    const prompt = (n: number) => (count() >= n ? Promise.resolve() : new Promise<void>((resolve) => prompts.push({ n, resolve })));
    const closed = new Promise<number | null>((r) => child.on('close', r));

    // the corpus still has the wombat file (added above, not indexed): the first question re-indexes
    await prompt(1);
    child.stdin.write('What does the wombat dig?\n');
    await prompt(2);
    expect(err).toMatch(/corpus changed \(1 added, 1 removed\): re-indexing… done \(gen-000003, \d+\.\d s\)\n/);
    expect(out.split('docent> ')[1]).toContain('long burrows');

    await addFile(corpus(), 'quokka.md', QUOKKA);
    child.stdin.write('Where does the quokka live?\n');
    await prompt(3);
    expect(err).toMatch(/corpus changed \(1 added\): re-indexing… done \(gen-000004, \d+\.\d s\)\n$/);
    expect(out.split('docent> ')[2]).toContain('Rottnest Island');
    child.stdin.end(':quit\n');
    expect(await closed).toBe(0);
  });
});

describe('npm run ask -- --corpus OTHER', () => {
  it('GIVEN another corpus folder and no --index THEN it builds and answers from an index of its own, never the configured corpus index', async () => {
    const other = path.join(root, 'other-docs');
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, 'falcon.md'), '# Project Falcon\n\nProject Falcon is the delivery-drone programme led by Mei Chen.\n');
    const before = await readCurrentName(index());
    const own = indexDirForCorpus({ corpusDir: corpus(), indexDir: index() }, other);
    expect(path.dirname(own)).toBe(path.join(root, 'indexes'));
    expect(path.basename(own)).toMatch(/^other-docs-[0-9a-f]{12}$/);

    const r = await cli('ask', ['--corpus', other, 'Who leads Project Falcon?']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Mei Chen');
    expect(await readCurrentName(own)).toBe('gen-000001');
    // the configured corpus's index is untouched
    expect(await readCurrentName(index())).toBe(before);
    // ask, repl and ingest share the rule (cliConfig); --index still wins, and the configured
    // corpus, named explicitly, keeps DOCENT_INDEX_DIR
    expect(cliConfig({ corpus: other }, env).indexDir).toBe(own);
    expect(cliConfig({ corpus: other, index: index() }, env).indexDir).toBe(index());
    expect(cliConfig({ corpus: corpus() + '/' }, env).indexDir).toBe(index());
  });
});
