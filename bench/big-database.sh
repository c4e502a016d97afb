#!/usr/bin/env bash
# A large database as a user meets it, each step a CLI process timed by GNU time (wall, CPU, peak
# RSS): one table t(id INTEGER PRIMARY KEY, name, amount, qty, note) of ROWS rows built by sqlite3,
# then init, a one-row commit twice, status, a first push to a folder hub, a clone, a commit of
# 101 changed rows synced, and the clone's pull. 30,000,000 rows make a 2.2 GB database.
# Run: bash bench/big-database.sh ROWS [DIR]   (SQLFERRY=…/bin/sqlferry.js times another build)
set -euo pipefail
rows=${1:?rows}
dir=${2:-$(mktemp -d /tmp/sqlferry-big-XXXXXX)}
source "$(dirname "$0")/timed-cli.sh"
mkdir -p "$dir" && cd "$dir"
sqlite3 big.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
  INSERT INTO t SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(16)) FROM n"
echo "$rows rows, $(stat -c %s big.db) bytes, in $dir"
step init init big.db
for id in 12345 $((rows / 2)); do
  sqlite3 big.db "UPDATE t SET qty = qty + 1 WHERE id = $id"
  step "commit of one row" --db big.db commit -m one
done
step status --db big.db status
"$node" "$cli" init --bare hub >/dev/null
"$node" "$cli" --db big.db remote add origin "$dir/hub" >/dev/null
step "first push" --db big.db push
step clone clone hub copy.db
sqlite3 big.db "UPDATE t SET qty = qty + 1 WHERE id BETWEEN 1000 AND 1100"
step "sync of 101 changed rows" --db big.db sync
step "pull on the clone" --db copy.db pull
