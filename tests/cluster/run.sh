#!/usr/bin/env bash
# The cluster test (README, "Beyond one machine"): hosts made of network
# namespaces on one machine, joined by a bridge on a private /24 of the test's
# own (10.213.77.0/24):
#   db1  PostgreSQL 15 primary                        10.213.77.11:5432
#   db2  its streaming standby (pg_basebackup -R) and
#        PgBouncer 1.18 in transaction mode before it 10.213.77.12:5432, :6432
#   app1, app2  asyncpage serve (2 workers each)      10.213.77.21:9000, .22:9000
#        dsn: PgBouncer, then the primary; jobs_dsn: the primary, direct
#   nginx (this namespace) with an upstream of both app hosts, on 127.0.0.1.
# Scenarios: pages through every layer with exact rows, spread over both hosts;
# an app host killed (its processes, then its link) during pages and during a
# running job; the standby stopped; /metrics of a host across a worker kill.
# Prints what the client saw (statuses, times). Needs root (ip netns); cleans
# up namespaces, links and processes whatever happens.
# Usage: tests/cluster/run.sh [BUILD_DIR]   (default build/)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
# shellcheck source=scripts/lib/pg.sh
source "$REPO_ROOT/scripts/lib/pg.sh"

BUILD="$(abspath "${1:-$REPO_ROOT/build}")"
BIN="$BUILD/asyncpage"
NET=10.213.77
TAG="apc$(($$ % 10000))"  # namespaces and links of this run (link names <= 15 chars)
BRIDGE="${TAG}br"
HOSTS=(db1:11 db2:12 app1:21 app2:22)
WORK=""
NGINX_PORT=""
PGU=""
FAILED=0
PASSED=0

ns() { echo "$TAG-$1"; }
in_ns() {
    local host="$1"
    shift
    ip netns exec "$(ns "$host")" "$@"
}
pg_in() {
    local host="$1"
    shift
    (cd / && ip netns exec "$(ns "$host")" runuser -u "$PGU" -- "$@")
}

check() {
    local what="$1"
    shift
    if "$@"; then
        echo "ok   $what"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL $what"
        FAILED=$((FAILED + 1))
    fi
}

cleanup() {
    local status=$? host pid
    trap - EXIT INT TERM
    set +e
    [[ -n "$WORK" && -f "$WORK/nginx/nginx.pid" ]] && kill "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null
    for host in "${HOSTS[@]}"; do
        host="${host%%:*}"
        ip netns pids "$(ns "$host")" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    sleep 0.2
    for host in "${HOSTS[@]}"; do
        host="${host%%:*}"
        ip netns del "$(ns "$host")" 2>/dev/null
        ip link del "$TAG${host}" 2>/dev/null
    done
    ip link del "$BRIDGE" 2>/dev/null
    if ((status != 0)) && [[ -n "$WORK" ]]; then
        for pid in "$WORK"/*/*.log; do
            echo "--- $pid (last 15 lines) ---"
            tail -n 15 "$pid"
        done
    fi
    [[ -n "$WORK" && -z "${KEEP:-}" ]] && rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT INT TERM

# --- the hosts -------------------------------------------------------------------

make_hosts() {
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    local entry host n
    for entry in "${HOSTS[@]}"; do
        host="${entry%%:*}" n="${entry##*:}"
        ip netns add "$(ns "$host")"
        ip link add "$TAG$host" type veth peer name eth0 netns "$(ns "$host")"
        ip link set "$TAG$host" master "$BRIDGE" up
        in_ns "$host" ip addr add "$NET.$n/24" dev eth0
        in_ns "$host" ip link set eth0 up
        in_ns "$host" ip link set lo up
    done
}

start_primary() {
    local dir="$WORK/db1"
    mkdir -p "$dir" && chown "$PGU" "$dir"
    pg_in db1 "$PG_BIN/initdb" -D "$dir/data" --auth=trust -U postgres --no-instructions >"$dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '$NET.11'
port = 5432
unix_socket_directories = '$dir'
max_connections = 120
shared_buffers = 32MB
fsync = off
synchronous_commit = off
EOF
    echo "host all all $NET.0/24 trust" >>"$dir/data/pg_hba.conf"
    echo "host replication all $NET.0/24 trust" >>"$dir/data/pg_hba.conf"
    pg_in db1 "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start >/dev/null
    pg_in db1 "$PG_BIN/createdb" -h "$dir" -U postgres cluster
}

start_standby() {
    local dir="$WORK/db2"
    mkdir -p "$dir" && chown "$PGU" "$dir"
    pg_in db2 "$PG_BIN/pg_basebackup" -h "$NET.11" -U postgres -D "$dir/data" -R -X stream -c fast \
        -C -S standby
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '$NET.12'
unix_socket_directories = '$dir'
EOF
    pg_in db2 "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start >/dev/null
    # PgBouncer in transaction mode before the standby. server_login_retry: a
    # standby that is gone fails a client's login quickly (libpq then tries the
    # next host, the primary) instead of after 15 s.
    echo '"postgres" ""' >"$dir/users.txt"
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
cluster = host=$dir port=5432 dbname=cluster
[pgbouncer]
listen_addr = $NET.12
listen_port = 6432
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
default_pool_size = 6
max_client_conn = 200
server_login_retry = 1
query_wait_timeout = 5
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    chown "$PGU" "$dir/users.txt" "$dir/pgbouncer.ini"
    pg_in db2 /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini"
}

app_config() {
    local host="$1" n="$2" dir="$WORK/$1"
    mkdir -p "$dir"
    cat >"$dir/asyncpage.toml" <<EOF
listen = "$NET.$n:9000"
workers = 2
dsn = "host=$NET.12,$NET.11 port=6432,5432 dbname=cluster user=postgres connect_timeout=2"
jobs_dsn = "host=$NET.11 port=5432 dbname=cluster user=postgres"
pool_mode = "transaction"
pool_size = 4
job_slots = 1
job_lease = "2s"
default_timeout = "10s"
reports_dir = "$REPO_ROOT/tests/cluster/reports"
access_log = "$dir/access.log"
error_log = "$dir/error.log"
EOF
}

# Up once its socket accepts (from this namespace, over the bridge) and both
# workers are forked. (The log is no sign: spdlog flushes info lines late.)
start_app() {
    local host="$1" n="$2" dir="$WORK/$1" pid i
    # Not through in_ns: $! must be the supervisor itself (ip netns exec execs it).
    ip netns exec "$(ns "$host")" "$BIN" serve --config "$dir/asyncpage.toml" >>"$dir/serve.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/serve.pid"
    for ((i = 0; i < 100; i++)); do
        if (: >"/dev/tcp/$NET.$n/9000") 2>/dev/null && (($(pgrep -c -P "$pid") >= 2)); then
            return 0
        fi
        sleep 0.1
    done
    die "asyncpage on $host did not start: $(tail -5 "$dir/error.log" "$dir/serve.log" 2>/dev/null)"
}

start_nginx() {
    local dir="$WORK/nginx" user_line=""
    mkdir -p "$dir"
    is_root && user_line="user root;"
    NGINX_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    cat >"$dir/nginx.conf" <<EOF
$user_line
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    fastcgi_temp_path $dir/fastcgi;
    proxy_temp_path $dir/proxy;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream cluster {
        server $NET.21:9000 max_fails=1 fail_timeout=5s;
        server $NET.22:9000 max_fails=1 fail_timeout=5s;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass cluster;
            fastcgi_keep_conn on;
            fastcgi_next_upstream error timeout;
            fastcgi_connect_timeout 1s;
            fastcgi_read_timeout 12s;
        }
        # One host's own /metrics (a scrape through the upstream reaches either).
        location ~ ^/(app1|app2)/metrics\$ {
            rewrite ^/[^/]+(/metrics)\$ \$1 break;
            include /etc/nginx/fastcgi_params;
            fastcgi_pass \$upstream_host;
        }
    }
    map \$request_uri \$upstream_host {
        ~^/app1/ $NET.21:9000;
        ~^/app2/ $NET.22:9000;
    }
}
EOF
    /usr/sbin/nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
}

# --- the client ----------------------------------------------------------------

url() { echo "http://127.0.0.1:$NGINX_PORT$1"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$(url "$1")"; }
# Rows of a page's only section ("" when the answer is not a page).
rows_of() {
    curl -s --max-time 30 "$(url "$1")" | python3 -c '
import json, sys
try:
    page = json.load(sys.stdin)
    print(len(page["sections"][0]["rows"]) if page["status"] == "ok" else "")
except Exception:
    print("")'
}
field_of() {  # field_of PATH EXPR: a value from the JSON answer
    curl -s --max-time 30 -H 'Accept: application/json' "$(url "$1")" |
        python3 -c "import json, sys; j = json.load(sys.stdin); print($2)" 2>/dev/null || true
}
primary_sql() { "$PG_BIN/psql" -h "$NET.11" -U postgres -d cluster -Atc "$1"; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.2f}')"; }
serve_pids() {
    local p
    for p in $(ip netns pids "$(ns "$1")"); do
        [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == asyncpage ]] && echo "$p"
    done
    return 0
}

# --- scenarios -------------------------------------------------------------------

pages_through_every_layer() {
    local i ok=0 exact=0 n
    for ((i = 0; i < 40; i++)); do
        n="$(rows_of "/reports/rows?n=$((100 + i))&format=json")"
        [[ -n "$n" ]] && ok=$((ok + 1))
        [[ "$n" == "$((100 + i))" ]] && exact=$((exact + 1))
    done
    echo "40 pages: $ok answered, $exact with exactly their rows"
    check "40 pages through nginx, asyncpage, PgBouncer and the standby: all with their rows" \
        test "$exact" -eq 40
    local on1 on2
    on1="$(grep -c 'report=rows' "$WORK/app1/access.log" || true)"
    on2="$(grep -c 'report=rows' "$WORK/app2/access.log" || true)"
    echo "pages per host: app1 $on1, app2 $on2"
    check "pages spread over both app hosts" test "$on1" -gt 0 -a "$on2" -gt 0
    check "pages are read on the standby" test "$(field_of '/reports/where?format=json' \
        'j["sections"][0]["rows"][0][0]')" == True
}

host_killed_during_pages_and_a_job() {
    local id state host pid t0 i code codes="" job
    id="$(curl -s -H 'Accept: application/json' -d 'n=5' "$(url /reports/slow_job/jobs)" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
    for ((i = 0; i < 100; i++)); do
        state="$(primary_sql "SELECT state FROM asyncpage.jobs WHERE id = '$id'")"
        [[ "$state" == running ]] && break
        sleep 0.1
    done
    pid="$(primary_sql "SELECT worker_pid FROM asyncpage.jobs WHERE id = '$id'")"
    host=app1
    [[ " $(serve_pids app2 | tr '\n' ' ') " == *" $pid "* ]] && host=app2
    echo "job $id runs on $host (worker pid $pid); killing $host: its processes, then its link"
    t0="$(now)"
    # The supervisor is frozen first, so that it neither replaces the workers
    # nor releases their jobs; the workers die before it: killed after their
    # supervisor, they would get its death signal (SIGTERM, PR_SET_PDEATHSIG)
    # and drain, which puts the job back as a drain does (attempt given back),
    # not as a lost host.
    local supervisor
    supervisor="$(cat "$WORK/$host/serve.pid")"
    kill -STOP "$supervisor"
    serve_pids "$host" | grep -vx "$supervisor" | xargs -r kill -9
    kill -9 "$supervisor"
    for ((i = 0; i < 50; i++)); do
        [[ -z "$(serve_pids "$host")" ]] && break
        sleep 0.1
    done
    [[ -z "$(serve_pids "$host")" ]] || die "asyncpage processes left on $host: $(serve_pids "$host")"
    ip link set "$TAG$host" down
    for ((i = 0; i < 20; i++)); do
        codes+="$(curl -s -o /dev/null -w '%{http_code}/%{time_total}s' --max-time 30 \
            "$(url "/reports/rows?n=10&format=json")") "
    done
    echo "20 pages after the kill, status/time ($(since "$t0") s in all): $codes"
    check "pages keep answering through the other host" \
        test "$(tr ' ' '\n' <<<"$codes" | grep -c '^200/')" -eq 20
    code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/json' -d 'n=1' "$(url /reports/slow_job/jobs)")"
    echo "a job form posted now: $code (nginx retries no POST that reached a host; this one went to the live host or was retried on connect failure)"
    for ((i = 0; i < 300; i++)); do
        state="$(primary_sql "SELECT state FROM asyncpage.jobs WHERE id = '$id'")"
        [[ "$state" == succeeded || "$state" == failed ]] && break
        sleep 0.1
    done
    job="$(primary_sql "SELECT state || ' attempt ' || attempt FROM asyncpage.jobs WHERE id = '$id'")"
    echo "the job after the kill: $job, $(since "$t0") s after it"
    check "the job runs again on the other host and succeeds (attempt 2)" test "$job" == "succeeded attempt 2"
    check "its result was written once" test "$(field_of "/jobs/$id/result?format=json" \
        'len(j["sections"][0]["rows"])')" == 5
    # The host comes back.
    ip link set "$TAG$host" up
    start_app "$host" "$([[ "$host" == app1 ]] && echo 21 || echo 22)"
}

standby_stopped() {
    local t0 i v=""
    pg_in db2 "$PG_BIN/pg_ctl" -D "$WORK/db2/data" -m fast -w stop >/dev/null
    t0="$(now)"
    for ((i = 0; i < 150; i++)); do
        v="$(field_of '/reports/where?format=json' 'j["sections"][0]["rows"][0][0]')"
        [[ "$v" == False ]] && break
        sleep 0.1
    done
    echo "standby stopped: pages answered by the primary $(since "$t0") s later"
    check "pages are answered by the primary once the standby stops" test "$v" == False
}

metrics_across_a_worker_kill() {
    local before after
    metric() {
        curl -s --max-time 10 "$(url "/$1/metrics")" |
            awk '/^asyncpage_pages_total\{/ {s += $2} END {print s + 0}'
    }
    before="$(metric app2)"
    # Every worker of app2 is killed (one at a time, each replaced), so that
    # the counts of the one that served its pages are among those folded in.
    local supervisor pid i workers=""
    supervisor="$(cat "$WORK/app2/serve.pid")"
    for pid in $(pgrep -P "$supervisor"); do
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == asyncpage ]] || continue
        kill -9 "$pid"
        workers+="$pid "
        for ((i = 0; i < 50; i++)); do
            (($(pgrep -c -P "$supervisor") >= 2)) && ! kill -0 "$pid" 2>/dev/null && break
            sleep 0.1
        done
    done
    sleep 0.5
    after="$(metric app2)"
    echo "app2 pages_total: $before before killing its workers ${workers% }, $after after"
    check "app2's /metrics counters do not go down across a worker kill" test "$after" -ge "$before" -a "$before" -gt 0
}

main() {
    is_root || die "the cluster test needs root (network namespaces)"
    [[ -x "$BIN" ]] || die "no asyncpage binary at $BIN"
    PGU="$(pg_os_user)"
    WORK="$(mktemp -d /tmp/asyncpage-cluster.XXXXXX)"
    chmod 755 "$WORK"
    make_traversable "$WORK" "$PGU"
    make_hosts
    start_primary
    start_standby
    app_config app1 21
    app_config app2 22
    # Migrations go to the primary itself (dsn's first host is the standby's pooler).
    printf 'dsn = "host=%s port=5432 dbname=cluster user=postgres"\n' "$NET.11" >"$WORK/migrate.toml"
    in_ns app1 "$BIN" migrate --config "$WORK/migrate.toml" >"$WORK/app1/migrate.log" 2>&1 ||
        die "migrate failed: $(cat "$WORK/app1/migrate.log")"
    start_app app1 21
    start_app app2 22
    start_nginx
    pages_through_every_layer
    metrics_across_a_worker_kill
    host_killed_during_pages_and_a_job
    standby_stopped
    echo "$PASSED passed, $FAILED failed"
    ((FAILED == 0))
}

main "$@"
