# shellcheck shell=bash
# A local nginx (not the system service) in front of asyncpage, rendered from
# nginx/local.conf.in into a prefix directory that holds its config, pid file,
# logs and temp files. Requires common.sh.

NGINX_BIN="${NGINX_BIN:-/usr/sbin/nginx}"

# Escapes TEXT for the replacement part of a sed s||| command.
sed_replacement() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# Writes PREFIX/nginx.conf from the template for PORT and asyncpage's SOCKET.
nginx_render() {
    local prefix="$1" port="$2" socket="$3" user_line=""
    [[ "$prefix" == /* && "$socket" == /* ]] || die "nginx_render: absolute paths needed"
    is_root && user_line="user root;"
    mkdir -p "$prefix"
    sed -e "s|@PREFIX@|$(sed_replacement "$prefix")|g" \
        -e "s|@PORT@|$(sed_replacement "$port")|g" \
        -e "s|@SOCKET@|$(sed_replacement "$socket")|g" \
        -e "s|@USER@|$(sed_replacement "$user_line")|g" \
        "$REPO_ROOT/nginx/local.conf.in" >"$prefix/nginx.conf"
}

# Runs nginx with the config in PREFIX and extra arguments (-t, -s quit, ...).
nginx_cmd() {
    local prefix="$1"
    shift
    "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" "$@"
}

# Pid of the nginx master running from PREFIX, or nothing.
nginx_pid() {
    local prefix="$1" pid
    [[ -f "$prefix/nginx.pid" ]] || return 0
    pid="$(cat "$prefix/nginx.pid")"
    if pid_exe_is "$pid" nginx; then
        printf '%s\n' "$pid"
    fi
}

# Checks the config and starts nginx (it daemonizes: `daemon on;`).
nginx_start() {
    local prefix="$1"
    nginx_cmd "$prefix" -t -q || die "nginx config $prefix/nginx.conf is invalid"
    nginx_cmd "$prefix" || {
        tail -n 20 "$prefix/error.log" >&2 || true
        die "nginx did not start (see $prefix/error.log)"
    }
}

# Stops the nginx running from PREFIX gracefully (QUIT), then by force.
nginx_stop() {
    local prefix="$1" pid
    pid="$(nginx_pid "$prefix")"
    [[ -n "$pid" ]] || return 0
    info "stopping nginx (pid $pid)"
    stop_pid "$pid" QUIT 10 nginx
    rm -f "$prefix/nginx.pid"
}
