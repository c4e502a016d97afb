# Sourced by the shell benches: the checkout's Node and CLI (NODE=…, SQLFERRY=…/bin/sqlferry.js
# time another build), and `step NAME ARGS…`, one CLI process timed by GNU time (wall, CPU, peak RSS).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node=${NODE:-$here/node_modules/node/bin/node}
cli=${SQLFERRY:-$here/bin/sqlferry.js}
step() { local name=$1; shift; /usr/bin/time -f "$name: %e s wall, %U+%S s CPU, %M KB peak" "$node" "$cli" "$@" >/dev/null; }
