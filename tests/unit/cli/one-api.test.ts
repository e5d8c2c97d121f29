import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/temp-project.js';

/**
 * The shell and the bot build, switch and list index generations through the same `Docent`
 * API: no front end calls the build or the generation switch itself (types may be imported).
 */
describe('front ends go through the Docent API', () => {
  it('no CLI or bot module imports a value from the build or the generation switch', async () => {
    const dirs = ['src/cli', 'src/discord', 'src/discord/commands', 'src/discord/events'];
    const offenders: string[] = [];
    for (const dir of dirs) {
      for (const f of (await fs.readdir(path.join(ROOT, dir))).filter((n) => n.endsWith('.ts'))) {
        const text = await fs.readFile(path.join(ROOT, dir, f), 'utf8');
        for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'[./]+(?:ingest\/build|index\/generations)\.js';/gm)) offenders.push(`${dir}/${f}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
