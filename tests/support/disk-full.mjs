/**
 * Preloaded (`node --import`) into a CLI child to play a full disk: every write under
 * `DOCENT_DISK_FULL_DIR` (opening a file for writing, writing, appending, creating a folder)
 * fails with ENOSPC, as it does when the disk holding that folder has no space left.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';

const dir = process.env.DOCENT_DISK_FULL_DIR ? path.resolve(process.env.DOCENT_DISK_FULL_DIR) : '';
const inside = (p) => typeof p === 'string' && (path.resolve(p) + path.sep).startsWith(dir + path.sep);
const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
const writes = (flags) => (typeof flags === 'string' ? /[wa+]/.test(flags) : typeof flags === 'number' && (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0);

if (dir) {
  const p = fs.promises;
  const wrap = (name, when = () => true) => {
    const original = p[name];
    p[name] = async function (...args) {
      if (inside(String(args[0])) && when(args)) throw full();
      return original.apply(this, args);
    };
  };
  wrap('open', (args) => writes(args[1] ?? 'r'));
  for (const name of ['writeFile', 'appendFile', 'mkdir', 'copyFile']) wrap(name);
  syncBuiltinESMExports();
}
