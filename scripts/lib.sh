# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/run.sh and scripts/test.sh. Sourced, not run.
# Both scripts work as root (CI, containers) and as an ordinary user with or without sudo.

NANGO_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root and sudo is not installed; run this script as root or install the missing packages by hand"
    fi
}

_apt_updated=0
# apt_install PACKAGE... — installs Debian packages, running 'apt-get update' once per script run.
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand (this script knows Debian only)"
    if [[ "$_apt_updated" -eq 0 ]]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    say "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The newest PostgreSQL server binaries folder (Debian installs them off PATH), or nothing.
pg_newest_bin() {
    local dir found=()
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/initdb" ]]; then found+=("$dir"); fi
    done
    if (( ${#found[@]} )); then
        printf '%s\n' "${found[@]}" | sort -V | tail -n 1
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

# pg_bin_for DATADIR — the binaries of the major version that created an existing cluster.
pg_bin_for() {
    local version
    version="$(cat "$1/PG_VERSION" 2>/dev/null || true)"
    if [[ -n "$version" && -x "/usr/lib/postgresql/$version/bin/pg_ctl" ]]; then
        echo "/usr/lib/postgresql/$version/bin"
    else
        pg_newest_bin
    fi
}

# Installs the PostgreSQL server when no initdb exists. Debian's package would also create and start a
# system-wide 'main' cluster on port 5432; we never use it, so we ask postgresql-common not to create it.
ensure_postgres_installed() {
    [[ -n "$(pg_newest_bin)" ]] && return 0
    if [[ ! -e /etc/postgresql-common/createcluster.d/nango.conf ]]; then
        as_root mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.d/nango.conf >/dev/null
    fi
    apt_install postgresql
    [[ -n "$(pg_newest_bin)" ]] || die "PostgreSQL was installed but no initdb was found under /usr/lib/postgresql/*/bin"
}

# initdb and pg_ctl refuse to run as root, so as root the cluster belongs to the 'postgres' account.
pg_os_user() {
    if is_root; then echo postgres; else id -un; fi
}

as_pg_user() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_init_local_cluster PG_BIN HOME [INITDB_ARGS...] — a cluster in HOME/data for local use only (tests, benchmarks):
# owned by the cluster's account, trust authentication on 127.0.0.1, UTF-8 with C.UTF-8 ordering; initdb's output goes
# to HOME/initdb.log and is shown when it fails.
pg_init_local_cluster() {
    local bin="$1" home="$2"
    shift 2
    mkdir -p "$home"
    if is_root; then chown postgres:postgres "$home"; fi
    as_pg_user "$bin/initdb" -D "$home/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 "$@" >"$home/initdb.log" 2>&1 \
        || { cat "$home/initdb.log" >&2; die "initdb failed"; }
}

# pg_start_server PG_CTL_ARGS... — pg_ctl start, as the cluster's owner, with the environment a server we run needs.
# MALLOC_TRIM_THRESHOLD_: glibc gives heap memory back to the system whenever more than 128 KB lies free at its top,
# and a backend frees that much after every COPY batch and transaction: a sync's 100 chunks of 1,000 records made
# 4,651 brk calls and faulted every page back in (70,000 page faults, which cost most in a VM). Keeping up to 64 MB
# per backend, the same chunks make 61 brk calls and 37,000 page faults (perf stat), and Postgres does them in about
# a quarter less time (bench `records`). A backend keeps only memory it once used; it still returns it on exit.
pg_start_server() {
    as_pg_user env MALLOC_TRIM_THRESHOLD_=67108864 "$@"
}

# pg_reserve_huge_pages PG_BIN DATA_DIR [-c NAME=VALUE...] — before a server starts: when we are root, makes sure the
# kernel has enough 2 MB huge pages free for its shared memory (given the same -c settings that size it), so that the
# server's default huge_pages=try maps shared_buffers with them. Why: with 4 KB pages every backend faults in and
# TLB-misses its way through the buffers it touches, and in a VM each fault is dear; 100 transactions of 1,000 COPYed
# 1 KB records took Postgres 2.2–2.35 s of CPU with 4 KB pages and 1.4–1.6 s with huge pages, and the in-process
# store of the records bench went from 41,800 to 49,200 records/s. The pages stay reserved after the server stops and
# are reused by its next start (only what is missing is added). Not root, or a kernel that refuses: nothing changes and
# the server runs on ordinary pages, as before.
pg_reserve_huge_pages() {
    local bin="$1" data="$2" need total free reserved
    shift 2
    is_root && [[ -w /proc/sys/vm/nr_hugepages ]] || return 0
    need="$(as_pg_user "$bin/postgres" -D "$data" -C shared_memory_size_in_huge_pages "$@" 2>/dev/null)" || return 0
    [[ "$need" =~ ^[0-9]+$ ]] || return 0
    total="$(cat /proc/sys/vm/nr_hugepages)"
    free="$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)"
    reserved="$(awk '/^HugePages_Rsvd:/ { print $2 }' /proc/meminfo)"
    if (( free - reserved < need )); then
        echo $(( total + need - (free - reserved) )) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
    fi
}

# pg_answers PORT — true when a PostgreSQL server accepts connections on 127.0.0.1:PORT.
pg_answers() {
    local port="$1" bin
    bin="$(pg_newest_bin)"
    if [[ -n "$bin" && -x "$bin/pg_isready" ]]; then
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2
    elif command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p "$port" -t 2
    else
        # No client tools: settle for an open TCP port.
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# random_alnum LENGTH — letters and digits only, so the value is safe in connection strings and shells.
random_alnum() {
    local length="$1" value=""
    while [[ ${#value} -lt "$length" ]]; do
        value+="$(head -c 48 /dev/urandom | base64 -w 0 | tr -dc 'A-Za-z0-9')"
    done
    printf '%s' "${value:0:$length}"
}

# free_loopback_port — a TCP port on 127.0.0.1 that nothing listens on now (the OS picks it; released at once).
free_loopback_port() {
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# npm_ci_if_changed DIR — `npm ci` in DIR when its package-lock.json differs from the copy kept in node_modules
# after the last install (or node_modules is missing). Nango.Runner.csproj checks the same stamp file.
npm_ci_if_changed() {
    local dir="$1"
    [[ -f "$dir/package-lock.json" ]] || return 0
    command -v npm >/dev/null 2>&1 || die "Node.js and npm are required for $dir"
    if [[ ! -d "$dir/node_modules" ]] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.nango-installed-lock.json"; then
        say "npm ci in ${dir#"$NANGO_REPO_ROOT"/}"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$dir/package-lock.json" "$dir/node_modules/.nango-installed-lock.json"
    fi
}

# The modules function code may require (zod), embedded into Nango.Runner.dll when it builds.
ensure_runner_js_modules() {
    npm_ci_if_changed "$NANGO_REPO_ROOT/Nango.Runner/js"
}
