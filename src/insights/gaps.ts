/**
 * Coverage gaps a moderator can act on: the logged gap questions grouped by similarity (one
 * group per thing people could not find out, near-duplicates merged with the configured
 * embedder), and, after a re-index, the gap questions asked again so those now answered close.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { AnswerResult } from '../types.js';
import { cosine } from '../text/vector.js';
import type { GapQuestion, InsightsStore } from './store.js';

/** One group of gap questions, as `/gaps` and `npm run gaps` list them. */
export interface GapGroup {
  /** The most asked wording (the latest among equals). */
  question: string;
  /** How many times the group's questions were asked. */
  count: number;
  lastAsked: string;
  /** Jump link of the latest question of the group that has one. */
  link: string | null;
  /** The other wordings merged into it, most asked first. */
  variants: string[];
  kinds: Array<GapQuestion['kind']>;
  ids: string[];
}

/** Case, spacing and closing punctuation do not make another question. */
function normalizeQuestion(q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').replace(/[\s?!.…]+$/u, '').trim();
}

/**
 * Groups gap questions: the same question (normalized) is one wording; wordings whose embeddings
 * have a cosine of at least `similarity` with a group's first (most asked) wording join it.
 * Most asked first, then the most recently asked.
 */
export async function groupGaps(gaps: GapQuestion[], embeddings: EmbeddingsInterface, similarity: number): Promise<GapGroup[]> {
  const wordings = new Map<string, GapQuestion[]>();
  for (const g of gaps) {
    const key = normalizeQuestion(g.question);
    const list = wordings.get(key) ?? [];
    list.push(g);
    wordings.set(key, list);
  }
  const latest = (list: GapQuestion[]) => list.reduce((a, b) => (b.askedAt > a.askedAt ? b : a)).askedAt;
  const keys = [...wordings.keys()].sort((a, b) => wordings.get(b)!.length - wordings.get(a)!.length || latest(wordings.get(b)!).localeCompare(latest(wordings.get(a)!)) || a.localeCompare(b));
  const vectors = keys.length ? await embeddings.embedDocuments(keys) : [];
  const groups: Array<{ head: number; members: number[] }> = [];
  keys.forEach((_, i) => {
    const home = groups.find((g) => cosine(vectors[g.head], vectors[i]) >= similarity);
    if (home) home.members.push(i);
    else groups.push({ head: i, members: [i] });
  });
  const out = groups.map((g): GapGroup => {
    const asked = g.members.flatMap((i) => wordings.get(keys[i])!).sort((a, b) => b.askedAt.localeCompare(a.askedAt));
    const headAsked = wordings.get(keys[g.head])!.sort((a, b) => b.askedAt.localeCompare(a.askedAt));
    return {
      question: headAsked[0].question,
      count: asked.length,
      lastAsked: asked[0].askedAt,
      link: asked.find((a) => a.link)?.link ?? null,
      variants: g.members.slice(1).map((i) => wordings.get(keys[i])![0].question),
      kinds: [...new Set(asked.map((a) => a.kind))],
      ids: asked.map((a) => a.id),
    };
  });
  return out.sort((a, b) => b.count - a.count || b.lastAsked.localeCompare(a.lastAsked));
}

/** The open gaps, grouped; of one collection's questions when `collection` is given. */
export async function listGaps(store: InsightsStore, embeddings: EmbeddingsInterface, similarity: number, opts: { collection?: string } = {}): Promise<GapGroup[]> {
  return groupGaps(await store.openGaps(opts), embeddings, similarity);
}

/**
 * Asks every open gap question again (each wording once) and closes those now answered: a
 * refused or silent question that gets an answer, a 👎 one whose answer changed. Returns how many
 * wordings closed.
 */
export async function recheckGaps(
  store: InsightsStore,
  ask: (question: string) => Promise<Pick<AnswerResult, 'answered' | 'answer' | 'generation'>>,
  opts: { collection?: string } = {},
): Promise<{ closed: number; asked: number; generation?: string }> {
  // a collection's re-index answers its own gaps only: another's are asked of their own documents
  const open = await store.openGaps(opts);
  const byWording = new Map<string, GapQuestion[]>();
  for (const g of open) {
    const key = normalizeQuestion(g.question);
    byWording.set(key, [...(byWording.get(key) ?? []), g]);
  }
  let closed = 0;
  let generation: string | undefined;
  for (const list of byWording.values()) {
    let result;
    try {
      result = await ask(list[0].question);
    } catch {
      continue; // a question the pipeline now rejects stays a gap
    }
    generation = result.generation;
    if (!result.answered) continue;
    const ids = list.filter((g) => g.kind !== 'downvoted' || g.answer !== result.answer).map((g) => g.id);
    if (!ids.length) continue;
    await store.closeGaps(ids, result.generation);
    if (ids.length === list.length) closed++;
  }
  return { closed, asked: byWording.size, generation };
}
