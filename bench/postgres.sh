#!/usr/bin/env bash
# Starts the PostgreSQL server the benchmarks use by default (NANGO_BENCH_POSTGRES unset): a private cluster on
# 127.0.0.1:55432, started the way scripts/run.sh starts the product's own (pg_start_server), created on first use.
# fsync=off: the benchmarks measure the work of the code and of Postgres, not this machine's disk; the baselines
# they compare with run on the same server. Stop it with: bench/postgres.sh stop
#
# Environment:
#   NANGO_BENCH_PG_PORT  port on 127.0.0.1 (default 55432)
#   NANGO_BENCH_PG_HOME  where the cluster lives (default ${TMPDIR:-/tmp}/nango-bench-pg)
set -Eeuo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

PORT="${NANGO_BENCH_PG_PORT:-55432}"
HOME_DIR="${NANGO_BENCH_PG_HOME:-${TMPDIR:-/tmp}/nango-bench-pg}"
[[ -n "$(pg_newest_bin)" ]] || ensure_postgres_installed
PG_BIN="$(pg_newest_bin)"

if [[ "${1:-start}" == "stop" ]]; then
    as_pg_user "$PG_BIN/pg_ctl" -D "$HOME_DIR/data" -m fast -w stop
    exit 0
fi
if pg_answers "$PORT"; then
    die "a server already answers on 127.0.0.1:$PORT (bench/postgres.sh stop, or set NANGO_BENCH_PG_PORT)"
fi
if [[ ! -f "$HOME_DIR/data/PG_VERSION" ]]; then
    say "creating the bench cluster in $HOME_DIR"
    pg_init_local_cluster "$PG_BIN" "$HOME_DIR"
fi
say "starting the bench PostgreSQL on 127.0.0.1:$PORT"
MAX_CONNECTIONS=300
pg_reserve_huge_pages "$PG_BIN" "$HOME_DIR/data" -c max_connections=$MAX_CONNECTIONS
pg_start_server "$PG_BIN/pg_ctl" -D "$HOME_DIR/data" -l "$HOME_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$HOME_DIR' -c max_connections=$MAX_CONNECTIONS -c fsync=off" start >/dev/null \
    || { tail -n 20 "$HOME_DIR/server.log" >&2; die "PostgreSQL did not start (log: $HOME_DIR/server.log)"; }
say "ready: NANGO_BENCH_POSTGRES=\"Host=127.0.0.1;Port=$PORT;Username=postgres\""
