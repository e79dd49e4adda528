#!/usr/bin/env bash
# PostgreSQL 15 and Redis on loopback for the lock tests: throwaway data
# directories, no systemd, no persistence beyond the test run.
#
# Sourced (scripts/test.sh does this):
#   datashard_services_start   starts both unless already answering, then exports
#                              DATASHARD_TEST_POSTGRES_URL and DATASHARD_TEST_REDIS_URL
#   datashard_services_stop    stops what datashard_services_start started
# Executed, for tests that need their own instances (fault tests restart them):
#   services.sh postgres-start PORT DIR | postgres-stop DIR [fast|immediate]
#   services.sh redis-start PORT DIR [redis-server options...] | redis-stop PORT
# Idempotent: starting something that answers, or stopping something that
# does not run, does nothing.

DATASHARD_PG_PORT=${DATASHARD_PG_PORT:-55432}
DATASHARD_REDIS_PORT=${DATASHARD_REDIS_PORT:-56379}
DATASHARD_SERVICES_DIR=${DATASHARD_SERVICES_DIR:-${TMPDIR:-/tmp}/datashard-services-$(id -u)}
DATASHARD_PGBIN=${DATASHARD_PGBIN:-/usr/lib/postgresql/15/bin}

# Runs a PostgreSQL server binary as the postgres user when we are root
# (initdb refuses root), else as ourselves.
_datashard_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# postgres-start PORT DIR: a server on 127.0.0.1:PORT with data in DIR
# (initialised if empty) and database "datashard".
datashard_postgres_start() {
  local port=$1 dir=$2
  if ! "$DATASHARD_PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    # The postgres user must be able to reach DIR whatever our umask.
    local parent
    parent=$(dirname "$dir")
    [ -d "$parent" ] || mkdir -p -m 755 "$parent"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      _datashard_as_pg "$DATASHARD_PGBIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$dir.initdb.log" 2>&1 ||
        { cat "$dir.initdb.log" >&2; return 1; }
    fi
    _datashard_as_pg "$DATASHARD_PGBIN/pg_ctl" -D "$dir" -l "$dir/log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null ||
      { cat "$dir/log" >&2; return 1; }
  fi
  if ! "$DATASHARD_PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'datashard'" | grep -q 1; then
    "$DATASHARD_PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres datashard
  fi
}

# postgres-stop DIR [MODE]: stops the server of DIR (fast shutdown by default).
datashard_postgres_stop() {
  local dir=$1 mode=${2:-fast}
  if [ -f "$dir/postmaster.pid" ]; then
    _datashard_as_pg "$DATASHARD_PGBIN/pg_ctl" -D "$dir" -m "$mode" -w -t 30 stop >/dev/null || true
  fi
}

# redis-start PORT DIR [OPTIONS...]: a server on 127.0.0.1:PORT, without
# persistence unless OPTIONS ask for it (e.g. --appendonly yes).
datashard_redis_start() {
  local port=$1 dir=$2
  shift 2
  if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --save '' --appendonly no \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "$@"
    local i
    for i in $(seq 100); do
      redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
      sleep 0.05
    done
    echo "redis-server on port $port did not answer; see $dir/redis.log" >&2
    return 1
  fi
}

# redis-stop PORT: shuts the server down without saving.
datashard_redis_stop() {
  local port=$1 i
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for i in $(seq 100); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 || return 0
    sleep 0.05
  done
}

datashard_services_start() {
  datashard_postgres_start "$DATASHARD_PG_PORT" "$DATASHARD_SERVICES_DIR/postgres" || return 1
  datashard_redis_start "$DATASHARD_REDIS_PORT" "$DATASHARD_SERVICES_DIR/redis" || return 1
  export DATASHARD_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$DATASHARD_PG_PORT/datashard"
  export DATASHARD_TEST_REDIS_URL="redis://127.0.0.1:$DATASHARD_REDIS_PORT"
}

datashard_services_stop() {
  datashard_postgres_stop "$DATASHARD_SERVICES_DIR/postgres"
  datashard_redis_stop "$DATASHARD_REDIS_PORT"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cmd=${1:-}
  shift || true
  case "$cmd" in
    postgres-start) datashard_postgres_start "$@" ;;
    postgres-stop) datashard_postgres_stop "$@" ;;
    redis-start) datashard_redis_start "$@" ;;
    redis-stop) datashard_redis_stop "$@" ;;
    start) datashard_services_start ;;
    stop) datashard_services_stop ;;
    *)
      echo "usage: $0 start|stop|postgres-start PORT DIR|postgres-stop DIR [MODE]|redis-start PORT DIR [OPTS]|redis-stop PORT" >&2
      exit 2
      ;;
  esac
fi
