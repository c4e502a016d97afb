// Every error a user can meet is a SqlferryError: a stable `code`, structured
// `data` for --json and tests, and a `hint` that says what to do next.

export type ExitCode = number;

/** Documented exit codes (docs/EXIT_CODES.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  conflicts: 3, // synced, with conflicts recorded for a human to look at
  rejected: 4, // push refused: pull first
  locked: 5, // database or replica busy beyond the bounded wait
  corrupt: 6, // a file failed its checksum or could not be parsed
  nodeVersion: 7,
} as const;

export class SqlferryError extends Error {
  readonly code: string;
  readonly data: Record<string, unknown>;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(
    code: string,
    message: string,
    opts: { data?: Record<string, unknown>; hint?: string; exitCode?: ExitCode; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SqlferryError';
    this.code = code;
    this.data = opts.data ?? {};
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.failure;
  }
}

/** A changeset/patchset byte stream that does not follow the format. */
export class ChangesetFormatError extends SqlferryError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('CHANGESET_MALFORMED', `${message} at byte offset ${offset}`, {
      data: { offset },
      exitCode: EXIT.corrupt,
      hint: 'the file is not a valid SQLite changeset or patchset, or it is truncated',
    });
    this.name = 'ChangesetFormatError';
    this.offset = offset;
  }
}
