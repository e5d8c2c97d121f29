import type { QuestionView } from '../types.js';

/** One line saying what the reader understood of a question, for `:why` and `/why`. */
export function explainAnalysis(v: QuestionView): string {
  const parts = [`expected answer: ${v.type}`, `focus: ${v.focus.length ? v.focus.join(', ') : '—'}`];
  if (v.subject.length) parts.push(`about: ${v.subject.join(' ')}`);
  if (v.corrections.length) parts.push(`read ${v.corrections.map((c) => `"${c.from}" as "${c.to}"`).join(', ')}`);
  const c = v.constraints;
  const must = [...c.years, ...c.numbers];
  if (must.length) parts.push(`must mention: ${must.join(', ')}`);
  if (c.names.length) parts.push(`names: ${c.names.join(', ')}`);
  if (v.missing.length) parts.push(`not in any document: ${v.missing.join(', ')}`);
  return parts.join(' · ');
}
