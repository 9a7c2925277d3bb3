#!/usr/bin/env bash
# Follows README's "Tutorial: your first report in five minutes" step by step, on
# a demo of its own (scripts/demo with DEMO_VAR, DEMO_REPORTS and DEMO_PORT
# pointed into a temp dir, so that a running demo is left alone):
#   1. the report file is the README's ```sql block, written where the README says;
#   2. the README's `check` command, with the output line the README promises;
#   3. the README's SIGHUP command, then the log line it promises;
#   4. the index, the form, the page, and the README's JSON and CSV commands: the
#      columns and the CSV header the README shows;
#   5. the README's bad-parameter command: its status line, content type and body;
#   6. README's HTTP interface and Background jobs references against the same demo
#      (tests/tutorial/api_reference.py: JSON examples, endpoint and status tables,
#      curl recipes).
# The commands are taken from the README's ```sh blocks of the tutorial and run
# with only the paths and the port substituted, so the README cannot drift.
# Usage: tests/tutorial/run.sh [BUILD_DIR]   (default build; needs BUILD_DIR/asyncpage)
# Prints "N passed, M failed"; exits 1 on any failure. KEEP_TMP=1 keeps the temp dir.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

BUILD_DIR="$(abspath "${1:-$REPO_ROOT/build}")"
README="$REPO_ROOT/README.md"
PASSED=0
FAILED=0
TMP=""

pass() {
    PASSED=$((PASSED + 1))
    printf 'ok   %s\n' "$*"
}
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL %s\n' "$*"
}
check() {
    local what="$1"
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
contains() { grep -qF -- "$2" "$1"; }

# The tutorial's part of README (from its heading to the next "## ").
tutorial() {
    sed -n '/^## Tutorial: your first report in five minutes/,/^## [^T]/p' "$README"
}
# The Nth (1-based) fenced block of language LANG in the tutorial.
block() {
    local lang="$1" n="$2"
    tutorial | awk -v lang="$lang" -v n="$n" '
        fenced && /^```$/ { fenced = 0; take = 0; next }
        !fenced && /^```/ { fenced = 1; if (substr($0, 4) == lang && ++k == n) take = 1; next }
        take { print }'
}
# A README command with the demo's paths and port replaced by this test's.
localise() {
    sed -e "s|build/asyncpage|$BUILD_DIR/asyncpage|g" -e "s|var/|$DEMO_VAR/|g" \
        -e "s|127.0.0.1:8080|127.0.0.1:$DEMO_PORT|g"
}
demo() {
    DEMO_VAR="$DEMO_VAR" DEMO_REPORTS="$DEMO_REPORTS" DEMO_PORT="$DEMO_PORT" \
        BUILD_DIR="$BUILD_DIR" "$REPO_ROOT/scripts/demo" "$@"
}

cleanup() {
    local rc=$?
    if [[ -n "$TMP" ]]; then
        demo stop >"$TMP/stop.log" 2>&1 || cat "$TMP/stop.log" >&2
        if [[ "${KEEP_TMP:-0}" == 1 ]]; then
            echo "kept $TMP" >&2
        else
            rm -rf "$TMP"
        fi
    fi
    exit "$rc"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls CMD... for up to SECONDS; true once it succeeds.
wait_for() {
    local seconds="$1" i
    shift
    for ((i = 0; i < seconds * 10; i++)); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    return 1
}

main() {
    [[ -x "$BUILD_DIR/asyncpage" ]] || die "$BUILD_DIR/asyncpage not built"
    TMP="$(mktemp -d -t asyncpage-tutorial.XXXXXX)"
    chmod 755 "$TMP"  # PostgreSQL's OS user must traverse it
    trap cleanup EXIT
    DEMO_VAR="$TMP/var"
    DEMO_REPORTS="$TMP/reports"
    DEMO_PORT="$(free_port)"
    mkdir -p "$DEMO_REPORTS"
    cp "$REPO_ROOT"/sql/reports/*.sql "$DEMO_REPORTS/"

    # scripts/demo as in Quick start (the binary is the one given).
    if demo start --no-build >"$TMP/demo.log" 2>&1; then
        pass "scripts/demo starts the demo"
    else
        fail "scripts/demo starts the demo"
        tail -n 40 "$TMP/demo.log"
        return 1
    fi

    # 1. The report, written where the tutorial says (sql/reports/ = DEMO_REPORTS).
    local file
    # shellcheck disable=SC2016  # literal backquotes of the README's markup
    file="$(tutorial | grep -o 'Create `sql/reports/[a-z_]*\.sql`' | sed 's/.*sql\/reports\/\(.*\)`/\1/')"
    check "the tutorial names its report file" test "$file" == top_products.sql
    block sql 1 >"$DEMO_REPORTS/$file"
    check "the tutorial's report has a title and a section" \
        grep -q -- '-- section: top' "$DEMO_REPORTS/$file"

    # 2. check, as the README runs it; it prints the line the README promises.
    local cmd promised out="$TMP/check.out" rc=0
    cmd="$(block sh 1 | localise)"
    bash -c "$cmd" >"$out" 2>&1 || rc=$?
    cat "$out"
    check "asyncpage check exits 0" test "$rc" == 0
    # shellcheck disable=SC2016
    promised="$(tutorial | grep -o '`[0-9]* reports checked, 0 problems, 0 warnings`' | tr -d '`')"
    check "check prints '$promised'" contains "$out" "$promised"

    # 3. SIGHUP as the README sends it; the log line it promises.
    local log="$DEMO_VAR/log/asyncpage.log" reloaded
    # shellcheck disable=SC2016
    reloaded="$(tutorial | grep -o '`reloaded: [0-9]* reports`' | tr -d '`')"
    cmd="$(block sh 2 | localise)"
    check "the SIGHUP command runs" bash -c "$cmd"
    check "the log says '$reloaded'" wait_for 20 contains "$log" "$reloaded"
    local base="http://127.0.0.1:$DEMO_PORT"
    check "the new report answers after the reload" \
        wait_for 20 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' '$base/reports/top_products?format=json&lim=1') == 200 ]]"

    # 4. The index, the form, the page; JSON and CSV by the README's commands.
    check "the index lists Top products" bash -c "curl -sf '$base/' | grep -q '>Top products<'"
    check "the form" bash -c "curl -sf '$base/reports/top_products' | grep -q 'id=\"run-form\"'"
    check "?lim=5 shows a table of 5 rows" \
        bash -c "[[ \$(curl -sf '$base/reports/top_products?lim=5' | grep -o '<tr' | wc -l) == 6 ]]"
    local json csv
    json="$(block sh 3 | sed -n 1p | localise)"
    csv="$(block sh 3 | sed -n 2p | localise)"
    bash -c "$json" >"$TMP/page.json"
    bash -c "$csv" >"$TMP/page.csv"
    local columns
    columns="$(block json 1 | grep -o '"columns":\[[^]]*\]')"
    check "JSON: status ok, 3 rows, the README's columns" python3 - "$TMP/page.json" "$columns" <<'PY'
import json, sys
page = json.load(open(sys.argv[1]))
want = json.loads("{" + sys.argv[2] + "}")["columns"]
s = page["sections"][0]
ok = (page["report"] == "top_products" and page["status"] == "ok" and s["status"] == "ok"
      and s["columns"] == want and len(s["rows"]) == 3
      and all(isinstance(r[2], int) and isinstance(r[3], str) for r in s["rows"]))
if not ok:
    print(json.dumps(page)[:600])
sys.exit(0 if ok else 1)
PY
    check "CSV: the README's header line and 3 rows" bash -c \
        "[[ \"\$(head -n 1 '$TMP/page.csv' | tr -d '\r')\" == '$(block '' 1 | sed -n 1p)' && \$(wc -l <'$TMP/page.csv') == 4 ]]"

    # 5. The bad parameter: the status line, content type and body the README shows.
    local bad="$TMP/bad.out"
    cmd="$(block sh 4 | localise)"
    bash -c "$cmd" | tr -d '\r' >"$bad"
    cat "$bad"
    check "400 status line" contains "$bad" "$(block '' 2 | sed -n 1p)"
    check "JSON content type" contains "$bad" "$(block '' 2 | grep '^Content-Type:')"
    check "the body names lim" test "$(tail -n 1 "$bad")" == "$(block '' 2 | tail -n 1)"

    # 6. The HTTP and jobs references: examples, tables and curl recipes.
    check "README's API reference matches the answers (tests/tutorial/api_reference.py)" \
        python3 "$REPO_ROOT/tests/tutorial/api_reference.py" "$base" "$README"

    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    ((FAILED == 0))
}

main "$@"
