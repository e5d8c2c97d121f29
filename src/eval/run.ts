import type { ReaderWeights } from '../answer/weights.js';
/**
 * Runs the eval: the seed dev set on the project's corpus, XQuAD on its own corpus, the
 * out-of-corpus and on-topic negatives, per retrieval mode and per reader ablation.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Docent } from '../pipeline.js';
import { READER_PARTS, type FusionMode, type ReaderPart } from '../types.js';
import { byParagraph, loadSeed, loadSquad, setName, writeCorpus, xquadCorpus, type EvalItem } from './data.js';
import { aggregate, byKind, judge, type KindRow, type Outcome, type SetRow } from './metrics.js';
import type { AblationRow, CalibrationPoint } from './report.js';

export interface EvalOptions {
  config: Config;
  logger: Logger;
  /** Seed-style JSONL questions, asked of `config.corpusDir`. */
  seedFile: string;
  /** XQuAD/SQuAD JSON, or null to skip XQuAD (and the negatives built from it). */
  xquadFile: string | null;
  /** Scratch folder: each run builds its indexes and corpora in a new folder there, removed at the end. */
  work: string;
  /** Retrieval modes; the first is the one per-kind results, negatives and the ablation use. */
  modes: FusionMode[];
  k: number;
  /** Build the on-topic negatives (one index per XQuAD paragraph). */
  negatives: boolean;
  /** Also run every configuration with one reader part switched off. */
  ablate: boolean;
  /** Reader tuning constants to try instead of the defaults (src/answer/weights.ts). */
  weights?: Partial<ReaderWeights>;
  /** Leave-one-article-out negatives and the threshold sweep. */
  calibrate: boolean;
  /** Receives a line per miss and per false answer (primary configuration only). */
  verbose?: (line: string) => void;
}

export interface EvalReport {
  data: {
    seed: { set: string; file: string; questions: number; corpus: string };
    xquad: { set: string; file: string; articles: number; paragraphs: number; questions: number } | null;
  };
  /** Retrieval and answer quality per set and mode (reader with nothing switched off). */
  rows: SetRow[];
  /** Seed questions per kind (primary mode). */
  kinds: KindRow[];
  /** XQuAD on the full corpus beside the on-topic negatives. */
  negatives: { builds: number; full: SetRow; row: SetRow; seconds: number } | null;
  ablation: AblationRow[] | null;
  calibration: CalibrationPoint[] | null;
  seconds: { total: number; indexes: number };
}

interface Configuration {
  name: string;
  ablate: ReaderPart[];
}

async function ask(docent: Docent, items: EvalItem[], opts: { mode: FusionMode; k: number; ablate: ReaderPart[]; negative?: boolean; weights?: Partial<ReaderWeights> }): Promise<Outcome[]> {
  const index = await docent.current();
  const docText = (s: string) => index.docTexts.get(s);
  const out: Outcome[] = [];
  for (const item of items) {
    const r = await docent.answer(item.question, { k: Math.max(opts.k, 5), mode: opts.mode, ...(opts.ablate.length ? { ablate: opts.ablate } : {}), ...(opts.weights ? { readerWeights: opts.weights } : {}) });
    out.push(judge(item, r, docText, { negative: opts.negative }));
  }
  return out;
}

function report(verbose: EvalOptions['verbose'], set: string, outcomes: Outcome[], items: EvalItem[]): void {
  if (!verbose) return;
  const want = new Map(items.map((i) => [i.id, i.answers]));
  for (const o of outcomes) {
    const support = o.support === null ? '—' : o.support.toFixed(3);
    if (o.answerable && !o.hit) {
      verbose(`MISS [${set}] ${o.id} ${o.kind} rank=${o.rank} support=${support} ${o.answered ? '' : `REFUSED${o.refusal ? ` (${o.refusal})` : ''} `}${o.question}\n   → ${o.answer.slice(0, 300).replace(/\n/g, ' ')}\n   want ${JSON.stringify(want.get(o.id))}`);
    } else if (!o.answerable && o.answered) {
      verbose(`FALSE ANSWER [${set}] ${o.id} support=${support}${o.hit ? ' (holds the gold answer)' : ''} ${o.question}\n   → ${o.answer.slice(0, 300).replace(/\n/g, ' ')}`);
    }
  }
}

const asNegatives = (items: EvalItem[]): EvalItem[] => items.map((i) => ({ ...i, answers: [], evidence: null }));

/**
 * Runs the eval in a fresh folder under `o.work` (removed afterwards), so that two evals at once
 * (a developer's and a test's) never share an index or a written-out corpus.
 */
export async function runEval(o: EvalOptions): Promise<EvalReport> {
  await fs.mkdir(o.work, { recursive: true });
  const work = await fs.mkdtemp(path.join(o.work, 'run-'));
  try {
    return await runIn(o, work);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function runIn(o: EvalOptions, work: string): Promise<EvalReport> {
  const t0 = performance.now();
  const primary = o.modes[0];
  const configs: Configuration[] = [{ name: 'none', ablate: [] }, ...(o.ablate ? READER_PARTS.map((p) => ({ name: p, ablate: [p] })) : [])];

  const seed = await loadSeed(o.seedFile);
  const squad = o.xquadFile ? await loadSquad(o.xquadFile) : null;
  const xq = squad ? xquadCorpus(squad) : null;
  const seedSet = setName(o.seedFile);
  const xSet = o.xquadFile ? setName(o.xquadFile) : 'xquad';

  // with DOCENT_STORE=postgres each index the eval builds is a collection of its own
  const run = `eval-${Math.random().toString(36).slice(2, 8)}`;
  const at = (name: string): Partial<Config> => (o.config.store === 'postgres' ? { collection: `${run}-${name}`.slice(0, 63) } : {});
  // indexes: the seed corpus, and XQuAD written out as Markdown (never into corpus/)
  const seedDocent = await Docent.open({ ...o.config, ...at('seed'), indexDir: path.join(work, 'seed-index') }, { logger: o.logger });
  await seedDocent.reindex({ purpose: 'eval' });
  // one embedder (GloVe takes ~45 MB) for every index the eval builds
  const embeddings = seedDocent.embeddings;
  let xDocent: Docent | null = null;
  const xCorpusDir = path.join(work, 'xquad-corpus');
  if (xq) {
    await writeCorpus(xCorpusDir, xq.docs);
    xDocent = await Docent.open({ ...o.config, ...at('xquad'), corpusDir: xCorpusDir, indexDir: path.join(work, 'xquad-index') }, { logger: o.logger, embeddings });
    await xDocent.reindex({ purpose: 'eval' });
  }
  const tIndexes = performance.now();

  const rows: SetRow[] = [];
  const seedBy = new Map<string, Outcome[]>();
  const xquadBy = new Map<string, Outcome[]>();
  const calib: Record<string, Outcome[]> = {};
  try {
    for (const mode of o.modes) {
      const cs = mode === primary ? configs : configs.slice(0, 1);
      for (const c of cs) {
        const s = await ask(seedDocent, seed, { mode, k: o.k, ablate: c.ablate, weights: o.weights });
        const x = xDocent && xq ? await ask(xDocent, xq.items, { mode, k: o.k, ablate: c.ablate, weights: o.weights }) : null;
        if (c.name !== 'none') {
          seedBy.set(c.name, s);
          if (x) xquadBy.set(c.name, x);
          continue;
        }
        rows.push(aggregate(seedSet, s, { mode }));
        if (x) rows.push(aggregate(xSet, x, { mode }));
        if (mode !== primary) continue;
        seedBy.set(c.name, s);
        if (x) xquadBy.set(c.name, x);
        report(o.verbose, seedSet, s, seed);
        if (x && xq) report(o.verbose, xSet, x, xq.items);
        if (xDocent && xq) {
          // out-of-corpus: each set's questions asked of the other corpus must be refused
          const a = await ask(seedDocent, asNegatives(xq.items), { mode, k: o.k, ablate: [], weights: o.weights });
          const b = await ask(xDocent, asNegatives(seed.filter((i) => i.answers.length)), { mode, k: o.k, ablate: [], weights: o.weights });
          rows.push(aggregate(`${xSet} → ${seedSet} corpus`, a, { mode }), aggregate(`${seedSet} → ${xSet} corpus`, b, { mode }));
          calib['out-of-corpus'] = [...a, ...b];
        }
      }
    }
  } finally {
    await seedDocent.close();
    await xDocent?.close();
  }

  // on-topic negatives: each question asked of the corpus without its own gold paragraph
  let negatives: EvalReport['negatives'] = null;
  const negBy = new Map<string, Outcome[]>();
  if (squad && xq && o.negatives) {
    const tn = performance.now();
    const groups = byParagraph(xq.items);
    const base = path.join(work, 'negatives');
    try {
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i];
        const dir = path.join(base, String(i));
        const corpusDir = path.join(dir, 'corpus');
        await writeCorpus(corpusDir, xquadCorpus(squad, g.paragraph).docs);
        const d = await Docent.open({ ...o.config, ...at(`neg-${i}`), corpusDir, indexDir: path.join(dir, 'index') }, { logger: o.logger, embeddings });
        try {
          for (const c of configs) {
            const outs = await ask(d, g.items, { mode: primary, k: o.k, ablate: c.ablate, negative: true, weights: o.weights });
            negBy.set(c.name, [...(negBy.get(c.name) ?? []), ...outs]);
          }
        } finally {
          await d.close();
        }
        await fs.rm(dir, { recursive: true, force: true });
      }
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
    const row = aggregate(`${xSet} on-topic negatives`, negBy.get('none')!, { mode: primary });
    report(o.verbose, 'on-topic negative', negBy.get('none')!, xq.items);
    calib['on-topic negatives'] = negBy.get('none')!;
    negatives = { builds: groups.length, full: aggregate(xSet, xquadBy.get('none')!, { mode: primary }), row, seconds: (performance.now() - tn) / 1000 };
  }

  // leave-one-article-out: each article's questions asked of the other articles
  if (squad && xq && o.calibrate) {
    const sources = xq.docs.map((d) => d.source);
    const loo: Outcome[] = [];
    const base = path.join(work, 'leave-one-article-out');
    try {
      for (const src of sources) {
        const dir = path.join(base, src.replace(/\.md$/, ''));
        const corpusDir = path.join(dir, 'corpus');
        await writeCorpus(corpusDir, xq.docs.filter((d) => d.source !== src));
        const d = await Docent.open({ ...o.config, ...at(`loo-${sources.indexOf(src)}`), corpusDir, indexDir: path.join(dir, 'index') }, { logger: o.logger, embeddings });
        try {
          loo.push(...(await ask(d, xq.items.filter((i) => i.paragraph?.source === src), { mode: primary, k: o.k, ablate: [], negative: true, weights: o.weights })));
        } finally {
          await d.close();
        }
      }
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
    rows.push(aggregate(`${xSet} leave-one-article-out`, loo, { mode: primary }));
    calib['other-article'] = loo;
  }

  let calibration: CalibrationPoint[] | null = null;
  if (o.calibrate) {
    const answerable = [...(seedBy.get('none') ?? []), ...(xquadBy.get('none') ?? [])].filter((x) => x.answerable).map((x) => x.support ?? 0);
    const negSets = Object.entries(calib).map(([name, os]) => [name, os.map((x) => x.support ?? 0)] as const);
    negSets.unshift(['seed unanswerable', (seedBy.get('none') ?? []).filter((x) => !x.answerable).map((x) => x.support ?? 0)]);
    calibration = [];
    for (let t = 0.2; t <= 0.7001; t += 0.02) {
      calibration.push({
        threshold: t,
        kept: answerable.filter((s) => s >= t).length / Math.max(1, answerable.length),
        refused: Object.fromEntries(negSets.map(([name, s]) => [name, s.filter((x) => x < t).length / Math.max(1, s.length)])),
      });
    }
  }

  const ablation: AblationRow[] | null = o.ablate
    ? configs.map((c) => ({
        config: c.name,
        seed: aggregate(seedSet, seedBy.get(c.name)!, { mode: primary, ablate: c.name }),
        xquad: xquadBy.has(c.name) ? aggregate(xSet, xquadBy.get(c.name)!, { mode: primary, ablate: c.name }) : null,
        negatives: negBy.has(c.name) ? aggregate(`${xSet} on-topic negatives`, negBy.get(c.name)!, { mode: primary, ablate: c.name }) : null,
      }))
    : null;

  // one block per set (with --mode all the modes of a set stay together)
  const order = [...new Set(rows.map((r) => r.set))];
  rows.sort((a, b) => order.indexOf(a.set) - order.indexOf(b.set));

  return {
    data: {
      seed: { set: seedSet, file: o.seedFile, questions: seed.length, corpus: o.config.corpusDir },
      xquad: squad && xq && o.xquadFile ? { set: xSet, file: o.xquadFile, articles: xq.docs.length, paragraphs: xq.paragraphs.length, questions: xq.items.length } : null,
    },
    rows,
    kinds: byKind(seedBy.get('none')!),
    negatives,
    ablation,
    calibration,
    seconds: { total: (performance.now() - t0) / 1000, indexes: (tIndexes - t0) / 1000 },
  };
}
