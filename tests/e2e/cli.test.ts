import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject } from '../support/temp-project.js';
import { distCli } from '../support/dist.js';

const run = promisify(execFile);

/** Runs a compiled CLI as `npm run` does (`node dist/cli/<script>.js`). */
async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [distCli(script), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '', NODE_OPTIONS: '', ...env }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('CLI on a temp corpus: ingest, then ask', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    p = await tempProject({
      'garden.md': '---\ntitle: Garden Guide\ndate: 2026-01-02\n---\n# Garden Guide\n\n## Tomatoes\n\nTomatoes need six hours of direct sun every day.\nWater them deeply twice a week.\n\n## Compost\n\nCompost is ready after about three months of turning.\n',
      'notes.txt': 'Bicycle Care\nOil the chain every 300 kilometres with a light lubricant.\n',
      'broken.bin.pdf': 'not a pdf at all',
    });
  });
  afterAll(() => p.cleanup());

  const dirs = () => ['--corpus', p.corpusDir, '--index', p.indexDir];

  it('GIVEN a corpus with a broken file THEN ingest indexes the rest and lists the skipped file with its reason', async () => {
    const r = await cli('ingest', [...dirs(), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Built gen-000001: \d+ chunks/);
    expect(r.stdout).toMatch(/Skipped 1:\n {2}broken\.bin\.pdf: .+\(PARSE_FAILED\)/);
    expect(r.stdout).toMatch(/Time: \d+\.\d\d s/);
    const again = await cli('ingest', [...dirs(), '--quiet']);
    expect(again.stdout).toContain('nothing changed, nothing re-embedded');
  });

  it('GIVEN --json THEN stdout is exactly one JSON object of the documented shape', async () => {
    const r = await cli('ask', [...dirs(), '--json', 'How much sun do tomatoes need?']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(Object.keys(o).sort()).toEqual(['analysis', 'answer', 'answered', 'citations', 'ms', 'question', 'retrieved']);
    expect(o.analysis).toMatchObject({ type: 'number', corrections: [], missing: [] });
    expect(o.answered).toBe(true);
    expect(o.answer).toContain('six hours of direct sun');
    expect(o.citations[0]).toEqual({ n: 1, source: 'garden.md', title: 'Garden Guide', section: 'Garden Guide › Tomatoes', lines: [9, 9], quote: 'Tomatoes need six hours of direct sun every day.' });
    expect(o.retrieved.length).toBeGreaterThan(0);
    expect(o.retrieved.length).toBeLessThanOrEqual(5);
    for (const h of o.retrieved) expect(Object.keys(h).sort()).toEqual(['chunkId', 'score', 'source', 'text']);
    expect(typeof o.ms).toBe('number');
  });

  it('GIVEN --k 1 THEN retrieved holds one chunk', async () => {
    const o = JSON.parse((await cli('ask', [...dirs(), '--json', '--k', '1', 'How often should the chain be oiled?'])).stdout);
    expect(o.retrieved).toHaveLength(1);
    expect(o.answer).toContain('300 kilometres');
  });

  it('GIVEN --questions FILE THEN one JSON line per question, in order, ids echoed, unanswerable ones refused', async () => {
    const file = path.join(p.dir, 'q.jsonl');
    await fs.writeFile(file, ['{"id":"a","question":"When is compost ready?"}', '{"question":"How often should tomatoes be watered?"}', '{"id":7,"question":"Who won the 1998 World Cup?"}'].join('\n') + '\n');
    const r = await cli('ask', [...dirs(), '--json', '--questions', file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].id).toBe('a');
    expect(lines[0].answer).toContain('three months');
    expect('id' in lines[1]).toBe(false);
    expect(lines[1].answer).toContain('twice a week');
    expect(lines[2].id).toBe(7);
    expect(lines[2].answered).toBe(false);
    expect(lines[2].citations).toEqual([]);
  });

  it('GIVEN a bad option or no question THEN usage on stderr and exit code 2', async () => {
    const r = await cli('ask', ['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage');
    expect((await cli('ask', [])).code).toBe(2);
  });

  it('GIVEN an invalid config value THEN the error names the variable', async () => {
    const r = await cli('ask', [...dirs(), 'anything'], { DOCENT_TOP_K: 'lots' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DOCENT_TOP_K');
  });
});
