/**
 * The REPL's keyboard habits, as in node's REPL: Ctrl-C clears a half-typed line, on an empty
 * line it prints a hint and a second Ctrl-C leaves; `help`, `quit` and `exit` work without
 * their colon.
 */
import type readline from 'node:readline';

export const CTRL_C_HINT = '(press Ctrl-C again or type :quit to leave)';

/** `help`, `quit`, `exit` (any case) as the `:help` / `:quit` commands; anything else unchanged. */
export function commandAlias(input: string): string {
  const word = input.toLowerCase();
  if (word === 'help') return ':help';
  if (word === 'quit' || word === 'exit') return ':quit';
  return input;
}

/** What one Ctrl-C does, given the line typed so far. */
export class CtrlC {
  private armed = false;

  press(line: string): 'clear' | 'hint' | 'quit' {
    if (line !== '') {
      this.armed = false;
      return 'clear';
    }
    if (this.armed) return 'quit';
    this.armed = true;
    return 'hint';
  }

  /** A line was entered: the next Ctrl-C on an empty line hints again. */
  reset(): void {
    this.armed = false;
  }
}

/**
 * Ctrl-C on a terminal `rl`: clears the line, hints, or closes `rl` (which ends the session as
 * Ctrl-D does). readline reports Ctrl-C as 'SIGINT' only on a terminal; without a listener it
 * would close at once.
 */
export function handleCtrlC(rl: readline.Interface, output: NodeJS.WritableStream): void {
  const keys = new CtrlC();
  rl.on('line', () => keys.reset());
  rl.on('SIGINT', () => {
    const action = keys.press(rl.line);
    if (action === 'quit') {
      output.write('\n');
      rl.close();
      return;
    }
    // to the end of the line, then delete back to the prompt (readline's own Ctrl-E, Ctrl-U)
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    if (action === 'hint') {
      output.write(`\n${CTRL_C_HINT}\n`);
      rl.prompt();
    }
  });
}
