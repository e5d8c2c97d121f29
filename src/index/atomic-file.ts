import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Durable file steps of the index: a file is written and flushed before anything names it, and a
 * file that is replaced is replaced by renaming a flushed temp file over it, so a process killed
 * at any instant leaves either the old bytes or the new ones.
 */

/** Flushes a file or directory to disk (a directory's fsync makes a rename in it durable). */
export async function fsyncPath(p: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(p, fsc.O_RDONLY);
    await fh.sync();
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** Writes `data` to `file` and flushes it to disk; `flag` 'wx' refuses a file that exists. */
export async function writeSynced(file: string, data: Uint8Array, flag: 'w' | 'wx' = 'w'): Promise<void> {
  const fh = await fs.open(file, flag);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a file, flushes it to disk, and returns its size and sha256 (hashed from memory, not re-read). */
export async function writeFileSynced(file: string, data: string | Uint8Array): Promise<{ bytes: number; sha256: string }> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  await writeSynced(file, buf);
  return { bytes: buf.byteLength, sha256: createHash('sha256').update(buf).digest('hex') };
}

/** Atomically replaces `file` with `data` (temp file in the same directory, fsync, rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFileSynced(tmp, data);
    await fs.rename(tmp, file);
    await fsyncPath(path.dirname(file));
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await fs.open(file, 'r');
  try {
    for await (const chunk of fh.createReadStream()) h.update(chunk as Buffer);
  } finally {
    await fh.close().catch(() => {});
  }
  return h.digest('hex');
}
