/**
 * Reads a fetch response's body, at most `maxBytes` of it: a declared Content-Length over the cap
 * (when the body is not compressed: a compressed length says nothing about what it inflates to)
 * and a body that streams past it are both cancelled at once (the connection is dropped), so
 * memory and time stay bounded whatever the server sends. Used by the remote embedders and the URL
 * fetcher (whose undici Response is a type of its own: only headers and body are needed).
 */
export type CappedBody = { ok: true; body: Buffer } | { ok: false; /** the declared length, when that was over the cap */ declared?: number };

export async function readBodyCapped(
  res: { headers: { get(name: string): string | null }; body: Pick<ReadableStream<Uint8Array>, 'getReader' | 'cancel'> | null },
  maxBytes: number,
): Promise<CappedBody> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (!res.headers.get('content-encoding') && Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    return { ok: false, declared };
  }
  if (!res.body) return { ok: true, body: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false };
    }
    parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return { ok: true, body: Buffer.concat(parts, size) };
}
