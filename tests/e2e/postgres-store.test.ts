/**
 * The Postgres store as processes use it, against the run's PGlite server
 * (tests/support/pglite-global-setup.ts; each test its own collection): the compiled CLIs with
 * DOCENT_STORE=postgres, a re-index SIGKILLed inside its switch transaction, the database going
 * away while a question waits, and two processes migrating at once.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { Db } from '../../src/index/postgres/db.js';
import { Docent } from '../../src/pipeline.js';
import { distCli } from '../support/dist.js';
import { DocumentGate, finished, GatedEmbeddings, makeWorkspace, REPO, RecordingEmbeddings, spawnIngest, testConfig } from '../support/lifecycle-helpers.js';

const ORCHARD = '# Orchard guide\n\nThe Bramley orchard is pruned every February by Ines Calloway.\n';
const ORCHARD_V2 = '# Orchard guide\n\nThe Bramley orchard is pruned every March by Tobias Renn.\n';
const Q = 'Who prunes the Bramley orchard?';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(url = inject('pgUrl')): Promise<{ corpus: string; env: Record<string, string>; config: Config }> {
  const ws = await makeWorkspace('docent-pg-');
  cleanups.push(ws.cleanup);
  await fs.rm(path.join(ws.corpus, 'alibaba.md'));
  await fs.writeFile(path.join(ws.corpus, 'orchard.md'), ORCHARD);
  const env = { DOCENT_STORE: 'postgres', DATABASE_URL: url, DOCENT_DEFAULT_COLLECTION: `c_${randomBytes(5).toString('hex')}`, DOCENT_CORPUS_DIR: ws.corpus, DOCENT_INDEX_DIR: ws.index };
  return { corpus: ws.corpus, env, config: testConfig(ws.corpus, ws.index, env) };
}

async function open(config: Config, embeddings = new RecordingEmbeddings()): Promise<Docent> {
  const d = await Docent.open(config, { embeddings, refreshMs: 0 });
  cleanups.push(() => d.close());
  return d;
}

/** A TCP proxy in front of the test server that can be stopped (every connection dropped) and started again on the same port. */
async function stoppableProxy(target: string): Promise<{ url: string; stop: () => Promise<void>; start: () => Promise<void> }> {
  const to = new URL(target);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const start = async () => {
    server = net.createServer((c) => {
      const up = net.connect(Number(to.port), to.hostname);
      for (const s of [c, up]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      c.on('close', () => up.destroy());
      up.on('close', () => c.destroy());
      c.pipe(up);
      up.pipe(c);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  };
  const stop = async () => {
    const s = server;
    server = null;
    for (const x of sockets) x.destroy();
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  };
  await start();
  cleanups.push(stop);
  const url = new URL(target);
  url.port = String(port);
  url.password = 's3cret-pw';
  return { url: url.toString(), stop, start };
}

describe('the Postgres store from the command line', () => {
  it('GIVEN DOCENT_STORE=postgres THEN ingest builds into the collection, --list shows it, and ask answers from it with its citation', async () => {
    const { env } = await project();
    const built = await finished(spawnIngest(['--quiet'], env));
    expect(built.stderr).not.toMatch(/error/i);
    expect(built.code).toBe(0);
    const list = await finished(spawnIngest(['--list'], env));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/gen-000001/);
    const ask = await finished(
      spawn(process.execPath, [distCli('ask'), '--json', Q], { cwd: REPO, env: { ...process.env, DOCENT_EMBEDDER: 'hash', DOCENT_CACHE_DIR: path.join(REPO, '.docent', 'cache'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    expect(ask.code).toBe(0);
    const out = JSON.parse(ask.stdout) as { answered: boolean; citations: Array<{ source: string; lines: number[]; quote: string }> };
    expect(out).toMatchObject({ answered: true });
    expect(out.citations[0]).toMatchObject({ source: 'orchard.md', lines: [3, 3] });
    expect(out.citations[0].quote).toContain('Ines Calloway');
  });
});

describe('the Postgres store under faults', () => {
  it('GIVEN a re-index SIGKILLed inside its switch transaction THEN the old generation still serves and the next build works', async () => {
    const { corpus, env, config } = await project();
    const d = await open(config);
    const gen1 = d.generation;
    await fs.writeFile(path.join(corpus, 'orchard.md'), ORCHARD_V2);
    const child = spawnIngest(['--quiet'], { ...env, DOCENT_TEST_PG_HOLD_SWITCH: '1' });
    const done = finished(child);
    // the gate: the child says when it has moved the pointer and not committed
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        if (err.includes('inside the switch transaction')) resolve();
      });
      child.on('close', () => reject(new Error(`the child ended before the switch: ${err}`)));
    });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');

    expect(await d.store.currentName()).toBe(gen1);
    expect(await d.store.listGenerations()).toEqual([gen1]);
    expect((await d.answer(Q)).citations[0].quote).toContain('Ines Calloway');
    // the killed writer's lease is taken over at once (its process is gone), and the build goes through
    const report = await d.reindex();
    expect(report).toMatchObject({ changed: ['orchard.md'], generation: 'gen-000002' });
    expect((await d.answer(Q)).citations[0].quote).toContain('Tobias Renn');
  });

  it('GIVEN the lease is taken over while a build embeds THEN the build fails with INDEX_LOCK_LOST and switches nothing', async () => {
    const { corpus, config } = await project();
    const emb = new DocumentGate();
    const d = await open(config, emb);
    const gen1 = d.generation;
    await fs.writeFile(path.join(corpus, 'orchard.md'), ORCHARD_V2);
    const reached = emb.hold();
    const build = d.reindex().catch((e: unknown) => e);
    await reached;
    // another host judged the lease stale and took it (its own token)
    const db = Db.create(inject('pgUrl'));
    cleanups.push(() => db.end());
    await db.query("UPDATE docent_locks SET token = 'other-host-1', holder = $2 WHERE collection = $1", [config.collection, JSON.stringify({ purpose: 'reindex', pid: 1, host: 'elsewhere', startedAt: new Date().toISOString() })]);
    emb.release();
    expect(await build).toMatchObject({ code: 'INDEX_LOCK_LOST' });
    expect(await d.store.currentName()).toBe(gen1);
    expect(await d.store.listGenerations()).toEqual([gen1]);
    expect((await d.answer(Q)).citations[0].quote).toContain('Ines Calloway');
  });

  it('GIVEN the database goes away while a question waits THEN it fails with STORE_UNAVAILABLE naming the host (not the password), and the next question after it is back is answered', async () => {
    const proxy = await stoppableProxy(inject('pgUrl'));
    const { config } = await project(proxy.url);
    const emb = new GatedEmbeddings();
    const d = await open(config, emb);
    emb.hold();
    const asked = d.answer(Q);
    await emb.arrived(1);
    await proxy.stop();
    emb.release();
    const err = (await asked.catch((e: unknown) => e)) as { code?: string; message: string };
    expect(err.code).toBe('STORE_UNAVAILABLE');
    expect(err.message).toContain(`127.0.0.1:${new URL(proxy.url).port}/postgres`);
    expect(err.message).not.toContain('s3cret-pw');
    // still down: the same clear error, nothing crashes
    await expect(d.answer(Q)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await proxy.start();
    const again = await d.answer(Q);
    expect(again.answered).toBe(true);
    expect(again.citations[0].quote).toContain('Ines Calloway');
  });

  it('GIVEN two processes migrating one database at once THEN each migration is applied once', async () => {
    const name = `test-${randomBytes(5).toString('hex')}`;
    const table = name.replace('-', '_');
    const code = `
      import { Db } from ${JSON.stringify(path.join(REPO, 'dist/index/postgres/db.js'))};
      import { migrate, MIGRATIONS } from ${JSON.stringify(path.join(REPO, 'dist/index/postgres/migrations.js'))};
      const db = Db.create(process.env.URL);
      await db.query('SELECT 1');
      process.stdout.write('ready\\n');
      await new Promise((r) => process.stdin.once('data', r));
      const applied = await migrate(db, [...MIGRATIONS, { name: ${JSON.stringify(name)}, sql: 'CREATE TABLE ${table} (x int)' }]);
      process.stdout.write(JSON.stringify(applied) + '\\n');
      await db.end();`;
    const kids = [0, 1].map(() => spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, URL: inject('pgUrl') }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const runs = kids.map((k) => finished(k));
    await Promise.all(kids.map((k) => new Promise<void>((r) => k.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && r()))));
    for (const k of kids) k.stdin!.end('go\n');
    const results = await Promise.all(runs);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    const applied = results.map((r) => JSON.parse(r.stdout.split('\n').filter(Boolean).pop()!) as string[]);
    expect(applied.filter((a) => a.includes(name))).toHaveLength(1);
    expect(applied.flat().filter((a) => a !== name)).toEqual([]);
  });
});
