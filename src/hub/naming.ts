// Fixed-width, sortable names for numbered files: they sort by name as by number.
export const SEQ_WIDTH = 20;

export function seqName(seq: number): string {
  return String(seq).padStart(SEQ_WIDTH, '0');
}

/** The seq of a name that is exactly `<20 digits><suffix>`, else undefined (temp files, bytes files, strangers). */
export function parseSeqName(name: string, suffix: string): number | undefined {
  if (name.length !== SEQ_WIDTH + suffix.length || !name.endsWith(suffix)) return undefined;
  const digits = name.slice(0, SEQ_WIDTH);
  if (!/^\d+$/.test(digits)) return undefined;
  const seq = Number(digits);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/** What a hub in a store may be called (served as /NAME): never hidden, never `..`, never a path. */
export const HUB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
