import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_KINDS } from '../../src/eval/metrics.js';
import { READER_PARTS } from '../../src/types.js';
import { ROOT } from '../support/temp-project.js';

const run = promisify(execFile);

/** `npm run eval -- …` from the repository, as a user types it. */
async function npmEval(args: string[]) {
  try {
    const r = await run('npm', ['run', '-s', 'eval', '--', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '' }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run eval with only the data inside the repository', () => {
  let dir: string;
  let r: Awaited<ReturnType<typeof npmEval>>;
  let missing: Awaited<ReturnType<typeof npmEval>>;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-eval-'));
    // default seed questions (eval/seed-dev.jsonl) on the default corpus; a tiny XQuAD fixture keeps it fast
    [r, missing] = await Promise.all([
      npmEval(['--xquad', 'tests/fixtures/eval/xquad-tiny.json', '--ablate', '--work', path.join(dir, 'work'), '--json', path.join(dir, 'figures.json')]),
      npmEval(['--questions', path.join(dir, 'missing.jsonl'), '--xquad', 'none', '--work', path.join(dir, 'work-missing')]),
    ]);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('GIVEN no data options THEN it reads the seed questions from eval/ in the repository and exits 0', () => {
    expect(r.stderr).not.toMatch(/error|\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Seed: eval\/seed-dev\.jsonl \(33 questions\) on corpus\/$/m);
    expect(r.stdout).toContain('XQuAD: tests/fixtures/eval/xquad-tiny.json (2 articles, 5 paragraphs, 6 questions)');
  });

  it('THEN it prints the per-kind table with every seed kind and a total', () => {
    expect(r.stdout).toContain('| kind | n | answer hit | false refusals | refused |');
    for (const kind of SEED_KINDS) expect(r.stdout).toMatch(new RegExp(`^\\| ${kind} \\| \\d+ \\| (\\d+/\\d+|—) \\| (\\d+|—) \\| \\d+ \\|$`, 'm'));
    expect(r.stdout).toMatch(/^\| \*\*all\*\* \| 33 \| \d+\/26 \| \d+ \| \d+ \|$/m);
  });

  it('THEN it prints the on-topic negatives beside XQuAD answer hit, false refusals and answer lengths, one build per paragraph', () => {
    expect(r.stdout).toContain('## XQuAD and on-topic negatives (own paragraph removed: 5 builds');
    expect(r.stdout).toContain('| XQuAD | questions | answer contains gold | false refusals | on-topic negatives refused | mean answer chars | median answer chars |');
    expect(r.stdout).toMatch(/^\| xquad-tiny \| 6 \| \d+\.\d% \| \d+\.\d% \| \d+\.\d% \(\d\/6\) \| \d+ \| \d+ \|$/m);
  });

  it('GIVEN --ablate THEN one row for the full reader and one per reader part', () => {
    expect(r.stdout).toContain('## Reader ablation');
    expect(r.stdout).toMatch(/^\| full reader \| \d+\/26 \| \d+ \| \d+\/7 \| \d+\.\d% \| \d+\.\d% \| \d+\.\d% \| \d+ \|$/m);
    for (const part of READER_PARTS) expect(r.stdout).toMatch(new RegExp(`^\\| without ${part} \\| \\d+/26 \\|`, 'm'));
  });

  it('GIVEN --json FILE THEN every figure is written there, and the scratch corpora are removed and never in corpus/', async () => {
    const j = JSON.parse(await fs.readFile(path.join(dir, 'figures.json'), 'utf8'));
    expect(j.data.seed.file).toBe(path.join(ROOT, 'eval/seed-dev.jsonl'));
    expect(j.kinds.map((k: { kind: string }) => k.kind)).toEqual([...SEED_KINDS, 'all']);
    expect(j.negatives).toMatchObject({ builds: 5, row: { n: 6, unanswerable: 6 }, full: { set: 'xquad-tiny', n: 6 } });
    expect(j.ablation.map((a: { config: string }) => a.config)).toEqual(['none', ...READER_PARTS]);
    // the scratch indexes and corpora (XQuAD written out, one corpus per removed paragraph) are gone
    expect(await fs.readdir(path.join(dir, 'work'))).toEqual([]);
    expect((await fs.readdir(path.join(ROOT, 'corpus'))).some((f) => f.startsWith('lake-verno'))).toBe(false);
  });

  it('GIVEN a questions file that does not exist THEN a one-line error and exit 1, no stack trace', () => {
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`error: ${path.join(dir, 'missing.jsonl')}: no such file`);
  });
});
