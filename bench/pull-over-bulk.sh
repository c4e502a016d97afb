#!/usr/bin/env bash
# A pull over a large local commit, as a user meets it: replica a commits a bulk load of ROWS
# rows into t(id INTEGER PRIMARY KEY, name, amount, qty, note) while replica b pushes one small
# change; then a's `pull` rebases its commit onto b's (issue 15: memory bounded whatever the size
# of the change). The scene is built once; each run pulls on a fresh copy of it, alternating
# this checkout with BEFORE (another checkout's root, e.g. main's), each timed by GNU time
# (wall, CPU, peak RSS).
# Run: bash bench/pull-over-bulk.sh ROWS [RUNS]   (BEFORE=/path/to/other/checkout to compare)
set -euo pipefail
rows=${1:?rows}
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
node=${NODE:-$here/node_modules/node/bin/node}
dir=$(mktemp -d /tmp/sqlferry-pull-bulk-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cli="$node $here/bin/sqlferry.js"
cd "$dir" && mkdir scene && cd scene
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT); INSERT INTO t VALUES (1, 'a', 1, 1, 'x')"
$cli init a.db >/dev/null && $cli init --bare hub >/dev/null
$cli --db a.db remote add origin "$dir/scene/hub" >/dev/null && $cli --db a.db push >/dev/null
$cli clone hub b.db >/dev/null
sqlite3 b.db "UPDATE t SET qty = 2 WHERE id = 1" && $cli --db b.db commit -m hub >/dev/null && $cli --db b.db push >/dev/null
sqlite3 a.db "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
  INSERT INTO t SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(16)) FROM n"
$cli --db a.db commit -m bulk >/dev/null
echo "$rows rows; local commit $(stat -c %s a.db.sqlferry/log/0000000001.changeset) bytes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$dir"
for i in $(seq "$runs"); do
  for build in ${BEFORE:+before} after; do
    root=$here
    [ "$build" = before ] && root=$BEFORE
    rm -rf run && cp -a scene run
    /usr/bin/time -f "$build: %e s wall, %U+%S s CPU, %M KB peak" "$node" "$root/bin/sqlferry.js" --db run/a.db pull >/dev/null
  done
done
