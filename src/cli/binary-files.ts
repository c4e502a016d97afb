// Changeset and patchset files on the command line: read with the file named in format
// errors, and binary output written durably to -o FILE, or to stdout unless it is a terminal.
import { readFileSync } from 'node:fs';
import { EXIT, SqlferryError } from '../errors/index.ts';
import { writeOutputFile } from '../repo/atomic.ts';

function readChangesetFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new SqlferryError('FILE_UNREADABLE', `cannot read ${path}: ${reason}`, { data: { path } });
  }
}

/** Runs `f` on a file's bytes; a format error names the file as well as the offset. */
export function withFile<T>(path: string, f: (bytes: Uint8Array) => T): T {
  const bytes = readChangesetFile(path);
  try {
    return f(bytes);
  } catch (e) {
    if (!(e instanceof SqlferryError) || e.code !== 'CHANGESET_MALFORMED') throw e;
    throw new SqlferryError(e.code, `${path}: ${e.message}`, { data: { path, ...e.data }, hint: e.hint, exitCode: e.exitCode, cause: e });
  }
}

/** Binary output, in chunks: to -o FILE (see writeOutputFile), or to stdout unless it is a terminal. Returns the bytes written. */
export function writeBinary(chunks: Iterable<Uint8Array>, path: string | undefined): number {
  if (path === undefined) {
    if (process.stdout.isTTY) {
      throw new SqlferryError('BINARY_TO_TERMINAL', 'refusing to write a binary changeset to the terminal', {
        hint: 'pass -o FILE, or redirect the output to a file',
        exitCode: EXIT.usage,
      });
    }
    let size = 0;
    for (const chunk of chunks) {
      process.stdout.write(chunk);
      size += chunk.byteLength;
    }
    return size;
  }
  try {
    return writeOutputFile(path, chunks);
  } catch (e) {
    if (e instanceof SqlferryError) throw e; // the chunks' own failure (a damaged entry), not the file's
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message;
    throw new SqlferryError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${reason}`, { data: { path } });
  }
}
