/**
 * The conversation policy, one for every front end (the REPL, Discord threads, DMs and reply
 * chains): how many turns a conversation keeps, and which earlier questions carry the topic of
 * a follow-up. Front ends keep turns with `remember()`; retrieval steers a follow-up with
 * `topicQuestions()` (see `search()`).
 */
import { terms, words } from './text/words.js';
import type { Turn } from './types.js';

/** Turns a conversation keeps; older ones are forgotten. */
export const MAX_TURNS = 6;

/** The conversation after `turn`: its last `max` turns, oldest first. */
export function remember(turns: readonly Turn[], turn: Turn, max = MAX_TURNS): Turn[] {
  return [...turns, turn].slice(-max);
}

/** The part of `history` the pipeline uses: the last MAX_TURNS turns. */
export function recentTurns(history: readonly Turn[] | undefined): Turn[] {
  return (history ?? []).slice(-MAX_TURNS);
}

/** Words that ask for more about the topic without naming one ("tell me more", "explain", "what happened next"). */
const FOLLOW_UP_WORDS = new Set(terms('tell explain elaborate expand clarify detail details example examples mean means continue go else next happen happened again'));
/** Words that point back at an earlier turn's subject. */
const REFERS_BACK = new Set('it its they them their theirs this that these those he him his she her'.split(' '));

/**
 * Whether a question says too little of its own to carry a topic: it has no content word
 * besides follow-up words ("Why?", "Tell me more.", "What happened next?"), or it points back
 * with a pronoun and names at most two things ("When was it announced?", "Why did they do that?").
 * "What is Wukong?" and "How much did Token Hub cost?" carry their own topic.
 */
export function saysLittle(question: string): boolean {
  const own = terms(question).filter((t) => !FOLLOW_UP_WORDS.has(t));
  if (own.length === 0) return true;
  return own.length <= 2 && words(question).some((w) => REFERS_BACK.has(w));
}

/**
 * The earlier questions that carry the topic of the next question, oldest first: the last turn
 * whose question carried a topic of its own, and the follow-ups asked since. So "Why?" after
 * "Why?" after "What is Token Hub?" is still about Token Hub, and "Why?" after "When was it
 * announced?" after "What is Wukong?" is about Wukong's announcement. When the last turn names
 * its own topic this is that one question; without history, none.
 */
export function topicQuestions(history: readonly Turn[] | undefined): string[] {
  const turns = recentTurns(history);
  if (turns.length === 0) return [];
  let from = turns.length - 1;
  while (from > 0 && saysLittle(turns[from].question)) from--;
  return turns.slice(from).map((t) => t.question);
}
