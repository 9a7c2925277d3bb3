# shellcheck shell=bash
# A throwaway PostgreSQL 15 cluster in a directory of its own, for tests and
# the demo. Layout of DIR: DIR/data (the cluster), DIR/postgres.log, and the
# Unix socket DIR/.s.PGSQL.PORT (DIR is the socket directory; no TCP).
# PostgreSQL refuses to run as root: as root, the cluster belongs to and runs
# as the `postgres` system user (or a dedicated `asyncpage-pg` user when that
# does not exist). Requires common.sh.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

# The OS user that owns and runs clusters: ourselves, or an unprivileged user
# when we are root (created when missing).
pg_os_user() {
    if ! is_root; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        if ! id asyncpage-pg >/dev/null 2>&1; then
            info "creating system user asyncpage-pg to run PostgreSQL"
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin asyncpage-pg
        fi
        echo asyncpage-pg
    fi
}

# (Functions here may run where bash ignores `set -e`, after || or in if: they
# check what matters themselves.)

# Runs a command as the cluster's OS user, from DIR (whose cwd must be
# readable by that user: runuser keeps ours, which may be /root).
pg_as_user() {
    local dir="$1"
    shift
    local user
    user="$(pg_os_user)"
    if is_root && [[ "$user" != root ]]; then
        (cd "$dir" && runuser -u "$user" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# The port the cluster in DIR was created with (last `port =` line).
pg_port() {
    local dir="$1"
    sed -n 's/^port = \([0-9][0-9]*\).*/\1/p' "$dir/data/postgresql.conf" | tail -n 1
}

# Creates a cluster in DIR unless DIR/data already holds one.
# Usage: pg_init DIR [--max-connections N] [--port P] [--unsafe-fast]
#   --unsafe-fast: fsync, synchronous_commit and full_page_writes off (tests:
#   the data is thrown away; a crash may corrupt it).
pg_init() {
    local dir="$1"
    shift
    local max_connections=100 port=5432 unsafe_fast=0 user socket
    while (($#)); do
        case "$1" in
            --max-connections) max_connections="$2"; shift 2 ;;
            --port) port="$2"; shift 2 ;;
            --unsafe-fast) unsafe_fast=1; shift ;;
            *) die "pg_init: unknown option $1" ;;
        esac
    done
    [[ "$dir" == /* ]] || die "pg_init: DIR must be absolute: $dir"
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL 15 not found in $PG_BIN (run scripts/setup)"
    socket="$dir/.s.PGSQL.$port"
    ((${#socket} <= 107)) || die "socket path too long for a Unix socket (${#socket} > 107): $socket"

    if [[ -f "$dir/data/PG_VERSION" ]]; then
        return 0
    fi
    user="$(pg_os_user)"
    mkdir -p "$dir" || return 1
    if is_root && [[ "$user" != root ]]; then
        make_traversable "$(dirname "$dir")" "$user" || return 1
        chown "$user:" "$dir" || return 1
    fi
    chmod 755 "$dir" || return 1  # clients of any user reach the socket through it
    rm -rf "$dir/data"

    info "creating PostgreSQL cluster in $dir/data (runs as $user)"
    pg_as_user "$dir" "$PG_BIN/initdb" --pgdata="$dir/data" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 ||
        {
            cat "$dir/initdb.log" >&2
            die "initdb failed"
        }

    {
        echo
        echo "# --- added by scripts/lib/pg.sh ---"
        echo "listen_addresses = ''"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "max_connections = $max_connections"
        echo "shared_buffers = 128MB"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if ((unsafe_fast)); then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        else
            echo "synchronous_commit = off"
        fi
    } >>"$dir/data/postgresql.conf" || return 1
}

# True when the cluster in DIR is running.
pg_running() {
    local dir="$1"
    [[ -f "$dir/data/PG_VERSION" ]] || return 1
    pg_as_user "$dir" "$PG_BIN/pg_ctl" status --pgdata="$dir/data" >/dev/null 2>&1
}

# Starts the cluster in DIR (no-op when running) and waits until it accepts
# connections.
pg_start() {
    local dir="$1" port i
    port="$(pg_port "$dir")"
    if ! pg_running "$dir"; then
        info "starting PostgreSQL ($dir, log $dir/postgres.log)"
        pg_as_user "$dir" "$PG_BIN/pg_ctl" start --pgdata="$dir/data" --log="$dir/postgres.log" \
            --wait --timeout=60 --silent ||
            {
                tail -n 30 "$dir/postgres.log" >&2 || true
                die "PostgreSQL did not start"
            }
    fi
    for ((i = 0; i < 300; i++)); do
        if "$PG_BIN/pg_isready" --quiet --host="$dir" --port="$port"; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$dir/postgres.log" >&2 || true
    die "PostgreSQL in $dir does not accept connections"
}

# Stops the cluster in DIR (fast: disconnects clients, rolls back). No-op when
# it is not running.
pg_stop() {
    local dir="$1"
    pg_running "$dir" || return 0
    info "stopping PostgreSQL ($dir)"
    pg_as_user "$dir" "$PG_BIN/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait \
        --timeout=60 --silent ||
        pg_as_user "$dir" "$PG_BIN/pg_ctl" stop --pgdata="$dir/data" --mode=immediate --wait \
            --silent || warn "could not stop PostgreSQL in $dir"
}

# libpq connection string for database DB of the cluster in DIR.
pg_dsn() {
    local dir="$1" db="$2"
    printf 'host=%s port=%s dbname=%s user=postgres\n' "$dir" "$(pg_port "$dir")" "$db"
}

# psql against database DB of the cluster in DIR; stops at the first error.
pg_psql() {
    local dir="$1" db="$2"
    shift 2
    "$PG_BIN/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host="$dir" \
        --port="$(pg_port "$dir")" --username=postgres --dbname="$db" "$@"
}

# Creates database DB in the cluster in DIR unless it exists.
pg_createdb() {
    local dir="$1" db="$2"
    if [[ "$(pg_psql "$dir" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
        "$PG_BIN/createdb" --host="$dir" --port="$(pg_port "$dir")" --username=postgres "$db"
    fi
}

# Drops database DB (terminating its sessions) when it exists.
pg_dropdb() {
    local dir="$1" db="$2"
    PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/dropdb" --host="$dir" --port="$(pg_port "$dir")" --username=postgres \
        --if-exists --force "$db"
}
