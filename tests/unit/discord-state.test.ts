import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../src/discord/conversations.js';
import { downloadAttachment, resolveAttachmentUrl } from '../../src/discord/download.js';
import { AnswerLimiter, refusalMessage } from '../../src/discord/limiter.js';
import { stripMentions } from '../../src/discord/mentions.js';

describe('ConversationStore', () => {
  it('finds a conversation by any of its keys and keeps only the last turns', () => {
    const s = new ConversationStore({ maxTurns: 2 });
    const c = s.create();
    s.record(c, { question: 'q1', answer: 'a1' }, ['msg:1']);
    s.record(c, { question: 'q2', answer: 'a2' }, ['msg:2', 'thread:9']);
    s.record(c, { question: 'q3', answer: 'a3' }, []);
    expect(s.find('msg:404', 'thread:9')?.turns.map((t) => t.question)).toEqual(['q2', 'q3']);
    expect(s.find('msg:1')).toBe(c);
    expect(s.find(undefined)).toBeUndefined();
  });

  it('forgets the least recently used key beyond its size and a key unused for its TTL', () => {
    let now = 1000;
    const s = new ConversationStore({ maxKeys: 2, ttlMs: 100, now: () => now });
    const [a, b, c] = [s.create(), s.create(), s.create()];
    s.link(a, 'a');
    s.link(b, 'b');
    expect(s.find('a')).toBe(a);
    s.link(c, 'c');
    expect(s.find('b')).toBeUndefined();
    now = 1150;
    expect(s.find('a')).toBeUndefined();
  });
});

describe('AnswerLimiter', () => {
  it('refuses a user over the per-minute limit and everyone over the in-flight cap', () => {
    let now = 0;
    const l = new AnswerLimiter(2, 2, () => now);
    const a = l.tryAcquire('u1');
    const b = l.tryAcquire('u1');
    expect(a.ok && b.ok).toBe(true);
    const c = l.tryAcquire('u1');
    expect(c).toEqual({ ok: false, code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    const d = l.tryAcquire('u2');
    expect(d).toEqual({ ok: false, code: 'BUSY' });
    if (a.ok) a.release();
    expect(l.tryAcquire('u2').ok).toBe(true);
    now = 61_000;
    if (b.ok) b.release();
    expect(l.tryAcquire('u1').ok).toBe(true);
    expect(refusalMessage({ ok: false, code: 'RATE_LIMITED', retryAfterMs: 12_300 })).toContain('wait 13 s');
  });
});

describe('stripMentions', () => {
  it('removes the bot’s mention in both forms and keeps other text', () => {
    expect(stripMentions('<@123> What is <@!123> Wukong? <@456>', '123')).toBe('What is Wukong? <@456>');
  });
});

describe('downloadAttachment', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/small') res.end('hello');
      else if (req.url === '/declared-big') {
        res.writeHead(200, { 'Content-Length': '999999' });
        res.end();
      } else if (req.url === '/chunked-big') {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000, 'x'));
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('returns the bytes under the limit', async () => {
    const r = await downloadAttachment(`${base}/small`, 1024);
    expect(r.ok && r.value.toString()).toBe('hello');
  });

  it('refuses by Content-Length and while streaming', async () => {
    expect(await downloadAttachment(`${base}/declared-big`, 1024)).toMatchObject({ ok: false, code: 'UPLOAD_TOO_LARGE' });
    expect(await downloadAttachment(`${base}/chunked-big`, 4096)).toMatchObject({ ok: false, code: 'UPLOAD_TOO_LARGE', message: 'The file is larger than the 4 KB upload limit.' });
    expect(await downloadAttachment(`${base}/missing`, 1024)).toMatchObject({ ok: false, code: 'DOWNLOAD_FAILED' });
  });

  it('points Discord CDN URLs at DISCORD_CDN_URL and leaves others alone', () => {
    expect(resolveAttachmentUrl('https://cdn.discordapp.com/attachments/1/2/a.md?ex=1', 'http://127.0.0.1:9/cdn')).toBe('http://127.0.0.1:9/cdn/attachments/1/2/a.md?ex=1');
    expect(resolveAttachmentUrl('https://example.com/a.md', 'http://127.0.0.1:9/cdn')).toBe('https://example.com/a.md');
    expect(resolveAttachmentUrl('https://cdn.discordapp.com/a.md', undefined)).toBe('https://cdn.discordapp.com/a.md');
  });
});
