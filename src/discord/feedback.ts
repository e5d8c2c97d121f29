export type Vote = 'up' | 'down';

export interface FeedbackSource {
  n: number;
  source: string;
  title: string;
  section: string;
  lines: [number, number];
}

/**
 * One line of a `feedback.jsonl` (where votes were kept before the questions database, which
 * imports it once). For one (answerId, userId) the last line wins.
 */
export interface FeedbackEntry {
  time: string;
  answerId: string;
  messageId: string | null;
  userId: string;
  vote: Vote;
  question: string;
  answer: string;
  sources: FeedbackSource[];
}

/** Collapses a feedback file's entries to the last vote per (answer, user). */
export function latestVotes(entries: FeedbackEntry[]): FeedbackEntry[] {
  const last = new Map<string, FeedbackEntry>();
  for (const e of entries) {
    const k = `${e.answerId}:${e.userId}`;
    last.delete(k);
    last.set(k, e);
  }
  return [...last.values()];
}
