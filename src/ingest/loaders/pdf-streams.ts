import { createInflate, constants } from 'node:zlib';

/**
 * How much a PDF's Flate-compressed streams inflate to, counted without keeping the output: one
 * 1 MB stream of spaces inflates to 1 GB, and pdf.js decodes it into ArrayBuffers, which a
 * worker's heap limit does not cover (2.6 GB were measured). Image streams are left out (text
 * extraction never decodes them). Stops counting past `cap` bytes.
 */
export async function inflatedStreamBytes(pdf: Uint8Array, cap: number): Promise<number> {
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const src = bytes.toString('latin1');
  let total = 0;
  const keyword = /(?<![A-Za-z])stream\r?\n/g;
  for (let m = keyword.exec(src); m !== null; m = keyword.exec(src)) {
    const dataStart = m.index + m[0].length;
    // the stream's dictionary: from its object header to the keyword
    const dictStart = src.lastIndexOf(' obj', m.index);
    const dict = src.slice(Math.max(0, dictStart, m.index - 4096), m.index);
    if (!/\/(?:FlateDecode|Fl)\b/.test(dict) || /\/Subtype\s*\/Image\b/.test(dict)) continue;
    const direct = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
    let end = direct ? dataStart + Number(direct[1]) : src.indexOf('endstream', dataStart);
    if (end < dataStart || end > src.length) end = src.length;
    total += await inflatedSize(bytes.subarray(dataStart, end), cap - total);
    if (total > cap) return total;
    keyword.lastIndex = end;
  }
  return total;
}

/** Bytes `data` inflates to (as much as inflates before an error), counting stops past `cap`. */
function inflatedSize(data: Uint8Array, cap: number): Promise<number> {
  return new Promise((resolve) => {
    const z = createInflate({ finishFlush: constants.Z_SYNC_FLUSH });
    let n = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      z.destroy();
      resolve(n);
    };
    z.on('data', (chunk: Buffer) => {
      n += chunk.length;
      if (n > cap) finish();
    });
    z.on('error', finish);
    z.on('end', finish);
    z.on('close', finish);
    z.end(data);
  });
}
