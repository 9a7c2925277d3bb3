#!/usr/bin/env python3
"""Holds N long polls on one job straight on asyncpage's FastCGI socket (each on
a connection it asks the worker to keep, as nginx does with fastcgi_keep_conn), then
changes the job's progress (an UPDATE like the runner's, whose trigger sends the
NOTIFY) and measures how long until the last waiter was answered.

Usage: longpoll_fanout.py SOCKET JOB_ID N PSQL_DSN
Prints: waiters=N held_s=.. rss_kb=.. fanout_ms=.. answered=..
(RSS is read by the caller; the worker pid is passed in ASYNCPAGE_WORKER_PID.)
"""
import asyncio
import os
import subprocess
import sys
import time


def record(rtype, rid, content):
    pad = (8 - len(content) % 8) % 8
    return bytes([1, rtype, rid >> 8, rid & 255, len(content) >> 8, len(content) & 255, pad, 0]) + content + b"\0" * pad


def pair(k, v):
    k, v = k.encode(), v.encode()
    def ln(x):
        return bytes([len(x)]) if len(x) < 128 else (len(x) | 0x80000000).to_bytes(4, "big")
    return ln(k) + ln(v) + k + v


def request(job, since):
    params = b"".join(pair(k, v) for k, v in [
        ("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", f"/jobs/{job}/wait"),
        ("QUERY_STRING", f"since={since}&timeout=60"), ("HTTP_ACCEPT", "application/json"),
        ("CONTENT_LENGTH", "")])
    # FCGI_KEEP_CONN, as nginx sends it with fastcgi_keep_conn on (the deployed
    # setting): the worker answers and keeps the connection, as it would for nginx.
    return (record(1, 1, bytes([0, 1, 1, 0, 0, 0, 0, 0])) + record(4, 1, params) + record(4, 1, b"")
            + record(5, 1, b""))


def ended(data):
    """True once the records in data include END_REQUEST (type 3)."""
    off = 0
    while off + 8 <= len(data):
        total = 8 + (data[off + 4] << 8 | data[off + 5]) + data[off + 6]
        if off + total > len(data):
            return False
        if data[off + 1] == 3:
            return True
        off += total
    return False


async def waiter(sock, job, since, done_times, connected):
    reader, writer = await asyncio.open_unix_connection(sock)
    writer.write(request(job, since))
    await writer.drain()
    connected.append(1)
    data = b""
    while not ended(data):  # the worker keeps the connection: read up to END_REQUEST
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    done_times.append(time.monotonic())
    writer.close()
    return b"Status: 200" in data or b'"version"' in data


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def main():
    sock, job, n, dsn = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pid = int(os.environ.get("ASYNCPAGE_WORKER_PID", "0"))
    since = int(subprocess.check_output(
        ["psql", dsn, "-tAc", f"SELECT version FROM asyncpage.jobs WHERE id = '{job}'"]).strip())
    done, connected = [], []
    rss0 = rss_kb(pid) if pid else 0
    t0 = time.monotonic()
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(waiter(sock, job, since, done, connected)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    while len(connected) < n:
        await asyncio.sleep(0.05)
    # Wait until the worker holds them all (each read its job once).
    await asyncio.sleep(3.0)
    held_s = time.monotonic() - t0
    rss1 = rss_kb(pid) if pid else 0
    early = len(done)
    t_change = time.monotonic()
    subprocess.check_call(["psql", dsn, "-qc",
                           f"UPDATE asyncpage.jobs SET progress = coalesce(progress, 0) % 100 + 1, "
                           f"message = 'fan-out test' WHERE id = '{job}'"])
    t_commit = time.monotonic()
    results = await asyncio.gather(*tasks)
    last = max(done)
    print(f"waiters={n} held_s={held_s:.1f} answered_early={early} ok={sum(results)} "
          f"rss_before_kb={rss0} rss_held_kb={rss1} per_waiter_kb={(rss1 - rss0) / n:.1f} "
          f"update_ms={(t_commit - t_change) * 1000:.1f} "
          f"fanout_ms={(last - t_commit) * 1000:.1f} (from the UPDATE's commit to the last answer)")

if __name__ == "__main__":  # longpoll_hold.py imports the framing above
    asyncio.run(main())
