/**
 * Crash safety: `ingest --force` runs in a child process and is SIGKILLed at many points from
 * process start to after the CURRENT switch. After every kill the index must load and answer a
 * fixed set of questions exactly as before the build (gen-000001) or exactly as the completed
 * build (gen-000002) — nothing else; no generation directory may be partial; and the next
 * build must succeed (stale lock of the dead pid cleared, leftover build dirs removed).
 *
 * Kill points: 40 delays at fractions 0…1.25 of a measured full child build (measured two at a
 * time, as the kills run), plus 16 kills at milestones seen in the index folder (build dir
 * created, HNSW written, manifest written, generation renamed) + 0/1/3/8 ms. Two kills run at a
 * time, each on its own copy of the "before" index.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { buildIndex } from '../../src/ingest/build.js';
import { listGenerations, readCurrentName, readLock, verifyGeneration } from '../../src/ingest/store.js';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import {
  RecordingEmbeddings,
  copyDir,
  fillerDoc,
  finished,
  makeWorkspace,
  snapshot,
  spawnIngest,
  testConfig,
  writeFiller,
  type AnswerShape,
} from '../support/lifecycle-helpers.js';

const DOCS = 30;
const SECTIONS = 16;
const QUESTIONS = [
  'Which port does the Zanzibar protocol listen on?',
  'What is Wukong?',
  'What is near marker m7x3x2?',
  'What is near marker m2x5x1?',
  'Who stepped down as Qwen tech lead?',
  'What is the capital of France?',
] as const;

interface Kill {
  label: string;
  /** ms after spawn, or a milestone of the build seen in the index folder */
  at: number | { milestone: Milestone; extraMs: number };
}
type Milestone = 'build-dir' | 'build-hnsw' | 'build-manifest' | 'new-gen' | 'current';

interface Outcome {
  label: string;
  killedAtMs: number;
  exited: string;
  state: string;
  served: string;
}

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let base: string;
let before: AnswerShape[];
let after: AnswerShape[];
let fullMs: number;
const outcomes: Outcome[] = [];
const milestonesSeen: Record<string, number[]> = {};

function configFor(index: string): Config {
  return testConfig(ws.corpus, index);
}

async function answersOf(index: string): Promise<{ generation: string; shapes: AnswerShape[]; warnings: string }> {
  const warnings: string[] = [];
  const logger = createLogger({ level: 'warn', write: (l) => warnings.push(l) });
  const d = await Docent.open(configFor(index), { autoBuild: false, embeddings: new RecordingEmbeddings(), refreshMs: 0, logger });
  try {
    return { generation: d.generation, shapes: await snapshot(d, QUESTIONS), warnings: warnings.join('\n') };
  } finally {
    await d.close();
  }
}

/** What the index folder shows, for the milestone watcher and the report. */
async function milestoneOf(index: string): Promise<Milestone | 'none'> {
  let names: string[];
  try {
    names = await fs.readdir(index);
  } catch {
    return 'none';
  }
  if ((await readCurrentName(index)) === 'gen-000002') return 'current';
  if (names.includes('gen-000002')) return 'new-gen';
  const b = names.find((n) => n.startsWith('.build-'));
  if (!b) return 'none';
  const inside = await fs.readdir(path.join(index, b)).catch(() => [] as string[]);
  if (inside.includes('manifest.json')) return 'build-manifest';
  if (inside.includes('hnsw')) return 'build-hnsw';
  return 'build-dir';
}
const ORDER: Array<Milestone | 'none'> = ['none', 'build-dir', 'build-hnsw', 'build-manifest', 'new-gen', 'current'];

/** Runs one --force build on a fresh copy of the "before" index; kills it as `kill` says. */
async function runAndKill(kill: Kill, index: string): Promise<{ killedAtMs: number; exited: string }> {
  await copyDir(base, index);
  const t0 = performance.now();
  const child = spawnIngest(['--corpus', ws.corpus, '--index', index, '--force', '--quiet']);
  const done = finished(child, t0);
  let exitedEarly = false;
  void done.then(() => (exitedEarly = true));
  if (typeof kill.at === 'number') {
    await new Promise((r) => setTimeout(r, kill.at as number));
  } else {
    const want = ORDER.indexOf(kill.at.milestone);
    while (!exitedEarly && ORDER.indexOf(await milestoneOf(index)) < want) await new Promise((r) => setImmediate(r));
    if (kill.at.extraMs) await new Promise((r) => setTimeout(r, (kill.at as { extraMs: number }).extraMs));
  }
  const killedAtMs = performance.now() - t0;
  child.kill('SIGKILL');
  const r = await done;
  return { killedAtMs, exited: r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}${r.code ? `: ${r.stderr.slice(0, 300)}` : ''}` };
}

async function checkAfterKill(kill: Kill, index: string, killedAtMs: number, exited: string): Promise<void> {
  const state = await milestoneOf(index);
  // no partial generation: every gen-* directory is complete and verifies; CURRENT names one
  const gens = await listGenerations(index);
  expect(gens.length === 1 || gens.length === 2, `${kill.label}: generations ${gens}`).toBe(true);
  for (const g of gens) await verifyGeneration(path.join(index, g));
  const current = await readCurrentName(index);
  expect(['gen-000001', 'gen-000002'], kill.label).toContain(current);

  const served = await answersOf(index);
  expect(served.generation, `${kill.label}: ${served.warnings}`).toBe(current);
  expect(served.shapes, `${kill.label}: answers of ${served.generation}`).toEqual(served.generation === 'gen-000001' ? before : after);

  // the next build succeeds: stale lock cleared, leftovers removed, the new corpus serves
  const next = await buildIndex({ config: configFor(index), embeddings: new RecordingEmbeddings(), purpose: 'after crash' });
  expect(await readLock(index), kill.label).toBeNull();
  const left = (await fs.readdir(index)).filter((n) => n.startsWith('.') || n.endsWith('.tmp'));
  expect(left, kill.label).toEqual([]);
  const again = await answersOf(index);
  expect(again.generation).toBe(next.generation);
  expect(again.shapes, `${kill.label}: answers after the rebuild`).toEqual(after);
  outcomes.push({ label: kill.label, killedAtMs: Math.round(killedAtMs), exited, state, served: served.generation });
}

beforeAll(async () => {
  ws = await makeWorkspace('docent-fault-');
  await writeFiller(ws.corpus, DOCS, SECTIONS);
  const config = testConfig(ws.corpus, ws.index);
  await buildIndex({ config, embeddings: new RecordingEmbeddings() });
  before = (await answersOf(ws.index)).shapes;
  base = path.join(ws.root, 'base-index');
  await copyDir(ws.index, base);

  // the build that gets killed: one document added, one removed, a third of them rewritten
  await fs.writeFile(path.join(ws.corpus, 'zanzibar.md'), '# Zanzibar protocol\n\nThe Zanzibar protocol listens on port 7781 and was designed by Orla Finnegan.\n');
  await fs.rm(path.join(ws.corpus, 'notes-07.md'));
  for (let i = 0; i < DOCS; i += 3) await fs.writeFile(path.join(ws.corpus, `notes-${String(i).padStart(2, '0')}.md`), fillerDoc(i + 100, SECTIONS, `Field notes ${i}`));

  // reference runs: duration of a full, uninterrupted child build (two at once, as the kill
  // runs go) and the answers it gives
  const times: number[] = [];
  const reference = async (i: number) => {
    const ref = path.join(ws.root, `ref-${i}`);
    await copyDir(base, ref);
    const t0 = performance.now();
    const child = spawnIngest(['--corpus', ws.corpus, '--index', ref, '--force', '--quiet']);
    const done = finished(child, t0);
    let over = false;
    void done.then(() => (over = true));
    let last: Milestone | 'none' = 'none';
    while (!over) {
      const m = await milestoneOf(ref);
      if (m !== last) (milestonesSeen[m] ??= []).push(Math.round(performance.now() - t0));
      last = m;
      await new Promise((r) => setTimeout(r, 2));
    }
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    times.push(r.ms);
    const a = await answersOf(ref);
    expect(a.generation, `${r.stdout}\n${a.warnings}`).toBe('gen-000002');
    after = a.shapes;
  };
  await reference(0); // cold caches
  times.length = 0;
  await Promise.all([reference(1), reference(2)]);
  await Promise.all([reference(3), reference(4)]);
  fullMs = [...times].sort((a, b) => a - b)[2];
  const corpusBytes = (await Promise.all((await fs.readdir(ws.corpus)).map((f) => fs.stat(path.join(ws.corpus, f))))).reduce((s, st) => s + st.size, 0);
  console.log(`fault injection: corpus ${Math.round(corpusBytes / 1024)} KB, full child build (two at once) ${times.map(Math.round).join(' / ')} ms, milestones (ms after spawn) ${JSON.stringify(milestonesSeen)}`);
  // the two states must be distinguishable, or the test proves nothing
  expect(after).not.toEqual(before);
}, 120_000);

afterAll(async () => {
  if (outcomes.length) {
    const byState: Record<string, number> = {};
    const byServed: Record<string, number> = {};
    for (const o of outcomes) {
      byState[o.state] = (byState[o.state] ?? 0) + 1;
      byServed[o.served] = (byServed[o.served] ?? 0) + 1;
    }
    console.log(`fault injection: ${outcomes.length} kills; index state at kill ${JSON.stringify(byState)}; served afterwards ${JSON.stringify(byServed)}`);
    console.log(outcomes.map((o) => `${o.label.padEnd(28)} ${String(o.killedAtMs).padStart(5)} ms  ${o.exited.padEnd(7)} ${o.state.padEnd(15)} -> ${o.served}`).join('\n'));
  }
  await ws?.cleanup();
});

describe('SIGKILL during ingest', () => {
  it('GIVEN ≥ 50 kills spread over the whole build THEN every time the index loads, answers as before or as after, and the next build succeeds', async () => {
    const kills: Kill[] = [];
    const N = 40;
    for (let i = 0; i < N; i++) {
      const f = (i / (N - 1)) * 1.25;
      kills.push({ label: `t=${f.toFixed(3)}×full`, at: Math.round(f * fullMs) });
    }
    for (const milestone of ['build-dir', 'build-hnsw', 'build-manifest', 'new-gen'] as const) {
      for (const extraMs of [0, 1, 3, 8]) kills.push({ label: `${milestone}+${extraMs}ms`, at: { milestone, extraMs } });
    }
    expect(kills.length).toBeGreaterThanOrEqual(50);

    // two at a time, each on its own copy of the index
    let next = 0;
    const worker = async (w: number) => {
      while (next < kills.length) {
        const kill = kills[next++];
        const index = path.join(ws.root, `kill-${w}`);
        await fs.rm(index, { recursive: true, force: true });
        const { killedAtMs, exited } = await runAndKill(kill, index);
        await checkAfterKill(kill, index, killedAtMs, exited);
        await fs.rm(index, { recursive: true, force: true });
      }
    };
    await Promise.all([worker(0), worker(1)]);

    expect(outcomes).toHaveLength(kills.length);
    // the kills really covered both sides of the switch and the inside of the build
    const states = new Set(outcomes.map((o) => o.state));
    expect(states).toContain('none');
    expect(states).toContain('current');
    expect([...states].some((s) => s.startsWith('build-') || s === 'new-gen')).toBe(true);
    expect(new Set(outcomes.map((o) => o.served))).toEqual(new Set(['gen-000001', 'gen-000002']));
  }, 240_000);
});
