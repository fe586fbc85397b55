#!/usr/bin/env bash
# PostgreSQL for the server's tests (crates/fitview-server/tests/server/ run every test on SQLite and,
# given FITVIEW_TEST_POSTGRES_URL, again on PostgreSQL, each in a fresh schema of its own).
# Installs Debian's `postgresql` if missing (the shared `apt-get update` runs before the services),
# runs a private cluster (initdb into /tmp as the postgres user) on 127.0.0.1:55432 unless one
# answers there already, creates the role and database `fitview`, and tells the tests the URL.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=55432
ROOT=/tmp/fitview-postgres
DATA="$ROOT/data"

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && command -v initdb >/dev/null 2>&1; then
    dir=$(dirname "$(readlink -f "$(command -v initdb)")")
  fi
  echo "$dir"
}

BIN=$(pg_bin_dir)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN=$(pg_bin_dir)
fi

# initdb and the server refuse to run as root: run them as the postgres user (from a directory it
# can read).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    (cd "$ROOT" && "$@")
  elif [ "$(id -u)" = 0 ]; then
    (cd "$ROOT" && runuser -u postgres -- "$@")
  else
    (cd "$ROOT" && sudo -u postgres "$@")
  fi
}

mkdir -p "$ROOT"
chown postgres: "$ROOT" 2>/dev/null || sudo chown postgres: "$ROOT"
if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  if [ ! -s "$DATA/PG_VERSION" ]; then
    as_postgres "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  # A throwaway test cluster: durability traded for speed.
  as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $ROOT -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null
fi
for _ in $(seq 1 100); do
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.1
done
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"

psql_admin() {
  as_postgres "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$ROOT" -p "$PORT" -U postgres -d postgres "$@"
}
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fitview') THEN
    CREATE ROLE fitview LOGIN PASSWORD 'fitview' CREATEDB;
  END IF;
END \$\$;"
psql_admin -c "SELECT 'CREATE DATABASE fitview OWNER fitview'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'fitview')" -t -A |
  psql_admin >/dev/null
echo "FITVIEW_TEST_POSTGRES_URL=postgres://fitview:fitview@127.0.0.1:$PORT/fitview" >> .ci/services.env
