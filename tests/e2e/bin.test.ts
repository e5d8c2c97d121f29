/**
 * The compiled CLI as users and scripts run it: `bin/docent.js` (the package's `bin`, also what
 * `npm run ask|repl|ingest` and `npm start` run) dispatching to dist/. Every other CLI test runs
 * the TypeScript sources; this one proves the build and the bin.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleSources } from '../../src/cli/build-status.js';
import { ROOT, tempProject } from '../support/temp-project.js';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin/docent.js');

/** Runs bin/docent.js as a program (through its #! line), as `docent …` does after `npm link`. */
async function docent(args: string[], nodeOptions = '') {
  try {
    const r = await run(BIN, args, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '', NODE_OPTIONS: nodeOptions }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bin/docent.js (compiled)', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    // a fresh clone has dist/ from `npm ci`; after an edit to src/, build it first (type errors
    // are `tsc --noEmit`'s business: tsc still writes every file)
    if (staleSources(ROOT).length) await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build.ts'], { cwd: ROOT }).catch(() => {});
    expect(staleSources(ROOT)).toEqual([]);
    p = await tempProject();
  });
  afterAll(() => p?.cleanup());

  it('GIVEN ask --json THEN stdout is exactly one JSON document (pipe it to jq) and the question is answered', async () => {
    const r = await docent(['ask', '--corpus', p.corpusDir, '--index', p.indexDir, '--json', 'What is Wukong?']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(r.stdout).toBe(JSON.stringify(o, null, 2) + '\n');
    expect(o.answered).toBe(true);
    expect(o.answer).toContain('Wukong is Alibaba’s enterprise AI platform');
    expect(o.citations[0].source).toBe('alibaba-agentic-ai-strategy-q3-fy2026.md');
    // the dist/ it ran is current: no warning about an outdated build
    expect(r.stderr).not.toContain('src/ changed since the last build');
  });

  it('GIVEN a cold ask THEN LangChain comes from the one bundled file the build wrote, not from its hundreds of package modules', async () => {
    const hook = pathToFileURL(path.join(ROOT, 'tests/fixtures/log-package-loads.mjs')).href;
    const r = await docent(['ask', '--corpus', p.corpusDir, '--index', p.indexDir, 'What is Wukong?'], `--import ${hook}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Wukong is Alibaba’s enterprise AI platform');
    const loaded = new Set([...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]));
    expect(loaded).toContain('hnswlib-node'); // the hook sees packages: the native addon is external
    expect([...loaded].filter((name) => /^@langchain\/|^langsmith$|^zod$/.test(name))).toEqual([]);
  });

  it('GIVEN no command THEN it lists the commands; GIVEN an unknown one THEN usage on stderr, nothing on stdout, exit 2', async () => {
    const help = await docent([]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: docent <command>[\s\S]*ask[\s\S]*repl[\s\S]*ingest[\s\S]*bot/);
    expect(help.stdout).toContain('ask, repl, ingest and gaps take --collection NAME');
    const bad = await docent(['--json', 'What is Wukong?']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('unknown command "--json"');
  });

  it('GIVEN a command and --help THEN the command’s own usage', async () => {
    const r = await docent(['ingest', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--rollback');
    expect(r.stdout).toContain('--collection NAME');
  });
});
