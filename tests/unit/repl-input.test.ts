import { once } from 'node:events';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commandAlias, CTRL_C_HINT, CtrlC, handleCtrlC } from '../../src/cli/repl-input.js';

describe('REPL commands without a colon', () => {
  it('GIVEN help, quit, exit in any case THEN the :help / :quit commands; anything else unchanged', () => {
    expect(commandAlias('help')).toBe(':help');
    expect(commandAlias('Help')).toBe(':help');
    expect(commandAlias('quit')).toBe(':quit');
    expect(commandAlias('EXIT')).toBe(':quit');
    expect(commandAlias('help me with Wukong')).toBe('help me with Wukong');
    expect(commandAlias(':why')).toBe(':why');
  });
});

describe('Ctrl-C (as in node’s REPL)', () => {
  it('GIVEN presses on typed and empty lines THEN clear, hint, quit; typing or a line in between starts over', () => {
    const c = new CtrlC();
    expect(c.press('half a question')).toBe('clear');
    expect(c.press('')).toBe('hint');
    expect(c.press('')).toBe('quit');
    const d = new CtrlC();
    expect(d.press('')).toBe('hint');
    expect(d.press('typed again')).toBe('clear');
    expect(d.press('')).toBe('hint');
    d.reset(); // a line was entered
    expect(d.press('')).toBe('hint');
    expect(d.press('')).toBe('quit');
  });

  /** A terminal readline on plain streams: readline decodes the keys itself, no pty needed. */
  function terminal() {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => (shown += d));
    const rl = readline.createInterface({ input, output, terminal: true, prompt: 'docent> ' });
    handleCtrlC(rl, output);
    /** Types `keys` and resolves once readline has handled the last of them. */
    const type = async (keys: string) => {
      let left = [...keys].length;
      const done = new Promise<void>((resolve) => {
        const onKey = () => {
          if (--left === 0) {
            input.off('keypress', onKey);
            resolve();
          }
        };
        input.on('keypress', onKey);
      });
      input.write(keys);
      await done;
    };
    return { rl, type, shown: () => shown };
  }

  it('GIVEN a real terminal readline THEN Ctrl-C clears a half-typed line, hints on an empty one, and the second one closes it', async () => {
    const t = terminal();
    const lines: string[] = [];
    t.rl.on('line', (l) => lines.push(l));
    const closed = once(t.rl, 'close');

    await t.type('What is Wu');
    expect(t.rl.line).toBe('What is Wu');
    await t.type('\u0003');
    expect(t.rl.line).toBe('');
    expect(t.shown()).not.toContain(CTRL_C_HINT);

    // the cleared text is gone: the next line is only what is typed after it
    await t.type('What is Wukong?\r');
    expect(lines).toEqual(['What is Wukong?']);

    await t.type('\u0003');
    expect(t.shown()).toContain(CTRL_C_HINT);
    await t.type('\u0003');
    await closed;
  });

  it('GIVEN a hint, then a line typed and cleared THEN the next Ctrl-C on the empty line hints again instead of quitting', async () => {
    const t = terminal();
    let closed = false;
    t.rl.on('close', () => (closed = true));
    await t.type('\u0003');
    await t.type('abc\u0003');
    await t.type('\u0003');
    expect(closed).toBe(false);
    expect(t.shown().split(CTRL_C_HINT)).toHaveLength(3);
    t.rl.close();
  });
});
