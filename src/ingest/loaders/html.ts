import { parse, type HTMLElement, type Node } from 'node-html-parser';

export interface HtmlParts {
  text: string;
  title: string | undefined;
  meta: Record<string, string>;
}

/** Elements whose content is never document text. */
const DROP = new Set([
  'head', 'script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'embed', 'canvas',
  'math', 'button', 'select', 'textarea', 'input', 'link', 'meta', 'base',
]);
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'nav', 'aside', 'blockquote', 'pre',
  'figure', 'figcaption', 'address', 'dl', 'dt', 'dd', 'form', 'fieldset', 'details', 'summary', 'hr',
  'body', 'html', 'center', 'caption', 'legend',
]);
const HEADING = /^h([1-6])$/;
/** Deeper nesting than this is refused rather than risking a stack overflow. */
const MAX_DEPTH = 400;

export class HtmlTooDeepError extends Error {}

const ELEMENT = 1;
const TEXT = 3;

/**
 * Extracts readable text from HTML: headings become Markdown `#` lines, blocks and list items
 * their own lines, tables Markdown tables; scripts, styles and other non-content are dropped.
 * Throws `HtmlTooDeepError` for absurdly deep nesting.
 */
export function extractHtml(html: string): HtmlParts {
  const root = parse(html, {
    comment: false,
    lowerCaseTagName: true,
    blockTextElements: { script: true, noscript: true, style: true, pre: true },
  });
  const meta: Record<string, string> = {};
  const titleEl = root.querySelector('title');
  const title = titleEl ? collapse(titleEl.text) : undefined;
  for (const m of root.querySelectorAll('meta')) {
    const name = (m.getAttribute('name') ?? m.getAttribute('property') ?? '').toLowerCase();
    const content = collapse(m.getAttribute('content') ?? '');
    if (!content) continue;
    if (name === 'description' || (name === 'og:description' && !meta.description)) meta.description = content;
    else if (name === 'author') meta.author = content;
    else if ((name === 'date' || name === 'article:published_time') && !meta.date) {
      const iso = /^\d{4}-\d{2}-\d{2}/.exec(content);
      meta.date = iso ? iso[0] : content;
    }
  }

  const out = new Writer();
  walk(root, out, 0);
  const text = out.finish();
  let h1: string | undefined;
  const h1m = /^# (.+)$/m.exec(text);
  if (h1m) h1 = h1m[1].trim();
  return { text, title: title || h1 || undefined, meta };
}

/** Lines grouped so list items and table rows stay adjacent while other blocks get a blank line between them. */
class Writer {
  private parts: string[] = [];
  private lastGroup: number | undefined;
  private inline = '';
  private nextGroup = 1;

  newGroup(): number {
    return this.nextGroup++;
  }

  text(s: string): void {
    this.inline += s;
  }

  flush(): void {
    const lines = this.inline.split('\n').map(collapse).filter(Boolean);
    this.inline = '';
    // Lines split by <br> stay together as one paragraph.
    const group = lines.length > 1 ? this.newGroup() : undefined;
    for (const l of lines) this.line(l, group);
  }

  line(s: string, group?: number): void {
    if (!s) return;
    if (this.parts.length) this.parts.push(group !== undefined && group === this.lastGroup ? '\n' : '\n\n');
    this.parts.push(s);
    this.lastGroup = group;
  }

  finish(): string {
    this.flush();
    return this.parts.join('');
  }
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function isHidden(el: HTMLElement): boolean {
  if (el.hasAttribute('hidden')) return true;
  if ((el.getAttribute('aria-hidden') ?? '') === 'true') return true;
  const style = (el.getAttribute('style') ?? '').toLowerCase().replace(/\s+/g, '');
  return style.includes('display:none') || style.includes('visibility:hidden');
}

function tagOf(node: Node): string {
  return node.nodeType === ELEMENT ? (node as HTMLElement).rawTagName?.toLowerCase() ?? '' : '';
}

function walk(node: Node, out: Writer, depth: number): void {
  if (depth > MAX_DEPTH) throw new HtmlTooDeepError(`HTML is nested more than ${MAX_DEPTH} levels deep`);
  for (const child of node.childNodes) {
    if (child.nodeType === TEXT) {
      out.text(child.text.replace(/\s+/g, ' '));
      continue;
    }
    if (child.nodeType !== ELEMENT) continue;
    const el = child as HTMLElement;
    const tag = tagOf(el);
    if (DROP.has(tag) || isHidden(el)) continue;
    const h = HEADING.exec(tag);
    if (h) {
      out.flush();
      const t = inlineText(el, depth + 1);
      if (t) out.line(`${'#'.repeat(Number(h[1]))} ${t}`);
      continue;
    }
    if (tag === 'br') { out.text('\n'); continue; }
    if (tag === 'ul' || tag === 'ol') { out.flush(); list(el, out, depth + 1, 0, out.newGroup()); continue; }
    if (tag === 'li') { out.flush(); out.line(`- ${inlineText(el, depth + 1)}`); continue; }
    if (tag === 'table') { out.flush(); table(el, out, depth + 1); continue; }
    if (tag === 'pre') {
      out.flush();
      const lines = el.text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, ''));
      while (lines.length && !lines[0].trim()) lines.shift();
      while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
      if (lines.length) out.line(lines.join('\n'));
      continue;
    }
    if (BLOCK.has(tag)) {
      out.flush();
      walk(el, out, depth + 1);
      out.flush();
      continue;
    }
    walk(el, out, depth + 1); // inline element
  }
}

/** Text of an element on one line, skipping dropped/hidden elements and nested lists. */
function inlineText(el: Node, depth: number, skipLists = false): string {
  if (depth > MAX_DEPTH) throw new HtmlTooDeepError(`HTML is nested more than ${MAX_DEPTH} levels deep`);
  let s = '';
  for (const c of el.childNodes) {
    if (c.nodeType === TEXT) s += c.text;
    else if (c.nodeType === ELEMENT) {
      const tag = tagOf(c);
      if (DROP.has(tag) || isHidden(c as HTMLElement)) continue;
      if (skipLists && (tag === 'ul' || tag === 'ol')) continue;
      s += ' ' + inlineText(c, depth + 1, skipLists) + (tag === 'br' || BLOCK.has(tag) ? ' ' : '');
    }
  }
  return collapse(s);
}

function list(el: HTMLElement, out: Writer, depth: number, indent: number, group: number): void {
  if (depth > MAX_DEPTH) throw new HtmlTooDeepError(`HTML is nested more than ${MAX_DEPTH} levels deep`);
  for (const c of el.childNodes) {
    if (c.nodeType !== ELEMENT) continue;
    const tag = tagOf(c);
    const item = c as HTMLElement;
    if (DROP.has(tag) || isHidden(item)) continue;
    if (tag === 'li') {
      const t = inlineText(item, depth + 1, true);
      if (t) out.line(`${'  '.repeat(indent)}- ${t}`, group);
      for (const sub of item.childNodes) {
        const st = tagOf(sub);
        if (st === 'ul' || st === 'ol') list(sub as HTMLElement, out, depth + 2, indent + 1, group);
      }
    } else if (tag === 'ul' || tag === 'ol') {
      list(item, out, depth + 1, indent + 1, group);
    }
  }
}

function rowsOf(table: HTMLElement, depth: number): HTMLElement[] {
  const rows: HTMLElement[] = [];
  const visit = (n: HTMLElement, d: number) => {
    if (d > MAX_DEPTH) throw new HtmlTooDeepError(`HTML is nested more than ${MAX_DEPTH} levels deep`);
    for (const c of n.childNodes) {
      const t = tagOf(c);
      if (t === 'tr') rows.push(c as HTMLElement);
      else if (t === 'thead' || t === 'tbody' || t === 'tfoot') visit(c as HTMLElement, d + 1);
    }
  };
  visit(table, depth);
  return rows;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function table(el: HTMLElement, out: Writer, depth: number): void {
  const caption = el.childNodes.find((c) => tagOf(c) === 'caption');
  if (caption) out.line(inlineText(caption, depth + 1));
  const rows = rowsOf(el, depth)
    .map((r) => r.childNodes.filter((c) => tagOf(c) === 'td' || tagOf(c) === 'th').map((c) => cell(inlineText(c, depth + 2))))
    .filter((r) => r.length > 0);
  if (!rows.length) return;
  const width = Math.max(...rows.map((r) => r.length));
  const group = out.newGroup();
  const fmt = (r: string[]) => `| ${[...r, ...Array(width - r.length).fill('')].join(' | ')} |`;
  out.line(fmt(rows[0]), group);
  out.line(`|${Array(width).fill('---').join('|')}|`, group);
  for (const r of rows.slice(1)) out.line(fmt(r), group);
}
