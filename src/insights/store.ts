/**
 * The questions database: every question with its outcome (answered or refused, support,
 * citations), the votes on its answer, hand-offs, solved marks and gaps, in one SQLite file
 * (through libSQL, whose prebuilt binary installs from the registry in seconds). Gaps are
 * grouped and counted with SQL instead of re-reading JSON lines; the votes of an older
 * `feedback.jsonl` are moved in once, the first time the database is opened.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Client, InStatement } from '@libsql/client';
import { UserError } from '../errors.js';

export type Vote = 'up' | 'down';

/** A cited source as the bot showed it (kept with a question for top sources and old votes). */
export interface QuestionSource {
  n: number;
  source: string;
  title: string;
  section: string;
  lines: [number, number];
}

/** Where a question came from. `auto`: a help-channel message Docent read without being asked. */
export type Via = 'discord' | 'auto' | 'cli' | 'repl';

/** One question and what came of it, as a front end records it. */
export interface QuestionRecord {
  /** The answer id (the bot's buttons carry it). */
  id: string;
  question: string;
  answered: boolean;
  answer: string;
  /** How well the best sentence supported the answer (0–1), when the reader said. */
  support?: number;
  sources: QuestionSource[];
  userId?: string;
  /** Jump link to the question (or to the answer when the question has no message). */
  link?: string;
  generation?: string;
  via?: Via;
  /** Nothing was posted though the reader answered (auto-answer below its bar): a gap. */
  gap?: boolean;
  /** ISO time; now by default. */
  askedAt?: string;
  /** The collection that answered (default: the store's default collection). */
  collection?: string;
  /** The Discord server it was asked in (none in a DM or a terminal). */
  guildId?: string;
}

export interface VoteRecord {
  answerId: string;
  userId: string;
  vote: Vote;
  messageId?: string | null;
  time?: string;
  /** The collection of the answer (default: the store's), for an answer that was never logged. */
  collection?: string;
  /** What the voter saw: used when the answer was never logged (an answer from before the log). */
  question?: string;
  answer?: string;
  sources?: QuestionSource[];
}

/** A logged question that is a gap: refused, not confident enough to answer on its own, or 👎. */
export interface GapQuestion {
  id: string;
  question: string;
  askedAt: string;
  link: string | null;
  answer: string;
  kind: 'refused' | 'silent' | 'downvoted';
}

export interface Stats {
  /** Questions per UTC day, oldest first, over the window. */
  perDay: Array<{ day: string; questions: number; answered: number }>;
  questions: number;
  answered: number;
  up: number;
  down: number;
  handOffs: number;
  solved: number;
  /** Most cited documents in answers, most first. */
  topSources: Array<{ source: string; title: string; answers: number }>;
  openGaps: number;
}

class InsightsError extends UserError {}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    asked_at TEXT NOT NULL,
    via TEXT NOT NULL,
    user_id TEXT,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    support REAL,
    citations INTEGER NOT NULL,
    sources TEXT NOT NULL,
    answer TEXT NOT NULL,
    link TEXT,
    generation TEXT,
    gap INTEGER NOT NULL DEFAULT 0,
    hand_offs INTEGER NOT NULL DEFAULT 0,
    solved INTEGER,
    closed_at TEXT,
    closed_by TEXT
  )`,
  `CREATE INDEX IF NOT EXISTS questions_asked ON questions (asked_at)`,
  `CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    vote TEXT NOT NULL,
    time TEXT NOT NULL,
    message_id TEXT,
    PRIMARY KEY (answer_id, user_id)
  )`,
  `CREATE TABLE IF NOT EXISTS notices (answer_id TEXT PRIMARY KEY)`,
];

/**
 * Columns added after the first release, each with the statements that add it to an existing
 * database (SQLite has no ADD COLUMN IF NOT EXISTS: the table's columns are read first). The
 * questions of a database from before collections were all answered by the default collection.
 */
const ADDED_COLUMNS: Array<{ column: string; add: (defaultCollection: string) => InStatement[] }> = [
  {
    column: 'collection',
    add: (defaultCollection) => [
      `ALTER TABLE questions ADD COLUMN collection TEXT`,
      { sql: `UPDATE questions SET collection = ? WHERE collection IS NULL`, args: [defaultCollection] },
      `CREATE INDEX IF NOT EXISTS questions_collection ON questions (collection, asked_at)`,
    ],
  },
  { column: 'guild_id', add: () => [`ALTER TABLE questions ADD COLUMN guild_id TEXT`] },
];

/** An open gap, in SQL: not closed by a later re-index, and refused, silent or 👎 by anyone now. */
const OPEN_GAP = `q.closed_at IS NULL AND (q.answered = 0 OR q.gap = 1 OR EXISTS (SELECT 1 FROM votes v WHERE v.answer_id = q.id AND v.vote = 'down'))`;

/** The SQL that keeps one collection's questions (`q`), or nothing for all of them. */
function inCollection(collection: string | undefined): { sql: string; args: string[] } {
  return collection === undefined ? { sql: '', args: [] } : { sql: ' AND q.collection = ?', args: [collection] };
}

async function loadLibsql(): Promise<typeof import('@libsql/client')> {
  try {
    return await import('@libsql/client');
  } catch (err) {
    throw new InsightsError('INSIGHTS_DRIVER_MISSING', 'The questions database needs @libsql/client and its prebuilt binary for this platform; run `npm ci` again.', { cause: err });
  }
}

/**
 * The questions database. `open()` creates the file on first use; writes are applied one at a
 * time, so a vote reads the previous vote after every earlier one was written.
 */
export class InsightsStore {
  private chain: Promise<unknown> = Promise.resolve();
  private constructor(
    readonly file: string,
    private readonly db: Client,
    /** The collection of records that name none (DOCENT_DEFAULT_COLLECTION). */
    readonly defaultCollection: string,
  ) {}

  /**
   * Opens (or creates) the database at `file`. With `migrateFrom`, the votes of that
   * `feedback.jsonl` are imported once, and the file is renamed `….migrated`. A database from
   * before collections gets its `collection` column, filled with `defaultCollection`.
   */
  static async open(file: string, opts: { migrateFrom?: string; defaultCollection?: string } = {}): Promise<InsightsStore> {
    const defaultCollection = opts.defaultCollection ?? 'default';
    await mkdir(path.dirname(file), { recursive: true });
    const { createClient } = await loadLibsql();
    let db: Client;
    try {
      // the shards of `start:sharded` share this file: wait for another process's write instead of failing with SQLITE_BUSY
      db = createClient({ url: `file:${file}`, timeout: 5_000 });
      await db.batch(SCHEMA, 'write');
      const missingNow = async () => {
        const columns = new Set((await db.execute('PRAGMA table_info(questions)')).rows.map((row) => String(row.name)));
        return ADDED_COLUMNS.filter((c) => !columns.has(c.column));
      };
      const missing = await missingNow();
      // all or nothing: a database is either migrated or as it was
      if (missing.length) {
        await db.batch(missing.flatMap((c) => c.add(defaultCollection)), 'write').catch(async (err: unknown) => {
          // another process (a shard starting beside this one) added them first: its batch, all or
          // nothing too, left the database migrated
          if ((await missingNow()).length) throw err;
        });
      }
    } catch (err) {
      throw new InsightsError('INSIGHTS_UNREADABLE', `The questions database ${file} could not be opened: ${(err as Error).message}`, { cause: err });
    }
    const store = new InsightsStore(file, db, defaultCollection);
    if (opts.migrateFrom) await store.migrateFeedback(opts.migrateFrom);
    return store;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => {});
    return run;
  }

  /** Imports a feedback.jsonl once (last vote per user and answer wins; torn lines skipped). */
  private async migrateFeedback(file: string): Promise<void> {
    const key = `migrated:${path.resolve(file)}`;
    if ((await this.db.execute({ sql: 'SELECT 1 FROM meta WHERE key = ?', args: [key] })).rows.length) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const statements: InStatement[] = [];
    let votes = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let e: { time?: string; answerId?: string; messageId?: string | null; userId?: string; vote?: string; question?: string; answer?: string; sources?: QuestionSource[] };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // a torn last line (crash mid-write)
      }
      if (!e.answerId || !e.userId || (e.vote !== 'up' && e.vote !== 'down')) continue;
      statements.push(...this.voteStatements({ answerId: e.answerId, userId: e.userId, vote: e.vote, messageId: e.messageId ?? null, time: e.time, question: e.question, answer: e.answer, sources: e.sources }));
      if (e.vote === 'down') statements.push({ sql: 'INSERT OR IGNORE INTO notices (answer_id) VALUES (?)', args: [e.answerId] });
      votes++;
    }
    statements.push({ sql: 'INSERT INTO meta (key, value) VALUES (?, ?)', args: [key, JSON.stringify({ at: new Date().toISOString(), votes })] });
    // all or nothing: a failure leaves the file to be imported next time
    await this.db.batch(statements, 'write');
    await rename(file, `${file}.migrated`).catch(() => {});
  }

  private voteStatements(v: VoteRecord): InStatement[] {
    const time = v.time ?? new Date().toISOString();
    return [
      {
        // an answer from before the questions were logged: keep what the voter saw
        sql: `INSERT OR IGNORE INTO questions (id, asked_at, via, question, answered, citations, sources, answer, collection) VALUES (?, ?, 'discord', ?, 1, ?, ?, ?, ?)`,
        args: [v.answerId, time, v.question ?? '', v.sources?.length ?? 0, JSON.stringify(v.sources ?? []), v.answer ?? '', v.collection ?? this.defaultCollection],
      },
      {
        sql: `INSERT INTO votes (answer_id, user_id, vote, time, message_id) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, time = excluded.time, message_id = COALESCE(excluded.message_id, votes.message_id)`,
        args: [v.answerId, v.userId, v.vote, time, v.messageId ?? null],
      },
    ];
  }

  /** Logs a question and its outcome (a second record with the same id replaces the first). */
  recordQuestion(r: QuestionRecord): Promise<void> {
    return this.write(async () => {
      await this.db.execute({
        sql: `INSERT OR REPLACE INTO questions (id, asked_at, via, user_id, question, answered, support, citations, sources, answer, link, generation, gap, collection, guild_id)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [r.id, r.askedAt ?? new Date().toISOString(), r.via ?? 'discord', r.userId ?? null, r.question, r.answered ? 1 : 0, r.support ?? null, r.sources.length, JSON.stringify(r.sources), r.answer, r.link ?? null, r.generation ?? null, r.gap ? 1 : 0, r.collection ?? this.defaultCollection, r.guildId ?? null],
      });
    });
  }

  /** Sets the jump link of a logged question once its message exists. */
  setLink(id: string, link: string): Promise<void> {
    return this.write(async () => {
      await this.db.execute({ sql: 'UPDATE questions SET link = ? WHERE id = ?', args: [link, id] });
    });
  }

  /**
   * A question Docent saw but did not answer (auto-answer below its bar): a gap until a re-index
   * answers it. `id` defaults to a fresh one.
   */
  recordGap(r: Omit<QuestionRecord, 'id' | 'answered' | 'answer' | 'sources'> & { id?: string; answer?: string; sources?: QuestionSource[] }): Promise<void> {
    const id = r.id ?? `gap-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    return this.write(async () => {
      await this.db.execute({
        sql: `INSERT INTO questions (id, asked_at, via, user_id, question, answered, support, citations, sources, answer, link, generation, gap, collection, guild_id)
              VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 1, ?, ?)
              ON CONFLICT (id) DO UPDATE SET gap = 1, answered = 0`,
        args: [id, r.askedAt ?? new Date().toISOString(), r.via ?? 'auto', r.userId ?? null, r.question, r.support ?? null, r.sources?.length ?? 0, JSON.stringify(r.sources ?? []), r.answer ?? '', r.link ?? null, r.generation ?? null, r.collection ?? this.defaultCollection, r.guildId ?? null],
      });
    });
  }

  /** Records a user's vote (unless it is their vote already); returns the vote it replaces, if any. */
  recordVote(v: VoteRecord): Promise<Vote | undefined> {
    return this.write(async () => {
      const previous = await this.voteOfNow(v.answerId, v.userId);
      if (previous === v.vote) return previous;
      await this.db.batch(this.voteStatements(v), 'write');
      return previous;
    });
  }

  private async voteOfNow(answerId: string, userId: string): Promise<Vote | undefined> {
    const rs = await this.db.execute({ sql: 'SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?', args: [answerId, userId] });
    return (rs.rows[0]?.vote as Vote | undefined) ?? undefined;
  }

  /** The user's current vote on an answer. */
  async voteOf(answerId: string, userId: string): Promise<Vote | undefined> {
    await this.chain;
    return this.voteOfNow(answerId, userId);
  }

  /** Every user's current vote on an answer, in the order they first voted. */
  async votesOn(answerId: string): Promise<Array<{ userId: string; vote: Vote }>> {
    await this.chain;
    const rs = await this.db.execute({ sql: 'SELECT user_id, vote FROM votes WHERE answer_id = ? ORDER BY rowid', args: [answerId] });
    return rs.rows.map((r) => ({ userId: String(r.user_id), vote: r.vote as Vote }));
  }

  /**
   * True the first time it is asked for an answer (and never for one that had a 👎 before): the
   * moderators hear of an answer's 👎 once, however often it is toggled, across restarts.
   */
  claimDownvoteNotice(answerId: string): Promise<boolean> {
    return this.write(async () => {
      const rs = await this.db.execute({ sql: 'INSERT OR IGNORE INTO notices (answer_id) VALUES (?)', args: [answerId] });
      return rs.rowsAffected === 1;
    });
  }

  /** Counts a hand-off to a human for an answer. */
  recordHandOff(answerId: string): Promise<void> {
    return this.write(async () => {
      await this.db.execute({ sql: 'UPDATE questions SET hand_offs = hand_offs + 1 WHERE id = ?', args: [answerId] });
    });
  }

  /** Marks the question of an answer solved (or unsolved again). */
  recordSolved(answerId: string, solved = true): Promise<void> {
    return this.write(async () => {
      await this.db.execute({ sql: 'UPDATE questions SET solved = ? WHERE id = ?', args: [solved ? 1 : 0, answerId] });
    });
  }

  /** The open gaps, newest first; of one collection's questions when `collection` is given. */
  async openGaps(opts: { collection?: string } = {}): Promise<GapQuestion[]> {
    await this.chain;
    const of = inCollection(opts.collection);
    const rs = await this.db.execute({
      sql: `SELECT q.id, q.question, q.asked_at, q.link, q.answer, q.answered, q.gap FROM questions q WHERE ${OPEN_GAP} AND q.question <> ''${of.sql} ORDER BY q.asked_at DESC, q.rowid DESC`,
      args: of.args,
    });
    return rs.rows.map((r) => ({
      id: String(r.id),
      question: String(r.question),
      askedAt: String(r.asked_at),
      link: r.link === null ? null : String(r.link),
      answer: String(r.answer),
      kind: Number(r.gap) === 1 ? 'silent' : Number(r.answered) === 0 ? 'refused' : 'downvoted',
    }));
  }

  /** Closes gaps that a re-index answered (`by`: the generation that answers them). */
  closeGaps(ids: string[], by: string): Promise<void> {
    if (!ids.length) return Promise.resolve();
    const at = new Date().toISOString();
    return this.write(async () => {
      await this.db.batch(
        ids.map((id) => ({ sql: 'UPDATE questions SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL', args: [at, by, id] })),
        'write',
      );
    });
  }

  /** Figures for `/stats`, over the last `days` days (UTC) up to `now`; of one collection's questions when `collection` is given. */
  async stats(opts: { days?: number; now?: Date; collection?: string } = {}): Promise<Stats> {
    await this.chain;
    const days = opts.days ?? 14;
    const now = opts.now ?? new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1))).toISOString();
    const of = inCollection(opts.collection);
    const q = (sql: string) => this.db.execute({ sql, args: [from, ...of.args] });
    const [perDay, totals, votes, top, gaps] = await Promise.all([
      q(`SELECT substr(asked_at, 1, 10) AS day, count(*) AS n, sum(answered) AS a FROM questions q WHERE asked_at >= ?${of.sql} GROUP BY day ORDER BY day`),
      q(`SELECT count(*) AS n, coalesce(sum(answered), 0) AS a, coalesce(sum(hand_offs), 0) AS h, count(*) FILTER (WHERE solved = 1) AS s FROM questions q WHERE asked_at >= ?${of.sql}`),
      // a vote counts for the collection of the answer it is on
      opts.collection === undefined
        ? q(`SELECT count(*) FILTER (WHERE vote = 'up') AS up, count(*) FILTER (WHERE vote = 'down') AS down FROM votes WHERE time >= ?`)
        : q(`SELECT count(*) FILTER (WHERE v.vote = 'up') AS up, count(*) FILTER (WHERE v.vote = 'down') AS down FROM votes v JOIN questions q ON q.id = v.answer_id WHERE v.time >= ?${of.sql}`),
      q(`SELECT json_extract(j.value, '$.source') AS source, max(json_extract(j.value, '$.title')) AS title, count(DISTINCT q.id) AS n
         FROM questions q, json_each(q.sources) j WHERE q.asked_at >= ? AND q.answered = 1${of.sql} GROUP BY source ORDER BY n DESC, source LIMIT 5`),
      this.db.execute({ sql: `SELECT count(*) AS n FROM questions q WHERE ${OPEN_GAP}${of.sql}`, args: of.args }),
    ]);
    const t = totals.rows[0];
    return {
      perDay: perDay.rows.map((r) => ({ day: String(r.day), questions: Number(r.n), answered: Number(r.a) })),
      questions: Number(t.n),
      answered: Number(t.a),
      up: Number(votes.rows[0].up),
      down: Number(votes.rows[0].down),
      handOffs: Number(t.h),
      solved: Number(t.s),
      topSources: top.rows.map((r) => ({ source: String(r.source), title: String(r.title ?? r.source), answers: Number(r.n) })),
      openGaps: Number(gaps.rows[0].n),
    };
  }

  async close(): Promise<void> {
    await this.chain;
    this.db.close();
  }
}
