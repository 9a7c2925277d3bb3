#!/usr/bin/env python3
"""Reads scripts/bench's raw outputs (OUT/raw), prints the table of figures and
ratios (medians over the runs), and writes OUT/results.tsv and OUT/chart.png.

Usage: report.py OUT
"""
import glob
import os
import re
import statistics
import subprocess
import sys

OUT = sys.argv[1]
RAW = os.path.join(OUT, "raw")


def runs(name):
    return sorted(glob.glob(os.path.join(RAW, f"{name}.r*.txt")))


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "secs": 1.0}[unit]


def parse_hey(path):
    text = open(path).read()
    out = {}
    m = re.search(r"Average:\s+([\d.]+) secs", text)
    out["mean"] = float(m.group(1)) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}% in ([\d.]+) secs", text)
        out["p" + pct] = float(m.group(1)) if m else None
    ok = re.search(r"\[200\]\s+(\d+) responses", text)
    out["ok"] = int(ok.group(1)) if ok else 0
    out["errors"] = len(re.findall(r"^\s+\[\d+\]\s+Get", text, re.M))
    return out


def parse_wrk(path):
    text = open(path).read()
    out = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else None
    m = re.search(r"Latency\s+([\d.]+)(us|ms|s)\s", text)
    out["mean"] = seconds(*m.groups()) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\s", text)
        out["p" + pct] = seconds(*m.groups()) if m else None
    m = re.search(r"(\d+) requests in", text)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(map(int, m.groups())) if m else 0
    if out["requests"] == 0:  # nothing answered in time: no latency to speak of
        out["mean"] = out["p50"] = out["p99"] = None
    return out


def kv(path):
    text = open(path).read() if os.path.exists(path) else ""
    return {k: v for k, v in re.findall(r"(\w+)=([^\s]+)", text)}


def agg(name, parser, key):
    return median([parser(p).get(key) for p in runs(name)])


def failures(name):
    """Answers that were not 2xx, and socket errors, over all runs of a wrk load."""
    return sum(parse_wrk(p)["non2xx"] + parse_wrk(p)["socket_errors"] for p in runs(name))


def good_rps(name):
    """Requests per second counting only 2xx answers (median over the runs)."""
    vals = []
    for p in runs(name):
        w = parse_wrk(p)
        if w["rps"] is not None and w["requests"]:
            vals.append(w["rps"] * max(0, w["requests"] - w["non2xx"]) / w["requests"])
    return median(vals)


notes = []  # failures seen in the loads
rows = []  # scenario, measure, asyncpage, php, node, go, limit, ratio text, target, verdict


def ran(prefix):
    """Whether the run measured this scenario (scripts/bench --only leaves some out)."""
    return bool(glob.glob(os.path.join(RAW, prefix + "*")))


def add(scenario, measure, a=None, php=None, node=None, limit=None, ratio="", target="", ok=None,
        go=None):
    if not ran(scenario.split()[0].lower() + "."):
        return
    rows.append([scenario, measure, a, php, node, go, limit, ratio, target,
                 "" if ok is None else ("met" if ok else "MISSED")])


def fmt(v, unit):
    if v is None:
        return "none answered" if unit == "ms" else "-"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "ms":
        return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "rps":
        return f"{v:,.0f}/s"
    if unit == "kb":
        return f"{v:.1f} KB"
    if unit == "mb":
        return f"{v:.1f} MB"
    if unit == "us":
        return f"{v:.1f} µs"
    return str(v)


def ratio(a, b):
    return a / b if a and b else None


# S1
a, p, n = (agg(f"s1.{s}", parse_hey, "mean") for s in ("asyncpage", "php", "node"))
add("S1 50 × 1 s page", "mean latency", fmt(a, "s"), fmt(p, "s"), fmt(n, "s"), "1.00 s (the query)",
    f"PHP {ratio(p, a) or 0:.1f}× slower, Node {ratio(n, a) or 0:.1f}×", "≤ 1.05 s", a is not None and a <= 1.05)

# S2
a_mean, a_p99 = agg("s2.asyncpage", parse_hey, "mean"), agg("s2.asyncpage", parse_hey, "p99")
p, n = agg("s2.php", parse_hey, "mean"), agg("s2.node", parse_hey, "mean")
add("S2 500 × 1 s, max_connections 300", "mean / p99",
    f"{fmt(a_mean, 's')} / {fmt(a_p99, 's')}", fmt(p, "s"), fmt(n, "s"), "≈1.5 s mean (two waves)",
    f"PHP {ratio(p, a_mean) or 0:.1f}×, Node {ratio(n, a_mean) or 0:.1f}×" if p or n else "",
    "mean ≤ 1.6 s", a_mean is not None and a_mean <= 1.6)
pend = kv(os.path.join(RAW, "s2.pending.txt"))
if pend:
    per = (int(pend["peak_rss_kb"]) - int(pend["idle_rss_kb"])) / int(pend["pending"])
    add(f"S2 {pend['pending']} pending pages, 1 worker", "RSS per pending page", fmt(per, "kb"),
        target="≤ 32 KB", ok=per <= 32,
        ratio=f"peak {int(pend['peak_rss_kb']) / 1024:.0f} MB")

# S3
for s in ("asyncpage", "php", "node"):
    if failures(f"s3.{s}"):
        notes.append(f"S3 on {s}: {failures(f's3.{s}')} failed trivial requests")
a99, p99, n99 = (agg(f"s3.{s}", parse_wrk, "p99") for s in ("asyncpage", "php", "node"))
a50 = agg("s3.asyncpage", parse_wrk, "p50")
add("S3 trivial page under 200 × 1 s load", "p50 / p99",
    f"{fmt(a50, 'ms')} / {fmt(a99, 'ms')}",
    f"{fmt(agg('s3.php', parse_wrk, 'p50'), 'ms')} / {fmt(p99, 'ms')}",
    f"{fmt(agg('s3.node', parse_wrk, 'p50'), 'ms')} / {fmt(n99, 'ms')}",
    target="p99 ≤ 10 ms", ok=a99 is not None and a99 <= 0.010)

# S4
nginx = agg("s4.nginx", parse_wrk, "rps")
pgb = median([float(m.group(1)) for f in runs("s4.pgbench")
              for m in [re.search(r"tps = ([\d.]+)", open(f).read())] if m])
combined = 1 / (1 / nginx + 1 / pgb) if nginx and pgb else None
PEERS = ("asyncpage", "php", "node", "go")
tput = {}
for page in ("onerow", "twenty", "fortunes"):
    tput[page] = {s: good_rps(f"s4.{page}.{s}") for s in PEERS}
    for s in PEERS:
        if failures(f"s4.{page}.{s}"):
            notes.append(f"S4 {page} on {s}: {failures(f's4.{page}.{s}')} failed requests "
                         "(non-2xx or socket errors; throughput counts 2xx only)")


def cpu_per_page_us(load):
    """Server CPU (nginx + the peer + PostgreSQL, user + system) per page of a
    load, in µs, from the same loads as the throughput."""
    cpu = kv(os.path.join(RAW, f"{load}.cpu.txt"))
    reqs = sum(parse_wrk(p)["requests"] for p in runs(load))
    return float(cpu["cpu_seconds"]) / reqs * 1e6 if cpu and reqs else None


cpu_us = {page: {s: cpu_per_page_us(f"s4.{page}.{s}") for s in PEERS}
          for page in ("onerow", "twenty", "fortunes")}


def vs_go(values, peer="asyncpage"):
    """`peer`'s figure as a ratio to Go's ("1.54× Go")."""
    return f"{ratio(values[peer], values['go']) or 0:.2f}× Go"


def s4_rows(page, label, go_factor, node_factor=None):
    """A throughput row with its targets as ratios to Go (and Node), then its CPU row."""
    t = tput[page]
    text = vs_go(t) + f", {ratio(t['asyncpage'], t['node']) or 0:.1f}× Node, " \
        f"{ratio(t['asyncpage'], t['php']) or 0:.1f}× PHP"
    target = f"≥ {go_factor:g}× Go" + (f", ≥ {node_factor:g}× Node" if node_factor else "")
    ok = bool(t["asyncpage"] and t["go"] and t["asyncpage"] >= go_factor * t["go"]
              and (not node_factor or (t["node"] and t["asyncpage"] >= node_factor * t["node"])))
    limit = None
    if page == "onerow":
        limit = f"{fmt(combined, 'rps')} (nginx {fmt(nginx, 'rps')}, pgbench {fmt(pgb, 'rps')})"
        # Truncated, not rounded: 49.7% must not read as the 50% it misses.
        text += f", {int((ratio(t['asyncpage'], combined) or 0) * 100)}% of limit"
    add(label, "throughput", fmt(t["asyncpage"], "rps"), fmt(t["php"], "rps"), fmt(t["node"], "rps"),
        limit, text, target, ok, go=fmt(t["go"], "rps"))
    c = cpu_us[page]
    if any(c.values()):
        ok = page != "onerow" or bool(c["asyncpage"] and c["go"] and c["asyncpage"] <= 0.7 * c["go"])
        add(label.split(",")[0], "server CPU per page", fmt(c["asyncpage"], "us"), fmt(c["php"], "us"),
            fmt(c["node"], "us"), "nginx + server + PostgreSQL", vs_go(c) + ", Node " + vs_go(c, "node")
            + ", PHP " + vs_go(c, "php"), "≤ 0.7× Go" if page == "onerow" else "",
            ok if page == "onerow" else None, go=fmt(c["go"], "us"))


s4_rows("onerow", "S4 one-row page, 64 conns", 1.5, 2.5)
# The one-row page with share_connections off, asyncpage against itself.
u_rps = good_rps("s4.onerow.unshared")
u_us = cpu_per_page_us("s4.onerow.unshared")
if u_rps:
    add("S4 one-row page, share_connections off", "throughput / CPU per page",
        f"{fmt(u_rps, 'rps')} / {fmt(u_us, 'us')}",
        ratio=f"sharing: {ratio(tput['onerow']['asyncpage'], u_rps) or 0:.2f}× the pages/s, "
              f"{ratio(cpu_us['onerow']['asyncpage'], u_us) or 0:.2f}× the CPU per page")
s4_rows("twenty", "S4 20-query page, 64 conns", 2.5)
s4_rows("fortunes", "S4 Fortunes page, 64 conns", 1.3)

# S5
answers, stops = [], []
for f in sorted(glob.glob(os.path.join(RAW, "s5.run.*.txt"))):
    r = kv(f)
    i = f.rsplit(".", 2)[-2]
    answers.append(float(r["total_s"]) - 1.0)
    m = re.search(r"stopped_at=([\d.]+)", open(os.path.join(RAW, f"s5.stop.{i}.txt")).read())
    if m:
        stops.append(float(m.group(1)) - (float(r["start_epoch"]) + 1.0))
ans, stop = median(answers), median(stops)
add("S5 1 s deadline, 10 s query", "answer / backend stopped, after the deadline",
    f"+{fmt(ans, 'ms')} / +{fmt(stop, 'ms')}", target="≤ 50 ms / ≤ 100 ms",
    ok=ans is not None and stop is not None and ans <= 0.05 and stop <= 0.1)

# S6
a_t = median([float(kv(f)["total_s"]) for f in runs("s6.asyncpage")])
c_t = median([float(kv(f)["total_s"]) for f in runs("s6.copy")])
hwm = kv(os.path.join(RAW, "s6.hwm.txt"))
hwm_mb = int(hwm.get("hwm_kb", 0)) / 1024
add("S6 1,000,000-row CSV", "time / worker peak RSS", f"{fmt(a_t, 's')} / {fmt(hwm_mb, 'mb')}",
    limit=f"\\copy {fmt(c_t, 's')}", ratio=f"{int((ratio(c_t, a_t) or 0) * 100)}% of \\copy",
    target="≥ 50%, ≤ 32 MB", ok=bool(a_t and c_t and c_t / a_t >= 0.5 and hwm_mb <= 32))
h_t = median([float(kv(f)["total_s"]) for f in runs("s6.html")])
h_ok = all(kv(f).get("status") == "200" for f in runs("s6.html"))
h_hwm = kv(os.path.join(RAW, "s6.html.hwm.txt"))
h_hwm_mb = int(h_hwm.get("hwm_kb", 0)) / 1024
if runs("s6.html"):
    add("S6 1,000,000-row section as an HTML page (max_rows 10,000)", "time / worker peak RSS",
        f"{fmt(h_t, 's')} / {fmt(h_hwm_mb, 'mb')}", target="≤ 64 MB",
        ok=bool(h_t and h_ok and h_hwm_mb <= 64))

# S7
s7 = kv(os.path.join(RAW, "s7.txt"))
server = open(os.path.join(RAW, "s7.server.txt")).read() if os.path.exists(os.path.join(RAW, "s7.server.txt")) else ""
m = re.search(r"in ([\d.]+) ms", server)
if s7:
    held_mb = int(s7["rss_held_kb"]) / 1024
    per = float(s7["per_waiter_kb"])
    fan_server = float(m.group(1)) / 1000 if m else None
    fan_client = float(s7["fanout_ms"]) / 1000
    add(f"S7 {s7['waiters']} long polls, 1 worker", "RSS / per waiter / fan-out",
        f"{fmt(held_mb, 'mb')} / {fmt(per, 'kb')} / {fmt(fan_server, 'ms')}",
        ratio=f"last client read its answer {fmt(fan_client, 'ms')} after the commit",
        target="≤ 320 MB, ≤ 32 KB, ≤ 100 ms",
        ok=held_mb <= 320 and per <= 32 and fan_server is not None and fan_server <= 0.1)

# S8
s8 = kv(os.path.join(RAW, "s8.txt"))
if s8:
    alone, held = good_rps("s8.alone"), good_rps("s8.held")
    errors = failures("s8.alone") + failures("s8.held")
    r8 = ratio(held, alone)
    add(f"S8 one-row page, 1 worker holding {s8['idle']} long polls", "req/s held / alone",
        f"{fmt(held, 'rps')} / {fmt(alone, 'rps')}", ratio=f"{r8:.2f}" if r8 is not None else "-",
        target="≥ 0.9", ok=r8 is not None and r8 >= 0.9 and errors == 0)
    if errors:
        notes.append(f"S8: {errors} non-2xx answers or socket errors in its loads")

header = ["scenario", "measure", "asyncpage", "PHP-FPM", "Node.js", "Go", "limit", "ratios", "target",
          ""]
table = [header] + [[c if isinstance(c, str) else ("-" if c is None else str(c)) for c in r] for r in rows]
widths = [max(len(r[i]) for r in table) for i in range(len(header))]
machine = open(os.path.join(OUT, "machine.txt")).read().strip()
print(machine)
print()
for i, r in enumerate(table):
    print(" | ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip())
    if i == 0:
        print("-+-".join("-" * w for w in widths))

for n in notes:
    print("note: " + n)

with open(os.path.join(OUT, "results.tsv"), "w") as f:
    for r in table:
        f.write("\t".join(r) + "\n")

# Chart: S4 throughput per page and server.
dat = os.path.join(OUT, "chart.dat")
with open(dat, "w") as f:
    for page in ("onerow", "twenty", "fortunes"):
        t = tput[page]
        f.write(f"{page} {t['asyncpage'] or 0} {t['php'] or 0} {t['node'] or 0} {t['go'] or 0}\n")
gp = f"""
set terminal pngcairo size 900,500 font ",11"
set output "{os.path.join(OUT, 'chart.png')}"
set title "S4: requests per second at 64 connections (median of runs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set ylabel "req/s"
set yrange [0:*]
set grid ytics
plot "{dat}" using 2:xtic(1) title "asyncpage", "" using 3 title "PHP-FPM", "" using 4 title "Node.js", \\
     "" using 5 title "Go"
"""
try:
    subprocess.run(["gnuplot"], input=gp, text=True, check=True, capture_output=True)
except (OSError, subprocess.CalledProcessError) as e:
    print(f"chart not written: {e}", file=sys.stderr)
