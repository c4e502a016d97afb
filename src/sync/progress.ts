// How far a long transfer got, for whoever shows it (the CLI draws a line on a terminal).
// Sync code reports into an optional Progress; with none, nothing is counted or wrapped.

export type ProgressUnit = 'bytes' | 'entries';

export interface Progress {
  /** A transfer of `total` units begins; what it returns hears how far it got, and its end. */
  begin(label: string, total: number, unit: ProgressUnit): ProgressTask;
}

export interface ProgressTask {
  advance(done: number): void;
  /** Called once, also when the transfer failed. */
  end(): void;
}

/** Runs `transfer` as one task of `progress`; `advance` is undefined when there is nobody to tell. */
export async function tracked<T>(
  progress: Progress | undefined, label: string, total: number, unit: ProgressUnit,
  transfer: (advance: ((done: number) => void) | undefined) => Promise<T>,
): Promise<T> {
  if (!progress) return transfer(undefined);
  const task = progress.begin(label, total, unit);
  try {
    return await transfer((done) => task.advance(done));
  } finally {
    task.end();
  }
}

/** The body as it is, each chunk counted as the consumer takes it. */
export function counted(body: AsyncIterable<Uint8Array>, advance: ((bytes: number) => void) | undefined): AsyncIterable<Uint8Array> {
  if (!advance) return body;
  return (async function* () {
    for await (const chunk of body) {
      advance(chunk.byteLength);
      yield chunk;
    }
  })();
}
