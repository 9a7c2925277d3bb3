#!/usr/bin/env python3
"""Holds N long polls on one job straight on asyncpage's FastCGI socket, for S8:
idle connections that one worker must keep while it serves other pages. The job
does not change, so each poll ends at its timeout; it is then asked again on the
same kept connection, so N stay held until this script is stopped (SIGTERM).

Usage: longpoll_hold.py SOCKET JOB_ID N PSQL_DSN READY_FILE
Writes "held=N" to READY_FILE once every poll has been sent and the worker had
time to read each one's job; prints a summary on SIGTERM.
"""
import asyncio
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from longpoll_fanout import ended, request  # noqa: E402  (same FastCGI framing as S7)


async def holder(sock, job, since, counts, connected):
    reader, writer = await asyncio.open_unix_connection(sock)
    connected.append(1)
    try:
        while True:
            writer.write(request(job, since))
            await writer.drain()
            data = b""
            while not ended(data):  # one answer: the poll's timeout passed
                chunk = await reader.read(65536)
                if not chunk:
                    counts["closed"] += 1
                    return
                data += chunk
            counts["renewed"] += 1
    finally:
        writer.close()


async def main():
    sock, job, n, dsn, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    since = int(subprocess.check_output(
        ["psql", dsn, "-tAc", f"SELECT version FROM asyncpage.jobs WHERE id = '{job}'"]).strip())
    counts = {"renewed": 0, "closed": 0}
    connected = []
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(holder(sock, job, since, counts, connected)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    while len(connected) < n:
        await asyncio.sleep(0.05)
    await asyncio.sleep(3.0)  # the worker reads each poll's job once
    with open(ready, "w") as f:
        f.write(f"held={n}\n")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(f"held={n} renewed={counts['renewed']} closed_by_server={counts['closed']}")
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

asyncio.run(main())
