import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUnits, isFragment, skipDateStub } from '../../src/answer/units.js';
import { Docent } from '../../src/pipeline.js';
import { search } from '../../src/retrieval/search.js';
import { tempProject } from '../support/temp-project.js';

/** A Docent over a temp corpus of `docs`, opened before the block's tests and closed after them. */
function readerOn(docs: Record<string, string>): Pick<Docent, 'answer' | 'removeDocument'> {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  beforeAll(async () => {
    project = await tempProject(docs);
    docent = await Docent.open(project.config());
  });
  afterAll(async () => {
    await docent.close();
    await project.cleanup();
  });
  return { answer: (question, opts) => docent.answer(question, opts), removeDocument: (name) => docent.removeDocument(name) };
}

/** The reader on the real seed corpus (GloVe embedder): one run per answer shape, refusals, units. */
describe('the reader on the seed corpus', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  let doc: string;

  beforeAll(async () => {
    project = await tempProject();
    // a news-style document: a dateline stub, fragments and a list under a colon lead-in
    await fs.writeFile(
      path.join(project.corpusDir, 'results.md'),
      '# Tournament results\n\nFeb 7, 2021 ... The Lions beat the Tigers 3-1 in the final of the No. 1 league.\n\nRunner-up.\n\n7.\n\nThe league awards these prizes:\n- Gold cup for the champion\n- Silver plate for the finalist\n',
    );
    docent = await Docent.open(project.config());
    const name = (await fs.readdir(project.corpusDir)).find((f) => f.startsWith('alibaba'))!;
    doc = await fs.readFile(path.join(project.corpusDir, name), 'utf8');
  });
  afterAll(async () => {
    await docent.close();
    await project.cleanup();
  });

  it('a list question gets the whole list with its lead-in, in one citation', async () => {
    const r = await docent.answer('Which businesses make up Alibaba’s commerce stack?');
    expect(r.answered).toBe(true);
    for (const b of ['Taobao', 'Alipay', 'Cainiao', 'Amap', 'Figgy', 'DingTalk']) expect(r.answer).toContain(b);
    expect(r.answer).toMatch(/^Alibaba owns the entire commerce stack:/);
    expect(doc).toContain(r.citations[0].quote);
  });

  it('"what are the three pillars" gets the three child headings, each cited', async () => {
    for (const q of ['What are the three pillars?', 'list the three pillars']) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(true);
      expect(r.answer).toMatch(/Qwen — The Consumer Agent \[1\].*Wukong — The Enterprise Agent Platform \[2\].*Alibaba Token Hub — The Organizational Bet \[3\]/);
      expect(r.citations.map((c) => c.quote)).toEqual(['1. Qwen — The Consumer Agent', '2. Wukong — The Enterprise Agent Platform', '3. Alibaba Token Hub — The Organizational Bet']);
    }
  });

  it('“what revenue did … report” is about the revenue, not any amount: the revenue figure answers', async () => {
    const r = await docent.answer('What revenue did Alibaba report for the quarter?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Revenue missed estimates \(\$41\.4B vs\. expected \$41\.9B\)/);
  });

  it('a plural question that names one of the sections ("what models power Wukong") is answered from that section, not with the list of section headings', async () => {
    const r = await docent.answer('What models power Wukong?');
    expect(r.answered).toBe(true);
    expect(r.answer).not.toMatch(/^The Three Pillars/);
    expect(r.answer).toContain('Built on Qwen models');
  });

  it('a comparison gets the table rows with both columns', async () => {
    const r = await docent.answer('How do the agent frameworks differ between the Western and China stacks?');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('Agent frameworks — Western Stack: OpenClaw, LangChain; China Stack: Alibaba Token Hub, QClaw');
    const all = await docent.answer('How does Alibaba’s stack compare to the Western stack?');
    expect(all.answered).toBe(true);
    expect(all.answer).toContain('Foundation models — Western Stack: OpenAI, Anthropic, Google; China Stack: Qwen (Alibaba), DeepSeek, Baichuan');
    expect(all.answer).toContain('Infrastructure — Western Stack: AWS, Azure, GCP');
  });

  it('a number question leads with the sentence holding the amount asked for', async () => {
    const r = await docent.answer('How much revenue did Alibaba report?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Revenue missed estimates \(\$41\.4B/);
  });

  it('a when question with typos is read, corrected and answered with the date', async () => {
    const r = await docent.answer('when did teh qwen app lanch');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('November 2025');
    expect(r.analysis?.corrections).toEqual([
      { from: 'teh', to: 'the' },
      { from: 'lanch', to: 'launch' },
    ]);
  });

  it('a list item answers a question about one business even when the question uses other words', async () => {
    const r = await docent.answer('Which Alibaba service handles payments?');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('Alipay');
  });

  it('refuses on-topic questions the article does not answer, with a structured refusal', async () => {
    for (const q of ['How many users does the Qwen app have?', 'how many people work at token hub']) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(false);
      expect(r.refusal?.reason, q).toBe('no-answer');
      expect(r.refusal?.closest.length, q).toBeGreaterThan(0);
      expect(r.citations).toEqual([]);
    }
  });

  it('a price is an amount said of the thing priced: a promotion’s cost is answered, the app’s (never stated) is refused', async () => {
    const promo = await docent.answer('How much did the Lunar New Year promotion cost?');
    expect(promo.answered).toBe(true);
    expect(promo.answer).toContain('$431M');
    for (const q of ['What does the Qwen app cost?', 'what would a token hub licence cost']) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(false);
      expect(r.refusal?.reason, q).toBe('no-answer');
    }
  });

  it('names an unknown subject whatever its case', async () => {
    for (const [q, name] of [
      ['what did apple announce', 'apple'],
      ['What did Apple announce?', 'Apple'],
      ['what did baidu announce', 'baidu'],
    ]) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(false);
      expect(r.refusal).toMatchObject({ reason: 'unknown-subject', missing: [name] });
      expect(r.answer).toBe(`I couldn't find anything about ${name} in the indexed documents.`);
    }
  });

  it('a question the offline reader cannot read gets a short reply in English saying how to switch on the LLM answerer', async () => {
    for (const q of ['悟空是什么？', '¿Qué es Wukong?']) {
      const r = await docent.answer(q);
      expect(r.answered).toBe(false);
      expect(r.refusal?.reason).toBe('unsupported-language');
      expect(r.answer).toMatch(/English/);
      expect(r.answer).toContain('DOCENT_ANSWERER=llm:<model>');
    }
  });

  it('`retrieved` is exactly the list the reader read: every citation points inside it', async () => {
    for (const k of [1, 3, 5]) {
      const r = await docent.answer('What does Cainiao do?', { k });
      expect(r.retrieved).toHaveLength(k);
      const ids = new Set(r.retrieved.map((h) => h.chunk.id));
      for (const c of r.citations) expect(ids.has(c.chunkId)).toBe(true);
    }
  });

  it('never offers a date stub, a fragment or a lone lead-in as an answer unit', async () => {
    const index = await docent.current();
    for (const q of ['Who won the final?', 'What prizes does the league award?', 'What does Alibaba own?']) {
      const out = await search(index, docent.embeddings, q, { k: 8 });
      const units = buildUnits(out.hits, index, { groups: true, structured: true });
      expect(units.length).toBeGreaterThan(0);
      for (const u of units) {
        expect(u.text, q).not.toMatch(/^Feb 7, 2021/);
        if (u.kind === 'sentence' || u.kind === 'item') expect(isFragment(u.kind === 'item' && u.context ? `${u.context} ${u.text}` : u.text), u.text).toBe(false);
        // a lead-in is a unit only together with its list (the reader swaps in the list)
        if (u.kind === 'sentence' && /(stack|prizes):\s*$/.test(u.text)) expect(u.listUnit, u.text).toBeDefined();
      }
    }
    const r = await docent.answer('Who won the final?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^The Lions beat the Tigers 3-1 in the final of the No\. 1 league\./);
  });

  it('fragments and datelines are recognised', () => {
    expect(isFragment('Runner-up.')).toBe(true);
    expect(isFragment('7.')).toBe(true);
    expect(isFragment('The Lions won.')).toBe(false);
    const s = 'Feb 7, 2021 ... The Lions won.';
    expect(s.slice(skipDateStub(s, 0, s.length))).toBe('The Lions won.');
    expect(skipDateStub('The Lions won.', 0, 14)).toBe(0);
  });
});

/** News with on-topic distractors: same prize, other years, and a forecast. */
describe('the reader on news with distractors', () => {
  const NEWS = {
    'gurnah.md': '# Gurnah wins Nobel\n\nOct 7, 2021 ... Tanzanian novelist Abdulrazak Gurnah won the 2021 Nobel Prize in Literature for his compassionate penetration of the effects of colonialism.\n',
    'gluck.md': '# Glück honoured\n\nOct 8, 2020 ... The Nobel Prize in Literature 2020 was awarded to the American poet Louise Glück.\n',
    'season.md': '# Nobel season\n\nThe Nobel Prize in Literature will be announced in October 2022 in Stockholm.\n',
    'ernaux.md': '# Ernaux\n\nOct 6, 2022 ... French author Annie Ernaux was awarded the 2022 Nobel Prize in Literature for the courage and clinical acuity of her memoirs.\n',
  };
  const docent = readerOn(NEWS);

  it('answers with the passage of the year asked, not another year or a forecast', async () => {
    for (const q of ['Who won the 2022 Nobel Prize in Literature?', 'who won the nobel prize in literature in 2022']) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(true);
      expect(r.answer, q).toMatch(/^French author Annie Ernaux/);
      expect(r.answer, q).not.toContain('will be announced');
      expect(r.answer, q).not.toContain('Gurnah');
    }
    expect((await docent.answer('Who won the 2021 Nobel Prize in Literature?')).answer).toMatch(/Abdulrazak Gurnah/);
    // a question that looks ahead is answered by the forecast
    expect((await docent.answer('When will the 2022 Nobel Prize in Literature be announced?')).answer).toContain('October 2022');
  });

  it('without the passage of the year asked, it refuses instead of answering from another year or a forecast', async () => {
    await docent.removeDocument('ernaux.md');
    for (const q of ['Who won the 2022 Nobel Prize in Literature?', 'who won the nobel prize in literature in 2022']) {
      const r = await docent.answer(q);
      expect(r.answered, q).toBe(false);
      expect(r.refusal?.reason).toBe('no-answer');
    }
  });

  it('a dateline is not part of the quote', async () => {
    const r = await docent.answer('Who won the 2021 Nobel Prize in Literature?');
    expect(r.citations[0].quote).toMatch(/^Tanzanian novelist/);
  });
});

describe('the reader follows a pronoun or a demonstrative to what it stands for', () => {
  // the name opens the paragraph; the sentence that answers leans on it through two pronouns,
  // and a long opening sentence puts the name in an earlier chunk than the answer
  const filler = 'The region had long been known for its clear skies, its dry winters and the patience of the farmers who lived on its high plateau, far from any city lights or railway lines. '.repeat(6);
  const DOCS = {
    'observatory.md': `# The Kestrel Observatory\n\n${filler}Marta Kowalczyk’s work at the observatory began in 1931. Living in the north, she ground its first mirror herself. She also described the distillation of lens oil from pine resin.\n`,
    'physics.md': '# Unification\n\nPhysicists still hope to write a single self-consistent unification model of all four forces. Einstein tried and failed at this endeavor, but string theory is the most popular approach today.\n',
    'merger.md':
      '# Broadcasting\n\nIn October 1954 Harlan proposed a merger between the Acme network and the Borealis network, which was also in financial trouble. As part of this deal, the combined company would have traded as "Acme-Borealis" for five years, and Borealis would have received five million dollars in cash, room on the schedule for its existing programmes, and guaranteed advertising time for its receivers.\n',
  };
  const docent = readerOn(DOCS);

  it('a who question answered by "She also described …" brings the sentence that names her, even from an earlier chunk', async () => {
    const r = await docent.answer('Who described the distillation of lens oil?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Marta Kowalczyk’s work at the observatory began in 1931\. \[1\] .*She also described the distillation/);
    expect(r.citations[0].quote).toBe('Marta Kowalczyk’s work at the observatory began in 1931.');
  });

  it('"… failed at this endeavor" brings the sentence that says what the endeavor was', async () => {
    const r = await docent.answer('What kind of model did Einstein fail to write?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Physicists still hope to write a single self-consistent unification model/);
  });

  it('a next sentence that goes on about the answer ("As part of this deal, …") is kept, shortened to the room left', async () => {
    const r = await docent.answer("Under Harlan's merger proposal, what would the new network be named?");
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('Acme-Borealis');
    expect(r.answer.length).toBeLessThanOrEqual(500);
  });
});

describe('the reader on "what is X?"', () => {
  const DOCS = {
    'harbour.md':
      '# Harbour services\n\n## Orca, the night ferry\n\nLaunched in May, Orca is the harbour’s overnight ferry service between the two piers. Built on a catamaran hull, equipped with bunks for long crossings, designed for quiet running.\n\nLast spring the port opened a maintenance yard called Larkspur Dock. Ferries are repaired there in winter.\n\n## Services by time of day\n\n| Service | Day | Night |\n|---|---|---|\n| Ferries | Gull, Heron | Orca, Larkspur Dock |\n',
  };
  const docent = readerOn(DOCS);

  it('is answered by the sentence that says what X is ("… a yard called X"), not by a table row that lists X among others', async () => {
    const r = await docent.answer('What is Larkspur Dock?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Last spring the port opened a maintenance yard called Larkspur Dock\. \[1\]/);
  });

  it('keeps the next sentence when it has no subject of its own and goes on describing X ("Built on …, equipped with …")', async () => {
    const r = await docent.answer('What is Orca?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Launched in May, Orca is the harbour’s overnight ferry service between the two piers\. \[1\] Built on a catamaran hull, equipped with bunks/);
  });
});

describe('the reader on questions the documents do not answer', () => {
  const DOCS = {
    'tools.md':
      '# The Tern toolkit\n\nThe Tern toolkit ships a command-line client and a web console for harbour pilots. Its console shows tide tables and berth bookings.\n\n' +
      '## Bookings\n\nTo book a berth, open the Tern console and choose Bookings › New berth.\n\n' +
      '## Questions pilots ask\n\nHow do pilots move a berth booking to another day in the Tern console? Open the booking, choose Move, and pick the new day.\n',
  };
  const docent = readerOn(DOCS);

  it('a how-to question is answered by the passage that speaks of doing it, and refused when none does, however much of the rest a passage mentions', async () => {
    const book = await docent.answer('How do I book a berth in the Tern console?');
    expect(book.answered).toBe(true);
    expect(book.answer).toMatch(/^To book a berth, open the Tern console and choose Bookings › New berth\./);
    for (const q of ['How do I cancel a berth booking in the Tern console?', 'How can I export the tide tables from the Tern console?']) {
      const r = await docent.answer(q);
      expect(r.answered, `${q} → ${r.answer}`).toBe(false);
    }
  });

  it('a sentence that asks (an FAQ’s question) is never the answer: the one that answers it is', async () => {
    const r = await docent.answer('How do I move a berth booking to another day in the Tern console?');
    expect(r.answered).toBe(true);
    expect(r.answer).toMatch(/^Open the booking, choose Move, and pick the new day\./);
    expect(r.answer).not.toContain('?');
  });

  it('a price question is refused when no passage holds an amount, however much of its other words a passage says', async () => {
    const r = await docent.answer('What is the price of the Tern toolkit web console?');
    expect(r.answered).toBe(false);
  });
});

describe('the reader on what money went to', () => {
  const docent = readerOn({
    'budget.md': '# Harbour budget\n\nThe harbour authority spent $2M on the Tern console in 2024, and the pilots’ union paid for the training.\n',
  });

  it('“what did X spend on Y” is answered by an amount spent on Y, and refused when the amounts are spent on something else', async () => {
    const r = await docent.answer('What did the harbour authority spend on the Tern console?');
    expect(r.answered).toBe(true);
    expect(r.answer).toContain('$2M');
    const other = await docent.answer('What did the harbour authority spend on dredging?');
    expect(other.answered, other.answer).toBe(false);
  });
});
