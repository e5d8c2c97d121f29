/**
 * Errors carry a stable `code`. A `UserError`'s message is safe to show to a Discord user or on a
 * terminal as is; any other error is logged and answered with a generic message.
 */
export class DocentError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class UserError extends DocentError {}

export class ConfigError extends UserError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super('CONFIG_INVALID', `${variable}: ${message}`);
    this.variable = variable;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Error codes of a full disk (or a used-up quota). */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * A full disk as one clear line instead of a stack trace: `UserError` DISK_FULL naming the folder
 * whose disk is full and what was (not) done, or null when `err` is something else.
 * `dir` is the folder being written; `outcome` says what that means ("the previous index still serves").
 */
export function diskFullError(err: unknown, dir: string, outcome: string): UserError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (!code || !DISK_FULL_CODES.has(code)) return null;
  const why = code === 'EDQUOT' ? 'the disk quota is used up' : 'there is no space left';
  return new UserError('DISK_FULL', `Could not write to ${dir}: ${why} on its disk (${code}); ${outcome}. Free some space and try again.`, { cause: err });
}
