// `checkout N -o FILE`: the database as it was after commit N, rebuilt from the genesis
// snapshot and the log — never from the live file — into a new file.
import { genesisSeq } from '../log/log-end.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SqlferryError } from '../../errors/index.ts';
import { applyEntries } from './base.ts';
import type { Replica } from '../replica.ts';
import { dropSeqTable, readSeq, snapshotInto } from './snapshot.ts';
import { openDatabase } from '../sqlite.ts';

export function checkout(replica: Replica, seq: number, output: string): string {
  const out = resolve(output);
  if (existsSync(out)) {
    throw new SqlferryError('OUTPUT_EXISTS', `${out} already exists`, { data: { path: out }, hint: 'choose a new file name, or remove that file first' });
  }
  const last = replica.lastSeq();
  if (!Number.isInteger(seq) || seq < 0 || seq > last) {
    throw new SqlferryError('NO_SUCH_ENTRY', `there is no commit ${seq} (the log goes from ${genesisSeq(replica.paths)} to ${last})`, { data: { seq }, hint: 'sqlferry log lists the commits' });
  }
  const genesis = openDatabase(replica.paths.genesis, { readOnly: true });
  try {
    const from = readSeq(genesis, replica.paths.genesis);
    if (seq < from) {
      throw new SqlferryError('BEFORE_GENESIS', `this replica starts at commit ${from}; commit ${seq} is not in it`, { data: { seq, from } });
    }
    snapshotInto(genesis, replica.paths.genesis, out, (db) => {
      applyEntries(db, out, replica.paths, seq);
      dropSeqTable(db);
    });
  } finally {
    genesis.close();
  }
  return out;
}
