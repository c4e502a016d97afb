// Telling a constraint failure (UNIQUE, NOT NULL, CHECK) from any other SQLite error.
export function isConstraintError(err: unknown): boolean {
  const code = (err as { errcode?: number } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 19; // SQLITE_CONSTRAINT and its extended codes
}
