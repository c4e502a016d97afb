// One conflict, one handler, one decision, carried out.
import type { DatabaseSync } from 'node:sqlite';
import { SqlferryError } from '../../errors/index.ts';
import type { HandlerChooser } from '../handlers/index.ts';
import type { Resolution } from '../handlers/types.ts';
import { contextOf, type Conflict } from './context.ts';
import type { FreshKeys } from './fresh-key.ts';
import { resolve, type Outcome } from './resolve.ts';

export interface Resolved {
  conflict: Conflict;
  handler: string;
  outcome: Outcome;
}

/** Asks the handler; a throw or a nonsense answer aborts the whole pull with its message. */
export async function decide(db: DatabaseSync, conflict: Conflict, choose: HandlerChooser, keys: FreshKeys): Promise<Resolved> {
  const handler = choose(conflict.pending.shape.name, conflict.kind);
  let decision: Resolution;
  try {
    decision = await handler.handle(contextOf(conflict));
  } catch (err) {
    if (err instanceof SqlferryError) throw err;
    throw new SqlferryError('HANDLER_FAILED', `conflict handler ${handler.name} failed on table "${conflict.pending.shape.name}": ${(err as Error)?.message ?? String(err)}; nothing was applied`, {
      data: { handler: handler.name, table: conflict.pending.shape.name },
      cause: err,
    });
  }
  return { conflict, handler: handler.name, outcome: resolve(db, conflict, decision, handler.name, keys) };
}

