/**
 * The bot's collection registry: opens a collection's pipeline once, on first use, in the
 * collection's own (new, empty) folder, with its watchers; forgets one that failed to open; and
 * stops and closes every collection it opened when the bot stops, not the default one's.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createCollectionRegistry } from '../../src/discord/collections.js';
import type { BotContext } from '../../src/discord/context.js';
import { silentLogger } from '../../src/log.js';
import { FakeDocent } from '../support/fake-docent.js';

const A = '123456789012345678';
const B = '234567890123456789';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-registry-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup() {
  const config = loadConfig({ DOCENT_GUILD_COLLECTIONS: `${A}=acme,${B}=beta` }, { cwd: dir });
  const base = { config, docent: new FakeDocent(), collection: 'default', logger: silentLogger } as unknown as BotContext;
  // each open waits at its gate until the test releases it; `arrival(i)` resolves once the i-th open has begun
  const opened: Array<{ config: Config; docent: FakeDocent; release: () => void }> = [];
  const arrivals: Array<() => void> = [];
  const arrival = (i: number) => (opened.length > i ? Promise.resolve() : new Promise<void>((resolve) => (arrivals[i] = resolve)));
  const started: string[] = [];
  const stopped: string[] = [];
  let failNext = false;
  let failStart = false;
  const registry = createCollectionRegistry(base, {
    async open(c) {
      const docent = new FakeDocent();
      const gate = new Promise<void>((release) => opened.push({ config: c, docent, release }));
      arrivals[opened.length - 1]?.();
      await gate;
      if (failNext) {
        failNext = false;
        throw new Error('index damaged');
      }
      return docent;
    },
    async start(ctx) {
      if (failStart) {
        failStart = false;
        throw new Error('cannot watch the folder');
      }
      started.push(`${ctx.collection} ${ctx.config.corpusDir}`);
      return async () => void stopped.push(ctx.collection);
    },
  });
  /** Lets the i-th open finish once it has begun. */
  const release = async (i: number) => {
    await arrival(i);
    opened[i].release();
  };
  return { base, registry, opened, release, started, stopped, fail: () => (failNext = true), failStart: () => (failStart = true) };
}

it('GIVEN two uses of a collection at once THEN it is opened once, in its own new folder, with its watchers; an unmapped guild and a DM get the default context as it is', async () => {
  const { base, registry, opened, release, started } = setup();
  expect(await registry.forGuild('345678901234567890')).toBe(base);
  expect(await registry.forGuild(null)).toBe(base);
  const first = registry.forGuild(A);
  const second = registry.context('acme');
  await release(0);
  const [a1, a2] = await Promise.all([first, second]);
  expect(a1).toBe(a2);
  expect(a1.collection).toBe('acme');
  expect(a1.docent).toBe(opened[0].docent);
  expect(a1.config.corpusDir).toBe(path.join(dir, 'collections', 'acme'));
  await access(a1.config.corpusDir);
  // the rest is the bot's context; /why results are the collection's own
  expect(a1.logger).toBe(base.logger);
  expect(started).toEqual([`acme ${path.join(dir, 'collections', 'acme')}`]);
  expect(opened).toHaveLength(1);
  expect(registry.opened()).toEqual(['acme']);
  await registry.close();
});

it('GIVEN a collection that fails to open THEN that use fails and the next one opens it again; GIVEN the bot stops THEN every opened collection is stopped and closed, the default one is left to its owner', async () => {
  const { base, registry, opened, release, stopped, fail } = setup();
  fail();
  const failing = registry.forGuild(B);
  await release(0);
  await expect(failing).rejects.toThrow('index damaged');
  const retry = registry.forGuild(B);
  await release(1);
  expect((await retry).collection).toBe('beta');

  const acme = registry.forGuild(A);
  await release(2);
  await acme;
  await registry.close();
  expect(stopped.sort()).toEqual(['acme', 'beta']);
  expect([opened[1].docent.isClosed, opened[2].docent.isClosed]).toEqual([true, true]);
  expect((base.docent as FakeDocent).isClosed).toBe(false);
  await expect(registry.forGuild(A)).rejects.toThrow('the bot is stopping');
});

it('GIVEN a collection whose watcher cannot start THEN that use fails and its pipeline is closed, not leaked; the next use opens it again', async () => {
  const { registry, opened, release, failStart } = setup();
  failStart();
  const failing = registry.forGuild(A);
  await release(0);
  await expect(failing).rejects.toThrow('cannot watch the folder');
  expect(opened[0].docent.isClosed).toBe(true);
  const retry = registry.forGuild(A);
  await release(1);
  expect((await retry).collection).toBe('acme');
  await registry.close();
});
