import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staleSources } from '../../src/cli/build-status.js';

describe('staleSources (is dist/ older than src/?)', () => {
  let root: string;
  const write = async (rel: string, mtimeSec: number) => {
    const file = path.join(root, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '');
    await fs.utimes(file, mtimeSec, mtimeSec);
  };
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-build-status-'));
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('GIVEN every source compiled after its last change THEN nothing is stale', async () => {
    await write('src/cli/ask.ts', 1000);
    await write('dist/cli/ask.js', 2000);
    await write('src/types.d.ts', 3000); // declarations have no output
    expect(staleSources(root)).toEqual([]);
  });

  it('GIVEN a source changed after the build, or never built THEN it is listed', async () => {
    await write('src/cli/ask.ts', 3000);
    await write('dist/cli/ask.js', 2000);
    await write('src/pipeline.ts', 1000);
    await write('dist/pipeline.js', 2000);
    await write('src/cli/new.ts', 1000);
    expect(staleSources(root).sort()).toEqual(['cli/ask.ts', 'cli/new.ts']);
  });

  it('GIVEN no src/ (an installed copy) THEN nothing is stale', () => {
    expect(staleSources(root)).toEqual([]);
  });
});
