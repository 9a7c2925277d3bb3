#!/usr/bin/env python3
"""Checks README's "HTTP interface" and "Background jobs" references against a
running demo (the tutorial's, with its top_products report), so that they cannot
go stale:
  - every JSON example (page, error, index, job) has the shape of a real answer:
    the same keys at every level and the same value types where both are set;
  - every row of the endpoints tables answers with its status and content type;
  - every status of the statuses table is produced here (JSON, HTML and CSV
    requests: the content type the table gives; JSON bodies shaped like the error
    example), or named below with the suite that produces it;
  - every curl recipe runs as written (HOST and ID substituted) and answers with
    the status its comment names (else 200).
Usage: api_reference.py BASE_URL README. Prints ok/FAIL lines; exits 1 on any FAIL.
"""
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

BASE, README = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
FAILED = 0

# Statuses of the table that the demo cannot produce on demand, and the suites
# that do (each asserts the status and the body).
ELSEWHERE = {
    429: "integration.security (job_max_queued)",
    500: "e2e.html / e2e.json (every section failed)",
    503: "integration.errors / integration.faults (max_pending, PostgreSQL down)",
    504: "integration.timing (no section finished in time)",
}


def check(what, ok, detail=""):
    global FAILED
    if ok:
        print(f"ok   {what}")
    else:
        FAILED += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""))


def part(heading):
    """README from the heading to the next heading of the same level."""
    start = README.index(heading)
    end = README.find("\n## ", start + len(heading))
    return README[start : end if end >= 0 else len(README)]


def blocks(text, lang):
    return re.findall(r"^```" + lang + r"\n(.*?)^```$", text, re.S | re.M)


def table(text, first_header):
    """Rows (lists of cells) of the markdown table whose header starts with first_header."""
    lines = text[text.index("| " + first_header) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows


def request(method, path, headers=None, body=None):
    """(status, headers, body bytes) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def same_shape(doc, real, where="$"):
    """None when README's DOC has the shape of the REAL answer, else where not."""
    if isinstance(doc, dict) and isinstance(real, dict):
        if doc.keys() != real.keys():
            return f"{where}: README has {sorted(doc)}, the answer {sorted(real)}"
        for k in doc:
            bad = same_shape(doc[k], real[k], f"{where}.{k}")
            if bad:
                return bad
        return None
    if isinstance(doc, list) and isinstance(real, list):
        return same_shape(doc[0], real[0], where + "[0]") if doc and real else None
    if doc is None or real is None or doc == real:
        return None
    return f"{where}: README has {doc}, the answer {real}"


def compare(what, doc_json, real_body):
    try:
        real = json.loads(real_body)
    except ValueError as e:
        check(what, False, f"the answer is not JSON ({e}): {real_body[:200]!r}")
        return None
    bad = same_shape(shape(doc_json), shape(real))
    check(what, bad is None, bad or "")
    return real


JSON = {"Accept": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
http_part = part("## HTTP interface")
jobs_part = part("## Background jobs")

# --- JSON examples --------------------------------------------------------------
page_doc = json.loads(blocks(http_part, "json")[0])
status, _, body = request("GET", f"/reports/{page_doc['report']}?format=json")
compare(f"README's page JSON has the shape of /reports/{page_doc['report']}?format=json", page_doc, body)

error_doc = re.search(r"^The error JSON: `(\{.*\})`", http_part, re.M).group(1)
status, headers, body = request("GET", "/reports/top_products?format=json&lim=500")
check("README's error JSON is the answer to lim=500, byte for byte", body.decode() == error_doc,
      body.decode())
error_doc = json.loads(error_doc)

index_doc = re.search(r"`GET /\?format=json` \| `200` `(\{.*?\})`", http_part).group(1)
index_doc = json.loads(re.sub(r":\.\.", ':"x"', index_doc))
status, _, body = request("GET", "/?format=json")
compare("README's index JSON has the shape of /?format=json", index_doc, body)

job_doc = json.loads(blocks(jobs_part, "json")[0])
status, headers, body = request("POST", "/reports/rollup/jobs", {**JSON, **FORM}, b"step=0.2")
check("POST /reports/rollup/jobs: 202 with Location", status == 202 and headers["Location"], status)
job = compare("README's job JSON has the shape of the answer to POST .../jobs", job_doc, body) or {}
job_id = job.get("id", "none")
check("Location is /jobs/ID", headers["Location"] == f"/jobs/{job_id}", headers["Location"])


# --- Statuses ----------------------------------------------------------------------
def error_answers(code, method, path, headers=None, body=None, query_sep="?"):
    """The request as JSON, HTML and CSV: each gets CODE with the table's content type."""
    for fmt, accept, ctype in (("json", "application/json", "application/json"),
                               ("html", "text/html", "text/html"),
                               ("csv", "text/csv", "text/plain")):
        status, got, answer = request(method, path, {"Accept": accept, **(headers or {})}, body)
        check(f"{code} for {method} {path} ({fmt}): {ctype}",
              status == code and got["Content-Type"].startswith(ctype),
              f"{status} {got['Content-Type']}")
        if fmt == "json":
            compare(f"{code}: the body has the error JSON's shape", {"error": {
                k: v for k, v in error_doc["error"].items() if k != "param" or "param" in
                json.loads(answer).get("error", {})}}, answer)
            check(f"{code}: error.status is the status", json.loads(answer)["error"]["status"] == code)
        if code == 405:
            check("405 carries Allow", bool(got["Allow"]), got["Allow"])


# A job that keeps running while the statuses are tried (step 5 s a month).
status, _, body = request("POST", "/reports/rollup/jobs", {**JSON, **FORM}, b"step=5")
running = json.loads(body)["id"]
tried = {
    400: lambda: error_answers(400, "GET", "/reports/top_products?lim=500"),
    404: lambda: error_answers(404, "GET", "/reports/no_such_report"),
    405: lambda: error_answers(405, "PUT", "/reports/orders"),
    403: lambda: error_answers(403, "POST", "/reports/rollup/jobs",
                               {**FORM, "Origin": "http://elsewhere.example"}, b"step=0"),
    409: lambda: error_answers(409, "GET", f"/jobs/{running}/result"),
    413: lambda: error_answers(413, "POST", "/reports/rollup/jobs", FORM, b"step=0&x=" + b"a" * 70000),
    415: lambda: error_answers(415, "POST", "/reports/rollup/jobs", {"Content-Type": "text/plain"},
                               b"step=0"),
}
for row in table(http_part, "status | when"):
    for code in map(int, re.findall(r"`(\d{3})`", row[0])):
        if code == 200:
            continue
        if code in tried:
            tried[code]()
        else:
            check(f"{code} of the statuses table is produced here or by a named suite",
                  code in ELSEWHERE, "add it to api_reference.py")

# --- Endpoints tables ----------------------------------------------------------------
status, _, index_html = request("GET", "/")
asset = re.search(rb'/assets/[\w.-]+\.css', index_html).group(0).decode()
for row in table(http_part, "request | success"):
    m = re.match(r"`GET (/[^`]*)`", row[0])
    if not m:
        continue
    path = (m.group(1).replace("/assets/NAME-HASH.ext", asset).replace("NAME", "orders")
            .replace("section=S", "section=summary").replace("&...", ""))
    code = re.search(r"`(\d{3})`", row[1])
    code = int(code.group(1)) if code else 200  # the assets' row names no status
    ctype = re.findall(r"`([a-z]+/[^`]+)`", row[2]) or (["text/html"] if "HTML" in row[2] else [])
    status, got, _ = request("GET", path)
    check(f"endpoint GET {path}: {code} {' or '.join(ctype)}",
          status == code and any(got["Content-Type"].startswith(c) for c in ctype),
          f"{status} {got['Content-Type']}")

# The job endpoints, on the job created above (rollup, step 0.2: about 4 s).
status, got, body = request("GET", f"/jobs/{job_id}")
check("GET /jobs/ID is the wait screen (HTML)", status == 200 and got["Content-Type"].startswith("text/html"))
status, got, body = request("GET", f"/jobs/{job_id}/wait?since=0&timeout=30")
check("GET /jobs/ID/wait answers with the job JSON", status == 200 and json.loads(body)["id"] == job_id)
status, got, body = request("GET", f"/jobs/{job_id}/events")  # ends after the final state
last = [line for line in body.decode().splitlines() if line.startswith("data:")][-1:]
check("GET /jobs/ID/events is an event stream ending with the final state",
      status == 200 and got["Content-Type"].startswith("text/event-stream") and last
      and json.loads(last[0][5:])["state"] == "succeeded", body[-300:])
for fmt, ctype in (("html", "text/html"), ("json", "application/json"), ("csv", "text/csv")):
    status, got, _ = request("GET", f"/jobs/{job_id}/result?format={fmt}&section=months")
    check(f"GET /jobs/ID/result?format={fmt}: 200 {ctype}",
          status == 200 and got["Content-Type"].startswith(ctype), f"{status} {got['Content-Type']}")
status, _, _ = request("GET", f"/jobs/{job_id}/result?format=xml")
check("GET /jobs/ID/result?format=xml: 400", status == 400, status)
status, _, body = request("DELETE", f"/jobs/{running}", JSON)
check("DELETE /jobs/ID: 200, cancelled", status == 200 and json.loads(body)["state"] == "cancelled",
      body[:200])

# --- curl recipes ----------------------------------------------------------------------
status, _, body = request("POST", "/reports/rollup/jobs", {**JSON, **FORM}, b"step=5")
to_cancel = json.loads(body)["id"]
recipes = [line for line in blocks(part("### curl recipes"), "sh")[0].splitlines()
           if line.startswith("curl")]
check("the curl recipes are there", len(recipes) >= 8, len(recipes))
host = BASE.split("//", 1)[1]
for line in recipes:
    command, _, comment = line.partition("#")
    job = to_cancel if "DELETE" in command else job_id
    command = command.replace("HOST", host).replace("ID", job)
    want = re.match(r"\s*(\d{3})\b", comment)
    want = int(want.group(1)) if want else 200
    started = time.monotonic()
    run = subprocess.run(command + " -o /dev/null -w '%{http_code}'", shell=True, capture_output=True,
                         text=True, timeout=90, cwd="/tmp")
    got = run.stdout.strip()[-3:]
    check(f"recipe {command.strip()} -> {want}", got == str(want),
          f"got {got} after {time.monotonic() - started:.1f} s {run.stderr[:200]}")

print(f"api reference: {'all passed' if not FAILED else f'{FAILED} failed'}")
sys.exit(1 if FAILED else 0)
