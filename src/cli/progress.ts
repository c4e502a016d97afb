// Progress of a long transfer (clone, pull, push, sync), drawn on stderr: only on a terminal,
// never with -q. One line, first drawn once a transfer has run for half a second (a quick one
// draws nothing), redrawn every 100 ms, erased when the transfer ends or fails, so whatever
// prints next starts on a clean line.
import type { Progress, ProgressTask, ProgressUnit } from '../sync/progress.ts';
import type { GlobalOptions } from './output.ts';

const SHOW_AFTER_MS = 500;
const REDRAW_EVERY_MS = 100;

export function terminalProgress(opts: GlobalOptions, stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (stream.isTTY !== true || opts.quiet) return undefined;
  return { begin: (label, total, unit) => new TerminalTask(stream, label, total, unit) };
}

class TerminalTask implements ProgressTask {
  private done = 0;
  private drawn = false;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly stream: NodeJS.WriteStream;
  private readonly label: string;
  private readonly total: number;
  private readonly unit: ProgressUnit;

  constructor(stream: NodeJS.WriteStream, label: string, total: number, unit: ProgressUnit) {
    this.stream = stream;
    this.label = label;
    this.total = total;
    this.unit = unit;
    // unref: a drawing timer never keeps the process alive.
    this.timer = setInterval(() => this.draw(), REDRAW_EVERY_MS).unref();
  }

  advance(done: number): void {
    this.done += done;
  }

  end(): void {
    clearInterval(this.timer);
    if (this.drawn) this.stream.write('\r\x1b[K');
  }

  private draw(): void {
    const elapsedMs = Date.now() - this.started;
    if (elapsedMs < SHOW_AFTER_MS) return;
    const percent = this.total > 0 ? Math.min(100, Math.floor((this.done * 100) / this.total)) : 100;
    const amount = this.unit === 'bytes'
      ? `${formatBytes(this.done)} of ${formatBytes(this.total)}, ${formatBytes((this.done * 1000) / elapsedMs)}/s`
      : `${this.done} of ${this.total}`;
    const line = `${this.label}: ${percent}% (${amount})`;
    const width = (this.stream.columns || 80) - 1; // never wrap: \r must return to this line
    this.stream.write(`\r${line.slice(0, width)}\x1b[K`);
    this.drawn = true;
  }
}

export function formatBytes(n: number): string {
  if (n < 1e6) return `${Math.round(n / 1e3)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
