/**
 * Vitest global setup: one Postgres (PGlite with pgvector, tests/support/pglite-server.ts) for
 * the whole run, started on the first connection to it, so a run without Postgres tests pays
 * nothing. Tests get its URL with `inject('pgUrl')` and keep apart by collection name.
 *
 * The URL is a proxy's, listening at once: a connection made while PGlite starts waits for it
 * (`connect_timeout` in the URL gives it the time).
 */
import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { startPgliteServer, type PgliteServer } from './pglite-server.js';
import { ROOT } from './temp-project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

/** The unit and e2e projects each run the global setups (in this one process): they share one server. */
const shared = globalThis as { docentPglite?: { url: Promise<string>; users: number; teardown: () => Promise<void> } };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.docentPglite ??= startProxy();
  const s = shared.docentPglite;
  s.users++;
  project.provide('pgUrl', await s.url);
  return async () => {
    if (--s.users > 0) return;
    shared.docentPglite = undefined;
    await s.teardown();
  };
}

function startProxy(): { url: Promise<string>; users: number; teardown: () => Promise<void> } {
  let backend: Promise<PgliteServer> | null = null;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    client.pause();
    backend ??= startPgliteServer({ port: 0, maxConnections: 100, cacheRoot: ROOT });
    backend.then(
      (server) => {
        if (client.destroyed) return;
        const up = net.connect(server.port, '127.0.0.1');
        sockets.add(up);
        up.on('close', () => {
          sockets.delete(up);
          client.destroy();
        });
        up.on('error', () => client.destroy());
        client.on('close', () => up.destroy());
        client.pipe(up);
        up.pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  });
  const url = new Promise<string>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(`postgres://postgres@127.0.0.1:${(proxy.address() as net.AddressInfo).port}/postgres?connect_timeout=180`)));
  return {
    url,
    users: 0,
    teardown: async () => {
      proxy.close();
      for (const s of sockets) s.destroy();
      if (backend) await (await backend.catch(() => null))?.close();
    },
  };
}
