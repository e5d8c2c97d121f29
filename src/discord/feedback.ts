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
