import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject } from '../support/temp-project.js';
import { distCli } from '../support/dist.js';

/** Drives `npm run repl` through stdin as a user would, and reads what it prints. */
function repl(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [distCli('repl'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

describe('npm run repl', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    p = await tempProject();
  });
  afterAll(() => p.cleanup());

  it('GIVEN a question, a follow-up and the commands THEN it answers both and shows why, sources, k and help', async () => {
    const r = await repl(['--corpus', p.corpusDir, '--index', p.indexDir], ['What is Wukong?', 'When was it announced?', ':why', ':k 2', ':sources', ':help', ':bogus', ':quit', 'never asked'].join('\n') + '\n');
    expect(r.code).toBe(0);
    const out = r.out;
    expect(out).toMatch(/Docent — 1 document\(s\), index gen-000001/);
    expect(out).toContain('Wukong is Alibaba’s enterprise AI platform');
    // the follow-up is answered about Wukong: its announcement date
    expect(out.split('docent> ')[2]).toContain('Announced March 17');
    expect(out).toMatch(/Question: When was it announced\?/);
    expect(out).toMatch(/#1 {2}fused \d\.\d{3} \| lexical (\d+|—) \([\d.—]+\) \| dense (\d+|—) \([\d.—]+\)/);
    expect(out).toContain('k = 2');
    expect(out).toMatch(/Alibaba's Agentic AI Strategy: Qwen, Wukong and Token Hub — alibaba-agentic-ai-strategy-q3-fy2026\.md \(\d+ chunks, indexed /);
    expect(out).toContain(':reindex');
    expect(out).toContain('Unknown command :bogus');
    expect(out).not.toContain('never asked');
  });

  it('GIVEN help and quit without a colon THEN they are the commands, not questions', async () => {
    const r = await repl(['--corpus', p.corpusDir, '--index', p.indexDir], ['help', 'quit', 'never asked'].join('\n') + '\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain(':reindex');
    expect(r.out).toContain('Ctrl-C clears a half-typed line');
    expect(r.out).not.toContain('couldn’t find');
    expect(r.out).not.toContain("couldn't find");
    expect(r.out).not.toContain('never asked');
  });

  it('GIVEN "Why?" after "Why?" THEN the second follow-up is still about the first question’s topic', async () => {
    const r = await repl(['--corpus', p.corpusDir, '--index', p.indexDir], ['What is Alibaba Token Hub?', 'Why?', 'Why?', ':quit'].join('\n') + '\n');
    expect(r.code).toBe(0);
    const answers = r.out.split('docent> ').slice(1, 4);
    expect(answers[0]).toContain('Alibaba reorganized its AI operations under a new business unit called Alibaba Token Hub');
    // the last turn ("Why?") names nothing: the policy walks back to the question that did
    expect(answers[2]).toContain('Token Hub');
    expect(answers[2]).toContain('Sources:');
    expect(answers[2]).not.toContain("couldn't find an answer");
  });

  it('GIVEN :reindex on an unchanged corpus THEN it says the index is up to date', async () => {
    const r = await repl(['--corpus', p.corpusDir, '--index', p.indexDir], ':reindex\n');
    expect(r.out).toMatch(/Up to date \(gen-000001\)/);
  });
});
