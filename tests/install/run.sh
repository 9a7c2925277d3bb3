#!/usr/bin/env bash
# Test of scripts/install and scripts/uninstall into a temporary root:
#   1. install --destdir with a given binary and --enable-site: files, modes,
#      contents; a second run changes nothing; an edited config survives
#      (the new default goes to asyncpage.toml.dist); --prefix reaches the unit;
#   2. the installed unit passes `systemd-analyze verify` (when available);
#   3. the INSTALLED binary with the INSTALLED config (a copy with listen, dsn,
#      reports_dir and the logs pointed into the temp dir) behind the INSTALLED
#      nginx site file (rendered for a test port and socket) serves /healthz,
#      the report index and the demo dashboard over the demo database;
#   4. uninstall keeps the config and logs, --purge removes them.
# Usage: ASYNCPAGE_TEST_DSN="host=/tmp/pg port=5432 dbname=postgres user=postgres" \
#            tests/install/run.sh BINARY
# The DSN's server gets a fresh database asyncpage_install_test (dropped at the
# end). KEEP_TMP=1 keeps the temp dir. Prints "N passed, M failed, K skipped"
# (and what was skipped); exits 1 on any failure.
# ASYNCPAGE_INSTALL_NO_SKIP=1 turns a skipped check into a failure.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

TEST_DB=asyncpage_install_test
PASSED=0
FAILED=0
SKIPPED=()
TMP=""
ROOT=""
SERVE_PID=""
NGINX_CONF=""
DB_CREATED=0

pass() {
    PASSED=$((PASSED + 1))
    printf 'ok   %s\n' "$*"
}
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL %s\n' "$*"
}
# A check that could not run here: counted and named in the summary, so that a
# run that verified less says so. ASYNCPAGE_INSTALL_NO_SKIP=1 (CI) makes it a failure.
skip() {
    if [[ "${ASYNCPAGE_INSTALL_NO_SKIP:-0}" == 1 ]]; then
        fail "$* (skipped, but ASYNCPAGE_INSTALL_NO_SKIP=1)"
        return
    fi
    SKIPPED+=("$*")
    printf 'SKIP %s\n' "$*"
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
    local what="$1"
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

file_mode_is() { [[ -e "$1" && "$(stat -c '%a' "$1")" == "$2" ]]; }
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }
no_path() { [[ ! -e "$1" && ! -L "$1" ]]; }
# man(1) renders PAGE with its warnings on (groff: -ww) and prints none.
man_renders_cleanly() { [[ -z "$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null)" ]]; }
dir_empty() { [[ -d "$1" && -z "$(ls -A "$1")" ]]; }
links_to() { [[ "$(readlink "$1")" == "$2" ]]; }
# quiet FILE COMMAND...: runs COMMAND with its output in FILE, shown on failure.
quiet() {
    local out="$1"
    shift
    "$@" >"$out" 2>&1 || {
        cat "$out"
        return 1
    }
}

# Every path under the root with its type, mode, link target and checksum.
snapshot() {
    local path
    (cd "$ROOT" && find . -printf '%p %y %m %l\n' | sort)
    while IFS= read -r path; do
        md5sum "$path"
    done < <(find "$ROOT" -type f | sort)
}

install_into() {
    "$REPO_ROOT/scripts/install" --destdir "$ROOT" --binary "$BINARY" --enable-site
}

cleanup() {
    if [[ -n "$SERVE_PID" ]]; then
        stop_pid "$SERVE_PID" TERM 20 asyncpage
    fi
    if [[ -n "$NGINX_CONF" && -f "$TMP/nginx/nginx.pid" ]]; then
        nginx -p "$TMP/nginx" -c "$NGINX_CONF" -e "$TMP/nginx/error.log" -s stop 2>/dev/null || true
    fi
    if ((DB_CREATED)); then
        PGOPTIONS="-c client_min_messages=warning" psql "$ASYNCPAGE_TEST_DSN dbname=postgres" -qX -c "DROP DATABASE IF EXISTS $TEST_DB" >/dev/null 2>&1 || true
    fi
    if [[ -n "$TMP" ]]; then
        if [[ "${KEEP_TMP:-0}" == 1 ]]; then
            info "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
}

test_install() {
    local out="$TMP/install1.out" bin="$ROOT/usr/local/bin/asyncpage"
    local conf="$ROOT/etc/asyncpage/asyncpage.toml" unit="$ROOT/etc/systemd/system/asyncpage.service"
    local site="$ROOT/etc/nginx/sites-available/asyncpage" link="$ROOT/etc/nginx/sites-enabled/asyncpage"
    local rotate="$ROOT/etc/logrotate.d/asyncpage"
    check "install --destdir exits 0" quiet "$out" install_into
    check "binary installed 0755 and identical" file_mode_is "$bin" 755
    check "binary identical to the given one" cmp -s "$bin" "$BINARY"
    check "config installed 0640 from packaging/" file_mode_is "$conf" 640
    check "config is packaging/asyncpage.toml" cmp -s "$conf" "$REPO_ROOT/packaging/asyncpage.toml"
    check "config listens on /run/asyncpage/asyncpage.sock" contains "$conf" 'listen = "/run/asyncpage/asyncpage.sock"'
    check "reports folder created empty" dir_empty "$ROOT/etc/asyncpage/reports"
    check "reports folder 0755" file_mode_is "$ROOT/etc/asyncpage/reports" 755
    check "log folder 0750" file_mode_is "$ROOT/var/log/asyncpage" 750
    check "unit installed 0644" file_mode_is "$unit" 644
    check "unit ExecStart uses the prefix" \
        contains "$unit" 'ExecStart=/usr/local/bin/asyncpage serve --config /etc/asyncpage/asyncpage.toml'
    check "unit has no @PREFIX@ left" lacks "$unit" @PREFIX@
    check "unit is Type=notify" contains "$unit" "Type=notify"
    # shellcheck disable=SC2016  # a literal $MAINPID
    check "unit reloads with SIGHUP" contains "$unit" 'ExecReload=/bin/kill -HUP $MAINPID'
    check "nginx site installed 0644" file_mode_is "$site" 644
    check "nginx site is nginx/asyncpage.conf" cmp -s "$site" "$REPO_ROOT/nginx/asyncpage.conf"
    check "nginx site enabled (link to sites-available)" links_to "$link" /etc/nginx/sites-available/asyncpage
    check "logrotate file installed 0644" file_mode_is "$rotate" 644
    check "logrotate file is packaging/asyncpage.logrotate" cmp -s "$rotate" "$REPO_ROOT/packaging/asyncpage.logrotate"
    local man8="$ROOT/usr/local/share/man/man8/asyncpage.8" man5="$ROOT/usr/local/share/man/man5/asyncpage.toml.5"
    check "man page asyncpage(8) installed 0644" file_mode_is "$man8" 644
    check "man page asyncpage.toml(5) installed 0644" file_mode_is "$man5" 644
    check "README installed as the manual" cmp -s "$ROOT/usr/local/share/doc/asyncpage/README.md" "$REPO_ROOT/README.md"
    check "README's screenshot installed beside it" cmp -s "$ROOT/usr/local/share/doc/asyncpage/docs/dashboard.png" "$REPO_ROOT/docs/dashboard.png"
    # man(1) finds the pages under the installed tree (as under /usr/local/share/man)
    # and renders them without a warning.
    check "man -w asyncpage finds the installed page" \
        test "$(MANPATH="$ROOT/usr/local/share/man" man -w asyncpage 2>/dev/null)" == "$man8"
    check "man -w asyncpage.toml finds the installed page" \
        test "$(MANPATH="$ROOT/usr/local/share/man" man -w asyncpage.toml 2>/dev/null)" == "$man5"
    check "asyncpage(8) renders without warnings" man_renders_cleanly "$man8"
    check "asyncpage.toml(5) renders without warnings" man_renders_cleanly "$man5"
    check "unit Documentation= names the man pages" \
        contains "$unit" 'Documentation=man:asyncpage(8) man:asyncpage.toml(5) file:///usr/local/share/doc/asyncpage/README.md'
    check "install says it does not run migrate under --destdir" \
        contains "$out" '--destdir: not running asyncpage migrate'

    local before after
    before="$(snapshot)"
    check "second install exits 0" quiet "$TMP/install2.out" install_into
    after="$(snapshot)"
    check "second install changes nothing" [ "$before" == "$after" ]
    check "second install says nothing changed" grep -q 'nothing changed' "$TMP/install2.out"

    printf '\n# edited by the admin\nworkers = 3\n' >>"$conf"
    check "install over an edited config exits 0" quiet "$TMP/install3.out" install_into
    check "edited config survives" contains "$conf" '# edited by the admin'
    check "new default installed as asyncpage.toml.dist" \
        cmp -s "$ROOT/etc/asyncpage/asyncpage.toml.dist" "$REPO_ROOT/packaging/asyncpage.toml"
    check "install says it kept the config" grep -q "kept $conf" "$TMP/install3.out"
    before="$(snapshot)"
    check "install after that exits 0" quiet "$TMP/install4.out" install_into
    after="$(snapshot)"
    check "install after that changes nothing" [ "$before" == "$after" ]
    # Back to the default for the live test below (workers = 3 is harmless, but
    # the live test should run the config as installed).
    cp "$REPO_ROOT/packaging/asyncpage.toml" "$conf"

    local other="$TMP/other"
    check "install --prefix /opt/asyncpage exits 0" quiet "$TMP/install5.out" \
        "$REPO_ROOT/scripts/install" --destdir "$other" --binary "$BINARY" --prefix /opt/asyncpage
    check "--prefix /opt/asyncpage: binary there" test -x "$other/opt/asyncpage/bin/asyncpage"
    check "--prefix /opt/asyncpage: ExecStart there" \
        contains "$other/etc/systemd/system/asyncpage.service" "ExecStart=/opt/asyncpage/bin/asyncpage serve"
    check "without --enable-site: site not enabled" no_path "$other/etc/nginx/sites-enabled/asyncpage"
}

test_unit_verify() {
    if ! command -v systemd-analyze >/dev/null 2>&1; then
        skip "systemd-analyze verify (systemd-analyze not installed)"
        return 0
    fi
    # verify needs ExecStart to exist: point it at the installed binary.
    local copy="$TMP/verify/asyncpage.service" out
    mkdir -p "$TMP/verify"
    sed "s|^ExecStart=/usr/local/bin/asyncpage|ExecStart=$ROOT/usr/local/bin/asyncpage|" \
        "$ROOT/etc/systemd/system/asyncpage.service" >"$copy"
    # verify also runs man(1) for each man: page in Documentation=: let it find
    # the pages installed under the temp root.
    if out="$(MANPATH="$ROOT/usr/local/share/man" systemd-analyze verify "$copy" 2>&1)" &&
        [[ -z "$out" ]]; then
        pass "systemd-analyze verify: no errors, no warnings"
    else
        fail "systemd-analyze verify: $out"
    fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local port
    for port in $(shuf -i 20000-40000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "no free port found"
}

# Sets KEY = "VALUE" in TOML file FILE (the key's line must exist).
set_key() {
    local file="$1" key="$2" value="$3"
    grep -q "^$key = " "$file" || die "no '$key = ' line in $file"
    awk -v k="$key" -v v="$value" '$1 == k && $2 == "=" { print k " = \"" v "\""; next } { print }' \
        "$file" >"$file.tmp"
    mv "$file.tmp" "$file"
}

load_demo_db() {
    local PGOPTIONS="-c client_min_messages=warning"
    export PGOPTIONS
    psql "$ASYNCPAGE_TEST_DSN dbname=postgres" -qX -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $TEST_DB" -c "CREATE DATABASE $TEST_DB" >/dev/null
    DB_CREATED=1
    psql "$ASYNCPAGE_TEST_DSN dbname=$TEST_DB" -qX -v ON_ERROR_STOP=1 -f "$REPO_ROOT/sql/demo.sql" >/dev/null &&
        psql "$ASYNCPAGE_TEST_DSN dbname=$TEST_DB" -qX -v ON_ERROR_STOP=1 \
            -f "$REPO_ROOT/sql/demo_functions.sql" >/dev/null
}

start_asyncpage() {
    local conf="$TMP/live/asyncpage.toml" sock="$TMP/live/asyncpage.sock" i
    cp "$ROOT/etc/asyncpage/asyncpage.toml" "$conf"
    set_key "$conf" listen "$sock"
    set_key "$conf" dsn "$ASYNCPAGE_TEST_DSN dbname=$TEST_DB"
    set_key "$conf" reports_dir "$REPO_ROOT/sql/reports"
    set_key "$conf" access_log "$TMP/live/log/access.log"
    set_key "$conf" error_log "$TMP/live/log/error.log"
    mkdir -p "$TMP/live/log"
    "$ROOT/usr/local/bin/asyncpage" migrate --config "$conf" >"$TMP/live/migrate.out" 2>&1 ||
        { cat "$TMP/live/migrate.out"; return 1; }
    "$ROOT/usr/local/bin/asyncpage" serve --config "$conf" >"$TMP/live/serve.out" 2>&1 &
    SERVE_PID=$!
    for ((i = 0; i < 150; i++)); do
        [[ -S "$sock" ]] && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$TMP/live/serve.out" "$TMP/live/log/error.log" 2>/dev/null || true
    return 1
}

start_nginx() {
    local dir="$TMP/nginx" port="$1" site="$TMP/nginx/asyncpage.site"
    mkdir -p "$dir"
    # The site's `include fastcgi_params` is relative to the config's folder.
    cp /etc/nginx/fastcgi_params "$dir/"
    sed -e "s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$port;|" \
        -e '/listen \[::\]:80;/d' \
        -e "s|unix:/run/asyncpage/asyncpage.sock|unix:$TMP/live/asyncpage.sock|" \
        -e "s|fastcgi_cache_path /var/cache/nginx-asyncpage |fastcgi_cache_path $dir/cache |" \
        "$ROOT/etc/nginx/sites-available/asyncpage" >"$site"
    grep -q "listen 127.0.0.1:$port;" "$site" || return 1
    NGINX_CONF="$dir/nginx.conf"
    {
        # As root nginx's workers would run as nobody, who cannot connect to
        # the 0660 socket that asyncpage (root here) creates.
        if is_root; then echo 'user root;'; fi
        cat <<EOF
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/client_body_temp;
    fastcgi_temp_path $dir/fastcgi_temp;
    proxy_temp_path $dir/proxy_temp;
    uwsgi_temp_path $dir/uwsgi_temp;
    scgi_temp_path $dir/scgi_temp;
    include $site;
}
EOF
    } >"$NGINX_CONF"
    nginx -p "$dir" -c "$NGINX_CONF" -e "$dir/error.log" -q
}

# get URL OUTFILE: prints the HTTP status.
get() {
    curl -sS -o "$2" -w '%{http_code}' --max-time 30 "$1" || true
}

test_live() {
    if [[ -z "${ASYNCPAGE_TEST_DSN:-}" ]]; then
        fail "live test: ASYNCPAGE_TEST_DSN is not set (e.g. \"host=/tmp/pg port=5432 dbname=postgres user=postgres\")"
        return 0
    fi
    mkdir -p "$TMP/live"
    if ! load_demo_db; then
        fail "load sql/demo.sql into $TEST_DB"
        return 0
    fi
    pass "loaded sql/demo.sql into a fresh $TEST_DB"
    if ! start_asyncpage; then
        fail "installed asyncpage starts with the installed config"
        return 0
    fi
    pass "installed asyncpage starts with the installed config (socket up)"
    local port
    port="$(free_port)"
    if ! start_nginx "$port"; then
        fail "nginx starts with the installed site file"
        cat "$TMP/nginx/error.log" 2>/dev/null || true
        return 0
    fi
    pass "nginx starts with the installed site file (port $port)"

    local base="http://127.0.0.1:$port" body="$TMP/live/body" status name
    status="$(get "$base/healthz" "$body")"
    check "GET /healthz: 200 (got $status)" [ "$status" == 200 ]
    check "GET /healthz: body ok" grep -qx ok "$body"
    status="$(get "$base/" "$body")"
    check "GET /: 200 (got $status)" [ "$status" == 200 ]
    for name in "$REPO_ROOT"/sql/reports/*.sql; do
        name="$(basename "$name" .sql)"
        check "GET / lists /reports/$name" contains "$body" "/reports/$name"
    done
    status="$(get "$base/reports/dashboard?format=json" "$body")"
    check "GET /reports/dashboard?format=json: 200 (got $status)" [ "$status" == 200 ]
    check "dashboard JSON has \"status\":\"ok\"" contains "$body" '"status":"ok"'
    check "access log written to the configured file" test -s "$TMP/live/log/access.log"

    # A background job through the installed site: create, follow, result.
    local id="" state="" i
    status="$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 -X POST \
        -H 'Accept: application/json' --data 'step=0' "$base/reports/rollup/jobs" || true)"
    check "POST /reports/rollup/jobs: 202 (got $status)" [ "$status" == 202 ]
    id="$(sed -n 's/.*"id" *: *"\([0-9a-f-]*\)".*/\1/p' "$body")"
    [[ -n "$id" ]] || fail "no job id in the answer: $(head -c 300 "$body")"
    for ((i = 0; i < 60; i++)); do
        [[ -n "$id" ]] || break
        get "$base/jobs/$id/wait?timeout=5&since=0" "$body" >/dev/null
        state="$(sed -n 's/.*"state" *: *"\([a-z]*\)".*/\1/p' "$body")"
        [[ "$state" == succeeded || "$state" == failed || "$state" == cancelled ]] && break
        sleep 0.5
    done
    check "the rollup job succeeds (state $state)" [ "$state" == succeeded ]
    status="$(get "$base/jobs/$id/result?format=csv" "$body")"
    check "GET /jobs/ID/result?format=csv: 200 (got $status)" [ "$status" == 200 ]
    check "the job's CSV has its header" contains "$body" "month,orders,revenue"

    nginx -p "$TMP/nginx" -c "$NGINX_CONF" -e "$TMP/nginx/error.log" -s stop || true
    NGINX_CONF=""
    kill -TERM "$SERVE_PID"
    local rc=0
    if wait_pid_gone "$SERVE_PID" 20; then
        wait "$SERVE_PID" || rc=$?
        check "asyncpage exits 0 on SIGTERM (got $rc)" [ "$rc" == 0 ]
    else
        fail "asyncpage still running 20s after SIGTERM"
    fi
    SERVE_PID=""
}

test_uninstall() {
    local out="$TMP/uninstall.out"
    check "uninstall --destdir exits 0" quiet "$out" "$REPO_ROOT/scripts/uninstall" --destdir "$ROOT"
    check "binary removed" no_path "$ROOT/usr/local/bin/asyncpage"
    check "unit removed" no_path "$ROOT/etc/systemd/system/asyncpage.service"
    check "logrotate file removed" no_path "$ROOT/etc/logrotate.d/asyncpage"
    check "man pages removed" no_path "$ROOT/usr/local/share/man/man8/asyncpage.8"
    check "installed README removed" no_path "$ROOT/usr/local/share/doc/asyncpage"
    check "nginx site link removed" no_path "$ROOT/etc/nginx/sites-enabled/asyncpage"
    check "nginx site file removed (unedited)" no_path "$ROOT/etc/nginx/sites-available/asyncpage"
    check "config kept" test -f "$ROOT/etc/asyncpage/asyncpage.toml"
    check "log folder kept" test -d "$ROOT/var/log/asyncpage"
    check "uninstall --purge exits 0" quiet "$out" "$REPO_ROOT/scripts/uninstall" --destdir "$ROOT" --purge
    check "--purge removes /etc/asyncpage" no_path "$ROOT/etc/asyncpage"
    check "--purge removes /var/log/asyncpage" no_path "$ROOT/var/log/asyncpage"
    "$REPO_ROOT/scripts/uninstall" --destdir "$ROOT" --purge >"$out" 2>&1 || true
    check "uninstall again: nothing to remove" grep -q 'nothing to remove' "$out"
}

main() {
    [[ $# -eq 1 ]] || die "usage: ASYNCPAGE_TEST_DSN=... $0 BINARY"
    BINARY="$(abspath "$1")"
    [[ -x "$BINARY" ]] || die "not an executable: $BINARY"
    command -v nginx >/dev/null 2>&1 || die "nginx not installed (scripts/setup)"
    command -v psql >/dev/null 2>&1 || die "psql not installed (scripts/setup)"
    TMP="$(mktemp -d /tmp/asyncpage-install.XXXXXX)"
    ROOT="$TMP/root"
    trap cleanup EXIT
    test_install
    test_unit_verify
    test_live
    test_uninstall
    printf '%d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "${#SKIPPED[@]}"
    local what
    for what in "${SKIPPED[@]}"; do printf '  skipped: %s\n' "$what"; done
    ((FAILED == 0))
}

main "$@"
