// Many lines to stdout in large chunks: one write per line is slow for a big diff.
export function printLines(lines: Iterable<string>): void {
  let chunk = '';
  for (const line of lines) {
    chunk += line + '\n';
    if (chunk.length > 1 << 16) {
      process.stdout.write(chunk);
      chunk = '';
    }
  }
  if (chunk) process.stdout.write(chunk);
}
