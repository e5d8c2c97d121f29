import type { Result } from '../types.js';

export type DownloadCode = 'UPLOAD_TOO_LARGE' | 'DOWNLOAD_FAILED';

const DISCORD_CDN_HOSTS = new Set(['cdn.discordapp.com', 'media.discordapp.net']);

/** Points Discord CDN URLs at `cdnUrl` (DISCORD_CDN_URL) when one is configured. */
export function resolveAttachmentUrl(url: string, cdnUrl: string | undefined): string {
  if (!cdnUrl) return url;
  const u = new URL(url);
  if (!DISCORD_CDN_HOSTS.has(u.hostname)) return url;
  return cdnUrl.replace(/\/+$/, '') + u.pathname + u.search;
}

/**
 * Downloads an attachment, refusing it once more than `maxBytes` arrive (a lying or missing
 * Content-Length cannot get past the limit). Expected failures are values.
 */
export async function downloadAttachment(
  url: string,
  maxBytes: number,
  opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<Result<Buffer, DownloadCode>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 30_000);
  const tooLarge = (): Result<Buffer, DownloadCode> => ({
    ok: false,
    code: 'UPLOAD_TOO_LARGE',
    message: `The file is larger than the ${formatBytes(maxBytes)} upload limit.`,
  });
  let exceeded = false;
  try {
    const res = await (opts.fetchImpl ?? fetch)(url, { signal: controller.signal });
    if (!res.ok || !res.body) {
      return { ok: false, code: 'DOWNLOAD_FAILED', message: `Could not download the file (HTTP ${res.status}).` };
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      controller.abort();
      return tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        exceeded = true;
        controller.abort();
        return tooLarge();
      }
      chunks.push(Buffer.from(chunk));
    }
    return { ok: true, value: Buffer.concat(chunks) };
  } catch (err) {
    // Aborting the stream on purpose can surface as an AbortError from the iterator's cleanup.
    if (exceeded) return tooLarge();
    return { ok: false, code: 'DOWNLOAD_FAILED', message: `Could not download the file (${(err as Error).name === 'AbortError' ? 'timed out' : 'network error'}).` };
  } finally {
    clearTimeout(timer);
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
  return `${n} bytes`;
}
