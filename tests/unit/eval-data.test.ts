import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { byParagraph, loadSeed, loadSquad, parseSeedJsonl, parseSquad, setName, xquadCorpus } from '../../src/eval/data.js';
import { SEED_KINDS } from '../../src/eval/metrics.js';
import { ROOT, SEED_CORPUS } from '../support/temp-project.js';

const EVAL = path.join(ROOT, 'eval');

describe('seed questions (JSONL)', () => {
  it('GIVEN valid lines and blank lines THEN one item per question, kinds kept, empty evidence is none', () => {
    const items = parseSeedJsonl('{"id":"a","kind":"who","question":"Who?","answers":[["X","Y"]],"evidence":"X did"}\n\n{"id":7,"question":"Never?","answers":[]}\n');
    expect(items).toEqual([
      { id: 'a', kind: 'who', question: 'Who?', answers: [['X', 'Y']], evidence: { text: 'X did' } },
      { id: '7', kind: 'unanswerable', question: 'Never?', answers: [], evidence: null },
    ]);
  });

  it('GIVEN a malformed line THEN the error names the file and line, without a stack', () => {
    expect(() => parseSeedJsonl('{"id":"a","question":"Q","answers":[]}\n{nope', 'q.jsonl')).toThrow(/^q\.jsonl:2: not JSON/);
    expect(() => parseSeedJsonl('{"id":"a","question":"Q","answers":[[]]}', 'q.jsonl')).toThrow(/q\.jsonl:1: "answers" must be/);
    expect(() => parseSeedJsonl('{"id":"a","question":"Q","answers":[[""]]}', 'q.jsonl')).toThrow(/q\.jsonl:1: "answers"/);
    expect(() => parseSeedJsonl('{"id":"a","question":"","answers":[]}', 'q.jsonl')).toThrow(/"question"/);
    expect(() => parseSeedJsonl('{"id":"a","question":"Q","answers":[]}\n{"id":"a","question":"R","answers":[]}', 'q.jsonl')).toThrow(/q\.jsonl:2: duplicate id "a"/);
    expect(() => parseSeedJsonl('\n\n', 'q.jsonl')).toThrow(/no questions/);
  });

  it('GIVEN a file that does not exist THEN a user error says so', async () => {
    await expect(loadSeed('/nonexistent/q.jsonl')).rejects.toMatchObject({ code: 'EVAL_DATA_MISSING' });
  });

  it('GIVEN the in-repo seed set THEN it has every documented kind, and every evidence is verbatim in the corpus', async () => {
    const items = await loadSeed(path.join(EVAL, 'seed-dev.jsonl'));
    expect(items.length).toBeGreaterThanOrEqual(33);
    expect([...new Set(items.map((i) => i.kind))].sort()).toEqual([...SEED_KINDS].sort());
    const corpus = (await Promise.all((await fs.readdir(SEED_CORPUS)).map((f) => fs.readFile(path.join(SEED_CORPUS, f), 'utf8')))).join('\n');
    for (const i of items) {
      if (i.kind === 'unanswerable') expect(i.answers).toEqual([]);
      else expect(corpus, `${i.id}: evidence`).toContain((i.evidence as { text: string }).text);
    }
  });
});

describe('XQuAD as a Markdown corpus', () => {
  it('GIVEN the in-repo XQuAD set THEN every gold span points at its answer text in the written files', async () => {
    const { docs, items, paragraphs } = xquadCorpus(await loadSquad(path.join(EVAL, 'xquad-dev.en.json')));
    expect(docs).toHaveLength(12);
    expect(paragraphs).toHaveLength(60);
    expect(items).toHaveLength(279);
    const text = new Map(docs.map((d) => [d.source, d.text]));
    for (const i of items) {
      const ev = i.evidence as { source: string; start: number; end: number };
      expect(i.answers[0]).toContain(text.get(ev.source)!.slice(ev.start, ev.end));
    }
    const groups = byParagraph(items);
    expect(groups).toHaveLength(60);
    expect(groups.reduce((n, g) => n + g.items.length, 0)).toBe(279);
  });

  it('GIVEN a paragraph to leave out THEN only that paragraph is missing: the rest of its article and the other articles are unchanged', async () => {
    const squad = await loadSquad(path.join(ROOT, 'tests/fixtures/eval/xquad-tiny.json'));
    const full = xquadCorpus(squad);
    const target = full.paragraphs[1];
    const without = xquadCorpus(squad, target);
    const context = squad.data[0].paragraphs[1].context;
    expect(target.source).toBe('lake-verno.md');
    expect(full.docs[0].text).toContain(context);
    expect(without.docs[0].text).not.toContain(context);
    for (const p of [0, 2]) expect(without.docs[0].text).toContain(squad.data[0].paragraphs[p].context);
    expect(without.docs[1]).toEqual(full.docs[1]);
    expect(without.items.some((i) => i.paragraph?.index === 1 && i.paragraph.source === target.source)).toBe(false);
  });

  it('GIVEN the XQuAD articles THEN none of them is in the product corpus', async () => {
    const squad = await loadSquad(path.join(EVAL, 'xquad-dev.en.json'));
    const files = await fs.readdir(SEED_CORPUS, { recursive: true });
    const texts = await Promise.all(files.map((f) => fs.readFile(path.join(SEED_CORPUS, f)).then((b) => b.toString('utf8'), () => '')));
    for (const a of squad.data) for (const p of a.paragraphs) for (const t of texts) expect(t.includes(p.context.slice(0, 80))).toBe(false);
  });

  it('GIVEN a file that is not SQuAD THEN a user error says what shape is expected', () => {
    expect(() => parseSquad('{"data":[{"title":"x"}]}', 'x.json')).toThrow(/x\.json: expected SQuAD v1\.1/);
    expect(() => parseSquad('nope', 'x.json')).toThrow(/x\.json: not JSON/);
  });

  it('set names come from the file names', () => {
    expect(setName('/a/eval/seed-dev.jsonl')).toBe('seed-dev');
    expect(setName('/a/eval/xquad-dev.en.json')).toBe('xquad-dev');
    expect(setName('tiny.json')).toBe('tiny');
  });
});
