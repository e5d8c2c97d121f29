/**
 * Text of `/gaps`, `npm run gaps` and `/stats` (one rendering for the bot and the terminal; the
 * bot passes `inertText` so a logged question cannot mention anyone or hide a link).
 */
import type { GapGroup } from './gaps.js';
import type { Stats } from './store.js';

export interface RenderOptions {
  /** Makes a logged question safe where it is shown (Discord: `inertText`). */
  show?: (text: string) => string;
  /** Most groups listed (default 15). */
  max?: number;
  /** Longest text (default 2000, a Discord message). */
  maxChars?: number;
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The gap groups, most asked first: count, the question, how many wordings, last asked, link. */
export function renderGaps(groups: GapGroup[], opts: RenderOptions = {}): string {
  const show = opts.show ?? ((s: string) => s);
  if (!groups.length) return 'No open gaps: every logged question is answered and no answer has a 👎.';
  const max = opts.max ?? 15;
  const total = groups.reduce((n, g) => n + g.count, 0);
  const lines = [`Open gaps: ${groups.length} (${total} question${total === 1 ? '' : 's'}), most asked first`];
  for (const g of groups.slice(0, max)) {
    const also = g.variants.length ? ` (+${g.variants.length} similar wording${g.variants.length === 1 ? '' : 's'})` : '';
    const why = g.kinds.map((k) => ({ refused: 'unanswered', silent: 'not confident', downvoted: '👎' })[k]).join(', ');
    lines.push(`${g.count}× “${show(clip(g.question.replace(/\s+/g, ' '), 150))}”${also} — ${why}; last asked ${g.lastAsked.slice(0, 16).replace('T', ' ')} UTC${g.link ? ` ${g.link}` : ''}`);
  }
  if (groups.length > max) lines.push(`… and ${groups.length - max} more`);
  let text = lines.join('\n');
  const limit = opts.maxChars ?? 2000;
  while (text.length > limit && lines.length > 2) {
    lines.splice(-2, 2, '… (more not shown)');
    text = lines.join('\n');
  }
  return text;
}

const pct = (a: number, n: number) => (n ? `${Math.round((100 * a) / n)}%` : '—');

/** `/stats`: questions per day, answered share, votes, hand-offs, solved, top sources. */
export function renderStats(s: Stats, days: number, show: (text: string) => string = (t) => t): string {
  const lines = [
    `Last ${days} days: ${s.questions} question${s.questions === 1 ? '' : 's'}, ${s.answered} answered (${pct(s.answered, s.questions)})`,
    `Votes: 👍 ${s.up} · 👎 ${s.down} · hand-offs ${s.handOffs} · solved ${s.solved} · open gap questions ${s.openGaps}`,
    'Per day: ' + (s.perDay.length ? s.perDay.map((d) => `${d.day} ${d.questions} (${d.answered} answered)`).join(', ') : 'none'),
    'Top sources: ' + (s.topSources.length ? s.topSources.map((t) => `${show(t.source)} (${t.answers})`).join(', ') : 'none'),
  ];
  return lines.join('\n');
}
