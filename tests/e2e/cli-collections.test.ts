/**
 * `--collection NAME` in the terminal: `ask` answers from that collection's folder only, `ingest`
 * creates a new, empty collection and lists a collection's own generations. The compiled CLIs,
 * hash embedder, one-line documents.
 */
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { distCli } from '../support/dist.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-cli-collections-'));
  await mkdir(path.join(dir, 'corpus'));
  await writeFile(path.join(dir, 'corpus', 'osprey.md'), '# Project Osprey\n\nProject Osprey is the codename of the 2027 delivery-drone programme, led by Ana Ruiz.\n');
  await mkdir(path.join(dir, 'collections', 'acme'), { recursive: true });
  await writeFile(path.join(dir, 'collections', 'acme', 'falcon.md'), '# Project Falcon\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, LOG_LEVEL: '', NODE_OPTIONS: '', DOCENT_EMBEDDER: 'hash' });
async function cli(name: string, args: string[]) {
  return run(process.execPath, [distCli(name), ...args], { cwd: dir, env: env() });
}

/** The REPL with `input` on stdin; what it printed. */
function repl(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [distCli('repl'), ...args], { cwd: dir, env: env() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin.end(input);
  });
}

it('ask and repl --collection answer from that collection’s folder only, and ingest --collection --list lists that collection’s own generations', async () => {
  const { stdout } = await cli('ask', ['--collection', 'acme', '--json', 'Who leads Project Falcon?']);
  const r = JSON.parse(stdout);
  expect(r.answered).toBe(true);
  expect(r.answer).toContain('Mei Chen');
  expect(r.citations.map((c: { source: string }) => c.source)).toEqual(['falcon.md']);
  // the shared corpus's document is not even retrieved, and its index was not built
  expect(r.retrieved.map((h: { source: string }) => h.source)).toEqual(['falcon.md']);
  await expect(access(path.join(dir, '.docent', 'index'))).rejects.toThrow();

  const list = (await cli('ingest', ['--collection', 'acme', '--list'])).stdout.split('\n');
  expect(list[0]).toBe(`Kept generations in ${path.join(dir, '.docent', 'collection-indexes', 'acme')}, oldest first:`);
  expect(list[2]).toMatch(/^\*  gen-000001  .*\s1\s+1  oldest kept  \(current\)$/);

  const sources = await repl(['--collection', 'acme'], ':sources\n:quit\n');
  expect(sources).toContain('falcon.md');
  expect(sources).not.toContain('osprey.md');
});

it('ingest --collection NAME creates a new, empty collection: its folder and an empty first generation', async () => {
  const { stdout } = await cli('ingest', ['--collection', 'beta', '--quiet']);
  expect(stdout.split('\n').slice(0, 2)).toEqual([`New collection "beta": its documents go in ${path.join(dir, 'collections', 'beta')}`, 'Built gen-000001: 0 chunks, 0 embedded, 0 reused.']);
  expect(await readdir(path.join(dir, 'collections', 'beta'))).toEqual([]);
});
