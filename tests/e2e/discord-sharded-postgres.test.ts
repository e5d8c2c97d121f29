/**
 * Two shards over one Postgres store (the run's PGlite server): `bin/docent.js bot --sharded`
 * with DOCENT_STORE=postgres. Both answer from the database's collection (no local index is
 * written), a moderator's /add in shard 0 is answered from in shard 1, and the per-user limit is
 * kept in the database, so it holds across shards (and would across machines). Every step waits
 * for what the processes log or send, never for time.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Db } from '../../src/index/postgres/db.js';
import { MANAGE_GUILD_PERMISSIONS } from '../support/discord-stand-in/index.js';
import { startShardedBot, type ShardedBot } from '../support/sharded-bot.js';

const collection = `sharded-${randomUUID().slice(0, 8)}`;
let sb: ShardedBot;
let standIn: ShardedBot['standIn'];
let guild0: ShardedBot['guild0'];
let guild1: ShardedBot['guild1'];
let ask: ShardedBot['ask'];

beforeAll(async () => {
  sb = await startShardedBot(
    {
      DOCENT_STORE: 'postgres',
      DATABASE_URL: inject('pgUrl'),
      DOCENT_DEFAULT_COLLECTION: collection,
      DOCENT_WATCH: 'off',
      DOCENT_REFRESH_MS: '0',
      DISCORD_RATE_LIMIT_PER_MINUTE: '2',
    },
    'docent-sharded-pg-',
  );
  ({ standIn, guild0, guild1, ask } = sb);
});

afterAll(async () => {
  await sb?.stop();
});

describe('npm run start:sharded over the Postgres store', () => {
  it('GIVEN two shards THEN each answers from the collection in Postgres, and no local index is written', async () => {
    for (const g of [guild0, guild1]) {
      const reply = await ask(standIn.addUser('ana'), g.channelId, 'What is Wukong?');
      expect(reply.body.content).toContain('Wukong');
      expect(reply.body.embeds[0].fields[0].value).toContain('alibaba-agentic-ai-strategy-q3-fy2026.md');
    }
    expect(existsSync(path.join(sb.work, '.docent', 'index'))).toBe(false);
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
