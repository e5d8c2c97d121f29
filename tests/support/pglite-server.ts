/**
 * One PGlite (Postgres in WebAssembly) with pgvector, served over the Postgres wire protocol on
 * 127.0.0.1 by pglite-socket, so the Postgres store is tested through the `pg` driver it uses in
 * production. Creating it costs seconds of CPU: the test run starts one (pglite-global-setup.ts)
 * and tests keep apart by collection name. `stop()` and `start()` again on the same port model a
 * database that goes away and comes back (the data stays: it lives in the PGlite instance).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface PgliteServer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  /** Stops listening and drops every connection (open transactions are rolled back); the database stays. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops and closes the database. */
  close(): Promise<void>;
}

/**
 * A fresh PGlite runs initdb (~8 s of CPU); one started from a dump of a fresh one (~1.5 s) is
 * the same database. The dump is kept here, per PGlite version.
 */
function dumpPath(root: string): string {
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;
  return path.join(root, 'node_modules/.cache/docent-pglite', `pglite-${version}-vector.tgz`);
}

async function createDb(opts: { dataDir?: string; cacheRoot?: string }): Promise<PGlite> {
  const extensions = { vector };
  if (opts.dataDir || !opts.cacheRoot) return PGlite.create({ dataDir: opts.dataDir, extensions });
  const file = dumpPath(opts.cacheRoot);
  if (fs.existsSync(file)) return PGlite.create({ extensions, loadDataDir: new Blob([fs.readFileSync(file)]) });
  const db = await PGlite.create({ extensions });
  const dump = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, dump);
  fs.renameSync(tmp, file);
  return db;
}

export async function startPgliteServer(opts: { port?: number; dataDir?: string; maxConnections?: number; cacheRoot?: string } = {}): Promise<PgliteServer> {
  const db = await createDb(opts);
  const version = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
  let port = opts.port ?? 0;
  const make = () => new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: opts.maxConnections ?? 32 });
  let server: PGLiteSocketServer | null = make();
  await server.start();
  if (port === 0) port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    version,
    async stop() {
      await server?.stop();
      server = null;
    },
    async start() {
      if (server) return;
      server = make();
      await server.start();
    },
    async close() {
      await server?.stop();
      server = null;
      await db.close();
    },
  };
}
