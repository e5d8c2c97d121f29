import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { DEFAULT_WEIGHTS, type ReaderWeights } from '../answer/weights.js';
import { ablationTable, calibrationTable, kindTable, negativesTable, setTable } from '../eval/report.js';
import { runEval } from '../eval/run.js';
import { READER_PARTS, type FusionMode } from '../types.js';
import { cliConfig, cliLogger, parseCli, runMain } from './common.js';

/**
 * `npm run eval`: retrieval and answer quality on the seed dev set (the project's corpus), per
 * question kind, on the XQuAD dev set (its articles written out as a second corpus), and on
 * on-topic negatives (XQuAD questions asked without their own paragraph).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'eval');
const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
};

const USAGE = `Usage
  npm run eval -- [options]

Options
  --questions FILE   seed-style JSONL (default eval/seed-dev.jsonl), asked of the corpus
  --xquad FILE       XQuAD/SQuAD JSON (default eval/xquad-dev.en.json); "none" skips XQuAD
                     and the on-topic negatives
  --no-negatives     skip the on-topic negatives (one index build per XQuAD paragraph)
  --ablate           run everything once with the full reader and once with each reader part
                     switched off (${READER_PARTS.join(', ')}); one row per configuration
  --mode MODE        retrieval: hybrid (default), rrf, lexical, dense, or "all" for the ablation table
  --k N              retrieved chunks (default 5)
  --calibrate        also the leave-one-article-out negatives and support scores of answerable
                     vs. unanswerable questions per threshold
  --verbose          print every miss and every false answer to stderr
  --weights JSON     reader constants to try instead of the defaults (src/answer/weights.ts),
                     e.g. '{"typedThreshold":0.3,"maxUnits":2}'
  --json FILE        also write every figure as JSON
  --work DIR         scratch folder (default .docent/eval): each run builds its indexes and
                     corpora in a new folder there and removes it at the end
  -h, --help

Data lives in eval/ (see eval/README.md: the seed questions are the project's own, XQuAD is
CC BY-SA 4.0). XQuAD is written out under the scratch folder, never into corpus/.

Examples
  npm run eval
  npm run eval -- --ablate --json eval-results.json
  npm run eval -- --mode all`;

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    questions: { type: 'string' },
    xquad: { type: 'string' },
    'no-negatives': { type: 'boolean', default: false },
    ablate: { type: 'boolean', default: false },
    weights: { type: 'string' },
    mode: { type: 'string', default: 'hybrid' },
    k: { type: 'string', default: '5' },
    calibrate: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    json: { type: 'string' },
    work: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const v = args.values;
  if (v.help) return void process.stdout.write(USAGE + '\n');
  if (args.positionals.length) throw new UserError('USAGE', `unexpected argument "${args.positionals[0]}" (see --help)`);
  const modes: FusionMode[] = v.mode === 'all' ? ['hybrid', 'lexical', 'dense', 'rrf'] : [v.mode as FusionMode];
  if (!modes.every((m) => ['hybrid', 'rrf', 'lexical', 'dense'].includes(m))) throw new UserError('USAGE', `--mode: expected hybrid, rrf, lexical, dense or all, got "${v.mode}"`);
  const k = Number(v.k);
  if (!Number.isInteger(k) || k < 1 || k > 50) throw new UserError('USAGE', `--k: expected a whole number from 1 to 50, got "${v.k}"`);
  const config = cliConfig({});

  const r = await runEval({
    config,
    logger: cliLogger(config),
    seedFile: path.resolve(v.questions ?? path.join(DATA, 'seed-dev.jsonl')),
    xquadFile: v.xquad === 'none' ? null : path.resolve(v.xquad ?? path.join(DATA, 'xquad-dev.en.json')),
    work: path.resolve(v.work ?? path.join(ROOT, '.docent/eval')),
    modes,
    k,
    negatives: !v['no-negatives'],
    ablate: v.ablate,
    ...(v.weights ? { weights: parseWeights(v.weights) } : {}),
    calibrate: v.calibrate,
    verbose: v.verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  });

  const out: string[] = [];
  const d = r.data;
  out.push(`Seed: ${rel(d.seed.file)} (${d.seed.questions} questions) on ${rel(d.seed.corpus)}/`);
  out.push(d.xquad ? `XQuAD: ${rel(d.xquad.file)} (${d.xquad.articles} articles, ${d.xquad.paragraphs} paragraphs, ${d.xquad.questions} questions)` : 'XQuAD: skipped');
  out.push('', `## Retrieval and answers (k = ${k})`, '', setTable(r.rows));
  out.push('', `## Seed dev set by kind (${modes[0]})`, '', kindTable(r.kinds));
  const full = d.xquad && r.rows.find((x) => x.set === d.xquad!.set && x.mode === modes[0]);
  if (full) {
    const neg = r.negatives;
    out.push('', neg ? `## XQuAD and on-topic negatives (own paragraph removed: ${neg.builds} builds, ${neg.seconds.toFixed(1)} s)` : '## XQuAD (on-topic negatives skipped)', '', negativesTable(full, neg?.row ?? null));
  }
  if (r.ablation) out.push('', `## Reader ablation (${modes[0]})`, '', ablationTable(r.ablation));
  if (r.calibration) out.push('', '## Refusal calibration (support below the threshold → refused)', '', calibrationTable(r.calibration));
  out.push('', `Time: ${r.seconds.total.toFixed(1)} s (indexes ${r.seconds.indexes.toFixed(1)} s${r.negatives ? `, on-topic negatives ${r.negatives.seconds.toFixed(1)} s` : ''})`);
  process.stdout.write(out.join('\n') + '\n');
  if (v.json) {
    await fs.writeFile(path.resolve(v.json), JSON.stringify(r, null, 2) + '\n');
    process.stdout.write(`Figures written to ${rel(path.resolve(v.json))}\n`);
  }
});

function parseWeights(json: string): Partial<ReaderWeights> {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    throw new UserError('USAGE', `--weights: not JSON: ${json}`);
  }
  const known = Object.keys(DEFAULT_WEIGHTS);
  const bad = Object.keys(o as object).filter((k) => !known.includes(k));
  if (typeof o !== 'object' || o === null || bad.length) throw new UserError('USAGE', `--weights: unknown constant ${bad.join(', ')}; known: ${known.join(', ')}`);
  return o as Partial<ReaderWeights>;
}
