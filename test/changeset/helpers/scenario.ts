// A recorded history: a database before, the same database after some sessions of writes,
// and what each session captured (changeset and patchset of the same writes).
import type { DatabaseSync } from 'node:sqlite';
import { openMemory } from './sqlite.ts';
import { runOps, schemaSql, type Op, type TableSpec } from './workload.ts';

export interface Scenario {
  schema: string;
  before: DatabaseSync;
  after: DatabaseSync;
  /** Another database in the `before` state, for a second experiment; the caller closes it. */
  openBefore(): DatabaseSync;
  changesets: Uint8Array[];
  patchsets: Uint8Array[];
  close(): void;
}

export function record(tables: TableSpec[], setup: Op[], sessions: Op[][]): Scenario {
  const schema = schemaSql(tables);
  const openBefore = (): DatabaseSync => {
    const db = openMemory(schema);
    runOps(db, tables, setup);
    return db;
  };
  const before = openBefore();
  const after = openBefore();
  const changesets: Uint8Array[] = [];
  const patchsets: Uint8Array[] = [];
  for (const ops of sessions) {
    const session = after.createSession();
    runOps(after, tables, ops);
    changesets.push(session.changeset());
    patchsets.push(session.patchset());
    session.close();
  }
  return {
    schema,
    before,
    after,
    openBefore,
    changesets,
    patchsets,
    close() {
      before.close();
      after.close();
    },
  };
}
