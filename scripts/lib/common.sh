# shellcheck shell=bash
# Shared helpers for the scripts in scripts/: messages, the repository root,
# running commands as root (sudo when needed) and small process utilities.
# Source it; it defines functions and the variable REPO_ROOT (not exported:
# asyncpage treats unknown ASYNCPAGE_* variables as config errors).

# shellcheck disable=SC2034  # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Messages go to stderr so that functions can print results on stdout.
info() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Runs a command as root: directly when we are root, else through sudo
# (non-interactive: fails instead of prompting when sudo wants a password
# and there is no terminal).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [[ -t 0 ]]; then
            sudo "$@"
        else
            sudo -n "$@"
        fi
    else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# True when process PID is alive and its command line contains TEXT (guards
# against a recycled pid before we signal it).
pid_matches() {
    local pid="$1" text="$2"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$text"
}

# True when process PID is alive and runs the executable named NAME (the
# basename of /proc/PID/exe; a binary rebuilt since it started still counts).
pid_exe_is() {
    local pid="$1" name="$2" exe
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
    exe="${exe% (deleted)}"
    [[ "${exe##*/}" == "$name" ]]
}

# Waits up to SECONDS for process PID to exit. Returns 1 if it is still there.
wait_pid_gone() {
    local pid="$1" seconds="$2" i
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$pid" 2>/dev/null
}

# Sends SIGNAL to PID, waits up to SECONDS, then SIGKILLs it if still alive.
stop_pid() {
    local pid="$1" signal="$2" seconds="$3" what="${4:-process}"
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" "$seconds"; then
        warn "$what (pid $pid) still running after ${seconds}s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        wait_pid_gone "$pid" 5 || true
    fi
}

# Pids (one per line) of processes whose command line contains TEXT literally,
# excluding this shell and its parents.
pids_with_arg() {
    local text="$1" dir pid
    for dir in /proc/[0-9]*; do
        pid="${dir#/proc/}"
        [[ "$pid" == "$$" || "$pid" == "$PPID" || "$pid" == "$BASHPID" ]] && continue
        [[ -r "$dir/cmdline" ]] || continue
        if tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | grep -qF -- "$text"; then
            printf '%s\n' "$pid"
        fi
    done
}

# Raises the open-files limit of this shell (and its children) to WANT, or to
# the hard limit when that is lower; warns only when that leaves it below 16384.
raise_fd_limit() {
    local want="${1:-65536}" hard
    if ulimit -n "$want" 2>/dev/null; then
        return 0
    fi
    hard="$(ulimit -Hn)"
    if [[ "$hard" == unlimited ]]; then
        hard="$want"
    fi
    ulimit -n "$hard" 2>/dev/null || true
    if (($(ulimit -n) < 16384)); then
        warn "open files limit is $(ulimit -n) (wanted $want; the hard limit is $(ulimit -Hn))"
    fi
}

# Makes every directory from / down to DIR traversable (x) by OS user USER,
# adding o+x only where it is missing, and says so. Needed when a service runs
# as an unprivileged user below a root-owned 0700 directory (mktemp, /root).
make_traversable() {
    local dir="$1" user="$2" path="" part
    local -a parts
    [[ "$dir" == /* ]] || die "make_traversable: not an absolute path: $dir"
    IFS=/ read -r -a parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        [[ -n "$part" ]] || continue
        path="$path/$part"
        if ! runuser -u "$user" -- test -x "$path" 2>/dev/null; then
            info "allowing other users to traverse $path (chmod o+x) so that $user can reach $dir"
            chmod o+x "$path" || return 1
        fi
    done
}

# Absolute path of PATH (which need not exist yet).
abspath() {
    local path="$1"
    if [[ "$path" == /* ]]; then
        printf '%s\n' "$path"
    else
        printf '%s/%s\n' "$(pwd)" "$path"
    fi
}
