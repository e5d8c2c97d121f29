/**
 * Two shards over one Postgres store (the run's PGlite server): `bin/docent.js bot --sharded`
 * with DOCENT_STORE=postgres. Both answer from the database's collection (no local index is
 * written), a moderator's /add in shard 0 is answered from in shard 1, and the per-user limit is
 * kept in the database, so it holds across shards (and would across machines). Every step waits
 * for what the processes log or send, never for time.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import type { APIUser } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Db } from '../../src/index/postgres/db.js';
import { cleanEnv, spawnLogged, type LoggedProcess } from '../support/bot-process.js';
import { DiscordStandIn, MANAGE_GUILD_PERMISSIONS, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { BIN } from '../support/dist.js';
import { ROOT } from '../support/temp-project.js';

const isReplyTo = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.body?.message_reference?.message_id === id && r.status === 200;

let standIn: DiscordStandIn;
let work: string;
let manager: LoggedProcess;
let guild0: { guildId: string; channelId: string };
let guild1: { guildId: string; channelId: string };
const collection = `sharded-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  standIn = await DiscordStandIn.start({ shards: 2, maxConcurrency: 2 });
  guild0 = standIn.addGuild({ shard: 0, of: 2 });
  guild1 = standIn.addGuild({ shard: 1, of: 2 });
  work = await mkdtemp(path.join(os.tmpdir(), 'docent-sharded-pg-'));
  await cp(path.join(ROOT, 'corpus'), path.join(work, 'corpus'), { recursive: true });
  manager = spawnLogged([BIN, 'bot', '--sharded'], {
    cwd: work,
    env: cleanEnv({
      DISCORD_TOKEN: standIn.token,
      DISCORD_API_URL: standIn.apiUrl,
      DOCENT_STORE: 'postgres',
      DATABASE_URL: inject('pgUrl'),
      DOCENT_DEFAULT_COLLECTION: collection,
      DOCENT_EMBEDDER: 'hash',
      DOCENT_WATCH: 'off',
      DOCENT_REFRESH_MS: '0',
      DISCORD_RATE_LIMIT_PER_MINUTE: '2',
      LOG_LEVEL: 'info',
    }),
  });
  await manager.waitForLine((l) => l.msg === 'all shards ready');
});

afterAll(async () => {
  manager?.child.kill('SIGKILL');
  await standIn?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function ask(user: APIUser, channelId: string, question: string) {
  const after = standIn.mark();
  const q = standIn.injectMessage({ content: `<@${standIn.botUser.id}> ${question}`, mentionBot: true, author: user, channelId });
  return standIn.waitForRequest(isReplyTo(q.id), { after });
}

describe('npm run start:sharded over the Postgres store', () => {
  it('GIVEN two shards THEN each answers from the collection in Postgres, and no local index is written', async () => {
    for (const g of [guild0, guild1]) {
      const reply = await ask(standIn.addUser('ana'), g.channelId, 'What is Wukong?');
      expect(reply.body.content).toContain('Wukong');
      expect(reply.body.embeds[0].fields[0].value).toContain('alibaba-agentic-ai-strategy-q3-fy2026.md');
    }
    expect(existsSync(path.join(work, '.docent', 'index'))).toBe(false);
    const db = Db.create(inject('pgUrl'));
    try {
      const row = (await db.query<{ serving: string }>('SELECT serving FROM docent_collections WHERE collection = $1', [collection])).rows[0];
      expect(row?.serving).toMatch(/^gen-0+1$/);
    } finally {
      await db.end();
    }
  });

  it("GIVEN a moderator's /add in shard 0's guild THEN shard 1's next answer comes from the new document", async () => {
    const file = standIn.addAttachment('falcon.md', Buffer.from('# Project Falcon\n\n## Overview\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n'));
    const after = standIn.mark();
    const state = standIn.injectSlash({
      name: 'add',
      user: standIn.addUser('mod'),
      channelId: guild0.channelId,
      permissions: MANAGE_GUILD_PERMISSIONS,
      options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }],
      attachments: [file],
    });
    const edit = await standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(`/${state.token}/messages/@original`) && r.status === 200, { after });
    expect(edit.body.content).toMatch(/^Added “falcon.md”: done in .* index generation `gen-0+2`/);
    const reply = await ask(standIn.addUser('cleo'), guild1.channelId, 'What is Project Falcon?');
    expect(reply.body.content).toBe('Project Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen. [1]');
    expect(reply.body.embeds[0].fields[0].value).toContain('`falcon.md` · line 5');
  });

  it('GIVEN a user at the per-minute limit in shard 0 THEN shard 1 refuses them too, by the count kept in Postgres', async () => {
    const carol = standIn.addUser('carol');
    for (let i = 0; i < 2; i++) expect((await ask(carol, guild0.channelId, 'What is Wukong?')).body.content).toContain('Wukong');
    const refused = await ask(carol, guild1.channelId, 'What is Wukong?');
    expect(refused.body.content).toMatch(/^You're asking faster than I can keep up — please wait \d+ s and ask again\.$/);
    const db = Db.create(inject('pgUrl'));
    try {
      expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM docent_answer_requests WHERE user_id = $1', [carol.id])).rows[0].n)).toBe(2);
    } finally {
      await db.end();
    }
  });
});
