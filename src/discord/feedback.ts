import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type Vote = 'up' | 'down';

export interface FeedbackSource {
  n: number;
  source: string;
  title: string;
  section: string;
  lines: [number, number];
}

/** One line of the feedback file. For one (answerId, userId) the last line wins. */
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

/**
 * Votes on answers, appended as JSON lines to `file`; survives restarts. One vote state per user
 * per answer: a vote that changes nothing is not written again, and votes are applied one at a
 * time, so rapid toggles cannot both see the same previous vote.
 */
export class FeedbackStore {
  private readonly votes = new Map<string, Vote>();
  /** Answers whose 👎 the moderators have been told about (any 👎 in the file counts). */
  private readonly downNoticed = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private constructor(readonly file: string) {}

  static async open(file: string): Promise<FeedbackStore> {
    const store = new FeedbackStore(file);
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as FeedbackEntry;
        store.votes.set(`${e.answerId}:${e.userId}`, e.vote);
        if (e.vote === 'down') store.downNoticed.add(e.answerId);
      } catch {
        // A torn last line (crash mid-write) must not stop the bot.
      }
    }
    return store;
  }

  /** The user's current vote on an answer. */
  voteOf(answerId: string, userId: string): Vote | undefined {
    return this.votes.get(`${answerId}:${userId}`);
  }

  /** Appends the vote (unless it is the user's vote already); returns the vote it replaces, if any. */
  record(entry: FeedbackEntry): Promise<Vote | undefined> {
    const key = `${entry.answerId}:${entry.userId}`;
    // one at a time: the previous vote is read after every earlier vote was applied
    const run = this.chain.then(async () => {
      const previous = this.votes.get(key);
      if (previous === entry.vote) return previous;
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, JSON.stringify(entry) + '\n', 'utf8');
      // counted only once it is on disk: a failed write can be retried
      this.votes.set(key, entry.vote);
      return previous;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * True the first time it is asked for an answer (and never for one that had a 👎 before a
   * restart): the moderators hear of an answer's 👎 once, however often it is toggled.
   */
  claimDownvoteNotice(answerId: string): boolean {
    if (this.downNoticed.has(answerId)) return false;
    this.downNoticed.add(answerId);
    return true;
  }
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
