// A changeset converted to the patchset SQLite writes for the same session: DELETE keeps
// only the key, UPDATE keeps the key and the new values of changed columns (writer.ts
// applies those rules when asked for a patchset). A patchset comes back unchanged.
import { iterateChanges } from './reader.ts';
import { writeChangeset } from './writer.ts';

export function changesetToPatchset(bytes: Uint8Array): Uint8Array {
  return writeChangeset('patchset', iterateChanges(bytes));
}
