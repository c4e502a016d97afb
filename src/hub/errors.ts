// Typed hub errors: transports throw these, sync code and tests branch on `code`.
import { SqlferryError, EXIT } from '../errors/index.ts';

/** Of two appends racing for one number, the loser gets this: someone else's entry is there. */
export class EntryExistsError extends SqlferryError {
  /** `stored`: of a batch, how many entries before `seq` were stored. */
  constructor(url: string, seq: number, stored = 0) {
    super('HUB_ENTRY_EXISTS', `the hub at ${url} already has entry ${seq}`, {
      data: { url, seq, stored },
      exitCode: EXIT.rejected,
      hint: 'another replica pushed first: run `sqlferry pull`, then push again',
    });
    this.name = 'EntryExistsError';
  }
}

export class SnapshotExistsError extends SqlferryError {
  constructor(url: string, seq: number) {
    super('HUB_SNAPSHOT_EXISTS', `the hub at ${url} already has a snapshot at entry ${seq}`, {
      data: { url, seq },
      exitCode: EXIT.rejected,
    });
    this.name = 'SnapshotExistsError';
  }
}

export class EntryCorruptError extends SqlferryError {
  constructor(what: string, expected: string, actual: string) {
    super('HUB_ENTRY_CORRUPT', `${what} does not match its checksum (expected ${expected}, got ${actual})`, {
      data: { what, expected, actual },
      exitCode: EXIT.corrupt,
      hint: 'the hub copy is damaged; restore the hub folder from a backup or re-push from a replica that has it',
    });
    this.name = 'EntryCorruptError';
  }
}

export function entryNotFound(url: string, seq: number, what = 'entry'): SqlferryError {
  return new SqlferryError('HUB_ENTRY_NOT_FOUND', `the hub at ${url} has no ${what} ${seq}`, { data: { url, seq } });
}

export function hubNotFound(url: string): SqlferryError {
  return new SqlferryError('HUB_NOT_FOUND', `there is no sqlferry hub at ${url}`, {
    data: { url },
    hint: 'create one with `sqlferry init --bare DIR`, or check the remote URL with `sqlferry remote list`',
  });
}

export function hubExists(url: string): SqlferryError {
  return new SqlferryError('HUB_EXISTS', `there is already a sqlferry hub at ${url}`, { data: { url } });
}

/** The contract's rule for `append(meta)` against the current `head`: only head + 1 may be written. */
export function checkAppendable(url: string, seq: number, head: number): void {
  if (seq <= head) throw new EntryExistsError(url, seq);
  if (seq !== head + 1) throw new SqlferryError('HUB_SEQ_GAP', `cannot append entry ${seq}: the hub's last entry is ${head}`);
}
