/**
 * Preloaded (`node --import`) into an ingest child that a test will SIGKILL at an exact step of
 * its build, instead of after a guessed delay.
 *
 * Every file-system step that changes an index folder's build state (paths `.build-*`, `gen-*`,
 * `CURRENT*` directly under `DOCENT_KILL_GATE_DIR`: mkdir, open for writing, file writes, rename,
 * rm, unlink) is numbered from 0 and reported on fd 3 as `step <n> <op> <relative path>`. When the
 * step named by `DOCENT_KILL_GATE_AT` is reached, the child reports `stopped <n> …` and blocks
 * its whole process (Atomics.wait), so the disk stays exactly as the earlier steps left it until
 * the test kills it. Stop points:
 *
 *   step:<n>        before step n (any step; the full sweep uses every n)
 *   before          before the build folder is created (lock taken, vectors computed)
 *   build-dir       before hnsw/ is created: data files written in the build folder, no HNSW yet
 *   hnsw            before manifest.json is opened: HNSW written, no manifest
 *   manifest        before the build folder is renamed: manifest written, no generation yet
 *   renamed         before CURRENT's temp file is written: generation in place, CURRENT old
 *   switched        after CURRENT is replaced: the build is live, lock and clean-up not done
 *   none            never stop (only report the steps)
 *
 * The block ends after 120 s with exit code 99, so a test that dies never leaves it behind.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';

const dir = process.env.DOCENT_KILL_GATE_DIR ? path.resolve(process.env.DOCENT_KILL_GATE_DIR) : '';
const at = process.env.DOCENT_KILL_GATE_AT ?? 'none';
const REPORT_FD = 3;

const STOPS = {
  before: (s) => s.phase === 'before' && s.op === 'mkdir' && /^\.build-[^/]*$/.test(s.rel),
  'build-dir': (s) => s.phase === 'before' && s.op === 'mkdir' && /^\.build-[^/]*\/hnsw$/.test(s.rel),
  hnsw: (s) => s.phase === 'before' && s.op === 'open' && /^\.build-[^/]*\/manifest\.json$/.test(s.rel),
  manifest: (s) => s.phase === 'before' && s.op === 'rename' && /^\.build-[^/]*$/.test(s.rel),
  renamed: (s) => s.phase === 'before' && s.op === 'open' && /^CURRENT\..*\.tmp$/.test(s.rel),
  switched: (s) => s.phase === 'after' && s.op === 'rename' && s.to === 'CURRENT',
};

let n = 0;
let stopped = false;

function report(line) {
  try {
    fs.writeSync(REPORT_FD, `${line}\n`);
  } catch {
    // no report pipe: run without reporting
  }
}

function rel(p) {
  if (!dir || typeof p !== 'string') return null;
  const r = path.relative(dir, path.resolve(String(p)));
  if (r.startsWith('..') || path.isAbsolute(r)) return null;
  return /^(\.build-|gen-|CURRENT)/.test(r) ? r.split(path.sep).join('/') : null;
}

function block(label) {
  stopped = true;
  report(`stopped ${label}`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  process.exit(99);
}

function gate(step) {
  if (stopped) return;
  if (step.phase === 'before' && at === `step:${step.n}`) block(`${step.n} ${step.op} ${step.rel}`);
  const named = STOPS[at];
  if (named && named(step)) block(`${at} ${step.op} ${step.rel}`);
}

/** Wraps `obj[name]` so that calls on a watched path are numbered steps with gates around them. */
function watch(obj, name, opts = {}) {
  const original = obj[name];
  if (typeof original !== 'function') return;
  obj[name] = async function gated(...args) {
    const r = opts.self ? opts.self(this) : rel(args[0]);
    if (!r || (opts.when && !opts.when(args))) return original.apply(this, args);
    const step = { n: n++, op: name, rel: r, to: name === 'rename' ? rel(args[1]) : undefined };
    report(`step ${step.n} ${step.op} ${step.rel}${step.to ? ` -> ${step.to}` : ''}`);
    gate({ ...step, phase: 'before' });
    const out = await original.apply(this, args);
    gate({ ...step, phase: 'after' });
    if (name === 'open' && out && typeof out === 'object') {
      const handleRel = r;
      watch(out, 'writeFile', { self: () => handleRel });
      watch(out, 'write', { self: () => handleRel });
    }
    return out;
  };
}

if (dir) {
  const p = fs.promises;
  const writes = (flags) => typeof flags === 'string' ? /[wa+]/.test(flags) : typeof flags === 'number' && (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0;
  watch(p, 'open', { when: (args) => writes(args[1] ?? 'r') });
  for (const name of ['mkdir', 'writeFile', 'appendFile', 'rename', 'rm', 'rmdir', 'unlink', 'copyFile', 'truncate']) watch(p, name);
  syncBuiltinESMExports();
}
