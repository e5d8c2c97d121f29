import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Docent } from '../pipeline.js';
import type { FusionMode } from '../retrieval/search.js';
import type { AnswerResult } from '../types.js';
import { cliConfig, cliLogger, parseCli, runMain } from './common.js';

/**
 * `npm run eval`: retrieval and answer quality on the seed dev set (the project's corpus) and on
 * the XQuAD dev set (its 12 articles written out as a second corpus).
 */
const USAGE = `Usage
  npm run eval -- [options]

Options
  --questions FILE   seed-style JSONL (default ../shared/eval/seed-dev.jsonl)
  --xquad FILE       XQuAD/SQuAD JSON (default ../shared/eval/xquad-dev.en.json); "none" to skip
  --mode MODE        retrieval: hybrid (default), rrf, lexical, dense, or "all" for the ablation table
  --k N              retrieved chunks (default 5)
  --calibrate        also print support scores of answerable vs. out-of-corpus questions
  --verbose          print every question with its answer
  -h, --help

Examples
  npm run eval
  npm run eval -- --mode all`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.resolve(ROOT, '../shared/eval');

interface Item {
  id: string;
  question: string;
  /** Groups of alternatives; every group must match. Empty: must be refused. */
  answers: string[][];
  /** Evidence: a verbatim string, or an absolute span [source, start, end] in a document. */
  evidence: { text: string } | { source: string; start: number; end: number } | null;
}

interface Row {
  set: string;
  mode: string;
  n: number;
  r1: number;
  r3: number;
  r5: number;
  mrr: number;
  hit: number;
  cite: number;
  refused: number;
  /** NaN when the set has no question that must be refused. */
  refP: number;
  refR: number;
  len: number;
  ms: number;
}

async function seedItems(file: string): Promise<Item[]> {
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  return lines.map((l) => {
    const o = JSON.parse(l) as { id: string; question: string; answers: string[][]; evidence: string };
    return { id: o.id, question: o.question, answers: o.answers, evidence: o.evidence ? { text: o.evidence } : null };
  });
}

interface Squad {
  data: Array<{ title: string; paragraphs: Array<{ context: string; qas: Array<{ id: string; question: string; answers: Array<{ text: string; answer_start: number }> }> }> }>;
}

/** Writes the XQuAD articles as Markdown files and returns their questions with gold spans. */
async function xquadCorpus(file: string, dir: string): Promise<Item[]> {
  const squad = JSON.parse(await fs.readFile(file, 'utf8')) as Squad;
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const items: Item[] = [];
  for (const art of squad.data) {
    const source = `${art.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.md`;
    const title = art.title.replace(/_/g, ' ');
    let text = `# ${title}\n\n`;
    for (const p of art.paragraphs) {
      const offset = text.length;
      text += `${p.context}\n\n`;
      for (const qa of p.qas) {
        const a = qa.answers[0];
        items.push({ id: qa.id, question: qa.question, answers: [qa.answers.map((x) => x.text)], evidence: { source, start: offset + a.answer_start, end: offset + a.answer_start + a.text.length } });
      }
    }
    await fs.writeFile(path.join(dir, source), text);
  }
  return items;
}

function fold(s: string): string {
  return s.normalize('NFKC').replace(/[’‘]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').toLowerCase();
}

function answerHits(item: Item, r: AnswerResult): boolean {
  if (!r.answered) return false;
  const a = fold(r.answer);
  return item.answers.every((g) => g.some((alt) => a.includes(fold(alt))));
}

/** Does this retrieved chunk cover the evidence (or the gold answer span)? */
function covers(item: Item, chunk: AnswerResult['retrieved'][number]['chunk']): boolean {
  const ev = item.evidence;
  if (!ev) return false;
  if ('text' in ev) return fold(chunk.text).includes(fold(ev.text));
  return chunk.source === ev.source && chunk.start <= ev.start && chunk.end >= ev.end;
}

function citationOverlaps(item: Item, r: AnswerResult, docText: (source: string) => string | undefined): boolean {
  const ev = item.evidence;
  if (!ev) return false;
  return r.citations.some((c) => {
    const doc = docText(c.source);
    if (!doc) return false;
    const qs = doc.indexOf(c.quote);
    if (qs < 0) return false;
    const qe = qs + c.quote.length;
    if ('text' in ev) {
      const es = doc.indexOf(ev.text);
      return es >= 0 && qs < es + ev.text.length && es < qe;
    }
    return c.source === ev.source && qs < ev.end && ev.start < qe;
  });
}

async function evaluate(set: string, docent: Docent, items: Item[], mode: FusionMode, k: number, verbose: boolean, supports: Array<{ set: string; answerable: boolean; support: number }>): Promise<Row> {
  let r1 = 0, r3 = 0, r5 = 0, mrr = 0, hit = 0, cite = 0, refusedRight = 0, refused = 0, shouldRefuse = 0, len = 0, ms = 0, answerable = 0;
  const index = await docent.current();
  for (const item of items) {
    const t0 = performance.now();
    const r = await docent.answer(item.question, { k: Math.max(k, 5), mode });
    ms += performance.now() - t0;
    len += r.answer.length;
    const unanswerable = item.answers.length === 0;
    supports.push({ set, answerable: !unanswerable, support: r.support ?? 0 });
    if (!r.answered) refused++;
    if (unanswerable) {
      shouldRefuse++;
      if (!r.answered) refusedRight++;
    } else {
      answerable++;
      const rank = r.retrieved.findIndex((h) => covers(item, h.chunk)) + 1;
      if (rank === 1) r1++;
      if (rank >= 1 && rank <= 3) r3++;
      if (rank >= 1 && rank <= 5) r5++;
      if (rank >= 1) mrr += 1 / rank;
      const ok = answerHits(item, r);
      if (ok) hit++;
      if (citationOverlaps(item, r, (s) => index.docTexts.get(s))) cite++;
      if (verbose && !ok) process.stderr.write(`MISS ${item.id} rank=${rank} support=${(r.support ?? 0).toFixed(3)} ${item.question}\n   → ${r.answer.slice(0, 300)}\n   want ${JSON.stringify(item.answers)}\n`);
    }
    if (verbose && unanswerable) process.stderr.write(`${r.answered ? 'FALSE ANSWER' : 'refused ok'} ${item.id} support=${(r.support ?? 0).toFixed(3)} ${item.question}\n   → ${r.answer.slice(0, 200)}\n`);
  }
  const a = Math.max(1, answerable);
  return {
    set,
    mode,
    n: items.length,
    r1: r1 / a,
    r3: r3 / a,
    r5: r5 / a,
    mrr: mrr / a,
    hit: hit / a,
    cite: cite / a,
    refused,
    refP: shouldRefuse ? (refused ? refusedRight / refused : 0) : NaN,
    refR: shouldRefuse ? refusedRight / shouldRefuse : NaN,
    len: len / items.length,
    ms: ms / items.length,
  };
}

function table(rows: Row[]): string {
  const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`);
  const head = '| set | retrieval | questions | recall@1 | recall@3 | recall@5 | MRR | answer hit | citation overlaps evidence | refused | refusal precision | refusal recall | mean answer chars | ms/question |';
  const sep = '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.set} | ${r.mode} | ${r.n} | ${pct(r.r1)} | ${pct(r.r3)} | ${pct(r.r5)} | ${r.mrr.toFixed(3)} | ${pct(r.hit)} | ${pct(r.cite)} | ${r.refused} | ${pct(r.refP)} | ${pct(r.refR)} | ${r.len.toFixed(0)} | ${r.ms.toFixed(1)} |`);
  return [head, sep, ...body].join('\n');
}

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    questions: { type: 'string' },
    xquad: { type: 'string' },
    mode: { type: 'string', default: 'hybrid' },
    k: { type: 'string', default: '5' },
    calibrate: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const v = args.values;
  if (v.help) return void process.stdout.write(USAGE + '\n');
  const modes: FusionMode[] = v.mode === 'all' ? ['lexical', 'dense', 'rrf', 'hybrid'] : [v.mode as FusionMode];
  if (!modes.every((m) => ['hybrid', 'rrf', 'lexical', 'dense'].includes(m))) throw new Error(`--mode: expected hybrid, rrf, lexical, dense or all, got "${v.mode}"`);
  const k = Number(v.k);
  const base = cliConfig({});
  const logger = cliLogger(base);
  const work = path.join(ROOT, '.docent/eval');

  const seedFile = v.questions ?? path.join(SHARED, 'seed-dev.jsonl');
  const seed = await seedItems(seedFile);
  const seedDocent = await Docent.open({ ...base, indexDir: path.join(work, 'seed-index') }, { logger });
  await seedDocent.reindex({ purpose: 'eval' });

  let xquad: Item[] = [];
  let xDocent: Docent | null = null;
  const xfile = v.xquad ?? path.join(SHARED, 'xquad-dev.en.json');
  if (xfile !== 'none') {
    const corpusDir = path.join(work, 'xquad-corpus');
    xquad = await xquadCorpus(xfile, corpusDir);
    const xcfg = { ...base, corpusDir, indexDir: path.join(work, 'xquad-index') };
    xDocent = await Docent.open(xcfg, { logger });
    await xDocent.reindex({ purpose: 'eval' });
  }

  const rows: Row[] = [];
  const supports: Array<{ set: string; answerable: boolean; support: number }> = [];
  for (const mode of modes) {
    rows.push(await evaluate('seed-dev', seedDocent, seed, mode, k, v.verbose, supports));
    if (xDocent) rows.push(await evaluate('xquad-dev', xDocent, xquad, mode, k, v.verbose, supports));
    if (xDocent && (v.calibrate || modes.length === 1)) {
      // out-of-corpus questions: each set's questions against the other corpus must be refused
      const asNegatives = (items: Item[]) => items.map((i) => ({ ...i, answers: [], evidence: null }));
      rows.push(await evaluate('xquad→seed corpus', seedDocent, asNegatives(xquad), mode, k, false, supports));
      rows.push(await evaluate('seed→xquad corpus', xDocent, asNegatives(seed.filter((i) => i.answers.length)), mode, k, false, supports));
    }
  }
  if (xDocent && v.calibrate) {
    // harder negatives: each XQuAD article's questions against the other eleven articles
    const corpusDir = path.join(work, 'xquad-corpus');
    const sources = [...new Set(xquad.map((i) => (i.evidence as { source: string }).source))];
    const loo: Item[] = [];
    for (const src of sources) {
      const dir = path.join(work, 'loo', src.replace(/\.md$/, ''));
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(path.join(dir, 'corpus'), { recursive: true });
      for (const other of sources) if (other !== src) await fs.copyFile(path.join(corpusDir, other), path.join(dir, 'corpus', other));
      const d = await Docent.open({ ...base, corpusDir: path.join(dir, 'corpus'), indexDir: path.join(dir, 'index') }, { logger });
      const negatives = xquad.filter((i) => (i.evidence as { source: string }).source === src).map((i) => ({ ...i, answers: [], evidence: null }));
      loo.push(...negatives);
      const r = await evaluate(`xquad leave-one-out (${src})`, d, negatives, modes[0], k, false, supports);
      if (v.verbose) rows.push(r);
      await d.close();
    }
    const refused = supports.slice(-loo.length).filter((s) => s.support < base.answerThreshold).length;
    process.stdout.write(`leave-one-article-out negatives: ${loo.length}, refused at the default threshold: ${((refused / loo.length) * 100).toFixed(1)}%\n`);
  }
  process.stdout.write(table(rows) + '\n');
  if (v.calibrate) {
    const ans = supports.filter((s) => s.answerable).map((s) => s.support);
    const neg = supports.filter((s) => !s.answerable).map((s) => s.support);
    const hard = supports.filter((s) => !s.answerable && s.set.startsWith('xquad leave-one-out')).map((s) => s.support);
    process.stdout.write('\nthreshold | answerable kept | out-of-corpus refused | other-article refused\n');
    for (let t = 0.2; t <= 0.7001; t += 0.02) {
      const kept = ans.filter((s) => s >= t).length / Math.max(1, ans.length);
      const ref = neg.filter((s) => s < t).length / Math.max(1, neg.length);
      const refHard = hard.filter((s) => s < t).length / Math.max(1, hard.length);
      process.stdout.write(`${t.toFixed(2)} | ${(kept * 100).toFixed(1)}% | ${(ref * 100).toFixed(1)}% | ${(refHard * 100).toFixed(1)}%\n`);
    }
  }
  await seedDocent.close();
  await xDocent?.close();
});
