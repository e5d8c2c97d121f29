/**
 * Splits text into parts of at most `max` characters for Discord (2,000 a message).
 * Cuts, in order of preference: between paragraphs, between sentences, between words. It never
 * cuts inside a word, a quotation ("…", “…”, `…`) or a fenced code block, unless one of those is by
 * itself longer than `max`: a code block is then split between lines and each piece re-fenced, and
 * a quotation or a word is split at the last space (or, for a single over-long word, hard).
 */
const DISCORD_MESSAGE_LIMIT = 2000;

interface Block {
  text: string;
  code: boolean;
}

function toBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let buf: string[] = [];
  let fence: string | null = null;
  const push = (code: boolean) => {
    const t = buf.join('\n');
    if (t.trim() !== '') blocks.push({ text: code ? t : t.trim(), code });
    buf = [];
  };
  for (const line of lines) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      push(false);
      fence = m[1];
      buf.push(line);
      if (line.trim().length > fence.length && line.trim().endsWith(fence) && line.trim() !== fence) {
        // ```one-liner``` opens and closes on the same line
        fence = null;
        push(true);
      }
    } else if (fence !== null) {
      buf.push(line);
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
        fence = null;
        push(true);
      }
    } else if (line.trim() === '') {
      push(false);
    } else {
      buf.push(line);
    }
  }
  push(fence !== null);
  return blocks;
}

/** Offsets just after which a prose block may be cut, with a preference (higher = better). */
function cutPoints(text: string): Array<{ at: number; weight: number }> {
  const points: Array<{ at: number; weight: number }> = [];
  let dq = false; // inside "…"
  let cq = 0; // depth inside “…”
  let code = false; // inside `…`
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '`') code = !code;
    else if (!code && ch === '"') dq = !dq;
    else if (!code && ch === '“') cq++;
    else if (!code && ch === '”') cq = Math.max(0, cq - 1);
    const inside = dq || cq > 0 || code;
    if (inside) continue;
    const next = text[i + 1];
    if (next === undefined) continue;
    if (ch === '\n') points.push({ at: i + 1, weight: 3 });
    else if (/\s/.test(next) && /[.!?…]/.test(ch)) points.push({ at: i + 1, weight: 2 });
    else if (/\s/.test(next) && /["”)\]]/.test(ch) && /[.!?…]/.test(text[i - 1] ?? '')) points.push({ at: i + 1, weight: 2 });
    else if (/\s/.test(next) && !/\s/.test(ch)) points.push({ at: i + 1, weight: 1 });
  }
  return points;
}

function splitProse(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const points = cutPoints(rest).filter((p) => p.at <= max);
    let cut: number | undefined;
    for (const weight of [3, 2, 1]) {
      const best = points.filter((p) => p.weight >= weight).at(-1);
      // Prefer the strongest boundary unless it leaves a uselessly short part.
      if (best && best.at >= max / 4) {
        cut = best.at;
        break;
      }
    }
    // A short part is better than a cut inside a quotation.
    if (cut === undefined && points.length) cut = points.at(-1)!.at;
    if (cut === undefined) {
      // Over-long quotation or word: fall back to the last whitespace, else a hard cut.
      const ws = rest.slice(0, max + 1).search(/\s\S*$/);
      cut = ws > 0 ? ws : max;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.trim() !== '') parts.push(rest);
  return parts;
}

function splitCode(text: string, max: number): string[] {
  const lines = text.split('\n');
  const open = lines[0];
  const fence = /^\s*(`{3,}|~{3,})/.exec(open)?.[1] ?? '```';
  const closed = lines.length > 1 && lines.at(-1)!.trim().startsWith(fence);
  const body = lines.slice(1, closed ? -1 : undefined);
  const overhead = open.length + 1 + 1 + fence.length;
  const room = Math.max(1, max - overhead);
  const parts: string[] = [];
  let cur: string[] = [];
  let len = 0;
  const flush = () => {
    if (cur.length) parts.push(`${open}\n${cur.join('\n')}\n${fence}`);
    cur = [];
    len = 0;
  };
  for (let line of body) {
    while (line.length > room) {
      flush();
      parts.push(`${open}\n${line.slice(0, room)}\n${fence}`);
      line = line.slice(room);
    }
    if (len + line.length + (cur.length ? 1 : 0) > room) flush();
    len += line.length + (cur.length ? 1 : 0);
    cur.push(line);
  }
  flush();
  return parts;
}

/** Splits `text` into Discord-sized parts (see module comment). Returns `[]` for blank text. */
export function splitMessage(text: string, max = DISCORD_MESSAGE_LIMIT): string[] {
  if (max < 20) throw new RangeError('max must be at least 20');
  const pieces: string[] = [];
  for (const block of toBlocks(text)) {
    if (block.text.length <= max) pieces.push(block.text);
    else pieces.push(...(block.code ? splitCode(block.text, max) : splitProse(block.text, max)));
  }
  const parts: string[] = [];
  let cur = '';
  for (const piece of pieces) {
    if (cur === '') cur = piece;
    else if (cur.length + 2 + piece.length <= max) cur += '\n\n' + piece;
    else {
      parts.push(cur);
      cur = piece;
    }
  }
  if (cur !== '') parts.push(cur);
  return parts;
}
