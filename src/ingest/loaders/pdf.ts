
export type PdfExtract =
  | { ok: true; text: string; title: string | undefined; meta: Record<string, string> }
  | { ok: false; code: 'PARSE_FAILED' | 'EMPTY'; message: string };

/** A hostile PDF can keep the parser busy; give up (and free it) after this long. */
const PARSE_TIMEOUT_MS = 60_000;

/**
 * Extracts text page by page (pages joined by a blank line) plus the Title/Author/Subject
 * metadata. A corrupt file is PARSE_FAILED with the parser's reason; no text at all is EMPTY.
 */
export async function extractPdf(bytes: Uint8Array, timeoutMs = PARSE_TIMEOUT_MS): Promise<PdfExtract> {
  // loaded on first use: pdf.js and its canvas binding cost ~1.4 s and ~180 MB to import
  const { PDFParse } = await import('pdf-parse');
  // pdf.js may take ownership of (transfer) the array, so give it a copy.
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`parsing took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    const result = await Promise.race([parser.getText(), timeout]);
    const pages = result.pages
      .slice()
      .sort((a, b) => a.num - b.num)
      .map((p) => tidyPage(p.text))
      .filter(Boolean);
    const text = pages.join('\n\n');
    if (!text.trim()) {
      return {
        ok: false,
        code: 'EMPTY',
        message: 'the PDF has no extractable text; it may be a scanned image (run OCR on it first)',
      };
    }
    const meta: Record<string, string> = {};
    let title: string | undefined;
    try {
      const info = (await Promise.race([parser.getInfo(), timeout])).info as Record<string, unknown> | undefined;
      const str = (k: string) => (typeof info?.[k] === 'string' ? (info[k] as string).replace(/\s+/g, ' ').trim() : '');
      title = str('Title') || undefined;
      if (str('Author')) meta.author = str('Author');
      if (str('Subject')) meta.description = str('Subject');
      const created = /^D:(\d{4})(\d{2})(\d{2})/.exec(str('CreationDate'));
      if (created) meta.date = `${created[1]}-${created[2]}-${created[3]}`;
    } catch {
      // metadata is optional
    }
    return { ok: true, text, title, meta };
  } catch (err) {
    return { ok: false, code: 'PARSE_FAILED', message: `the PDF could not be read: ${reason(err)}` };
  } finally {
    clearTimeout(timer);
    await parser.destroy().catch(() => undefined);
  }
}

function tidyPage(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function reason(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  const msg = err instanceof Error ? err.message : String(err);
  if (name === 'PasswordException' || /password/i.test(msg)) return 'it is password-protected';
  return msg.split('\n')[0].slice(0, 200) || 'unknown error';
}
