// An application as users run them: Python's stdlib sqlite3, its default connection (a
// deferred transaction opened by the first write, 5 s busy timeout raised to 30 s so a stall
// shows as a long wait, not a crash), committing one small transaction every few ms: a new
// row in `app` and one more hit on an older row. It reports how many transactions it committed
// and how long each took, first write to COMMIT's return: the time it waited for its locks,
// plus its own work (measured alone by bench/app-lock-wait.ts).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const SCRIPT = `
import json, signal, sqlite3, sys, time
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
db, mode, seconds, every, first = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]) / 1000, int(sys.argv[5])
con = sqlite3.connect(db, timeout=30)
con.execute('PRAGMA journal_mode = ' + mode)
print('ready', flush=True)
waits = []
k = 0
end = time.monotonic() + seconds
while not stopped and time.monotonic() < end:
    k += 1
    start = time.perf_counter()
    con.execute('INSERT INTO app(id, token, hits) VALUES (?, ?, 0)', (first + k - 1, 'app-%d' % (first + k - 1)))
    con.execute('UPDATE app SET hits = hits + 1 WHERE id = ?', (first + (k - 1) // 2,))
    con.commit()
    waits.append((time.perf_counter() - start) * 1000)
    time.sleep(every)
print(json.dumps({'commits': k, 'waits': waits}), flush=True)
`;

/** `app(id INTEGER PRIMARY KEY, token TEXT, hits INTEGER, …)`: the table the application writes. */
export const APP_TABLE = 'CREATE TABLE app(id INTEGER PRIMARY KEY, token TEXT, hits INTEGER, note TEXT)';

export interface AppReport {
  /** Transactions committed: rows firstId..firstId+commits-1, and as many hits in all. */
  commits: number;
  /** Each transaction's time, first write to COMMIT's return (ms). */
  waits: number[];
}

export interface RunningApp {
  /** Resolves once the app has set its journal mode and starts writing. */
  ready: Promise<void>;
  done: Promise<AppReport>;
  running(): boolean;
  /** Finish after the transaction under way (SIGTERM). */
  stop(): void;
}

export interface AppOptions {
  mode: 'delete' | 'wal';
  /** How long it writes, unless stopped sooner. */
  seconds: number;
  /** Pause after each commit (default 10 ms). */
  everyMs?: number;
  /** The first row's id (default 1). */
  firstId?: number;
}

/** Debian's, as the other writers here (a pyenv shim on PATH may be rehashing under us). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function startPythonApp(db: string, opts: AppOptions): RunningApp {
  const args = [db, opts.mode, String(opts.seconds), String(opts.everyMs ?? 10), String(opts.firstId ?? 1)];
  const child = spawn(PYTHON, ['-c', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let over = false;
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<AppReport>((resolve, reject) => {
    child.on('error', (e) => {
      over = true;
      onReady();
      reject(e);
    });
    child.on('close', (code) => {
      over = true;
      onReady();
      if (code !== 0) reject(new Error(`the python app exited ${code}: ${err}`));
      else resolve(JSON.parse(out.slice('ready\n'.length)) as AppReport);
    });
  });
  return { ready, done, running: () => !over, stop: () => void child.kill('SIGTERM') };
}

/** The largest value and the 99th percentile (nearest rank) of `waits`. */
export function waitFigures(waits: number[]): { max: number; p99: number; n: number } {
  const sorted = [...waits].sort((a, b) => a - b);
  return { max: sorted.at(-1) ?? 0, p99: sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0, n: sorted.length };
}
