import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export const HELP_TEXT = [
  '**Docent answers questions about the indexed documents, citing exact passages.**',
  '',
  '**Ask**',
  '• `/ask question:<text> [private:true]` — answer with numbered citations [1]; `private` shows it only to you.',
  '• Mention me in a channel (`@Docent What is Wukong?`) or send me a DM.',
  '• Follow-ups: reply to my answer, or write in the thread I opened (mention me there unless the server enabled message content). I remember the conversation.',
  '• 👍 / 👎 under an answer tell the maintainers whether it helped; 🙋 Ask a moderator passes your question and my answer on to a human.',
  '• ✅ Solved under an answer, or `/solved` in its thread (the asker or a moderator), marks the question solved; `/solved reopen:true` undoes it.',
  '',
  '**Inspect**',
  '• `/sources` — the indexed documents, their chunk counts and when they were indexed.',
  '• `/why` — the passages retrieved for your last question, with fused, lexical and dense ranks and scores.',
  '• `/help` — this message.',
  '',
  '**Moderators** (Manage Server permission or a moderator role)',
  '• `/reindex` — re-read the corpus and index what changed (answers keep working meanwhile).',
  '• `/add file:<attachment>` — add or replace a document (.md, .txt, .html, .pdf); `/add url:<page or sitemap>` — fetch a web page (or a sitemap’s pages) and keep it in sync.',
  '• `/remove source:<name>` — remove a document.',
  '• `/rollback [generation:<name>]` — switch back to the previous index generation, or to any kept one (also a newer one). The corpus is not re-indexed automatically until `/reindex` or its next change.',
  '• `/gaps` — the unanswered and 👎 questions, similar ones grouped, most asked first, with links.',
  '• `/stats [days:<n>]` — questions per day, answered share, 👍/👎, hand-offs, solved, top sources.',
  '• **Add to Docent** (on a member’s answer: ⋯ → Apps) — save the question and that answer as a document; answers then cite it with a link to the message. `/remove` takes it out again.',
].join('\n');

export default {
  data: new SlashCommandBuilder().setName('help').setDescription('How to use Docent.'),
  async execute(interaction) {
    await interaction.reply(safe({ content: HELP_TEXT, flags: MessageFlags.Ephemeral }));
  },
} satisfies Command;
