#!/usr/bin/env bash
# One large log entry read by the commands that used to hold it whole: a bulk load of ROWS rows
# into t(id INTEGER PRIMARY KEY, name, amount, qty, note) committed as one entry (2,000,000 rows
# make a 167 MB entry), then show --stat, show --sql, log --stat, export, export --patchset and
# revert, each a CLI process timed by GNU time (wall, CPU, peak RSS). Revert runs on a copy.
# Run: bash bench/large-entry.sh ROWS [DIR]   (SQLFERRY=…/bin/sqlferry.js times another build)
set -euo pipefail
rows=${1:?rows}
dir=${2:-$(mktemp -d /tmp/sqlferry-entry-XXXXXX)}
source "$(dirname "$0")/timed-cli.sh"
mkdir -p "$dir" && cd "$dir"
if [ ! -d fixture ]; then
  mkdir fixture
  sqlite3 fixture/big.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT)"
  "$node" "$cli" init fixture/big.db >/dev/null
  sqlite3 fixture/big.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
    INSERT INTO t SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(16)) FROM n"
  "$node" "$cli" --db fixture/big.db commit -m bulk >/dev/null
fi
echo "$rows rows, entry of $(stat -c %s fixture/big.db.sqlferry/log/0000000001.changeset) bytes, in $dir"
step "show --stat" --db fixture/big.db show 1 --stat
step "show --sql" --db fixture/big.db show 1 --sql
step "log --stat" --db fixture/big.db log --stat
step "export" --db fixture/big.db export 1 -o "$dir/out.changeset"
step "export --patchset" --db fixture/big.db export 1 --patchset -o "$dir/out.patchset"
rm -rf work && cp -r fixture work
step revert --db work/big.db revert 1
rm -rf work "$dir/out.changeset" "$dir/out.patchset"
