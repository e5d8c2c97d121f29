/**
 * `npm run start:sharded` as a process (`bin/docent.js bot --sharded`): the compiled sharding manager runs two shards (the count
 * Discord recommends, asked at DISCORD_API_URL) against the Discord stand-in, over one corpus and
 * one index folder, with a guild on each shard. Every step waits for what the processes log or
 * send, never for time.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, spawnLogged, type LoggedProcess } from '../support/bot-process.js';
import { DiscordStandIn, MANAGE_GUILD_PERMISSIONS, shardForGuild } from '../support/discord-stand-in/index.js';
import { DIST_SHARDED } from '../support/dist.js';
import { isReplyTo, startShardedBot, type ShardedBot } from '../support/sharded-bot.js';
import { ROOT } from '../support/temp-project.js';

let sb: ShardedBot;
let standIn: DiscordStandIn;
let manager: LoggedProcess;
let guild0: ShardedBot['guild0'];
let guild1: ShardedBot['guild1'];
let ask: ShardedBot['ask'];

beforeAll(async () => {
  sb = await startShardedBot(
    {
      // watched by shard 0 only
      DOCENT_WATCH: 'auto',
      // a re-index in one shard is seen by the other on its next question
      DOCENT_REFRESH_MS: '0',
      DISCORD_RATE_LIMIT_PER_MINUTE: '2',
    },
    'docent-sharded-',
  );
  ({ standIn, manager, guild0, guild1, ask } = sb);
});

afterAll(async () => {
  await sb?.stop();
});

describe('npm run start:sharded', () => {
  it('GIVEN DISCORD_SHARD_COUNT unset THEN the manager asks DISCORD_API_URL for the count, and each shard identifies as [id, 2] and is sent only its own guilds', async () => {
    expect(shardForGuild(guild0.guildId, 2)).toBe(0);
    expect(shardForGuild(guild1.guildId, 2)).toBe(1);
    expect(await manager.waitForLine((l) => l.msg === 'starting shards')).toMatchObject({ component: 'shard-manager', shards: 2, from: 'Discord' });
    const identifies = standIn.frames.filter((f) => f.dir === 'in' && f.op === 2).map((f) => f.d.shard);
    expect(identifies.sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    const ready = standIn.frames.filter((f) => f.t === 'READY').map((f) => ({ shard: f.d.shard[0], guilds: f.d.guilds.map((g: { id: string }) => g.id) }));
    const guildsOf = (shard: number) => ready.find((r) => r.shard === shard)!.guilds;
    expect(guildsOf(0)).toContain(guild0.guildId);
    expect(guildsOf(0)).not.toContain(guild1.guildId);
    expect(guildsOf(1)).toContain(guild1.guildId);
    expect(guildsOf(1)).not.toContain(guild0.guildId);
    // one corpus watcher (one re-index and one moderator post per change), on shard 0
    const watching = (l: { msg?: string }) => l.msg === 'watching the corpus for changes' || l.msg === 'watching the corpus by polling';
    expect(await manager.waitForLine(watching)).toMatchObject({ shard: 0 });
    expect(manager.output()).not.toMatch(/"shard":1,[^\n]*"msg":"watching the corpus|"msg":"watching the corpus[^\n]*"shard":1,/);
  });

  it('GIVEN a member in a guild of each shard THEN both get answers with citations, each from its own shard', async () => {
    const after = manager.mark();
    const a = await ask(standIn.addUser('ana'), guild0.channelId, 'What is Wukong?');
    const b = await ask(standIn.addUser('ben'), guild1.channelId, 'What is Wukong?');
    for (const reply of [a, b]) {
      expect(reply.body.content).toContain('Wukong');
      expect(reply.body.embeds[0].fields[0].value).toContain('alibaba-agentic-ai-strategy-q3-fy2026.md');
    }
    await manager.waitForLine((l) => l.msg === 'answered' && l.shard === 0, { after });
    await manager.waitForLine((l) => l.msg === 'answered' && l.shard === 1, { after });
  });

  it("GIVEN a moderator's /add in shard 0's guild THEN the next answer in shard 1's guild comes from the new document", async () => {
    const moderator = standIn.addUser('mod');
    const doc = '# Project Falcon\n\n## Overview\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n';
    const file = standIn.addAttachment('falcon.md', Buffer.from(doc));
    const after = standIn.mark();
    const logged = manager.mark();
    const state = standIn.injectSlash({
      name: 'add',
      user: moderator,
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
    await manager.waitForLine((l) => l.msg === 'switched to a new index generation' && l.shard === 1 && /^gen-0+2$/.test(l.generation), { after: logged });
  });

  it('GIVEN a user at the per-minute limit in shard 0 THEN shard 1 refuses them too', async () => {
    const carol = standIn.addUser('carol');
    for (let i = 0; i < 2; i++) expect((await ask(carol, guild0.channelId, 'What is Wukong?')).body.content).toContain('Wukong');
    const refused = await ask(carol, guild1.channelId, 'What is Wukong?');
    expect(refused.body.content).toMatch(/^You're asking faster than I can keep up — please wait \d+ s and ask again\.$/);
    expect(refused.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('GIVEN shard 1 is killed THEN shard 0 keeps answering while it is down, and the manager respawns it', async () => {
    const spawned = await manager.waitForLine((l) => l.msg === 'shard spawned' && l.shardId === 1);
    const after = manager.mark();
    // the respawned shard's first request is its token check: hold it, so shard 1 stays down
    const held = standIn.hold((r) => r.method === 'GET' && r.path === '/api/v10/gateway/bot');
    process.kill(spawned.pid, 'SIGKILL');
    await manager.waitForLine((l) => l.msg === 'shard died' && l.shardId === 1 && l.signal === 'SIGKILL' && l.respawn === true, { after });
    await held.arrived;
    expect(standIn.shardConnected(1)).toBe(false);
    expect((await ask(standIn.addUser('dora'), guild0.channelId, 'What is Wukong?')).body.content).toContain('Wukong');
    held.release();
    await manager.waitForLine((l) => l.msg === 'shard ready' && l.shardId === 1, { after });
    expect((await ask(standIn.addUser('eli'), guild1.channelId, 'What is Wukong?')).body.content).toContain('Wukong');
  });

  it('GIVEN SIGTERM THEN the manager stops both shards cleanly, exits 0 and never logs the token', async () => {
    manager.child.kill('SIGTERM');
    expect(await manager.exited, manager.output()).toBe(0);
    const out = manager.output();
    expect(out).toContain('"msg":"all shards stopped"');
    expect(out.match(/"msg":"discord client stopped"/g)).toHaveLength(2);
    expect(out).not.toContain(standIn.token);
  });
});

/**
 * The figure for the README, not an assertion on time: how long after a /reindex finishes in
 * shard 0 shard 1 answers from the new generation, with the default DOCENT_REFRESH_MS (250), while
 * shard 1 keeps answering (so its last check is recent). `DOCENT_SHARD_LATENCY=1 npx vitest run
 * tests/e2e/discord-sharded.test.ts` prints it.
 */
describe.runIf(process.env.DOCENT_SHARD_LATENCY)('re-index visibility across shards (measurement)', () => {
  it('prints the time from /reindex done in shard 0 to shard 1 answering from the new generation', async () => {
    const s = await DiscordStandIn.start({ shards: 2, maxConcurrency: 2 });
    const g0 = s.addGuild({ shard: 0, of: 2 });
    const g1 = s.addGuild({ shard: 1, of: 2 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'docent-sharded-latency-'));
    await cp(path.join(ROOT, 'corpus'), path.join(dir, 'corpus'), { recursive: true });
    const m = spawnLogged([DIST_SHARDED], {
      cwd: dir,
      env: cleanEnv({ DISCORD_TOKEN: s.token, DISCORD_API_URL: s.apiUrl, DOCENT_EMBEDDER: 'hash', LOG_LEVEL: 'info', DOCENT_WATCH: 'off', DISCORD_RATE_LIMIT_PER_MINUTE: '1000', DISCORD_MAX_IN_FLIGHT: '50' }),
    });
    try {
      await m.waitForLine((l) => l.msg === 'all shards ready');
      const user = s.addUser('timer');
      const { writeFile } = await import('node:fs/promises');
      const figures: number[] = [];
      for (let i = 1; i <= 7; i++) {
        const name = `project-x${i}`;
        await writeFile(path.join(dir, 'corpus', `${name}.md`), `# Project X${i}\n\nProject X${i} is the codename of experiment number ${i}, run by the night team.\n`);
        const askOnce = async () => {
          const after = s.mark();
          const q = s.injectMessage({ content: `<@${s.botUser.id}> What is Project X${i}?`, mentionBot: true, author: user, channelId: g1.channelId });
          return s.waitForRequest(isReplyTo(q.id), { after });
        };
        // shard 1 keeps answering (its last check of CURRENT is recent) while shard 0 re-indexes
        let done = 0;
        const asking = (async () => {
          for (;;) {
            const r = await askOnce();
            if (done && r.body.embeds?.[0]?.fields?.[0]?.value?.includes(`${name}.md`)) return r.at - done;
          }
        })();
        const after = s.mark();
        const state = s.injectSlash({ name: 'reindex', user, channelId: g0.channelId, permissions: MANAGE_GUILD_PERMISSIONS });
        const edit = await s.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(`/${state.token}/messages/@original`) && r.status === 200, { after });
        done = edit.at;
        figures.push(await asking);
      }
      figures.sort((a, b) => a - b);
      process.stdout.write(`re-index in shard 0 → shard 1 answers from it: median ${figures[3]} ms, min ${figures[0]} ms, max ${figures[6]} ms (${figures.join(', ')})\n`);
    } finally {
      m.child.kill('SIGTERM');
      await m.exited;
      await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
