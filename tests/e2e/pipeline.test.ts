import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { tempProject } from '../support/temp-project.js';

/** The full pipeline on a temp copy of the seed corpus with the default (GloVe) embedder. */
describe('answer() on the seed corpus', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  let fileText: string;
  let fileName: string;

  beforeAll(async () => {
    project = await tempProject();
    docent = await Docent.open(project.config());
    fileName = (await fs.readdir(project.corpusDir))[0];
    fileText = await fs.readFile(path.join(project.corpusDir, fileName), 'utf8');
  });
  afterAll(async () => {
    await docent.close();
    await project.cleanup();
  });

  it('GIVEN "What is Wukong?" THEN it answers briefly from the Wukong section with numbered citations', async () => {
    const r = await docent.answer('What is Wukong?');
    expect(r.answered).toBe(true);
    expect(r.answer.length).toBeLessThanOrEqual(520);
    expect(r.answer).toMatch(/enterprise AI platform/);
    expect(r.answer).toContain('[1]');
    expect(r.citations[0]).toMatchObject({ n: 1, source: fileName, title: "Alibaba's Agentic AI Strategy: Qwen, Wukong and Token Hub" });
    expect(r.citations[0].section).toContain('Wukong');
    for (const c of r.citations) expect(r.answer).toContain(`[${c.n}]`);
    expect(r.retrieved).toHaveLength(5);
  });

  it('GIVEN any answered question THEN every quote is an exact substring of the source file, on the lines it names', async () => {
    const questions = ['What is Wukong?', 'When did the consumer Qwen app launch?', 'Which consumer agents are in the China stack?', 'What does Cainiao do?', 'How much will Alibaba invest in infrastructure?'];
    const lines = fileText.split('\n');
    let checked = 0;
    for (const q of questions) {
      const r = await docent.answer(q);
      for (const c of r.citations) {
        expect(fileText.includes(c.quote), `quote of "${q}" must be verbatim: ${c.quote}`).toBe(true);
        const span = lines.slice(c.lines[0] - 1, c.lines[1]).join('\n');
        expect(span.includes(c.quote), `lines ${c.lines} must hold the quote`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(questions.length);
  });

  it('GIVEN a question about a table row THEN the row is cited and the answer names its cells', async () => {
    const r = await docent.answer('Which consumer agents are in the China stack?');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('Qwen app, ByteDance Doubao');
    expect(r.citations.some((c) => c.quote.startsWith('| Consumer agents'))).toBe(true);
  });

  it.each(['Who founded Alibaba?', 'How do I bake sourdough bread at home?', 'What is the boiling point of mercury?'])(
    'GIVEN "%s", which the article does not answer, THEN it says so and points to the closest sources',
    async (q) => {
      const r = await docent.answer(q);
      expect(r.answered).toBe(false);
      expect(r.citations).toEqual([]);
      expect(r.answer).toMatch(/couldn't find an answer/);
      expect(r.closest.length).toBeGreaterThan(0);
      expect(r.closest[0].source).toBe(fileName);
    },
  );

  it('GIVEN a question about a name the documents never mention THEN it says so by name', async () => {
    const r = await docent.answer("What is Tencent's AI strategy?");
    expect(r.answered).toBe(false);
    expect(r.answer).toMatch(/^I couldn't find anything about Tencent in the indexed documents\./);
  });

  it('GIVEN a follow-up with a pronoun THEN the earlier question steers retrieval to the same subject', async () => {
    const first = await docent.answer('What is Wukong?');
    const follow = await docent.answer('When was it announced?', { history: [{ question: first.question, answer: first.answer }] });
    expect(follow.answered).toBe(true);
    expect(follow.answer).toContain('March 17');
    expect(follow.retrieved[0].chunk.headings.join(' ')).toContain('Wukong');
    // the same words after another subject are retrieved about that subject
    for (const [subject, heading] of [['What is Alibaba Token Hub?', 'Token Hub'], ['What is the consumer Qwen app?', 'Qwen'], ['What is Wukong?', 'Wukong']]) {
      const r = await docent.answer('Tell me more about it.', { history: [{ question: subject }] });
      expect(r.retrieved.slice(0, 2).some((h) => h.chunk.headings.join(' ').includes(heading)), subject).toBe(true);
    }
  });

  it('GIVEN an empty or over-long question THEN a clear user error, nothing else', async () => {
    await expect(docent.answer('   ')).rejects.toMatchObject({ code: 'QUESTION_EMPTY' });
    await expect(docent.answer('why '.repeat(400))).rejects.toMatchObject({ code: 'QUESTION_TOO_LONG' });
  });
});

/** A document's front matter `url:` travels with it through the index into its citations. */
describe('answer() citing documents that have a link', () => {
  it('GIVEN a document with an https url and one with a javascript: url THEN the first is cited with its link, the second without', async () => {
    const project = await tempProject({
      'falcon.md': '---\ntitle: Project Falcon\nurl: https://wiki.example.test/falcon (drones)\n---\n# Project Falcon\n\nProject Falcon is the delivery-drone programme, led by Mei Chen.\n',
      'heron.md': '---\ntitle: Project Heron\nurl: javascript:alert(1)\n---\n# Project Heron\n\nProject Heron is the warehouse-robot programme, led by Ana Ruiz.\n',
    });
    const docent = await Docent.open(project.config({ DOCENT_EMBEDDER: 'hash' }));
    try {
      const falcon = await docent.answer('Who leads Project Falcon?');
      expect(falcon.answer).toContain('Mei Chen');
      expect(falcon.citations[0]).toMatchObject({ source: 'falcon.md', url: 'https://wiki.example.test/falcon%20(drones)' });
      const heron = await docent.answer('Who leads Project Heron?');
      expect(heron.answer).toContain('Ana Ruiz');
      expect(heron.citations[0].source).toBe('heron.md');
      expect(heron.citations[0]).not.toHaveProperty('url');
    } finally {
      await docent.close();
      await project.cleanup();
    }
  });
});
