#!/usr/bin/env bash
# Pull and clone from a patchset hub (init --bare --format patchset), as a user meets them: replica
# a pushes three entries of ROWS rows each to t(id INTEGER PRIMARY KEY, name, amount, qty, note) —
# a bulk load (INSERT), then an UPDATE of every row (amount), then a DELETE of every row — and
# replica b pulls each. A patchset's UPDATE and DELETE lack the old values the content digest
# needs: the rows are read back by key (src/sync/touched-digest.ts). The hub's snapshots after
# the genesis are removed, so a clone replays the entries. The scene is built once; each step
# runs on a fresh copy of it, alternating this checkout with BEFORE (another checkout's root,
# e.g. main's), timed by GNU time (wall, CPU, peak RSS). Issue 15: ≤ 128 MB for each, whatever
# the size of the change.
# Run: bash bench/patchset-pull.sh ROWS [RUNS]   (BEFORE=/path/to/other/checkout to compare;
# STEPS='pull 2;clone 3' runs only those steps: pull K pulls entry K, clone K replays entries 1..K)
set -euo pipefail
rows=${1:?rows}
runs=${2:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
node=${NODE:-$here/node_modules/node/bin/node}
dir=$(mktemp -d /tmp/sqlferry-patchset-pull-XXXXXX)
[ -z "${KEEP:-}" ] && trap 'rm -rf "$dir"' EXIT
cli="$node $here/bin/sqlferry.js -q"
export NODE_COMPILE_CACHE=$dir/compile-cache
mkdir "$dir/w" "$dir/states" && cd "$dir/w"
sqlite3 a.db "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, amount REAL, qty INTEGER, note TEXT); INSERT INTO t VALUES (0, 'a', 1, 1, 'x')"
$cli init a.db >/dev/null && $cli init --bare --format patchset hub >/dev/null
$cli --db a.db remote add origin "$dir/w/hub" >/dev/null && $cli --db a.db push >/dev/null
$cli clone hub b.db >/dev/null
edits=("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
    INSERT INTO t SELECT i, 'item number ' || i, i * 0.25, i % 100, hex(randomblob(16)) FROM n"
  "UPDATE t SET amount = amount + 1 WHERE id > 0"
  "DELETE FROM t WHERE id > 0")
for k in 1 2 3; do
  cp -a b.db b.db.sqlferry "$dir/states/" && mkdir -p "$dir/states/b$((k - 1))" && mv "$dir/states/b.db" "$dir/states/b.db.sqlferry" "$dir/states/b$((k - 1))/"
  sqlite3 a.db "${edits[$((k - 1))]}"
  $cli --db a.db commit -m "entry $k" >/dev/null && $cli --db a.db push >/dev/null
  find hub/snapshots -type f ! -name '00000000000000000000.*' -delete
  cp -a hub "$dir/states/hub$k"
  echo "entry $k: $(stat -c %s hub/log/*"$k".*.patchset) bytes"
  [ "$k" -lt 3 ] && $cli --db b.db pull >/dev/null
done
# Each build's first run compiles its modules (Node's compile cache): a pull with nothing new first.
for root in ${BEFORE:-} "$here"; do
  rm -rf hub b.db b.db.sqlferry && cp -a "$dir/states/hub1" hub && cp -a "$dir/states/b1/." . && "$node" "$root/bin/sqlferry.js" -q --db b.db pull >/dev/null
done
echo "$rows rows; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for step in 'pull 1' 'pull 2' 'pull 3' 'clone 1' 'clone 2' 'clone 3'; do
    [ -n "${STEPS:-}" ] && [[ ";$STEPS;" != *";$step;"* ]] && continue
    k=${step#* }
    for build in ${BEFORE:+before} after; do
      root=$here
      [ "$build" = before ] && root=$BEFORE
      rm -rf hub b.db b.db.sqlferry c.db c.db.sqlferry && cp -a "$dir/states/hub$k" hub
      if [ "${step% *}" = pull ]; then
        cp -a "$dir/states/b$((k - 1))/." .
        args=(--db b.db pull)
      else
        args=(clone hub c.db)
      fi
      /usr/bin/time -f "$step, $build: %e s wall, %U+%S s CPU, %M KB peak" "$node" "$root/bin/sqlferry.js" -q "${args[@]}" >/dev/null
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
