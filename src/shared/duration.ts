// A span of time as users type it on the command line: 90m, 12h, 30d.
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of `30d`, `12h`, `90m` (`0m` too); undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const match = /^(\d{1,6})([mhd])$/.exec(text);
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}
