/**
 * The Postgres store's connection: one `pg` Pool per store, and the one place where a database
 * that cannot be reached becomes the `STORE_UNAVAILABLE` UserError naming the host (never the
 * password). The pool reconnects by itself: a question asked while the database is down fails
 * with that message, the next one after it is back succeeds.
 */
import pg from 'pg';
import { describeUrl } from '../../config.js';
import { UserError } from '../../errors.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03']);

/** Is this the database being unreachable (refused, dropped, shutting down, refusing our login), not a failed statement? */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  // 08P01 (protocol violation) is a statement the server could not read, not a lost connection
  if (e.code && e.code !== '08P01' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08') || e.code.startsWith('28'))) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|Connection ended|not queryable/i.test(e.message ?? '');
}

/** A value as an SQL literal (strings quoted as pg's escapeLiteral does, arrays in Postgres's array syntax, bytes as hex bytea). */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `'\\x${v.toString('hex')}'`;
  if (Array.isArray(v)) return quote(`{${v.map((e) => (e === null || e === undefined ? 'NULL' : `"${String(e).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`);
  return quote(String(v));
}

function quote(raw: string): string {
  // Postgres text cannot hold NUL (a document's text may, from HTML or PDF): U+FFFD in its place
  // keeps the string's length, so character offsets (quotes, line numbers) stay exact
  const s = raw.includes('\0') ? raw.replace(/\0/g, '\uFFFD') : raw;
  const q = `'${s.replace(/'/g, "''")}'`;
  return s.includes('\\') ? ` E${q.replace(/\\/g, '\\\\')}` : q;
}

/**
 * `sql` with its `$n` placeholders replaced by the values as literals: every statement goes as
 * one simple-protocol message. PGlite's socket server queues protocol messages from all
 * connections onto one session, so the several messages of an extended-protocol query from two
 * connections could interleave there (one's Bind meeting the other's Parse); a single message
 * cannot. On Postgres it is the same statement.
 */
export function inline(sql: string, params: unknown[] = []): string {
  if (!params.length) return sql;
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`no value for $${n}`);
    return literal(params[i]);
  });
}

/** What a query runs on: the pool, or one connection inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

export class Db implements Queryable {
  constructor(
    readonly pool: pg.Pool,
    /** `postgres://host:port/database`, for messages. */
    readonly where: string,
  ) {}

  static create(url: string, opts: { max?: number } = {}): Db {
    // libpq's connect_timeout (seconds) in the URL, which pg itself does not read from it
    const timeout = Number(new URL(url).searchParams.get('connect_timeout'));
    const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4, connectionTimeoutMillis: timeout > 0 ? timeout * 1000 : 10_000, idleTimeoutMillis: 10_000, application_name: 'docent' });
    // an idle connection the server dropped: the pool discards it and connects anew on next use
    // (without a listener this error would end the process)
    pool.on('error', () => {});
    return new Db(pool, describeUrl(url));
  }

  /** A connection-level failure as `STORE_UNAVAILABLE`; any other error as it is. */
  wrap(err: unknown): unknown {
    if (err instanceof UserError || !isConnectionError(err)) return err;
    const e = err as { code?: string; message?: string };
    const why = e.code && !/^\d/.test(e.code) ? e.code : (e.message ?? 'connection failed').replace(/postgres(ql)?:\/\/\S+/g, '…');
    return new UserError('STORE_UNAVAILABLE', `The index store (Postgres at ${this.where}) cannot be reached (${why}). Try again in a moment.`, { cause: err });
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(inline(sql, params));
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Runs `fn` in one transaction on one connection (rolled back when it throws). */
  async tx<T>(fn: (client: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err);
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const out = await fn({ query: <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => client.query<R>(inline(sql, params)) });
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw this.wrap(err);
    } finally {
      client.release(broken);
    }
  }

  async end(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  /**
   * The process's one pool for `url`, shared by every store on that database (a bot serving many
   * collections would otherwise open a pool per collection, past Postgres's connection limit);
   * `release()` ends it when its last user is done.
   */
  static shared(url: string): { db: Db; release: () => Promise<void> } {
    let s = SHARED.get(url);
    if (!s) SHARED.set(url, (s = { db: Db.create(url, { max: 10 }), users: 0 }));
    s.users++;
    const entry = s;
    let released = false;
    return {
      db: entry.db,
      release: async () => {
        if (released) return;
        released = true;
        if (--entry.users > 0) return;
        if (SHARED.get(url) === entry) SHARED.delete(url);
        await entry.db.end();
      },
    };
  }
}

const SHARED = new Map<string, { db: Db; users: number }>();
