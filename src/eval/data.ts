/**
 * Eval data: the seed question set (JSONL) and XQuAD/SQuAD articles written out as a Markdown
 * corpus, whole or with one paragraph removed (the on-topic negatives).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Where a correct answer is: a verbatim string, or an absolute span [start, end) of a document. */
export type Evidence = { text: string } | { source: string; start: number; end: number };

/** One XQuAD paragraph: the article file it is written to and its 0-based index there. */
export interface ParagraphRef {
  source: string;
  index: number;
}

export interface EvalItem {
  id: string;
  /** Question kind (seed: lexical, paraphrase, …, unanswerable; XQuAD: `xquad`). */
  kind: string;
  question: string;
  /** Groups of alternatives; every group must be matched by one of its alternatives. Empty: must be refused. */
  answers: string[][];
  evidence: Evidence | null;
  /** XQuAD: the paragraph that holds the gold answer. */
  paragraph?: ParagraphRef;
}

function bad(file: string, line: number, message: string): UserError {
  return new UserError('EVAL_DATA_INVALID', `${file}:${line}: ${message}`);
}

/**
 * Parses seed-style JSONL: `{id, kind?, question, answers: string[][], evidence?: string}` a line.
 * Blank lines are skipped; any malformed line is an error naming the file and line.
 */
export function parseSeedJsonl(text: string, file = 'questions'): EvalItem[] {
  const items: EvalItem[] = [];
  const ids = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const n = i + 1;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw bad(file, n, `not JSON (${(err as Error).message})`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(file, n, 'expected a JSON object');
    const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : `line-${n}`;
    if (ids.has(id)) throw bad(file, n, `duplicate id "${id}"`);
    ids.add(id);
    if (typeof o.question !== 'string' || !o.question.trim()) throw bad(file, n, '"question" must be a non-empty string');
    const answers = o.answers ?? [];
    if (!Array.isArray(answers) || !answers.every((g) => Array.isArray(g) && g.length > 0 && g.every((a) => typeof a === 'string' && a.trim() !== ''))) {
      throw bad(file, n, '"answers" must be a list of non-empty lists of non-empty strings ([] when the question must be refused)');
    }
    if (o.kind !== undefined && typeof o.kind !== 'string') throw bad(file, n, '"kind" must be a string');
    if (o.evidence !== undefined && o.evidence !== null && typeof o.evidence !== 'string') throw bad(file, n, '"evidence" must be a string');
    const evidence = typeof o.evidence === 'string' && o.evidence ? { text: o.evidence } : null;
    items.push({ id, kind: (o.kind as string | undefined) || (answers.length ? 'other' : 'unanswerable'), question: o.question, answers: answers as string[][], evidence });
  }
  if (!items.length) throw new UserError('EVAL_DATA_INVALID', `${file}: no questions`);
  return items;
}

export async function loadSeed(file: string): Promise<EvalItem[]> {
  return parseSeedJsonl(await readData(file), file);
}

async function readData(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('EVAL_DATA_MISSING', `${file}: no such file`);
    throw err;
  }
}

/** A set's name from its file: `seed-dev.jsonl` → seed-dev, `xquad-dev.en.json` → xquad-dev. */
export function setName(file: string): string {
  return path.basename(file).replace(/\.jsonl?$/i, '').replace(/\.[a-z]{2}$/i, '');
}

/** SQuAD v1.1 / XQuAD shape (only the fields the eval reads). */
export interface Squad {
  data: Array<{
    title: string;
    paragraphs: Array<{ context: string; qas: Array<{ id: string; question: string; answers: Array<{ text: string; answer_start: number }> }> }>;
  }>;
}

export function parseSquad(text: string, file = 'xquad'): Squad {
  let o: Squad;
  try {
    o = JSON.parse(text) as Squad;
  } catch (err) {
    throw new UserError('EVAL_DATA_INVALID', `${file}: not JSON (${(err as Error).message})`);
  }
  const ok =
    Array.isArray(o?.data) &&
    o.data.every(
      (a) =>
        typeof a?.title === 'string' &&
        Array.isArray(a.paragraphs) &&
        a.paragraphs.every((p) => typeof p?.context === 'string' && Array.isArray(p.qas) && p.qas.every((q) => typeof q?.question === 'string' && Array.isArray(q.answers) && q.answers.length > 0)),
    );
  if (!ok) throw new UserError('EVAL_DATA_INVALID', `${file}: expected SQuAD v1.1 JSON ({data: [{title, paragraphs: [{context, qas: [{id, question, answers}]}]}]})`);
  return o;
}

export async function loadSquad(file: string): Promise<Squad> {
  return parseSquad(await readData(file), file);
}

export interface MarkdownDoc {
  /** File name inside the corpus folder. */
  source: string;
  text: string;
}

export interface XquadCorpus {
  docs: MarkdownDoc[];
  /** Every question, with its gold span as evidence and its paragraph. */
  items: EvalItem[];
  paragraphs: ParagraphRef[];
}

/** File names for the articles: the title as a slug, made unique. */
function sources(squad: Squad): string[] {
  const seen = new Set<string>();
  return squad.data.map((a) => {
    const base = a.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'article';
    let s = `${base}.md`;
    for (let i = 2; seen.has(s); i++) s = `${base}-${i}.md`;
    seen.add(s);
    return s;
  });
}

/**
 * The articles as Markdown (`# Title`, then one paragraph a block) and their questions, with gold
 * spans as absolute offsets in those files. With `without`, that paragraph is left out (its
 * questions too); everything else is written exactly as in the full corpus.
 */
export function xquadCorpus(squad: Squad, without?: ParagraphRef): XquadCorpus {
  const names = sources(squad);
  const docs: MarkdownDoc[] = [];
  const items: EvalItem[] = [];
  const paragraphs: ParagraphRef[] = [];
  squad.data.forEach((art, ai) => {
    const source = names[ai];
    let text = `# ${art.title.replace(/_/g, ' ')}\n\n`;
    art.paragraphs.forEach((p, index) => {
      if (without && without.source === source && without.index === index) return;
      paragraphs.push({ source, index });
      const offset = text.length;
      text += `${p.context.trim()}\n\n`;
      // gold spans point into the untrimmed context
      const lead = p.context.length - p.context.trimStart().length;
      for (const qa of p.qas) {
        const a = qa.answers[0];
        const start = offset + a.answer_start - lead;
        items.push({
          id: String(qa.id),
          kind: 'xquad',
          question: qa.question,
          answers: [[...new Set(qa.answers.map((x) => x.text))]],
          evidence: { source, start, end: start + a.text.length },
          paragraph: { source, index },
        });
      }
    });
    docs.push({ source, text });
  });
  return { docs, items, paragraphs };
}

/** Questions grouped by the paragraph that answers them (one on-topic-negative build each). */
export function byParagraph(items: EvalItem[]): Array<{ paragraph: ParagraphRef; items: EvalItem[] }> {
  const groups = new Map<string, { paragraph: ParagraphRef; items: EvalItem[] }>();
  for (const item of items) {
    if (!item.paragraph) continue;
    const key = `${item.paragraph.source}#${item.paragraph.index}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { paragraph: item.paragraph, items: [] }));
    g.items.push(item);
  }
  return [...groups.values()];
}

/** Writes `docs` into `dir`, replacing whatever was there. */
export async function writeCorpus(dir: string, docs: MarkdownDoc[]): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  for (const d of docs) await fs.writeFile(path.join(dir, d.source), d.text);
}
