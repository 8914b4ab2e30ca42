#!/usr/bin/env bash
# Runs every test of Nango.sln against a real PostgreSQL and Debian's Chromium, installing what is missing,
# and ends with one plain line: "N passed, N failed, N skipped". Exits non-zero when a test failed, when
# the build or the run failed, or when no test ran.
#
# Environment:
#   NANGO_TEST_POSTGRES       use this server as is (a connection string without a database)
#   NANGO_TEST_PG_PORT        port of the test server on 127.0.0.1 (default 55432): reused when a server
#                             already answers there, otherwise a throwaway cluster is started and removed
#   NANGO_TEST_CONFIGURATION  Debug (default) or Release
#   NANGO_TEST_LOG            where the build and test output is saved (default artifacts/test.log)
#   NANGO_TEST_AZURITE        use this Azure Blob Storage (a connection string) as is; otherwise Azurite is installed
#                             from npm into artifacts/tools (once per version) and started on a free port for the run
# Extra arguments go to `dotnet test`, e.g. scripts/test.sh --filter-trait "Category=Integration".
set -Eeuo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$NANGO_REPO_ROOT"

CONFIGURATION="${NANGO_TEST_CONFIGURATION:-Debug}"
PG_PORT="${NANGO_TEST_PG_PORT:-55432}"
LOG="${NANGO_TEST_LOG:-$NANGO_REPO_ROOT/artifacts/test.log}"
mkdir -p "$(dirname "$LOG")"
: >"$LOG"

command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK ('dotnet') is required"

# ---------------------------------------------------------------------------------------------------------
# What the tests need: PostgreSQL (unless a server is given or answers), Chromium, the node harness.
# ---------------------------------------------------------------------------------------------------------
need_cluster=0
if [[ -z "${NANGO_TEST_POSTGRES:-}" ]] && ! pg_answers "$PG_PORT"; then
    need_cluster=1
fi
if [[ "$need_cluster" -eq 1 && -z "$(pg_newest_bin)" ]]; then
    ensure_postgres_installed
fi
packages=()
CHROMIUM="${NANGO_TEST_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || packages+=(chromium)
if (( ${#packages[@]} )); then
    apt_install "${packages[@]}"
fi

npm_ci_if_changed "$NANGO_REPO_ROOT/Nango.Tests/node"
ensure_runner_js_modules

# Azurite, the Azure Blob Storage emulator, for the function-store tests: an npm package, installed once per version.
AZURITE_VERSION=3.37.0
AZURITE_HOME="$NANGO_REPO_ROOT/artifacts/tools/azurite"
if [[ -z "${NANGO_TEST_AZURITE:-}" ]]; then
    command -v npm >/dev/null 2>&1 || die "Node.js and npm are required to install Azurite"
    if [[ "$(cat "$AZURITE_HOME/.installed-version" 2>/dev/null)" != "$AZURITE_VERSION" \
        || ! -x "$AZURITE_HOME/node_modules/.bin/azurite-blob" ]]; then
        say "npm install azurite@$AZURITE_VERSION into artifacts/tools/azurite"
        rm -rf "$AZURITE_HOME"
        mkdir -p "$AZURITE_HOME"
        # It declares node >= 22 but its blob service runs on node 20; the engine warnings are expected.
        (cd "$AZURITE_HOME" && printf '{"name":"nango-test-azurite","private":true}\n' >package.json \
            && npm install --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null)
        echo "$AZURITE_VERSION" >"$AZURITE_HOME/.installed-version"
    fi
fi

# ---------------------------------------------------------------------------------------------------------
# The test PostgreSQL server and Azurite.
# ---------------------------------------------------------------------------------------------------------
TEST_PG_HOME=""
TEST_PG_BIN=""

stop_test_cluster() {
    if [[ -n "$TEST_PG_HOME" ]]; then
        as_pg_user "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_HOME/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$TEST_PG_HOME"
        TEST_PG_HOME=""
    fi
}
AZURITE_PID=""
AZURITE_DATA=""

stop_azurite() {
    if [[ -n "$AZURITE_PID" ]]; then
        kill "$AZURITE_PID" 2>/dev/null || true
        wait "$AZURITE_PID" 2>/dev/null || true
        AZURITE_PID=""
    fi
    if [[ -n "$AZURITE_DATA" ]]; then
        rm -rf "$AZURITE_DATA"
        AZURITE_DATA=""
    fi
}

stop_services() {
    stop_azurite
    stop_test_cluster
}
trap stop_services EXIT
trap 'stop_services; exit 130' INT
trap 'stop_services; exit 143' TERM

if [[ -n "${NANGO_TEST_POSTGRES:-}" ]]; then
    say "using NANGO_TEST_POSTGRES as given"
elif [[ "$need_cluster" -eq 0 ]]; then
    say "reusing the PostgreSQL server that answers on 127.0.0.1:$PG_PORT"
    export NANGO_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres"
else
    TEST_PG_BIN="$(pg_newest_bin)"
    TEST_PG_HOME="$(mktemp -d "${TMPDIR:-/tmp}/nango-test-pg.XXXXXX")"
    say "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT in $TEST_PG_HOME"
    pg_init_local_cluster "$TEST_PG_BIN" "$TEST_PG_HOME" --no-sync
    TEST_PG_MAX_CONNECTIONS=300
    pg_reserve_huge_pages "$TEST_PG_BIN" "$TEST_PG_HOME/data" -c max_connections=$TEST_PG_MAX_CONNECTIONS
    # Durability is worth nothing for a cluster that is deleted at the end.
    pg_start_server "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_HOME/data" -l "$TEST_PG_HOME/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$TEST_PG_HOME' -c max_connections=$TEST_PG_MAX_CONNECTIONS -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null \
        || { cat "$TEST_PG_HOME/server.log" >&2; die "the test PostgreSQL did not start"; }
    export NANGO_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres"
fi

if [[ -n "${NANGO_TEST_AZURITE:-}" ]]; then
    say "using NANGO_TEST_AZURITE as given"
else
    AZURITE_PORT="$(free_loopback_port)"
    AZURITE_DATA="$(mktemp -d "${TMPDIR:-/tmp}/nango-test-azurite.XXXXXX")"
    say "starting Azurite $AZURITE_VERSION on 127.0.0.1:$AZURITE_PORT"
    # No --skipApiVersionCheck: the client's pinned API version (Nango__Functions__AzureBlobServiceVersion) must be one Azurite accepts.
    "$AZURITE_HOME/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" --location "$AZURITE_DATA" \
        --loose --disableTelemetry --silent >"$AZURITE_DATA/azurite.log" 2>&1 &
    AZURITE_PID=$!
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$AZURITE_PORT") 2>/dev/null; then break; fi
        kill -0 "$AZURITE_PID" 2>/dev/null || { cat "$AZURITE_DATA/azurite.log" >&2; die "Azurite exited during start-up"; }
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$AZURITE_PORT") 2>/dev/null || die "Azurite did not listen on 127.0.0.1:$AZURITE_PORT within 60 s"
    # Azurite's fixed development account (public, documented by Microsoft); the endpoint is this run's port.
    export NANGO_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$AZURITE_PORT/devstoreaccount1;"
fi

# ---------------------------------------------------------------------------------------------------------
# Build, then test. Output goes to the terminal and to the log.
# ---------------------------------------------------------------------------------------------------------
# In CI nothing may outlive the run (a build server holding the output pipe would keep the job open).
build_server_args=()
if [[ "${CI:-}" == "true" ]]; then build_server_args=(--disable-build-servers); fi

say "dotnet build Nango.sln -c $CONFIGURATION"
set +e
dotnet build Nango.sln -c "$CONFIGURATION" --nologo "${build_server_args[@]}" 2>&1 | tee -a "$LOG"
build_status=${PIPESTATUS[0]}
set -e

test_status=1
if [[ "$build_status" -eq 0 ]]; then
    say "dotnet test (NANGO_TEST_POSTGRES=$NANGO_TEST_POSTGRES)"
    set +e
    dotnet test --solution Nango.sln -c "$CONFIGURATION" --no-build --no-progress --no-ansi "$@" 2>&1 | tee -a "$LOG"
    test_status=${PIPESTATUS[0]}
    set -e
else
    say "the build failed (exit $build_status); no tests ran"
fi

stop_services

# ---------------------------------------------------------------------------------------------------------
# Sum Microsoft.Testing.Platform's summaries (one block per "Test run summary") and print the closing line.
# ---------------------------------------------------------------------------------------------------------
read -r total failed succeeded skipped summaries < <(
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$LOG" | awk '
        /Test run summary:/ { in_summary = 1; summaries++; next }
        in_summary && /^[[:space:]]*total:/     { total += $2; next }
        in_summary && /^[[:space:]]*failed:/    { failed += $2; next }
        in_summary && /^[[:space:]]*succeeded:/ { succeeded += $2; next }
        in_summary && /^[[:space:]]*skipped:/   { skipped += $2; next }
        in_summary && /^[[:space:]]*[a-z]+:/    { next }
        in_summary { in_summary = 0 }
        END { printf "%d %d %d %d %d\n", total, failed, succeeded, skipped, summaries }'
)

result=0
if [[ "$build_status" -ne 0 ]]; then
    echo "The build failed; see $LOG."
    result=1
elif [[ "$summaries" -eq 0 ]]; then
    echo "dotnet test printed no test summary (exit $test_status); see $LOG."
    result=1
elif [[ "$total" -eq 0 ]]; then
    echo "No test ran."
    result=1
elif [[ "$failed" -ne 0 || "$test_status" -ne 0 ]]; then
    [[ "$failed" -ne 0 ]] || echo "dotnet test exited with $test_status; see $LOG."
    result=1
fi
if [[ "$failed" -ne 0 ]]; then
    # The names and first lines of the failures, here at the end where a truncated CI log still shows them.
    echo "Failed tests:"
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$LOG" | awk '
        /^failed / { shown = 0; printing = 1; print "  " $0; next }
        printing && /Stack Trace:|^(passed|skipped|failed) / { printing = 0 }
        printing && shown < 8 { print "  " $0; shown++ }' | head -n 200
fi
echo "Full output: $LOG"
echo "$succeeded passed, $failed failed, $skipped skipped"
exit "$result"
