/**
 * Pure formatting of pipeline results into Discord message payloads that respect Discord's limits
 * (2,000 characters of content; embed description 4,096, field name 256, field value 1,024,
 * 25 fields, 6,000 characters per message). Text no human wrote for the message (document text,
 * file names, titles, a model's answer, a question echoed to the moderators) goes through
 * `src/text/inert.ts` and secret redaction: shown as written, never a live link, mention or secret.
 */
import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent, type APIEmbed, type APIEmbedField } from 'discord.js';
import { explainAnalysis } from '../answer/explain.js';
import { renderRefusal } from '../answer/refusal.js';
import type { CorpusStatus, Freshness, ReindexReport, SourceInfo } from '../pipeline.js';
import { redact } from '../log.js';
import { inertName, inertText, maskedLink } from '../text/inert.js';
import { citationLink } from '../text/text-fragment.js';
import type { AnswerResult, Citation } from '../types.js';
import { splitMessage } from './split-message.js';

/** Document or model text as shown: no live mention, masked link or spoiler, no secret. */
function untrusted(text: string): string {
  return inertText(redact(text));
}

export const LIMITS = { content: 2000, title: 256, description: 4096, fieldName: 256, fieldValue: 1024, fields: 25, total: 6000 } as const;

export interface OutgoingMessage {
  content: string;
  embeds?: APIEmbed[];
  components?: Array<APIActionRowComponent<APIButtonComponent>>;
}

export const VOTE_PREFIX = 'docent:vote:';
/** "Ask a moderator" and "Solved" under an answer: `docent:handoff:<answerId>`, `docent:solved:<answerId>`. */
export const HANDOFF_PREFIX = 'docent:handoff:';
export const SOLVED_PREFIX = 'docent:solved:';

/** Cuts at a word boundary and adds an ellipsis, so the result has at most `max` characters. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const ws = cut.search(/\s\S*$/);
  return (ws > 0 && ws >= max / 4 ? cut.slice(0, ws) : cut).trimEnd() + '…';
}

function lineRange([a, b]: [number, number]): string {
  return a === b ? `line ${a}` : `lines ${a}–${b}`;
}

function quoteBlock(text: string, max: number): string {
  const q = truncate(text.replace(/\s+\n/g, '\n').trim(), max);
  return q
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/** A link line longer than this is left out of a Sources field (its quote needs the room). */
const MAX_LINK_CHARS = 600;

export function citationField(c: Citation): APIEmbedField {
  const name = truncate(`[${c.n}] ${inertName(c.title)}`, LIMITS.fieldName);
  // the document's own link (front matter url:): the title, clickable; field names cannot hold links
  // (a web page's with a text fragment that scrolls to the quote)
  const url = citationLink(c);
  const link = url ? maskedLink(truncate(c.title, 100), url) : null;
  const head = [
    link && link.length <= MAX_LINK_CHARS ? `🔗 ${link}` : '',
    c.section ? `§ ${truncate(inertName(c.section), 200)}` : '',
    `\`${truncate(inertName(c.source), 150)}\` · ${lineRange(c.lines)}`,
  ].filter(Boolean).join('\n');
  // Room left for the quote after the header, the newline and the "> " prefixes.
  const room = LIMITS.fieldValue - head.length - 1;
  const lines = c.quote.split('\n').length;
  const value = `${head}\n${quoteBlock(untrusted(c.quote), Math.max(20, room - 2 * Math.min(lines, 40) - 4))}`;
  return { name, value: value.length <= LIMITS.fieldValue ? value : truncate(value, LIMITS.fieldValue) };
}

function embedSize(e: APIEmbed): number {
  return (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

/** Source embeds: each holds at most 25 fields and stays under the 6,000-character total. */
export function sourceEmbeds(citations: Citation[], footer?: string): APIEmbed[] {
  const embeds: APIEmbed[] = [];
  let cur: APIEmbed | null = null;
  for (const c of citations) {
    const field = citationField(c);
    const size = field.name.length + field.value.length;
    if (!cur || (cur.fields!.length >= LIMITS.fields || embedSize(cur) + size > LIMITS.total - 300)) {
      cur = { title: embeds.length === 0 ? 'Sources' : 'Sources (continued)', color: 0x5865f2, fields: [] };
      embeds.push(cur);
    }
    cur.fields!.push(field);
  }
  if (footer && embeds.length) embeds[embeds.length - 1].footer = { text: truncate(footer, 2048) };
  return embeds;
}

export function voteButtons(answerId: string): APIActionRowComponent<APIButtonComponent> {
  return {
    type: ComponentType.ActionRow,
    components: [
      { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `${VOTE_PREFIX}up:${answerId}`, emoji: { name: '👍' }, label: 'Helpful' },
      { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `${VOTE_PREFIX}down:${answerId}`, emoji: { name: '👎' }, label: 'Not helpful' },
      { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `${HANDOFF_PREFIX}${answerId}`, emoji: { name: '🙋' }, label: 'Ask a moderator' },
      { type: ComponentType.Button, style: ButtonStyle.Success, custom_id: `${SOLVED_PREFIX}${answerId}`, emoji: { name: '✅' }, label: 'Solved' },
    ],
  };
}

/** The answer id of an "Ask a moderator" or "Solved" button. */
export function parseAnswerButton(customId: string): { action: 'handoff' | 'solved'; answerId: string } | null {
  const m = /^docent:(handoff|solved):([\w-]{1,80})$/.exec(customId);
  return m ? { action: m[1] as 'handoff' | 'solved', answerId: m[2] } : null;
}

export function parseVoteId(customId: string): { vote: 'up' | 'down'; answerId: string } | null {
  const m = /^docent:vote:(up|down):([\w-]{1,80})$/.exec(customId);
  return m ? { vote: m[1] as 'up' | 'down', answerId: m[2] } : null;
}

/**
 * The text shown for an answer: the answer with [n] markers, or the refusal (its one sentence,
 * then the closest sources as a list: rendered once, from the structured refusal).
 */
export function answerText(result: AnswerResult): string {
  if (result.answered) return untrusted(result.answer);
  const refusal = result.refusal ?? { reason: 'no-answer' as const, missing: [], closest: result.closest };
  const lines = [untrusted(renderRefusal(refusal))];
  if (refusal.closest.length) {
    lines.push('', '**Closest sources:**');
    for (const c of refusal.closest.slice(0, 5)) {
      lines.push(`• ${inertName(c.title)}${c.section ? ` — ${inertName(c.section)}` : ''} (\`${inertName(c.source)}\`, ${lineRange(c.lines)})`);
    }
  }
  return lines.join('\n');
}

/**
 * An answer as Discord messages: the text split into ≤ 2,000-character parts, the sources as an
 * embed and the 👍/👎 buttons on the last part; extra source embeds (many citations) follow.
 */
export function renderAnswer(result: AnswerResult, answerId: string): OutgoingMessage[] {
  const parts = splitMessage(answerText(result), LIMITS.content);
  if (parts.length === 0) parts.push('(empty answer)');
  const embeds = result.answered ? sourceEmbeds(result.citations) : [];
  const out: OutgoingMessage[] = parts.map((content) => ({ content }));
  const last = out[out.length - 1];
  if (embeds.length) last.embeds = [embeds[0]];
  for (const e of embeds.slice(1)) out.push({ content: '', embeds: [e] });
  out[out.length - 1].components = [voteButtons(answerId)];
  return out;
}

export function renderWhy(result: AnswerResult): string {
  const head = `Retrieval for “${truncate(untrusted(result.question), 300)}” — index ${result.generation}, ${result.ms} ms, ${result.answered ? 'answered' : 'not answered'}.`;
  const understood = result.analysis ? `\nUnderstood as: ${truncate(untrusted(explainAnalysis(result.analysis)), 400)}` : '';
  if (result.retrieved.length === 0) return `${head}${understood}\nNothing was retrieved.`;
  const fmt = (rank: number | null, score: number | null) => (rank === null ? '—' : `#${rank}${score === null ? '' : ` (${score.toFixed(3)})`}`);
  const blocks = result.retrieved.map((h) => {
    const section = inertName(h.chunk.headings.join(' › '));
    return [
      `**#${h.rank}** fused ${h.score.toFixed(4)} · lexical ${fmt(h.lexicalRank, h.lexicalScore)} · dense ${fmt(h.denseRank, h.denseScore)}`,
      `${inertName(h.chunk.title)}${section ? ` — ${section}` : ''} (\`${inertName(h.chunk.source)}\`, ${lineRange([h.chunk.lineStart, h.chunk.lineEnd])})`,
      quoteBlock(untrusted(h.chunk.text), 300),
    ].join('\n');
  });
  return [head + understood, ...blocks].join('\n\n');
}

export function renderSources(sources: SourceInfo[]): string {
  if (sources.length === 0) return 'No documents are indexed yet. A moderator can add one with `/add` or run `/reindex`.';
  const total = sources.reduce((n, s) => n + s.chunks, 0);
  const lines = [`**${sources.length} document${sources.length === 1 ? '' : 's'} indexed** (${total} chunks):`];
  for (const s of [...sources].sort((a, b) => a.source.localeCompare(b.source))) {
    const t = Date.parse(s.indexedAt);
    const when = Number.isFinite(t) ? `<t:${Math.floor(t / 1000)}:f>` : s.indexedAt;
    lines.push(`• **${inertName(s.title)}** — \`${inertName(s.source)}\` · ${s.chunks} chunk${s.chunks === 1 ? '' : 's'} · indexed ${when}`);
  }
  return lines.join('\n');
}

function list(label: string, items: string[]): string {
  if (items.length === 0) return `${label}: 0`;
  const shown = items.slice(0, 10).map((s) => `\`${inertName(s)}\``).join(', ');
  return `${label}: ${items.length} (${shown}${items.length > 10 ? `, … ${items.length - 10} more` : ''})`;
}

export function renderReport(action: string, r: ReindexReport): string {
  const secs = (r.ms / 1000).toFixed(1);
  if (r.noChange) return `${action}: nothing changed (index ${r.generation}, checked in ${secs} s; ${r.unchanged.length} unchanged).`;
  const lines = [
    `${action}: done in ${secs} s — index generation \`${r.generation}\`, ${r.chunks} chunks (${r.embedded} embedded).`,
    list('• Added', r.added),
    list('• Changed', r.changed),
    list('• Removed', r.removed),
    `• Unchanged: ${r.unchanged.length}`,
    `• Skipped: ${r.skipped.length}`,
  ];
  for (const s of r.skipped.slice(0, 10)) lines.push(`  – \`${inertName(s.source)}\`: ${s.code} — ${truncate(inertName(redact(s.message)), 200)}`);
  return lines.join('\n');
}

function names(items: string[], max = 5): string {
  const shown = items.slice(0, max).map((s) => `\`${inertName(s)}\``).join(', ');
  return items.length > max ? `${shown}, … ${items.length - max} more` : shown;
}

/** "1 added (`a.md`), 1 removed (`b.md`)": how the corpus differs from a generation. */
function renderCorpusDiff(s: CorpusStatus): string {
  const part = (n: string[], label: string) => (n.length ? `${n.length} ${label} (${names(n)})` : '');
  return [part(s.added, 'added'), part(s.changed, 'changed'), part(s.removed, 'removed')].filter(Boolean).join(', ') || 'no change';
}

/** The line after a rollback: does the corpus still match the generation now serving? */
export function renderRollback(generation: string, status: CorpusStatus | null, named = false): string {
  const head = `${named ? 'Switched' : 'Rolled back'}: answers now come from index generation \`${generation}\`.`;
  if (!status || status.fresh) return head;
  if (status.missing) return `${head}\nThe corpus folder is missing, so it cannot be compared.`;
  return `${head}\nThe corpus differs from it: ${renderCorpusDiff(status)}. It stays pinned — no automatic re-index — until \`/reindex\` or the next change to the corpus.`;
}

/** Posted to the moderators when the bot could not or would not bring the index up to date on its own. */
export function renderFreshnessProblem(f: Freshness): string | null {
  const s = f.status;
  switch (f.action) {
    case 'pinned':
      return `📌 The corpus changed (${renderCorpusDiff(s)}), but index generation \`${s.generation}\` is pinned by a rollback (${s.pin?.by ?? 'rollback'}, ${s.pin?.pinnedAt ?? ''}): it keeps serving until \`/reindex\` or the next corpus change.`;
    case 'failed':
      return `⚠️ The corpus changed (${renderCorpusDiff(s)}), but the automatic re-index failed: ${truncate(untrusted(f.error instanceof Error ? f.error.message : String(f.error)), 500)}. Index generation \`${s.generation}\` still serves.`;
    case 'missing':
      return `⚠️ The corpus folder \`${truncate(inertName(s.corpusDir), 200)}\` is missing; index generation \`${s.generation}\` still serves.`;
    default:
      return null;
  }
}

/**
 * The moderator channel's notice of an unanswered question. The question is the member's, not
 * written for the moderators: it is echoed inert (a masked link in it stays visible text).
 */
export function renderUnansweredNotice(userId: string, question: string, silent?: { refused: boolean; support?: number; bar?: number; link?: string }): string {
  const head = `❓ Unanswered question from <@${userId}>: “${truncate(untrusted(question), 500)}”`;
  if (!silent) return head;
  const support = silent.support === undefined ? '' : ` (support ${silent.support.toFixed(2)}${silent.bar === undefined ? '' : `, below ${silent.bar.toFixed(2)}`})`;
  const why = silent.refused ? 'the documents do not answer it' : `not confident enough${support}`;
  return `${head}\nAsked in an auto-answer channel; Docent stayed silent: ${why}.${silent.link ? ` ${silent.link}` : ''}`;
}

/** The moderator channel's notice of a 👎: the question and the answer echoed inert. */
export function renderDownvoteNotice(args: { userId: string; question: string; answer: string; link: string }): string {
  const about = args.question ? ` to “${truncate(untrusted(args.question), 300)}”` : '';
  return `👎 from <@${args.userId}> on an answer${about}: ${args.link}\n> ${truncate(untrusted(args.answer.replace(/\n+/g, ' ')), 800)}`;
}

/**
 * The moderator channel's hand-off: who asked, the question, Docent's answer (both echoed inert)
 * and a jump link; the moderator role first when one is configured (the only mention it allows).
 */
export function renderHandOffNotice(args: { askerId: string; pressedBy: string; question: string; answer: string; link: string; pingRoleId?: string }): string {
  const ping = args.pingRoleId ? `<@&${args.pingRoleId}> ` : '';
  const by = args.pressedBy === args.askerId ? '' : ` (passed on by <@${args.pressedBy}>)`;
  const question = args.question ? `“${truncate(untrusted(args.question), 500)}”` : '(the question is no longer known; see the link)';
  return [
    `${ping}🙋 <@${args.askerId}> would like a moderator to help${by}.`,
    `**Question:** ${question}`,
    `**Docent answered:**`,
    `> ${truncate(untrusted(args.answer.replace(/\n+/g, ' ')), 900)}`,
    args.link,
  ].join('\n');
}
