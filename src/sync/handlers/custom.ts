// A user's handler: a JS module (`.mjs`, or `.ts` on Node 24) whose default export, or export
// named `handle`, is a ConflictHandler. Loaded once per command.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqlferryError, EXIT } from '../../errors/index.ts';
import { importModule } from '../../shared/import-module.ts';
import type { ConflictHandler, NamedHandler } from './types.ts';

export async function loadCustomHandler(spec: string, baseDir: string): Promise<NamedHandler> {
  const path = resolve(baseDir, spec);
  if (!existsSync(path)) {
    throw new SqlferryError('HANDLER_NOT_FOUND', `the conflict handler module ${path} does not exist`, {
      data: { path },
      exitCode: EXIT.usage,
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await importModule(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    throw new SqlferryError('HANDLER_LOAD_FAILED', `the conflict handler module ${path} failed to load: ${(err as Error).message}`, {
      data: { path },
      exitCode: EXIT.usage,
      cause: err,
    });
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.handle;
  if (typeof fn !== 'function') {
    throw new SqlferryError('HANDLER_NOT_A_FUNCTION', `the conflict handler module ${path} exports no function (export default function, or export function handle)`, {
      data: { path },
      exitCode: EXIT.usage,
    });
  }
  return { name: spec, handle: fn as ConflictHandler };
}
