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

/** Votes on answers, appended as JSON lines to `file`; survives restarts. */
export class FeedbackStore {
  private readonly votes = new Map<string, Vote>();
  private chain: Promise<void> = Promise.resolve();
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

  /** Appends the vote; returns the vote it replaces, if any. */
  async record(entry: FeedbackEntry): Promise<Vote | undefined> {
    const key = `${entry.answerId}:${entry.userId}`;
    const previous = this.votes.get(key);
    const line = JSON.stringify(entry) + '\n';
    // Serialise appends so concurrent votes never interleave inside a line.
    const write = this.chain.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await appendFile(this.file, line, 'utf8');
    });
    this.chain = write.catch(() => {});
    await write;
    // counted only once it is on disk: a failed write can be retried
    this.votes.set(key, entry.vote);
    return previous;
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
