#!/usr/bin/env bash
# The main job, self-contained: two replicas of the Chinook database (a laptop and a server)
# sync through a hub folder, collide on the same row and the same new key, and converge —
# with the losing versions kept in the conflict store. Run it with `npm run demo`, which puts
# the project's own Node 24 first on PATH. Everything happens in a fresh temporary folder.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sqlferry-demo.XXXXXX")
cd "$work"

ferry() { node "$here/bin/sqlferry.js" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Printed as it could be pasted into a shell: an argument with spaces or quotes is quoted.
quoted() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then printf '%s' "$1"
  elif [[ $1 != *[\"\$\`\\!]* ]]; then printf '"%s"' "$1"
  else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}
show() {
  printf '$ sqlferry'
  for arg in "$@"; do printf ' '; quoted "$arg"; done
  printf '\n'
  ferry "$@"
}
# Read one value with node:sqlite (the demo needs nothing but the project itself).
query() {
  node -e 'const { DatabaseSync } = require("node:sqlite");
    const db = new DatabaseSync(process.argv[1], { readOnly: true });
    for (const r of db.prepare(process.argv[2]).all()) console.log(Object.values(r).join(" | "));' "$1" "$2"
}

step "A hub, and a laptop replica of Chinook pushing its history to it"
cp "$here/fixtures/Chinook_Sqlite.sqlite" laptop.db
chmod u+w laptop.db
show init --bare hub
show --db laptop.db init
show --db laptop.db remote add origin ./hub
show --db laptop.db push

step "A server replica cloned from the hub"
show clone ./hub server.db

step "Both sides edit the same row and insert the same new key, offline"
show --db laptop.db exec "UPDATE Artist SET Name = 'AC/DC (laptop)' WHERE ArtistId = 1" -m "rename AC/DC on the laptop"
show --db laptop.db exec "INSERT INTO Genre (GenreId, Name) VALUES (26, 'Sea shanty')" -m "new genre on the laptop"
show --db server.db exec "UPDATE Artist SET Name = 'AC/DC (server)' WHERE ArtistId = 1" -m "rename AC/DC on the server"
show --db server.db exec "INSERT INTO Genre (GenreId, Name) VALUES (26, 'Polka')" -m "new genre on the server"
show --db server.db exec "UPDATE Track SET UnitPrice = 1.29 WHERE TrackId = 1" -m "price change on the server"
show --db laptop.db status

step "The server syncs first: its changes reach the hub first and stay"
show --db server.db sync

step "The laptop syncs: its colliding versions lose (exit code 3 means: synced, conflicts to look at)"
set +e
show --db laptop.db sync
code=$?
set -e
echo "(exit code $code)"
[ "$code" -eq 3 ] || { echo "demo: expected exit code 3 from the laptop's sync" >&2; exit 1; }

step "Nothing is lost: the laptop's losing versions are in its conflict store"
show --db laptop.db conflicts list
show --db laptop.db conflicts show 1

step "The server syncs again; both replicas now hold the same data"
show --db server.db sync
for db in laptop.db server.db; do
  echo "-- $db"
  query "$db" "SELECT 'Artist 1: ' || Name FROM Artist WHERE ArtistId = 1
               UNION ALL SELECT 'Genre 26: ' || Name FROM Genre WHERE GenreId = 26
               UNION ALL SELECT 'Track 1 price: ' || UnitPrice FROM Track WHERE TrackId = 1"
done
show --db laptop.db log --stat
show --db laptop.db verify
show --db server.db verify

echo
echo "The demo's files are in $work"
