import type { parse as ParseYaml } from 'yaml';

let parseYaml: typeof ParseYaml | undefined;
/**
 * Imports the YAML parser on first need: only a document with front matter needs it, and its
 * ~100 ES modules were a tenth of a cold `ask`, which reads no document. `parseMarkdown` needs it
 * loaded when the text opens with front matter.
 */
export async function loadYamlParser(): Promise<void> {
  parseYaml ??= (await import('yaml')).parse;
}

export interface MarkdownParts {
  /** Title from front matter or the first `# ` heading; undefined when neither exists. */
  title: string | undefined;
  bodyStart: number;
  meta: Record<string, string>;
  /** Problems that did not stop the load (e.g. unreadable front matter). */
  warnings: string[];
}

const FENCE = /^(```|~~~)/;

/**
 * Splits LF-normalized Markdown into front matter and body. Front matter is a `---` first line
 * up to a closing `---` (or `...`) line. Broken YAML keeps the document: the block is still
 * skipped as front matter, `meta` stays empty and a warning says why.
 */
export function parseMarkdown(text: string): MarkdownParts {
  const warnings: string[] = [];
  let meta: Record<string, string> = {};
  let bodyStart = 0;
  let fmTitle: string | undefined;

  if (/^---[ \t]*\n/.test(text)) {
    const close = /^(---|\.\.\.)[ \t]*$/m;
    const firstNl = text.indexOf('\n') + 1;
    const rest = text.slice(firstNl);
    const m = close.exec(rest);
    if (!m) {
      warnings.push('front matter starts with "---" but has no closing "---" line; read it as body text');
    } else {
      const yamlText = rest.slice(0, m.index);
      const afterClose = firstNl + m.index + m[0].length;
      bodyStart = text[afterClose] === '\n' ? afterClose + 1 : afterClose;
      if (!parseYaml) throw new Error('parseMarkdown: call loadYamlParser() first (the text has front matter)');
      try {
        const data: unknown = parseYaml(yamlText, { maxAliasCount: 50, uniqueKeys: true, prettyErrors: true });
        if (data === null || data === undefined) {
          // empty front matter block
        } else if (typeof data !== 'object' || Array.isArray(data)) {
          warnings.push('front matter is not a key: value mapping; ignored it');
        } else {
          meta = toMeta(data as Record<string, unknown>);
          fmTitle = meta.title;
          if (meta.url !== undefined) {
            const url = httpUrl(meta.url);
            if (url.ok) meta.url = url.value;
            else {
              delete meta.url;
              warnings.push(`front matter url ${url.message}; ignored it`);
            }
          }
        }
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
        warnings.push(`front matter is not valid YAML (${reason}); ignored it`);
      }
    }
  }

  const title = fmTitle ?? firstH1(text, bodyStart);
  return { title, bodyStart, meta, warnings };
}

/**
 * A document's link as citations show it: an absolute http(s) URL without a user name or
 * password, normalised (`new URL().href`: spaces and controls percent-encoded). The message
 * says why another value is not one, without echoing it (it may hold a secret).
 */
export function httpUrl(value: string): { ok: true; value: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, message: 'is not an absolute URL (expected http:// or https://)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `is a ${url.protocol.slice(0, 20)} URL, not http(s)` };
  if (url.username || url.password) return { ok: false, message: 'holds a user name or password' };
  if (url.href.length > MAX_URL_CHARS) return { ok: false, message: `is longer than ${MAX_URL_CHARS} characters` };
  return { ok: true, value: url.href };
}

const MAX_URL_CHARS = 2048;

function toMeta(data: Record<string, unknown>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    const s = scalar(value);
    if (s !== undefined && s !== '') meta[key] = key === 'date' || key.endsWith('_date') ? normalizeDate(s, value) : s;
    else if (Array.isArray(value)) {
      const items = value.map(scalar).filter((v): v is string => v !== undefined && v !== '');
      if (items.length) meta[key] = items.join(', ');
    }
  }
  return meta;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.replace(/\s+/g, ' ').trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  return undefined;
}

function normalizeDate(s: string, raw: unknown): string {
  if (raw instanceof Date) return s;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(s);
  if (iso) return `${iso[1]}-${iso[2].padStart(2, '0')}-${iso[3].padStart(2, '0')}`;
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString().slice(0, 10);
}

/** First ATX level-1 heading at or after `from`, outside fenced code blocks. */
function firstH1(text: string, from: number): string | undefined {
  let inFence = false;
  for (const line of text.slice(from).split('\n')) {
    if (FENCE.test(line.trimStart())) { inFence = !inFence; continue; }
    if (inFence) continue;
    const m = /^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (m) {
      const t = m[1].trim();
      if (t) return t;
    }
  }
  return undefined;
}

/** `my-notes_v2.txt` → `My notes v2`; falls back to the name itself when nothing is left. */
export function humanizeFileName(fileName: string): string {
  const base = fileName.replace(/\.[^.]+$/, '');
  const words = base.replace(/[-_.\s]+/g, ' ').trim();
  if (!words) return fileName;
  return words.charAt(0).toUpperCase() + words.slice(1);
}
