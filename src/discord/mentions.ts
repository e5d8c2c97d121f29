/** The message's text without its mentions of the bot ("<@123> What is Wukong?" → "What is Wukong?"). */
export function stripMentions(content: string, botId: string): string {
  return content.replace(new RegExp(`<@!?${botId}>`, 'g'), ' ').replace(/\s+/g, ' ').trim();
}
