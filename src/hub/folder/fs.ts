// The few file operations a folder hub needs, rooted at the hub's folder, with '/'-separated names
// inside it. Two adapters implement it: the local disk (src/remote/file/folder-fs.ts) and SFTP
// (src/remote/ssh/folder-fs.ts); the folder engine (./store.ts) is written once above them.
import type { Body } from '../remote.ts';

export interface FolderFs {
  exists(name: string): Promise<boolean>;
  /** A small file's text; undefined when it does not exist. */
  readText(name: string): Promise<string | undefined>;
  /**
   * Hands `see` a folder's names as they are read, never the whole listing at once (a hostile or
   * broken hub's folder may hold millions); `see` returning true stops the listing there.
   * False when the folder does not exist.
   */
  scan(name: string, see: (name: string) => boolean): Promise<boolean>;
  /** A file's bytes as they are read (`size` is what its metadata says, a hint for how to read: the engine stops one byte past it). */
  stream(name: string, size: number): AsyncIterable<Uint8Array>;
  /** Creates a file that must not exist yet, writes the body and makes it durable (fsync). */
  writeNew(name: string, body: Body): Promise<void>;
  /**
   * Creates files that must not exist yet, writes them and makes them all durable in one step (their
   * fsyncs issued together, so the disk flushes once for the lot rather than once per file).
   */
  writeNewFiles(files: Array<{ name: string; bytes: Uint8Array }>): Promise<void>;
  /**
   * Gives the durable file `from` the name `to` as well, only if nothing is there: false when the
   * name was taken, exactly one racing writer wins. The new name is durable after `syncFolder`.
   */
  linkExclusive(from: string, to: string): Promise<boolean>;
  /** Makes the names created in a folder so far durable (fsync of the folder, where the transport can). */
  syncFolder(name: string): Promise<void>;
  /**
   * Makes `text` appear under `name`, whole and durable, only if nothing is there: false when the
   * name was taken. Exactly one of any number of racing writers, in any process, wins.
   */
  publishExclusive(name: string, text: string): Promise<boolean>;
  /** Replaces a small advisory file in place (torn or stale content must be harmless). */
  overwrite(name: string, text: string): Promise<void>;
  /** A file's size and last write time; undefined when it does not exist. */
  stat(name: string): Promise<{ size: number; mtimeMs: number } | undefined>;
  /** Removes a file; a missing one is no error. */
  remove(name: string): Promise<void>;
  /** Makes a folder and its parents if missing ('' is the hub folder itself). */
  mkdir(name: string): Promise<void>;
  close(): Promise<void>;
}
