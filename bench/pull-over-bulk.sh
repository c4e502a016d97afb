#!/usr/bin/env bash
# A pull over a large local commit, as a user meets it: replica a commits a bulk load of ROWS
# rows into t(id INTEGER PRIMARY KEY, name, amount, qty, note) while replica b pushes one small
# change; then a's `pull` rebases its commit onto b's (issue 15: memory bounded whatever the size
# of the change), and a one-row commit follows (it pays for base.db if the pull left it behind).
# The scene is built once; each run pulls and commits on a fresh copy of it, alternating this
# checkout with BEFORE (another checkout's root, e.g. main's), each step timed by GNU time
# (wall, CPU, peak RSS).
# Run: bash bench/pull-over-bulk.sh ROWS [RUNS]   (BEFORE=/path/to/other/checkout to compare)
set -euo pipefail
rows=${1:?rows}
runs=${2:-3}
source "$(dirname "$0")/timed-cli.sh"
dir=$(mktemp -d /tmp/sqlferry-pull-bulk-XXXXXX)
trap 'rm -rf "$dir"' EXIT
sqlferry() { "$node" "$cli" "$@"; }
cd "$dir" && mkdir scene && cd scene
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT); INSERT INTO t VALUES (1, 'a', 1, 1, 'x')"
sqlferry init a.db >/dev/null && sqlferry init --bare hub >/dev/null
sqlferry --db a.db remote add origin "$dir/scene/hub" >/dev/null && sqlferry --db a.db push >/dev/null
sqlferry clone hub b.db >/dev/null
sqlite3 b.db "UPDATE t SET qty = 2 WHERE id = 1" && sqlferry --db b.db commit -m hub >/dev/null && sqlferry --db b.db push >/dev/null
sqlite3 a.db "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
  INSERT INTO t SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(16)) FROM n"
sqlferry --db a.db commit -m bulk >/dev/null
echo "$rows rows; local commit $(stat -c %s a.db.sqlferry/log/0000000001.changeset) bytes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$dir"
for i in $(seq "$runs"); do
  for build in ${BEFORE:+before} after; do
    root=$here
    [ "$build" = before ] && root=$BEFORE
    cli=$root/bin/sqlferry.js
    rm -rf run && cp -a scene run
    step "$build pull" --db run/a.db pull
    sqlite3 run/a.db "UPDATE t SET qty = qty + 1 WHERE id = 2"
    step "$build next commit" --db run/a.db commit -m next
  done
done
