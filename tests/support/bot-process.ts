/**
 * A bot entry point (`npm start`, `start:sharded`) as a child process whose JSON-lines logs tests
 * wait on: `waitForLine` resolves on the first log line from `after` on that matches, so a test
 * gates on what the process says it did, never on time.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The test runner's environment without its Discord, Docent and vitest variables, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DISCORD_|MODERATOR_|DOCENT_|VITEST|NODE_OPTIONS|SHARD)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export type LogLine = Record<string, any>;

export interface LoggedProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Index to pass as `after` so a wait only sees lines logged from now on. */
  mark(): number;
  /** The first JSON log line from `after` on that matches; rejects if the process exits first (or after `timeoutMs`, a safety net). */
  waitForLine(pred: (line: LogLine) => boolean, opts?: { after?: number; timeoutMs?: number }): Promise<LogLine>;
  /** Exit code, or the signal that ended it. */
  exited: Promise<number | string | null>;
}

export function spawnLogged(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): LoggedProcess {
  const child = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let partial = '';
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  const collect = (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      try {
        const o = JSON.parse(p);
        if (o && typeof o === 'object') lines.push(o);
      } catch {
        // not a log line
      }
    }
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    output: () => out,
    mark: () => lines.length,
    exited,
    waitForLine(pred, o = {}) {
      return new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = lines.slice(o.after ?? 0).find(pred);
          if (!found) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching log line within ${o.timeoutMs ?? 60_000} ms:\n${out.slice(-4000)}`));
        }, o.timeoutMs ?? 60_000);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`process exited (${code}) before the log line came:\n${out.slice(-4000)}`));
        });
        listeners.add(check);
        check();
      });
    },
  };
}
