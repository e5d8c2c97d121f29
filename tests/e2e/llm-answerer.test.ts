import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import { tempProject } from '../support/temp-project.js';

/** A local OpenAI-compatible chat endpoint whose reply each test sets; records the requests. */
function fakeChat() {
  const requests: Array<{ auth?: string; body: { model: string; messages: Array<{ role: string; content: string }> } }> = [];
  let reply: { status: number; content?: string | ((prompt: string) => string) } = { status: 200, content: '' };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body);
      requests.push({ auth: req.headers.authorization, body: parsed });
      const content = typeof reply.content === 'function' ? reply.content(parsed.messages[1].content) : reply.content;
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.status === 200 ? { choices: [{ message: { role: 'assistant', content } }] } : { error: { message: 'boom' } }));
    });
  });
  return {
    requests,
    set: (r: typeof reply) => (reply = r),
    listen: () => new Promise<string>((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`))),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe('DOCENT_ANSWERER=llm:<model> (optional LLM answerer)', () => {
  const chat = fakeChat();
  let p: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  let fileText: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const url = await chat.listen();
    p = await tempProject();
    fileText = await fs.readFile(path.join(p.corpusDir, (await fs.readdir(p.corpusDir))[0]), 'utf8');
    const config = p.config({ DOCENT_ANSWERER: 'llm:qwen-plus', DOCENT_LLM_BASE_URL: url, DOCENT_LLM_API_KEY: 'sk-test-secret-key' });
    docent = await Docent.open(config, { logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }) });
  });
  afterAll(async () => {
    await docent.close();
    await chat.close();
    await p.cleanup();
  });
  beforeEach(() => {
    chat.requests.length = 0;
    logs.length = 0;
  });

  it('GIVEN a question the offline reader cannot read THEN the model answers it in the asker’s language, with citations checked as usual', async () => {
    const wukong = (prompt: string) => /\[(\d+)\] \([^)]*2\. Wukong/.exec(prompt)![1];
    chat.set({ status: 200, content: (prompt) => `Wukong es la plataforma de IA empresarial de Alibaba [${wukong(prompt)}].` });
    const r = await docent.answer('¿Qué es Wukong?');
    expect(chat.requests).toHaveLength(1);
    expect(chat.requests[0].body.messages[0].content).toMatch(/language the question is asked in/);
    expect(r.answered).toBe(true);
    expect(r.refusal).toBeUndefined();
    expect(r.answer).toBe('Wukong es la plataforma de IA empresarial de Alibaba [1].');
    expect(fileText).toContain(r.citations[0].quote);
    expect(r.citations[0].section).toContain('Wukong');
  });

  it('GIVEN a question the offline reader cannot read and a model that fails THEN the short English reply, not a crash', async () => {
    chat.set({ status: 500 });
    const r = await docent.answer('悟空是什么？');
    expect(r.answered).toBe(false);
    expect(r.refusal?.reason).toBe('unsupported-language');
  });

  it('GIVEN a model answer with markers THEN the answer is the model’s, markers renumbered, quotes verbatim from the cited passages', async () => {
    // cite whichever passage the prompt numbers as the Wukong section, plus one that does not exist
    const wukong = (prompt: string) => /\[(\d+)\] \([^)]*2\. Wukong/.exec(prompt)![1];
    chat.set({ status: 200, content: (prompt) => `Wukong is Alibaba’s enterprise AI platform, announced March 17 [${wukong(prompt)}]. It is built on Qwen models and integrated with DingTalk [${wukong(prompt)}][9].` });
    const r = await docent.answer('What is Wukong?');
    expect(chat.requests).toHaveLength(1);
    const req = chat.requests[0];
    expect(req.auth).toBe('Bearer sk-test-secret-key');
    expect(req.body.model).toBe('qwen-plus');
    expect(req.body.messages[1].content).toMatch(/^Passages:\n\n\[1\] /);
    expect(req.body.messages[1].content).toContain('Question: What is Wukong?');
    expect(r.answered).toBe(true);
    expect(r.answer).toBe('Wukong is Alibaba’s enterprise AI platform, announced March 17 [1]. It is built on Qwen models and integrated with DingTalk [1].');
    expect(r.citations).toHaveLength(1);
    expect(r.citations[0].section).toContain('Wukong');
    expect(fileText.includes(r.citations[0].quote)).toBe(true);
    expect(r.citations[0].quote).toContain('Wukong');
  });

  it('GIVEN the model cites nothing it was given THEN the extractive answer is used', async () => {
    chat.set({ status: 200, content: 'Wukong is a monkey king from a novel [7].' });
    const r = await docent.answer('What is Wukong?');
    expect(r.answer).not.toContain('monkey');
    expect(r.answer).toContain('enterprise AI platform');
    expect(logs.some((l) => l.includes('cited no given passage'))).toBe(true);
  });

  it('GIVEN the endpoint fails THEN the extractive answer is used, the failure is logged without the key', async () => {
    chat.set({ status: 500 });
    const r = await docent.answer('What is Wukong?');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('enterprise AI platform');
    expect(logs.some((l) => l.includes('LLM answerer failed'))).toBe(true);
    expect(logs.join('\n')).not.toContain('sk-test-secret-key');
  });

  it('GIVEN a question the documents do not answer THEN the model is never asked', async () => {
    chat.set({ status: 200, content: 'Jack Ma founded it [1].' });
    const r = await docent.answer('Who founded Alibaba?');
    expect(r.answered).toBe(false);
    expect(chat.requests).toHaveLength(0);
  });

  it('GIVEN the model says the passages do not answer THEN the extractive answer stands', async () => {
    chat.set({ status: 200, content: 'NOT_IN_SOURCES' });
    const r = await docent.answer('What does Cainiao do for Alibaba?');
    expect(r.answer).toContain('logistics');
  });
});
