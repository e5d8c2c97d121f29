import type { ClosestSource, Hit, Refusal } from '../types.js';

/**
 * A refusal is a value (why, what is missing, where the closest passages are) that every front
 * end renders once: `renderRefusal` gives the one sentence that says why; the closest sources
 * are listed by each front end in its own way (CLI lines, a Discord list).
 */
export function sectionOf(c: Hit['chunk']): string {
  return c.headings.join(' › ');
}

function closestSources(hits: Hit[], n = 3): ClosestSource[] {
  const out: ClosestSource[] = [];
  for (const h of hits) {
    if (out.length >= n) break;
    const c = h.chunk;
    if (out.some((o) => o.source === c.source && o.lines[0] === c.lineStart)) continue;
    out.push({ source: c.source, title: c.title, section: sectionOf(c), lines: [c.lineStart, c.lineEnd] });
  }
  return out;
}

export function makeRefusal(reason: Refusal['reason'], hits: Hit[], missing: string[] = []): Refusal {
  return { reason, missing, closest: reason === 'unsupported-language' ? [] : closestSources(hits) };
}

const ENABLE_LLM = 'DOCENT_ANSWERER=llm:<model>';

/** The sentence that says why a question was not answered (no source list: front ends add it). */
export function renderRefusal(r: Refusal): string {
  switch (r.reason) {
    case 'unknown-subject':
      return `I couldn't find anything about ${r.missing.join(', ')} in the indexed documents.`;
    case 'unsupported-language':
      return `I can only read questions in English without a language model. Please ask in English, or ask an operator to switch on the LLM answerer (${ENABLE_LLM}), which answers in your language.`;
    case 'empty-index':
      return 'Nothing is indexed yet, so I have nothing to answer from.';
    default:
      return "I couldn't find an answer to that in the indexed documents.";
  }
}

/** One line per closest source, for plain-text front ends. */
export function closestLine(c: ClosestSource): string {
  return `${c.title}${c.section ? ` › ${c.section}` : ''} (${c.source}, lines ${c.lines[0]}–${c.lines[1]})`;
}
