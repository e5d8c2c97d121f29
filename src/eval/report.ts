/**
 * The eval's figures as compact Markdown tables.
 */
import type { KindRow, SetRow } from './metrics.js';

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

function num(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

function ratio(count: number, of: number): string {
  return of ? `${count}/${of}` : '—';
}

function table(head: string[], align: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${align.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Retrieval and answer quality, one row per set and retrieval mode. */
export function setTable(rows: SetRow[]): string {
  return table(
    ['set', 'retrieval', 'questions', 'recall@1', 'recall@3', 'recall@5', 'MRR', 'answer hit', 'citation overlaps evidence', 'refused', 'false refusals', 'refusal precision', 'refusal recall', 'mean answer chars', 'median answer chars', 'ms/question'],
    ['---', '---', ...Array(14).fill('---:')],
    rows.map((r) => [
      r.set,
      r.mode,
      String(r.n),
      pct(r.r1),
      pct(r.r3),
      pct(r.r5),
      num(r.mrr, 3),
      pct(r.hit),
      pct(r.cite),
      String(r.refused),
      r.answerable ? String(r.falseRefusals) : '—',
      pct(r.refusalPrecision),
      pct(r.refusalRecall),
      num(r.meanChars),
      num(r.medianChars),
      num(r.msPerQuestion, 1),
    ]),
  );
}

/** Seed questions per kind: answer hit and false refusals (answerable), refusals (all). */
export function kindTable(rows: KindRow[]): string {
  return table(
    ['kind', 'n', 'answer hit', 'false refusals', 'refused'],
    ['---', '---:', '---:', '---:', '---:'],
    rows.map((r) => {
      const k = r.kind === 'all' ? '**all**' : r.kind;
      return [k, String(r.n), ratio(r.hits, r.answerable), r.answerable ? String(r.falseRefusals) : '—', String(r.refused)];
    }),
  );
}

/** XQuAD on the full corpus beside the on-topic negatives (own paragraph removed). */
export function negativesTable(full: SetRow, negatives: SetRow | null): string {
  return table(
    ['XQuAD', 'questions', 'answer contains gold', 'false refusals', 'on-topic negatives refused', 'mean answer chars', 'median answer chars'],
    ['---', '---:', '---:', '---:', '---:', '---:', '---:'],
    [[full.set, String(full.n), pct(full.hit), pct(full.falseRefusalRate), negatives ? `${pct(negatives.refusalRecall)} (${negatives.unanswerableRefused}/${negatives.n})` : '—', num(full.meanChars), num(full.medianChars)]],
  );
}

/** One configuration of the reader (nothing switched off, or one part). */
export interface AblationRow {
  config: string;
  seed: SetRow;
  xquad: SetRow | null;
  negatives: SetRow | null;
}

export function ablationTable(rows: AblationRow[]): string {
  const lengthOf = rows.some((r) => r.xquad) ? 'XQuAD' : 'seed';
  return table(
    ['reader', 'seed hit', 'seed false refusals', 'seed unanswerable refused', 'XQuAD contains gold', 'XQuAD false refusals', 'on-topic negatives refused', `median answer chars (${lengthOf})`],
    ['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:'],
    rows.map((r) => [
      r.config === 'none' ? 'full reader' : `without ${r.config}`,
      ratio(r.seed.hits, r.seed.answerable),
      String(r.seed.falseRefusals),
      ratio(r.seed.unanswerableRefused, r.seed.unanswerable),
      r.xquad ? pct(r.xquad.hit) : '—',
      r.xquad ? pct(r.xquad.falseRefusalRate) : '—',
      r.negatives ? pct(r.negatives.refusalRecall) : '—',
      num((r.xquad ?? r.seed).medianChars),
    ]),
  );
}

export interface CalibrationPoint {
  threshold: number;
  /** Share of answerable questions whose support reaches the threshold. */
  kept: number;
  /** Shares of each negative set whose support falls below it. */
  refused: Record<string, number>;
}

export function calibrationTable(points: CalibrationPoint[]): string {
  const sets = Object.keys(points[0]?.refused ?? {});
  return table(
    ['threshold', 'answerable kept', ...sets.map((s) => `${s} refused`)],
    ['---:', '---:', ...sets.map(() => '---:')],
    points.map((p) => [p.threshold.toFixed(2), pct(p.kept), ...sets.map((s) => pct(p.refused[s]))]),
  );
}
