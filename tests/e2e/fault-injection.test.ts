/**
 * Crash safety: `ingest --force` runs in a child process and is SIGKILLed at exact steps of the
 * build. After every kill the index must load and answer a fixed set of questions exactly as
 * before the build (gen-000001) or exactly as the completed build (gen-000002) — nothing else; no
 * generation directory may be partial; and the next build must succeed (stale lock of the dead
 * pid cleared, leftover build dirs removed).
 *
 * Kill points are gates, not delays: the child runs with `tests/support/kill-gate.mjs`, which
 * numbers every file-system step of the build in the index folder and freezes the child at the
 * chosen one until it is killed, so each kill lands where it says, however loaded the machine.
 * By default one kill per stage: before the build folder exists (lock held, vectors computed), in
 * the build folder (data files, no HNSW), after the HNSW write, after the manifest, after the
 * rename to gen-NNNNNN, after the CURRENT switch. DOCENT_FULL_SWEEP=1 kills before every single
 * step as well, plus 40 kills at delays spread over 0…1.25× a measured full build, and prints the
 * table of outcomes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Config } from '../../src/config.js';
import { buildIndex } from '../../src/ingest/build.js';
import { listGenerations, readCurrentName, readLock, verifyGeneration } from '../../src/index/store.js';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import {
  INGEST_CLI,
  REPO,
  RecordingEmbeddings,
  copyDir,
  fillerDoc,
  finished,
  makeWorkspace,
  snapshot,
  testConfig,
  writeFiller,
  type AnswerShape,
  type CliRun,
} from '../support/lifecycle-helpers.js';

const FULL = process.env.DOCENT_FULL_SWEEP === '1';
// gates make the kill points independent of the build's length: a small corpus by default, the
// original 250 KB one (a build long enough to spread delays over) for the full sweep
const DOCS = FULL ? 30 : 12;
const SECTIONS = FULL ? 16 : 8;
const QUESTIONS = [
  'Which port does the Zanzibar protocol listen on?',
  'What is Wukong?',
  'What is near marker m7x3x2?',
  'What is near marker m2x5x1?',
  'Who stepped down as Qwen tech lead?',
  'What is the capital of France?',
] as const;
const KILL_GATE = path.join(REPO, 'tests', 'support', 'kill-gate.mjs');

type Milestone = 'none' | 'build-dir' | 'build-hnsw' | 'build-manifest' | 'new-gen' | 'current';

/** A gate of kill-gate.mjs (`step:N` or a stage), or a delay after spawn (full sweep only). */
interface Kill {
  label: string;
  at: { gate: string; expect?: { state: Milestone; served: string } } | { ms: number };
}

/** The default kills: one per stage, each with the index state it must leave and what then serves. */
const STAGES: Kill[] = [
  { label: 'before build dir', at: { gate: 'before', expect: { state: 'none', served: 'gen-000001' } } },
  { label: 'in build dir', at: { gate: 'build-dir', expect: { state: 'build-dir', served: 'gen-000001' } } },
  { label: 'after HNSW write', at: { gate: 'hnsw', expect: { state: 'build-hnsw', served: 'gen-000001' } } },
  { label: 'after manifest', at: { gate: 'manifest', expect: { state: 'build-manifest', served: 'gen-000001' } } },
  { label: 'after rename', at: { gate: 'renamed', expect: { state: 'new-gen', served: 'gen-000001' } } },
  { label: 'after switch', at: { gate: 'switched', expect: { state: 'current', served: 'gen-000002' } } },
];

interface Outcome {
  label: string;
  killedAtMs: number;
  exited: string;
  state: Milestone;
  served: string;
}

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let base: string;
let before: AnswerShape[];
let after: AnswerShape[];
/** The build's steps as kill-gate.mjs numbers them (from the reference run). */
let steps: string[] = [];
let fullMs = 0;
const outcomes: Outcome[] = [];
const diagnostics: string[] = [];

function configFor(index: string): Config {
  return testConfig(ws.corpus, index);
}

/** `ingest --force` on `index` in a child with the kill gate loaded; fd 3 carries its step reports. */
function spawnGated(index: string, gate: string): { child: ChildProcess; reports: string[]; stopped: Promise<string | null>; done: Promise<CliRun> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', KILL_GATE, INGEST_CLI, '--corpus', ws.corpus, '--index', index, '--force', '--quiet'], {
    cwd: REPO,
    env: {
      ...process.env,
      DOCENT_EMBEDDER: 'hash',
      DOCENT_CACHE_DIR: path.join(REPO, '.docent', 'cache'),
      NODE_OPTIONS: '',
      DOCENT_KILL_GATE_DIR: index,
      DOCENT_KILL_GATE_AT: gate,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const done = finished(child, t0);
  const reports: string[] = [];
  const stopped = new Promise<string | null>((resolve) => {
    let buf = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        reports.push(line);
        if (line.startsWith('stopped ')) resolve(line.slice('stopped '.length));
      }
    });
    void done.then(() => resolve(null));
  });
  return { child, reports, stopped, done };
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

/** What the index folder shows. */
async function milestoneOf(index: string): Promise<Milestone> {
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

/** Runs one --force build on a fresh copy of the "before" index; kills it where `kill` says. */
async function runAndKill(kill: Kill, index: string): Promise<{ killedAtMs: number; exited: string }> {
  await copyDir(base, index);
  const t0 = performance.now();
  const gate = 'gate' in kill.at ? kill.at.gate : 'none';
  const run = spawnGated(index, gate);
  if ('gate' in kill.at) {
    const where = await run.stopped;
    // a gate the build never reaches is a broken test, not a passed one
    if (!where) {
      const r = await run.done;
      throw new Error(`${kill.label}: the child never reached gate ${gate} (exit ${r.code}); steps:\n${run.reports.join('\n')}\n${r.stderr}`);
    }
  } else {
    await Promise.race([new Promise((r) => setTimeout(r, (kill.at as { ms: number }).ms)), run.done]);
  }
  const killedAtMs = performance.now() - t0;
  run.child.kill('SIGKILL');
  const r = await run.done;
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
  if ('gate' in kill.at && kill.at.expect) {
    expect(exited, kill.label).toBe('killed');
    expect({ state, served: served.generation }, kill.label).toEqual(kill.at.expect);
  }

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

/** One uninterrupted child build on a copy of the "before" index: its steps, duration and answers. */
async function reference(i: number): Promise<number> {
  const ref = path.join(ws.root, `ref-${i}`);
  await copyDir(base, ref);
  const run = spawnGated(ref, 'none');
  const r = await run.done;
  expect(r.code, r.stderr).toBe(0);
  steps = run.reports.filter((l) => l.startsWith('step '));
  const a = await answersOf(ref);
  expect(a.generation, `${r.stdout}\n${a.warnings}`).toBe('gen-000002');
  after = a.shapes;
  await fs.rm(ref, { recursive: true, force: true });
  return r.ms;
}

function table(): string {
  const byState: Record<string, number> = {};
  const byServed: Record<string, number> = {};
  for (const o of outcomes) {
    byState[o.state] = (byState[o.state] ?? 0) + 1;
    byServed[o.served] = (byServed[o.served] ?? 0) + 1;
  }
  return [
    ...diagnostics,
    `fault injection: ${outcomes.length} kills; index state at kill ${JSON.stringify(byState)}; served afterwards ${JSON.stringify(byServed)}`,
    ...outcomes.map((o) => `${o.label.padEnd(34)} ${String(o.killedAtMs).padStart(5)} ms  ${o.exited.padEnd(7)} ${o.state.padEnd(15)} -> ${o.served}`),
  ].join('\n');
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

  // the reference build: the steps the gates number and the answers of a completed build
  const first = await reference(0);
  if (FULL) {
    // duration of a full, uninterrupted child build, two at once as the kills run
    const times = [...(await Promise.all([reference(1), reference(2)])), ...(await Promise.all([reference(3), reference(4)]))];
    fullMs = [...times].sort((a, b) => a - b)[2];
    diagnostics.push(`fault injection: full child build ${Math.round(first)} ms cold, ${times.map(Math.round).join(' / ')} ms two at once`);
  }
  diagnostics.push(`fault injection: ${steps.length} build steps:\n  ${steps.join('\n  ')}`);
  // the two states must be distinguishable, or the test proves nothing
  expect(after).not.toEqual(before);
}, 120_000);

afterAll(async () => {
  if (FULL && outcomes.length) console.log(table());
  await ws?.cleanup();
});

describe('SIGKILL during ingest', () => {
  it(`GIVEN ${FULL ? 'a kill before every build step and at delays over the whole build' : 'a kill at each stage of the build'} THEN every time the index loads, answers as before or as after, and the next build succeeds`, async () => {
    onTestFailed(() => console.log(table()));
    const kills: Kill[] = [...STAGES];
    if (FULL) {
      for (let i = 0; i < steps.length; i++) kills.push({ label: `before ${steps[i].replace(/-\d+-[0-9a-f]+|\.\d+\.[0-9a-f]+\.tmp/g, '…')}`, at: { gate: `step:${i}` } });
      const N = 40;
      for (let i = 0; i < N; i++) {
        const f = (i / (N - 1)) * 1.25;
        kills.push({ label: `t=${f.toFixed(3)}×full`, at: { ms: Math.round(f * fullMs) } });
      }
    }

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
    // the kills covered both sides of the switch and every stage inside the build
    const states = new Set(outcomes.map((o) => o.state));
    for (const s of ['none', 'build-dir', 'build-hnsw', 'build-manifest', 'new-gen', 'current'] as const) expect(states).toContain(s);
    expect(new Set(outcomes.map((o) => o.served))).toEqual(new Set(['gen-000001', 'gen-000002']));
  }, FULL ? 600_000 : 120_000);
});
