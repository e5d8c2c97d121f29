/**
 * The database of `npm run bench -- --store postgres|both` when none is given: PGlite (Postgres
 * compiled to WebAssembly) with pgvector, served over the wire protocol by pglite-socket on a free
 * port of 127.0.0.1, in a child process (scripts/pglite-server.ts), so the store reaches it
 * through the `pg` driver as it would a server, and the database's work does not share the
 * bench's thread. PGlite runs on one thread: its figures are PGlite's, not a Postgres server's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './run.js';

export interface BenchDatabase {
  url: string;
  /** What it is, for the report. */
  label: string;
  /** Peak RSS of the database process so far, MB (null when unknown). */
  peakRssMB(): number | null;
  stop(): Promise<void>;
}

const version = (pkg: string): string => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
};

/** Starts PGlite in a child process; resolves once it listens (its DATABASE_URL read from its first line). */
export async function startPglite(log: (line: string) => void = () => {}): Promise<BenchDatabase> {
  const script = path.join(ROOT, 'scripts', 'pglite-server.ts');
  if (!fs.existsSync(script)) throw new Error(`${path.relative(ROOT, script)} is missing: pass --database-url (or set DATABASE_URL) to bench a Postgres of your own`);
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = await new Promise<{ url: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /DATABASE_URL=(\S+)/.exec(out)?.[1];
      if (url) resolve({ url });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`the PGlite server exited (${signal ?? code}) before it listened: ${err.slice(-800)}`)));
  });
  child.removeAllListeners('exit');
  child.stdout!.resume();
  child.stderr!.resume();
  const postgres = await serverVersion(started.url).catch(async (e: unknown) => {
    await stopChild(child);
    throw e;
  });
  const label =
    `PGlite ${version('@electric-sql/pglite')} (Postgres ${postgres} in WebAssembly, one thread) with pglite-pgvector ${version('@electric-sql/pglite-pgvector')}, ` +
    `served by pglite-socket ${version('@electric-sql/pglite-socket')} on 127.0.0.1 in a child process, reached through pg ${version('pg')}`;
  log(`database: ${label}`);
  return { url: started.url, label, peakRssMB: () => peakRss(child), stop: () => stopChild(child) };
}

/** `SHOW server_version` through the driver the store uses ("18.6"). */
async function serverVersion(url: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version.split(' ')[0] ?? '?';
  } finally {
    await client.end();
  }
}

/** VmHWM of a running child (Linux), MB. */
function peakRss(child: ChildProcess): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
