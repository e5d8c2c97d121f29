/**
 * A deterministic stand-in for the real pipeline: answers from a tiny in-memory corpus with
 * real-looking citations, records every call, and uses `history` for retrieval (the last question's
 * key terms are added to the query) so follow-ups stay on their subject.
 */
import { renderRefusal } from '../../src/answer/refusal.js';
import type { CorpusStatus, DocentApi, DocumentWrite, Freshness, GenerationInfo, ReindexReport, SourceInfo, WriteReport } from '../../src/pipeline.js';
import type { AnswerOptions, AnswerResult, Chunk, Citation, Hit, Refusal } from '../../src/types.js';
import { UserError } from '../../src/errors.js';

export interface FakeDoc {
  source: string;
  title: string;
  text: string;
}

export const EVERYONE_LINE =
  '@everyone the all-hands moves to Thursday at 10:00; <@&123456789012345678> please bring the Wukong demo.';

const LONG_SECTION = [
  'The release checklist has several steps that every maintainer follows before tagging a version. '.repeat(6).trim(),
  'First, run the full test suite and make sure nothing is skipped without a reason written in the test name. '.repeat(5).trim(),
  '```bash\n' + Array.from({ length: 14 }, (_, i) => `npm run step-${i + 1} -- --verbose --check "release candidate ${i + 1}"`).join('\n') + '\n```',
  'As the handbook says: "A release is only done when the changelog, the tag and the announcement all agree, and when somebody other than the author has read the diff from top to bottom." '.repeat(2).trim(),
  'Second, write the changelog entry in plain words, naming every user-visible change and linking the issue it closes. '.repeat(6).trim(),
  'Finally, announce the release in the community channel and watch for regressions during the following day. '.repeat(6).trim(),
].join('\n\n');

export const FAKE_CORPUS: FakeDoc[] = [
  {
    source: 'alibaba-strategy.md',
    title: "Alibaba's Agentic AI Strategy",
    text: [
      '# Alibaba\'s Agentic AI Strategy',
      '',
      '## The Three Pillars',
      '',
      '### 3. Alibaba Token Hub',
      '',
      'Alibaba Token Hub was announced as a new business unit during the earnings call week. It groups the AI operations.',
      '',
      '### 2. Wukong — The Enterprise Agent Platform',
      '',
      'Announced March 17, Wukong is Alibaba’s enterprise AI platform, built on Qwen models and integrated with DingTalk.',
      '',
      '### 1. Qwen — The Consumer Agent',
      '',
      'Qwen is reportedly the world’s most widely used open-source AI system. The Qwen app launched in November 2025.',
      '',
    ].join('\n'),
  },
  {
    source: 'announcements.md',
    title: 'Community Announcements',
    text: ['# Community Announcements', '', '## All-hands', '', EVERYONE_LINE, ''].join('\n'),
  },
  {
    source: 'release-handbook.md',
    title: 'Release Handbook',
    text: ['# Release Handbook', '', '## Checklist', '', LONG_SECTION, ''].join('\n'),
  },
];

const STOP = new Set(
  'a an and are as at be by did do does for from give how i in is it its me of on or please tell the this to was were what when where which who why will with about me you your'.split(' '),
);

export function keyTerms(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].filter((t) => !STOP.has(t) && t.length > 1);
}

function chunkDoc(doc: FakeDoc): Chunk[] {
  const lines = doc.text.split('\n');
  const chunks: Chunk[] = [];
  const headings: string[] = [];
  let offset = 0;
  let para: { start: number; lineStart: number; lines: string[] } | null = null;
  const flush = (lineEnd: number) => {
    if (!para) return;
    const text = para.lines.join('\n');
    chunks.push({
      id: `${doc.source}#${chunks.length + 1}`,
      source: doc.source,
      title: doc.title,
      headings: [...headings],
      kind: 'paragraph',
      text,
      start: para.start,
      end: para.start + text.length,
      lineStart: para.lineStart,
      lineEnd,
    });
    para = null;
  };
  let inFence = false;
  lines.forEach((line, i) => {
    const m = /^(#{1,6})\s+(.*)$/.exec(line);
    if (line.startsWith('```')) inFence = !inFence;
    if (m && !inFence) {
      flush(i);
      headings.length = Math.max(0, m[1].length - 2);
      if (m[1].length >= 2) headings.push(m[2]);
    } else if (line.trim() === '' && !inFence) {
      flush(i);
    } else {
      if (!para) para = { start: offset, lineStart: i + 1, lines: [] };
      para.lines.push(line);
    }
    offset += line.length + 1;
  });
  flush(lines.length);
  return chunks;
}

function report(generation: string, patch: Partial<ReindexReport>): ReindexReport {
  return { generation, added: [], changed: [], removed: [], unchanged: [], skipped: [], chunks: 0, embedded: 0, noChange: false, ms: 3, ...patch };
}

/** Methods of the fake that a test can hold at a gate. */
export type GatedMethod = 'answer' | 'reindex' | 'addDocument' | 'removeDocument' | 'rollback';

/**
 * A call held at a gate: `arrived` resolves (with the call's arguments) once the call has reached
 * the fake, and the call does not proceed until `release()`.
 */
export interface Gate {
  arrived: Promise<unknown[]>;
  release(): void;
}

interface PendingGate {
  arrive: (args: unknown[]) => void;
  opened: Promise<void>;
}

export class FakeDocent implements DocentApi {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  private docs = new Map<string, FakeDoc & { indexedAt: string }>();
  private gen = 1;
  private closed = false;
  private gates = new Map<GatedMethod, PendingGate[]>();

  constructor(docs: FakeDoc[] = FAKE_CORPUS) {
    for (const d of docs) this.docs.set(d.source, { ...d, indexedAt: '2026-03-20T12:00:00.000Z' });
  }

  get generation(): string {
    return `gen-${String(this.gen).padStart(4, '0')}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Holds the next call of `method` (one call per gate; gates taken in order catch calls in
   * order), so a test can act while that call is in flight instead of sleeping.
   */
  gate(method: GatedMethod): Gate {
    let arrive!: (args: unknown[]) => void;
    let release!: () => void;
    const arrived = new Promise<unknown[]>((r) => (arrive = r));
    const opened = new Promise<void>((r) => (release = r));
    const queue = this.gates.get(method) ?? [];
    queue.push({ arrive, opened });
    this.gates.set(method, queue);
    return { arrived, release };
  }

  private async pass(method: GatedMethod, args: unknown[]): Promise<void> {
    const gate = this.gates.get(method)?.shift();
    if (!gate) return;
    gate.arrive(args);
    await gate.opened;
  }

  answerCalls(): Array<{ question: string; options: AnswerOptions | undefined }> {
    return this.calls.filter((c) => c.method === 'answer').map((c) => ({ question: c.args[0] as string, options: c.args[1] as AnswerOptions | undefined }));
  }

  private allChunks(): Chunk[] {
    return [...this.docs.values()].flatMap(chunkDoc);
  }

  async answer(question: string, options?: AnswerOptions): Promise<AnswerResult> {
    this.calls.push({ method: 'answer', args: [question, options] });
    await this.pass('answer', [question, options]);
    const t0 = Date.now();
    const last = options?.history?.at(-1);
    const queryTerms = keyTerms(question);
    // Follow-ups lean on the previous question's subject; the subject's terms weigh more.
    const historyTerms = last ? keyTerms(last.question).filter((t) => !queryTerms.includes(t)) : [];
    const chunks = this.allChunks();
    const scored = chunks
      .map((chunk, order) => {
        const text = new Set(keyTerms(chunk.text));
        const heads = new Set(keyTerms(chunk.headings.join(' ')));
        // A term counts once in the text and once more in the section's headings.
        const hits = (t: string) => (text.has(t) ? 1 : 0) + (heads.has(t) ? 1 : 0);
        const score = queryTerms.reduce((n, t) => n + hits(t), 0) + 2 * historyTerms.reduce((n, t) => n + hits(t), 0);
        return { chunk, order, score };
      })
      .sort((a, b) => b.score - a.score || a.order - b.order);
    const top = scored.filter((s) => s.score > 0).slice(0, options?.k ?? 5);
    const retrieved: Hit[] = top.map((s, i) => ({
      chunk: s.chunk,
      score: Number((1 / (60 + i + 1)).toFixed(4)),
      rank: i + 1,
      lexicalRank: i + 1,
      lexicalScore: s.score,
      denseRank: top.length - i,
      denseScore: Number((0.9 - i * 0.1).toFixed(2)),
    }));
    const generation = this.generation;
    if (top.length === 0) {
      // a refusal of the real pipeline's shape: the structured value and its one rendered sentence
      const refusal: Refusal = { reason: 'no-answer', missing: [], closest: chunks.slice(0, 2).map((c) => ({ source: c.source, title: c.title, section: c.headings.join(' › '), lines: [c.lineStart, c.lineEnd] })) };
      return {
        question,
        answered: false,
        answer: renderRefusal(refusal),
        citations: [],
        retrieved: [],
        closest: refusal.closest,
        refusal,
        generation,
        ms: Date.now() - t0,
      };
    }
    const best = top[0].chunk;
    const citation = (c: Chunk, n: number, whole: boolean): Citation => ({
      n,
      source: c.source,
      title: c.title,
      section: c.headings.join(' › '),
      lines: [c.lineStart, c.lineEnd],
      quote: whole ? c.text : (/^[^\n]*?[.!?](?=\s|$)/.exec(c.text)?.[0] ?? c.text.split('\n')[0]),
      chunkId: c.id,
    });
    let answer: string;
    const citations: Citation[] = [];
    if (best.source === 'release-handbook.md') {
      // The long answer: every paragraph of the handbook, each cited.
      const paras = top.filter((s) => s.chunk.source === 'release-handbook.md').map((s) => s.chunk).sort((a, b) => a.start - b.start);
      answer = paras.map((c, i) => (c.text.startsWith('```') ? `${c.text}\n[${i + 1}]` : `${c.text} [${i + 1}]`)).join('\n\n');
      paras.forEach((c, i) => citations.push(citation(c, i + 1, false)));
    } else {
      answer = `${citation(best, 1, false).quote} [1]`;
      citations.push(citation(best, 1, best.source === 'announcements.md'));
    }
    // like the reader's support (0–1): here the share of the question's own terms the best passage holds
    const bestTerms = new Set(keyTerms(`${best.headings.join(' ')} ${best.text}`));
    const support = queryTerms.length ? Number((queryTerms.filter((t) => bestTerms.has(t)).length / queryTerms.length).toFixed(2)) : 0;
    return { question, answered: true, answer, citations, retrieved, closest: [], support, generation, ms: Date.now() - t0 };
  }

  sources(): SourceInfo[] {
    this.calls.push({ method: 'sources', args: [] });
    return [...this.docs.values()].map((d) => ({ source: d.source, title: d.title, chunks: chunkDoc(d).length, indexedAt: d.indexedAt }));
  }

  async reindex(): Promise<ReindexReport> {
    this.calls.push({ method: 'reindex', args: [] });
    await this.pass('reindex', []);
    return report(this.generation, { unchanged: [...this.docs.keys()], chunks: this.allChunks().length, noChange: true });
  }

  async addDocument(fileName: string, bytes: Buffer): Promise<ReindexReport> {
    this.calls.push({ method: 'addDocument', args: [fileName, bytes] });
    await this.pass('addDocument', [fileName, bytes]);
    if (!/^[\w.-]+\.(md|txt)$/.test(fileName)) {
      throw new UserError('UPLOAD_REJECTED', `"${fileName}" is not a supported document (use .md or .txt).`);
    }
    const text = bytes.toString('utf8');
    const title = /^#\s+(.*)$/m.exec(text)?.[1] ?? fileName;
    const existed = this.docs.has(fileName);
    this.docs.set(fileName, { source: fileName, title, text, indexedAt: new Date().toISOString() });
    this.highest = ++this.gen;
    return report(this.generation, {
      added: existed ? [] : [fileName],
      changed: existed ? [fileName] : [],
      unchanged: [...this.docs.keys()].filter((k) => k !== fileName),
      chunks: this.allChunks().length,
      embedded: chunkDoc(this.docs.get(fileName)!).length,
    });
  }

  /** Like the real one: every file is in after one re-index (only Markdown and text here). */
  /** Writes nothing to disk, so a document's `expected` is not checked: every one is written. */
  async writeDocuments(files: ReadonlyArray<DocumentWrite>): Promise<WriteReport> {
    this.calls.push({ method: 'writeDocuments', args: [files] });
    // as the pipeline's: one path twice is refused, nothing written
    if (new Set(files.map((f) => f.source)).size !== files.length) throw new UserError('UPLOAD_REJECTED', 'The same document path was given twice.');
    const added: string[] = [];
    const changed: string[] = [];
    for (const f of files) {
      const text = f.bytes.toString('utf8');
      (this.docs.has(f.source) ? changed : added).push(f.source);
      this.docs.set(f.source, { source: f.source, title: /^title: (.*)$/m.exec(text)?.[1] ?? /^#\s+(.*)$/m.exec(text)?.[1] ?? f.source, text, indexedAt: new Date().toISOString() });
    }
    this.highest = ++this.gen;
    const written = new Set(files.map((f) => f.source));
    return { ...report(this.generation, { added, changed, unchanged: [...this.docs.keys()].filter((k) => !written.has(k)), chunks: this.allChunks().length, embedded: files.length }), notWritten: [] };
  }

  async removeDocument(source: string): Promise<ReindexReport> {
    this.calls.push({ method: 'removeDocument', args: [source] });
    await this.pass('removeDocument', [source]);
    if (!this.docs.delete(source)) throw new UserError('SOURCE_NOT_FOUND', `No indexed document is called "${source}".`);
    this.highest = ++this.gen;
    return report(this.generation, { removed: [source], unchanged: [...this.docs.keys()], chunks: this.allChunks().length });
  }

  async rollback(generation?: string, opts?: { by?: string }): Promise<{ generation: string }> {
    const args = generation === undefined ? [] : [generation, opts];
    this.calls.push({ method: 'rollback', args });
    await this.pass('rollback', args);
    if (generation !== undefined) {
      const n = Number(/^gen-(\d+)$/.exec(generation)?.[1]);
      if (!(n >= 1 && n <= this.maxGen)) throw new UserError('NO_SUCH_GENERATION', `${generation} is not a kept generation.`);
      this.gen = n;
      return { generation: this.generation };
    }
    if (this.gen <= 1) throw new UserError('NO_PREVIOUS_GENERATION', 'There is no earlier index generation to roll back to.');
    this.gen--;
    return { generation: this.generation };
  }

  /** Every generation the fake has reached is kept. */
  private get maxGen(): number {
    return Math.max(this.gen, this.highest);
  }
  private highest = 1;

  async generations(): Promise<GenerationInfo[]> {
    this.calls.push({ method: 'generations', args: [] });
    return Array.from({ length: this.maxGen }, (_, i) => ({
      generation: `gen-${String(i + 1).padStart(4, '0')}`,
      builtAt: '2026-03-20T12:00:00.000Z',
      chunks: this.allChunks().length,
      documents: this.docs.size,
      current: i + 1 === this.gen,
      pinned: false,
      changes: null,
      damaged: null,
    }));
  }

  /** The fake's corpus is its index: always fresh. */
  async corpusStatus(): Promise<CorpusStatus> {
    return { generation: this.generation, corpusDir: '', added: [], changed: [], removed: [], fresh: true, missing: false, pin: null, pinned: false, files: this.docs.size, hashed: 0, ms: 0 };
  }

  async ensureFresh(): Promise<Freshness> {
    this.calls.push({ method: 'ensureFresh', args: [] });
    return { action: 'fresh', status: await this.corpusStatus() };
  }

  async close(): Promise<void> {
    this.calls.push({ method: 'close', args: [] });
    this.closed = true;
  }
}
